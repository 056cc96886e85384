"""Soft ROI masks (feathered inward) and raised-cosine tile blending weights."""
from __future__ import annotations

import math
from typing import Sequence, Union

import numpy as np
from rasterio import Affine
from rasterio.features import rasterize
from rasterio.windows import Window
from scipy.ndimage import distance_transform_edt

from .rois import Roi

# A cached cell: 0.0 (no ROI), 1.0 (deep inside) or uint8 weights (0..255) near an ROI border.
Cell = Union[float, np.ndarray]
STRIP_ROWS = 64


class RoiMask:
    """The union of the ROIs as a soft mask, in 1/255 steps, over any window of the raster.

    Inside a polygon the weight rises from just above 0 at the border (pixel centres inside)
    to 1 at `feather` pixels inward (smoothstep of the distance to the nearest outside pixel);
    outside every polygon it is exactly 0. The mask is computed once per cell of a fixed grid
    (each on the cell grown by the feather width, so cells agree where they meet) and any window
    is assembled from cells: tiles and output blocks see identical weights on shared pixels.
    """

    def __init__(self, rois: Sequence[Roi], width: int, height: int, feather: float,
                 cell_size: int = 512) -> None:
        self.width = width
        self.height = height
        self.feather = float(feather)
        self.cell_size = cell_size
        self._geometries = [roi.pixel_geometry for roi in rois]
        self._bounds = np.array([g.bounds for g in self._geometries], dtype=float).reshape(-1, 4)
        self._cells: dict[tuple[int, int], Cell] = {}

    def window_mask(self, window: Window) -> np.ndarray:
        """float32 (h, w) in [0, 1] for an integer window inside the raster."""
        return self.window_levels(window).astype(np.float32) / np.float32(255)

    def window_levels(self, window: Window) -> np.ndarray:
        """The mask as uint8 levels 0..255 (weight = level / 255)."""
        row0, col0 = int(window.row_off), int(window.col_off)
        height, width = int(window.height), int(window.width)
        size = self.cell_size
        out = np.zeros((height, width), dtype=np.uint8)
        for cell_row in range(row0 // size, (row0 + height - 1) // size + 1):
            for cell_col in range(col0 // size, (col0 + width - 1) // size + 1):
                cell = self._cell(cell_row, cell_col)
                if isinstance(cell, float) and cell == 0.0:
                    continue
                top, left = cell_row * size, cell_col * size
                r0, r1 = max(row0, top), min(row0 + height, top + size)
                c0, c1 = max(col0, left), min(col0 + width, left + size)
                target = out[r0 - row0:r1 - row0, c0 - col0:c1 - col0]
                target[...] = 255 if isinstance(cell, float) else cell[r0 - top:r1 - top, c0 - left:c1 - left]
        return out

    def release_rows_before(self, row: int) -> None:
        """Forget cells that end at or above pixel row `row`; they will not be asked for again."""
        last_done = row // self.cell_size - 1
        for key in [key for key in self._cells if key[0] <= last_done]:
            del self._cells[key]

    def _cell(self, cell_row: int, cell_col: int) -> Cell:
        key = (cell_row, cell_col)
        if key not in self._cells:
            size = self.cell_size
            top, left = cell_row * size, cell_col * size
            window = Window(left, top, min(size, self.width - left), min(size, self.height - top))
            self._cells[key] = self._compute(window)
        return self._cells[key]

    def _compute(self, window: Window) -> Cell:
        row0, col0 = int(window.row_off), int(window.col_off)
        height, width = int(window.height), int(window.width)
        pad = math.ceil(self.feather) + 1 if self.feather > 0 else 0
        # The grown window, clipped to the raster; beyond the raster the mask extends its edge
        # values, so an ROI reaching the raster edge is not feathered along that edge.
        top, left = max(row0 - pad, 0), max(col0 - pad, 0)
        bottom, right = min(row0 + height + pad, self.height), min(col0 + width + pad, self.width)
        inside = self._rasterize(top, left, bottom, right)
        if inside is None:
            return 0.0
        if inside.all():
            return 1.0
        if self.feather > 0:
            inside = np.pad(inside, ((top - (row0 - pad), row0 + height + pad - bottom),
                                     (left - (col0 - pad), col0 + width + pad - right)), mode="edge")
            top, left = row0 - pad, col0 - pad
            t = inward_distance(inside.astype(bool), self.feather) / self.feather
            levels = np.rint(255.0 * t * t * (3.0 - 2.0 * t)).astype(np.uint8)
        else:
            levels = inside * np.uint8(255)
        crop = levels[row0 - top:row0 - top + height, col0 - left:col0 - left + width]
        if not crop.any():
            return 0.0
        return 1.0 if (crop == 255).all() else np.ascontiguousarray(crop)

    def _rasterize(self, top: int, left: int, bottom: int, right: int) -> np.ndarray | None:
        """Pixels (by centre) inside any ROI, as uint8 0/1; None when no ROI comes near."""
        b = self._bounds
        near = (b[:, 0] < right) & (b[:, 2] > left) & (b[:, 1] < bottom) & (b[:, 3] > top)
        shapes = [(self._geometries[i], 1) for i in np.flatnonzero(near)]
        if not shapes:
            return None
        inside = rasterize(shapes, out_shape=(bottom - top, right - left),
                           transform=Affine.translation(left, top), fill=0, dtype="uint8")
        return inside if inside.any() else None


def inward_distance(inside: np.ndarray, limit: float) -> np.ndarray:
    """Euclidean distance from each inside pixel to the nearest outside one, capped at `limit`
    (0 outside). Exact below the cap; computed only in strips near the border, because a pixel
    farther than `limit` (in rows and columns) from every border pixel is simply at the cap."""
    height, width = inside.shape
    reach = math.ceil(limit)
    distance = np.where(inside, np.float32(limit), np.float32(0))
    border = np.zeros_like(inside)  # inside pixels with an outside 4-neighbour
    border[1:] |= inside[1:] & ~inside[:-1]
    border[:-1] |= inside[:-1] & ~inside[1:]
    border[:, 1:] |= inside[:, 1:] & ~inside[:, :-1]
    border[:, :-1] |= inside[:, :-1] & ~inside[:, 1:]
    for row0 in range(0, height, STRIP_ROWS):
        row1 = min(row0 + STRIP_ROWS, height)
        low, high = max(row0 - reach, 0), min(row1 + reach, height)
        cols = np.flatnonzero(border[low:high].any(axis=0))
        if cols.size == 0:
            continue
        # Outside pixels within `limit` of this strip's pixels lie in rows low..high and within
        # 2*reach columns of the border pixels there.
        left, right = max(cols[0] - 2 * reach, 0), min(cols[-1] + 2 * reach + 1, width)
        sub = inside[low:high, left:right]
        if sub.all():
            continue
        near = distance_transform_edt(sub)[row0 - low:row1 - low]
        distance[row0:row1, left:right] = np.minimum(near, limit)
    return distance


def ramp_weights(start: int, length: int, size: int, overlap: int) -> np.ndarray:
    """1-D tile weights: a raised-cosine ramp over `overlap` px on sides inside the raster.

    Strictly positive, 1 in the tile's interior and flat on sides at the raster edge; facing
    ramps of neighbouring tiles sum to 1 over an `overlap`-wide band.
    """
    weights = np.ones(length, dtype=np.float64)
    if overlap <= 0:
        return weights
    distance = np.arange(length, dtype=np.float64)
    rise = np.where(distance < overlap, np.sin(0.5 * np.pi * (distance + 0.5) / overlap) ** 2, 1.0)
    if start > 0:
        weights *= rise
    if start + length < size:
        weights *= rise[::-1]
    return weights


def tile_weights(window: Window, width: int, height: int, overlap: int) -> tuple[np.ndarray, np.ndarray]:
    """Row and column weights of a tile; the 2-D weight is their outer product."""
    rows = ramp_weights(int(window.row_off), int(window.height), height, overlap)
    cols = ramp_weights(int(window.col_off), int(window.width), width, overlap)
    return rows, cols
