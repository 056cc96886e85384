"""Tile planning: which tiles of a regular overlapping grid the editor has to process."""
from __future__ import annotations

import math
import operator
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from typing import Any, Optional, Sequence

from rasterio.windows import Window
from shapely.geometry import box
from shapely.prepared import prep

from . import defaults
from .errors import InputError
from .rois import Roi


@dataclass(frozen=True)
class Tile:
    """One editor call: grid position, pixel window (int offsets) and the ROIs it serves.

    A tile of an edit unit (core/edit_units.py) has a `core`: it writes there alone, unblended;
    grid tiles (core None) are cross-faded with their neighbours over the overlap."""

    row: int
    col: int
    window: Window
    roi_ids: tuple[Any, ...]
    core: Optional[Window] = None

    @property
    def written(self) -> Window:
        """The pixels this tile's edit may change."""
        return self.core if self.core is not None else self.window


def tile_starts(size: int, tile_size: int, stride: int) -> list[int]:
    """Tile offsets along one axis; the last tile is shifted inside instead of padded."""
    if size <= tile_size:
        return [0]
    count = math.ceil((size - tile_size) / stride) + 1
    return [min(i * stride, size - tile_size) for i in range(count)]


def plan_tiles(width: int, height: int, rois: Sequence[Roi], tile_size: int = defaults.TILE_SIZE,
               overlap: int = defaults.OVERLAP, margin: int = defaults.MARGIN) -> list[Tile]:
    """Tiles (row-major) of the grid with stride tile_size - overlap that meet an ROI grown by margin."""
    try:
        tile_size, overlap, margin = (operator.index(v) for v in (tile_size, overlap, margin))
    except TypeError:
        raise InputError(f"Tile size, overlap and margin must be whole numbers of pixels (got "
                         f"{tile_size!r}, {overlap!r}, {margin!r}).") from None
    if tile_size < 1:
        raise InputError(f"The tile size must be at least 1 pixel (got {tile_size}).")
    if not 0 <= overlap < tile_size:
        raise InputError(f"The tile overlap must be at least 0 and smaller than the tile size "
                         f"(got overlap {overlap}, tile size {tile_size}).")
    if margin < 0:
        raise InputError(f"The ROI margin must be at least 0 pixels (got {margin}).")

    stride = tile_size - overlap
    row_starts = tile_starts(height, tile_size, stride)
    col_starts = tile_starts(width, tile_size, stride)
    tile_h, tile_w = min(tile_size, height), min(tile_size, width)

    roi_ids_by_cell: dict[tuple[int, int], list[Any]] = {}
    for roi in rois:
        grown = roi.pixel_geometry.buffer(margin, 4) if margin > 0 else roi.pixel_geometry
        if grown.is_empty:
            continue
        prepared = prep(grown)
        minx, miny, maxx, maxy = grown.bounds
        # Only the cells inside the ROI's bounds are visited, so huge rasters plan quickly.
        rows = _cells_overlapping(row_starts, tile_h, miny, maxy)
        cols = _cells_overlapping(col_starts, tile_w, minx, maxx)
        for r in rows:
            y0 = row_starts[r]
            for c in cols:
                x0 = col_starts[c]
                if prepared.intersects(box(x0, y0, x0 + tile_w, y0 + tile_h)):
                    roi_ids_by_cell.setdefault((r, c), []).append(roi.id)

    return [Tile(row=r, col=c,
                 window=Window(col_starts[c], row_starts[r], tile_w, tile_h),
                 roi_ids=tuple(roi_ids_by_cell[(r, c)]))
            for r, c in sorted(roi_ids_by_cell)]


def _cells_overlapping(starts: list[int], length: int, low: float, high: float) -> range:
    """Indices of the cells [start, start + length] that meet the interval [low, high]."""
    return range(bisect_left(starts, low - length), bisect_right(starts, high))
