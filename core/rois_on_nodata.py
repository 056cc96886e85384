"""Which ROI pixels are nodata (or masked): they stay as they are, and the user is told so.

A cloud's shadow over dark water can read exactly as the raster's nodata value (0 in all bands on
the Landsat sample): such pixels are missing data to RSEdit, never edited, and would otherwise be
left as an unexplained dark hole in an edited ROI."""
from __future__ import annotations

from typing import Iterator, Optional, Sequence

import numpy as np
from rasterio.features import rasterize
from rasterio.windows import Window
from shapely.affinity import translate

from .rois import Roi
from .scene import Scene

CHUNK = 2048  # px: a ROI is read in windows of this side, so a huge ROI costs no memory


def roi_chunks(roi: Roi, scene: Scene, chunk: int = CHUNK) -> Iterator[tuple[Window, np.ndarray]]:
    """(window, the ROI's pixels in it as [h, w] bool) over the ROI's bounding box, chunk by chunk;
    windows the ROI does not touch are skipped."""
    minx, miny, maxx, maxy = roi.pixel_geometry.bounds
    col0, row0 = max(int(np.floor(minx)), 0), max(int(np.floor(miny)), 0)
    col1, row1 = min(int(np.ceil(maxx)), scene.width), min(int(np.ceil(maxy)), scene.height)
    for row in range(row0, row1, chunk):
        for col in range(col0, col1, chunk):
            window = Window(col, row, min(chunk, col1 - col), min(chunk, row1 - row))
            shape = translate(roi.pixel_geometry, -col, -row)
            inside = rasterize([(shape, 1)], out_shape=(int(window.height), int(window.width)), fill=0,
                               dtype="uint8", all_touched=True) > 0
            if inside.any():
                yield window, inside


def invalid_pixels(roi: Roi, scene: Scene) -> tuple[int, int]:
    """(nodata or masked pixels, all pixels) inside the ROI."""
    invalid = total = 0
    for window, inside in roi_chunks(roi, scene):
        invalid += int((inside & ~scene.read_valid(window)).sum())
        total += int(inside.sum())
    return invalid, total


def nodata_notice(rois: Sequence[Roi], counts: Sequence[tuple[int, int]], nodata: Optional[float], *,
                  listed: int = 5) -> Optional[str]:
    """A message naming the ROIs that hold nodata or masked pixels, or None where none does. `counts`:
    each ROI's (invalid_pixels) as the editable check read them; `nodata`: the raster's value."""
    found = [f"ROI {roi.id}: {invalid:,} of {total:,} pixels" for roi, (invalid, total) in zip(rois, counts) if invalid]
    if not found:
        return None
    value = "" if nodata is None else f" (value {nodata:g})"
    more = f" and {len(found) - listed} more ROIs" if len(found) > listed else ""
    return (f"Some ROI pixels are the raster's nodata{value} or masked, and stay as they are: "
            f"{'; '.join(found[:listed])}{more}. If they are image content (a dark shadow, black water), "
            "the raster's nodata value marks them as missing: give the raster another nodata value, or none "
            "(e.g. gdal_translate -a_nodata none), to have them edited.")
