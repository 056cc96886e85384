"""The per-tile editor interface: what an editor receives, and the check of what it returns."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Optional

import numpy as np
from rasterio import Affine
from rasterio.crs import CRS
from rasterio.windows import Window

from .errors import RSEditError
from .progress import ProgressCallback
from .tiling import Tile


@dataclass(frozen=True)
class TileContext:
    """One tile handed to an editor. `data` is a private copy the editor may modify."""

    data: np.ndarray          # (bands, h, w), the raster's dtype; alpha band excluded
    roi_mask: np.ndarray      # float32 (h, w) in [0, 1]: how strongly each pixel is to be edited
    valid: np.ndarray         # bool (h, w): False for nodata / masked / transparent pixels
    window: Window            # the tile's pixel window in the raster
    transform: Affine         # the window's own geotransform
    crs: Optional[CRS]
    roi_ids: tuple[Any, ...]
    tile: Tile
    # how far the editor has got with this tile (0..1): a 256 px tile can take half a minute on a CPU,
    # so the progress bar and the Cancel button follow the sampling steps, not just whole tiles
    progress: ProgressCallback = lambda fraction, message="": None


TileEditor = Callable[[TileContext], np.ndarray]


def tile_seed(seed: int, tile: Tile) -> int:
    """The seed for one tile of an edit seeded with `seed`: tiles differ, and the same edit repeats."""
    return seed + 7919 * (tile.row * 100_003 + tile.col)


def checked_edit(result: Any, context: TileContext) -> np.ndarray:
    """The editor's result if usable; otherwise an RSEditError that names the problem."""
    where = f"tile (row {context.tile.row}, col {context.tile.col})"
    expected = context.data
    if not isinstance(result, np.ndarray):
        raise RSEditError(f"The tile editor returned {type(result).__name__} for {where}; it must "
                          f"return a numpy array of shape {expected.shape} and dtype {expected.dtype}.")
    if result.shape != expected.shape:
        raise RSEditError(f"The tile editor returned shape {result.shape} for {where}; expected "
                          f"{expected.shape} (bands, height, width), the shape of the tile it was given.")
    if result.dtype != expected.dtype:
        raise RSEditError(f"The tile editor returned dtype {result.dtype} for {where}; expected "
                          f"{expected.dtype}, the raster's dtype (convert with astype, rounding and "
                          "clipping integers).")
    if np.issubdtype(result.dtype, np.floating):
        finite = np.isfinite(result)
        if not finite[:, context.valid].all():
            bad = int((~finite[:, context.valid]).sum())
            raise RSEditError(f"The tile editor returned {bad} NaN or infinite values in valid "
                              f"pixels of {where}; every valid pixel must be a finite number.")
        if not finite.all():
            # Non-finite values in invalid pixels are never blended in, but would poison the sums.
            result = np.where(finite, result, 0).astype(result.dtype)
    return result
