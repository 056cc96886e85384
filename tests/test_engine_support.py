"""Shared helpers for the scene-engine tests (synthetic rasters, editors, reading results).

Holds no tests; imported by test_engine_*.py, test_rois.py and test_tiling.py.
"""
from __future__ import annotations

import hashlib
import warnings
from pathlib import Path
from typing import Any, Optional, Sequence

import numpy as np
import rasterio
from rasterio import Affine
from rasterio.errors import NotGeoreferencedWarning
from shapely.geometry import box

from rsedit.core import RoiFeature, edit_raster, open_scene, prepare_rois

CRS_UTM = "EPSG:32633"
TRANSFORM = Affine(10.0, 0.0, 500000.0, 0.0, -10.0, 5800000.0)
# Small grid settings so that little rasters still span several tiles and output blocks.
SMALL_GRID = dict(tile_size=96, overlap=24, margin=8, feather=6, block_size=64)


def write_raster(path: Path, data: np.ndarray, *, crs: Optional[str] = CRS_UTM,
                 transform: Affine = TRANSFORM, nodata: Optional[float] = None,
                 colorinterp: Optional[Sequence[Any]] = None,
                 descriptions: Optional[Sequence[Optional[str]]] = None,
                 mask: Optional[np.ndarray] = None, **creation: Any) -> Path:
    """A GeoTIFF holding `data` (bands, h, w), optionally with an internal mask (h, w) bool."""
    count, height, width = data.shape
    profile = dict(driver="GTiff", width=width, height=height, count=count, dtype=data.dtype.name,
                   crs=crs, transform=transform, nodata=nodata, **creation)
    with rasterio.Env(GDAL_TIFF_INTERNAL_MASK=True), warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        with rasterio.open(path, "w", **profile) as dst:
            dst.write(data)
            if colorinterp is not None:
                dst.colorinterp = colorinterp
            for band, description in enumerate(descriptions or [], start=1):
                if description:
                    dst.set_band_description(band, description)
            if mask is not None:
                dst.write_mask(np.where(mask, 255, 0).astype(np.uint8))
    return path


def textured(shape: tuple[int, int, int], dtype: str, seed: int = 0, low: float = 0,
             high: float = 200) -> np.ndarray:
    """Smooth-ish random content in [low, high]."""
    bands, height, width = shape
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    base = 0.5 + 0.25 * np.sin(x / 7.0) * np.cos(y / 11.0)
    data = base[None] + 0.25 * rng.random(shape)
    return (low + (high - low) * data).astype(dtype)


def pixel_box_feature(transform: Affine, col0: float, row0: float, col1: float, row1: float,
                      fid: Any = 1) -> RoiFeature:
    """A rectangular ROI given by pixel corners, in the raster's map coordinates."""
    x0, y0 = transform * (col0, row0)
    x1, y1 = transform * (col1, row1)
    return RoiFeature(fid, box(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)), {})


def run_edit(src: Path, features: Sequence[RoiFeature], editor: Any, out_dir: Path,
             crs: Any = None, allow_ungeoreferenced: bool = False, **options: Any):
    """prepare_rois + edit_raster; returns (result, output bands, edit mask)."""
    with open_scene(str(src), allow_ungeoreferenced=allow_ungeoreferenced) as scene:
        rois = prepare_rois(features, crs, scene)
    out, mask = out_dir / "edited.tif", out_dir / "edit_mask.tif"
    result = edit_raster(str(src), rois, editor, str(out), mask_path=str(mask),
                         allow_ungeoreferenced=allow_ungeoreferenced, **options)
    return result, read_bands(out), read_bands(mask)[0]


def read_bands(path: Path) -> np.ndarray:
    with rasterio.open(path) as src:
        return src.read()


def file_hash(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def offset_editor(delta: float):
    def edit(ctx):
        return _clip_to(ctx.data.astype(np.float64) + delta, ctx.data.dtype)
    return edit


def identity_editor(ctx):
    return ctx.data


def random_editor(seed: int = 1):
    """Content unrelated to the input: the worst case for ROI borders."""
    def edit(ctx):
        rng = np.random.default_rng(seed + 1000 * ctx.tile.row + ctx.tile.col)
        values = rng.uniform(0, 255, ctx.data.shape)
        return _clip_to(values, ctx.data.dtype)
    return edit


def _clip_to(values: np.ndarray, dtype: np.dtype) -> np.ndarray:
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        return np.clip(np.rint(values), info.min, info.max).astype(dtype)
    return values.astype(dtype)
