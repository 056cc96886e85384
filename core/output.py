"""Atomic GeoTIFF output: written under a temporary name in its folder, renamed when complete."""
from __future__ import annotations

import os
import uuid
import warnings
from typing import Any, Optional

import rasterio
from rasterio.errors import NotGeoreferencedWarning, RasterioIOError
from rasterio.io import DatasetWriter

from .errors import RSEditError

COMPRESSIONS = ("NONE", "LZW", "DEFLATE", "ZSTD")
# Files GDAL may write next to a GeoTIFF; they follow it on rename and go with it on discard.
SIDECAR_SUFFIXES = (".aux.xml", ".msk", ".ovr")


def geotiff_profile(width: int, height: int, count: int, dtype: str, crs: Any, transform: Any,
                    nodata: Optional[float], block_size: int, compress: str) -> dict[str, Any]:
    """Creation profile of a tiled, pixel-interleaved GeoTIFF that may grow past 4 GB."""
    profile: dict[str, Any] = dict(
        driver="GTiff", width=width, height=height, count=count, dtype=dtype, crs=crs,
        transform=transform, nodata=nodata, tiled=True, blockxsize=block_size,
        blockysize=block_size, interleave="pixel", BIGTIFF="IF_SAFER")
    if compress != "NONE":
        profile["compress"] = compress
    return profile


class AtomicGeoTIFF:
    """A GeoTIFF that appears at `path` only on commit(); discard() leaves nothing behind."""

    def __init__(self, path: str, profile: dict[str, Any]) -> None:
        self.path = os.path.abspath(path)
        folder, name = os.path.split(self.path)
        self.temp_path = os.path.join(folder, f".{name}.{uuid.uuid4().hex[:12]}.part.tif")
        self.profile = profile
        self.dataset: Optional[DatasetWriter] = None

    def open(self) -> DatasetWriter:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", NotGeoreferencedWarning)
                self.dataset = rasterio.open(self.temp_path, "w", **self.profile)
        except RasterioIOError as exc:
            raise RSEditError(f"Cannot create the output {self.path!r}: {exc}. Check that the folder "
                              "is writable and has free space.") from exc
        return self.dataset

    def close(self) -> None:
        """Flush and close; any write error surfaces here, before anything is renamed."""
        if self.dataset is not None and not self.dataset.closed:
            self.dataset.close()

    def commit(self) -> None:
        self.close()
        os.replace(self.temp_path, self.path)
        for suffix in SIDECAR_SUFFIXES:
            stale = self.path + suffix
            if os.path.exists(self.temp_path + suffix):
                os.replace(self.temp_path + suffix, stale)
            elif os.path.exists(stale):
                os.remove(stale)  # e.g. an .aux.xml describing a previous file of that name

    def discard(self) -> None:
        try:
            self.close()
        except Exception:
            pass  # the file is being thrown away; the original error matters
        for path in [self.temp_path] + [self.temp_path + s for s in SIDECAR_SUFFIXES]:
            if os.path.exists(path):
                os.remove(path)
