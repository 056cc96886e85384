"""PNG outputs for images without georeferencing (chips): written as an AtomicGeoTIFF first, then
copied losslessly to a hidden PNG beside the target, read back and compared, synced, and renamed
with the other outputs of the commit. JPEG is never written: it would re-compress every pixel."""
from __future__ import annotations

import os
import warnings
from typing import Any, Optional

import numpy as np
import rasterio
import rasterio.shutil
from rasterio.errors import NotGeoreferencedWarning, RasterioError

from .errors import InputError
from .leftovers import temporary_path
from .output import AtomicGeoTIFF, _WriteFailed, fsync_path, remove_with_sidecars

PNG_SUFFIXES = (".png",)
LOSSY_SUFFIXES = (".jpg", ".jpeg", ".jpe", ".jfif")
PNG_DTYPES = ("uint8", "uint16")


def atomic_output(path: str, profile: dict[str, Any], with_overviews: bool = False) -> AtomicGeoTIFF:
    """The atomic writer for `path`: PNG for a .png name, GeoTIFF otherwise; a JPEG name is refused."""
    suffix = os.path.splitext(str(path))[1].lower()
    if suffix in LOSSY_SUFFIXES:
        raise InputError(f"The output {path!r} would be a JPEG, which re-compresses (and so changes) every pixel, "
                         "the unedited ones included: name it .png (or .tif).")
    if suffix in PNG_SUFFIXES:
        return AtomicPNG(path, profile)
    return AtomicGeoTIFF(path, profile, with_overviews=with_overviews)


class AtomicPNG(AtomicGeoTIFF):
    """A PNG that appears at `path` only on commit(); its pixels are checked against what was written."""

    def __init__(self, path: str, profile: dict[str, Any]) -> None:
        dtype, count = str(profile["dtype"]), int(profile["count"])
        if dtype not in PNG_DTYPES or not 1 <= count <= 4:
            raise InputError(f"The output {path!r} cannot be a PNG: PNG holds 1 to 4 bands of 8 or 16 bits, and "
                             f"this raster has {count} bands of {dtype}. Name it .tif.")
        transform = profile.get("transform")
        if profile.get("crs") is not None or (transform is not None and not transform.is_identity):
            raise InputError(f"The output {path!r} cannot be a PNG: the raster is georeferenced and a PNG would "
                             "lose it. Name it .tif.")
        super().__init__(path, profile)
        self._tiff_path = self.temp_path  # the GeoTIFF stage; temp_path becomes the PNG once converted
        self._png_path = temporary_path(self.path, "part", ".png")

    def close(self, run_id: Optional[str] = None) -> None:
        if self.verified:
            return
        self.temp_path = self._tiff_path
        super().close(run_id)  # the GeoTIFF stage: flushed, block-checked, synced
        self.verified = False
        try:
            # PAM off: the tags go into the PNG's text chunks, not an .aux.xml a loader would trip over
            with rasterio.Env(GDAL_PAM_ENABLED="NO"), warnings.catch_warnings():
                warnings.simplefilter("ignore", NotGeoreferencedWarning)
                rasterio.shutil.copy(self._tiff_path, self._png_path, driver="PNG", WRITE_METADATA_AS_TEXT="YES")
                with rasterio.open(self._tiff_path) as staged, rasterio.open(self._png_path) as written:
                    same = np.array_equal(staged.read(), written.read())
        except RasterioError as exc:
            raise _WriteFailed(f"Writing the output {self.path!r} as PNG failed: {exc}.") from exc
        if not same:
            raise _WriteFailed(f"Writing the output {self.path!r} failed: the PNG written does not read back "
                               "as the pixels written.")
        fsync_path(self._png_path)
        remove_with_sidecars(self._tiff_path)
        self.temp_path = self._png_path  # what commit_renames moves
        self.verified = True

    def discard(self) -> None:
        self.temp_path = self._tiff_path
        super().discard()
        remove_with_sidecars(self._png_path)

