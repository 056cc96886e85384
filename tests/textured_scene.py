"""A small georeferenced RGB scene with stripes and noise, so patches have structure to edit."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import rasterio
from rasterio.transform import from_origin

CRS = "EPSG:32633"
TRANSFORM = from_origin(500000, 5000000, 10, 10)


def write_textured_scene(path: Path, size: int, seed: int = 0, nodata: int | None = None) -> Path:
    rng = np.random.default_rng(seed)
    rows, cols = np.mgrid[0:size, 0:size]
    base = 100 + 60 * np.sin(cols / 5.0) + 30 * np.cos(rows / 7.0)
    data = np.stack([base, base * 0.8 + 20, 255 - base]) + rng.normal(0, 6, (3, size, size))
    low = 1 if nodata == 0 else 0  # keep valid pixels off the nodata value
    with rasterio.open(path, "w", driver="GTiff", width=size, height=size, count=3, dtype="uint8", crs=CRS,
                       transform=TRANSFORM, nodata=nodata) as dst:
        dst.write(np.clip(data, low, 255).astype(np.uint8))
    return path
