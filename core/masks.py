"""Soft ROI masks (feathered inward) and raised-cosine tile blending weights."""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np
from rasterio import Affine
from rasterio.features import rasterize
from rasterio.windows import Window
from scipy.ndimage import distance_transform_edt

from .rois import Roi


class RoiMask:
    """The union of the ROIs as a soft mask over any window of the raster.

    Inside a polygon the weight rises from just above 0 at the border to 1 at `feather` pixels
    inward (smoothstep); outside every polygon it is exactly 0. A window's mask is computed on the
    window grown by the feather width, so overlapping windows agree on every shared pixel.
    """

    def __init__(self, rois: Sequence[Roi], width: int, height: int, feather: float) -> None:
        self.width = width
        self.height = height
        self.feather = float(feather)
        self._geometries = [roi.pixel_geometry for roi in rois]
        self._bounds = np.array([g.bounds for g in self._geometries], dtype=float).reshape(-1, 4)

    def window_mask(self, window: Window) -> np.ndarray:
        """float32 (h, w) in [0, 1] for an integer window inside the raster."""
        row0, col0 = int(window.row_off), int(window.col_off)
        height, width = int(window.height), int(window.width)
        pad = math.ceil(self.feather) + 1 if self.feather > 0 else 0
        # The grown window, clipped to the raster; beyond the raster the mask extends its edge
        # values, so an ROI reaching the raster edge is not feathered along that edge.
        top, left = max(row0 - pad, 0), max(col0 - pad, 0)
        bottom, right = min(row0 + height + pad, self.height), min(col0 + width + pad, self.width)
        inside = self._rasterize(top, left, bottom, right)
        if inside is None:
            return np.zeros((height, width), dtype=np.float32)
        if self.feather > 0 and not inside.all():
            inside = np.pad(inside, ((top - (row0 - pad), row0 + height + pad - bottom),
                                     (left - (col0 - pad), col0 + width + pad - right)), mode="edge")
            top, left = row0 - pad, col0 - pad
            t = np.clip(distance_transform_edt(inside) / self.feather, 0.0, 1.0)
            soft = t * t * (3.0 - 2.0 * t)
        else:
            soft = inside
        crop = soft[row0 - top:row0 - top + height, col0 - left:col0 - left + width]
        return crop.astype(np.float32)

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
