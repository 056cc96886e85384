"""Chips cut from the sample data, as tests and the benchmark build them (never committed)."""
from __future__ import annotations

from pathlib import Path
from typing import Union

import numpy as np
import rasterio
from rasterio.windows import Window

CHIP = 160


def chip_pixels(source: Union[str, Path], col: int, row: int, size: int = CHIP, bands: int = 3) -> np.ndarray:
    """(bands, size, size) uint8 pixels of the source's first `bands` bands at (col, row)."""
    with rasterio.open(source) as dataset:
        return dataset.read(list(range(1, bands + 1)), window=Window(col, row, size, size))


def write_plain_image(path: Union[str, Path], pixels: np.ndarray) -> Path:
    """A PNG (or plain TIFF) without any georeferencing, and no .aux.xml beside it."""
    driver = "PNG" if str(path).lower().endswith(".png") else "GTiff"
    with rasterio.Env(GDAL_PAM_ENABLED="NO"):
        with rasterio.open(path, "w", driver=driver, width=pixels.shape[-1], height=pixels.shape[-2],
                           count=pixels.shape[0], dtype=pixels.dtype.name) as dst:
            dst.write(pixels)
    return Path(path)


def cut_chips(source: Union[str, Path], folder: Union[str, Path], count: int, size: int = CHIP,
              suffix: str = ".png") -> list[Path]:
    """`count` chips on a grid over the source's valid middle, written as plain images."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    with rasterio.open(source) as dataset:
        width, height = dataset.width, dataset.height
    cols = max(1, (width - 2 * 60) // size)
    paths = []
    for index in range(count):
        col = 60 + (index % cols) * size
        row = 60 + ((index // cols) * size) % max(height - 2 * 60 - size, 1)
        paths.append(write_plain_image(folder / f"chip_{index:03d}{suffix}", chip_pixels(source, col, row, size)))
    return paths
