"""Regions of interest from a raster mask (Sentinel-2 SCL, Landsat QA_PIXEL, Fmask, cloud probabilities).

    from rsedit.core.mask_rois import RoiMaskRaster
    edit_scene("S2_TCI.tif", RoiMaskRaster("S2_SCL.tif", values=(8, 9, 10), dilation=3), "cloud_free.tif")

The mask is read block by block on the scene's grid (a mask on another grid or CRS through a
nearest-neighbour WarpedVRT), never whole. A first pass max-pools the ROI pixels into a coarse grid
of cells (8 px, more on scenes over 32,768 px); the coarse grid's 8-connected components are the
ROIs, so nearby pieces of one cloud are one ROI. A second pass polygonises, block by block, only the
blocks that hold ROI pixels, as pixel-edge polygons: rasterised back by pixel centre they give
exactly the mask's pixels.
"""
from __future__ import annotations

import math
import numbers
import os
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Iterator, Optional, Union

import numpy as np
import rasterio
from rasterio.enums import Resampling
from rasterio.errors import RasterioIOError
from rasterio.features import shapes
from rasterio.transform import Affine
from rasterio.vrt import WarpedVRT
from rasterio.warp import transform_bounds
from rasterio.windows import Window
from scipy import ndimage
from shapely.affinity import affine_transform
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry
from shapely.ops import unary_union

from . import defaults
from .errors import InputError
from .rois import Roi, _shapely_affine
from .scene import Scene

BLOCK_SIZE = 1024  # pixels per side of a streamed block (rounded up to whole coarse cells)
CELL_SIZE = 8  # the coarse grid's least cell side, in pixels
MAX_GRID = 4096  # the coarse grid's longest side: its cells grow on larger scenes so it stays ~16 MB


@dataclass(frozen=True)
class RoiMaskRaster:
    """ROIs given by a raster band: its pixels whose value is one of `values`, or at least `threshold`
    (exactly one of the two), grown by `dilation` pixels with a disk (every pixel whose centre lies
    within `dilation` pixels of a mask pixel's centre). `band` is 1-based, as in GDAL. Pixels the mask
    marks as nodata, or does not cover, are never ROI pixels. Every field is checked when built."""

    path: Union[str, os.PathLike]
    band: int = 1
    values: Optional[tuple[Union[int, float], ...]] = None
    threshold: Optional[float] = None
    dilation: int = 0

    def __post_init__(self) -> None:
        if not isinstance(self.path, (str, os.PathLike)) or not str(self.path).strip():
            raise InputError(f"The ROI mask needs the path of a raster file (got {self.path!r}).")
        object.__setattr__(self, "path", str(self.path))
        if not _is_whole(self.band) or self.band < 1:
            raise InputError(f"The ROI mask band is a band number from 1 (got {self.band!r}).")
        if (self.values is None) == (self.threshold is None):
            raise InputError("A ROI mask needs either the values that mark ROI pixels (e.g. values=(8, 9, 10) for "
                             "Sentinel-2 SCL clouds) or a threshold for a probability mask (pixels >= threshold), "
                             "not both and not neither.")
        if self.values is not None:
            values = (self.values,) if isinstance(self.values, numbers.Number) else tuple(self.values)
            if not values or not all(_is_real(value) for value in values):
                raise InputError(f"The ROI mask values must be one or more numbers (got {self.values!r}).")
            object.__setattr__(self, "values", values)
        if self.threshold is not None and not _is_real(self.threshold):
            raise InputError(f"The ROI mask threshold must be a finite number (got {self.threshold!r}).")
        if not _is_whole(self.dilation) or not 0 <= self.dilation <= defaults.MAX_MASK_DILATION:
            raise InputError(f"The ROI mask dilation is a whole number of pixels from 0 to "
                             f"{defaults.MAX_MASK_DILATION} (got {self.dilation!r}).")

    def rule(self) -> str:
        """Which pixels the mask marks, in words."""
        if self.values is not None:
            return "values " + ", ".join(_number(value) for value in self.values)
        return f"pixels >= {_number(self.threshold)}"

    def describe(self) -> str:
        """The provenance of the ROIs: file, band, rule and dilation."""
        return (f"raster mask {self.path} band {self.band}, {self.rule()}, dilated by {self.dilation} px "
                "(disk)")


def parse_mask_values(text: str) -> tuple[Union[int, float], ...]:
    """'8, 9,10' -> (8, 9, 10): the value list as typed in a dialog or on a command line."""
    values: list[Union[int, float]] = []
    for token in (part.strip() for part in str(text).split(",")):
        if not token:
            continue
        try:
            values.append(int(token))
        except ValueError:
            try:
                values.append(float(token))
            except ValueError:
                raise InputError(f"The ROI mask values are numbers separated by commas (e.g. 8,9,10); {token!r} "
                                 "is not a number.") from None
    return tuple(values)


def mask_rois(spec: RoiMaskRaster, scene: Scene, *, block_size: int = BLOCK_SIZE) -> list[Roi]:
    """The ROIs the mask gives on `scene`: one per coarse-grid component, ids 0..n-1 in row-major
    order of their bounding boxes' top-left corners, `properties` {"mask_component": id}."""
    with _mask_on_scene_grid(spec, scene) as dataset:
        reader = _MaskReader(spec, dataset, scene)
        cell = max(CELL_SIZE, math.ceil(max(scene.width, scene.height) / MAX_GRID))
        block = cell * max(1, math.ceil(block_size / cell))  # blocks hold whole cells
        coarse = np.zeros((math.ceil(scene.height / cell), math.ceil(scene.width / cell)), dtype=bool)
        for window in _blocks(scene, block):
            coarse[_cells(window, cell)] = _max_pool(reader.block(window), cell)
        labels, count = ndimage.label(coarse, structure=np.ones((3, 3), dtype=bool))  # 8-connected
        del coarse
        if count == 0:
            raise InputError(f"The ROI mask {spec.path!r} (band {spec.band}, {spec.rule()}) marks no pixel of the "
                             f"raster {scene.path!r}. Check the band and the values (Sentinel-2 SCL marks clouds "
                             "with 8, 9, 10), or lower the threshold.")
        pieces: dict[int, list[BaseGeometry]] = {}
        for window in _blocks(scene, block):
            cells = labels[_cells(window, cell)]
            if cells.any():  # only the blocks that hold ROI pixels are read again
                for label, polygon in _polygons(reader.block(window), cells, cell, window):
                    pieces.setdefault(label, []).append(polygon)
    geometries = sorted((unary_union(parts) for parts in pieces.values()), key=lambda g: (g.bounds[1], g.bounds[0]))
    _check_wide_enough(geometries, spec)
    to_world = _shapely_affine(scene.transform)
    return [Roi(id=index, geometry=affine_transform(geometry, to_world), pixel_geometry=geometry,
                properties={"mask_component": index}) for index, geometry in enumerate(geometries)]


class _MaskReader:
    """The ROI pixels of any window of the scene, dilated exactly: each block is read with a halo of
    `dilation` pixels, so a mask pixel just across a block border still grows into the block."""

    def __init__(self, spec: RoiMaskRaster, dataset: Any, scene: Scene) -> None:
        self.spec, self.dataset, self.width, self.height = spec, dataset, scene.width, scene.height

    def block(self, window: Window) -> np.ndarray:
        row, col, height, width = int(window.row_off), int(window.col_off), int(window.height), int(window.width)
        halo = self.spec.dilation
        top, left = max(row - halo, 0), max(col - halo, 0)
        bottom, right = min(row + height + halo, self.height), min(col + width + halo, self.width)
        pixels = self.marked(Window(left, top, right - left, bottom - top))
        if halo and pixels.any():
            pixels = ndimage.distance_transform_edt(~pixels) <= halo  # a disk: centres within `halo` px
        return pixels[row - top:row - top + height, col - left:col - left + width]

    def marked(self, window: Window) -> np.ndarray:
        """The pixels the mask marks (before dilation); nodata and uncovered pixels are not marked."""
        data = self.dataset.read(self.spec.band, window=window)
        valid = self.dataset.read_masks(self.spec.band, window=window) > 0
        if self.spec.values is not None:
            return np.isin(data, self.spec.values) & valid
        return (data >= self.spec.threshold) & valid


@contextmanager
def _mask_on_scene_grid(spec: RoiMaskRaster, scene: Scene) -> Iterator[Any]:
    """The mask raster, checked, as a dataset on the scene's grid (itself when the grids agree)."""
    try:
        dataset = rasterio.open(spec.path)
    except RasterioIOError as exc:
        raise InputError(f"Cannot open the ROI mask raster {spec.path!r}: {exc}. Check that the file exists and "
                         "is a raster format GDAL can read.") from None
    with dataset:
        _check_band(spec, dataset)
        if (dataset.crs == scene.crs and dataset.transform.almost_equals(scene.transform)
                and (dataset.width, dataset.height) == (scene.width, scene.height)):
            yield dataset
            return
        if dataset.crs is None or scene.crs is None:
            raise InputError(f"The ROI mask raster {spec.path!r} is on another grid than the raster and has no CRS, "
                             "so it cannot be placed on it. Give the mask a CRS (e.g. gdal_edit.py -a_srs), or "
                             "use a mask on the raster's own grid.")
        _check_overlap(spec, dataset, scene)
        # without nodata, an alpha band tells the pixels the mask does not cover from its zeros
        with WarpedVRT(dataset, crs=scene.crs, transform=scene.transform, width=scene.width, height=scene.height,
                       resampling=Resampling.nearest, add_alpha=dataset.nodata is None) as vrt:
            yield vrt


def _check_band(spec: RoiMaskRaster, dataset: Any) -> None:
    if spec.band > dataset.count:
        raise InputError(f"The ROI mask raster {spec.path!r} has {dataset.count} band(s); band {spec.band} does not "
                         "exist. Choose a band from 1.")
    dtype = np.dtype(dataset.dtypes[spec.band - 1])
    if spec.values is not None and dtype.kind in "iu":
        fractional = [value for value in spec.values if float(value) != int(value)]
        if fractional:
            raise InputError(f"Band {spec.band} of the ROI mask raster {spec.path!r} holds whole numbers ({dtype}), so "
                             f"the values {', '.join(map(_number, fractional))} never match. Give whole numbers, or a "
                             "threshold for a probability mask.")


def _check_overlap(spec: RoiMaskRaster, dataset: Any, scene: Scene) -> None:
    try:
        left, bottom, right, top = transform_bounds(dataset.crs, scene.crs, *dataset.bounds, densify_pts=21)
    except Exception:  # noqa: BLE001 - a mask whose bounds do not project (the whole globe) may still overlap
        return
    if not all(map(math.isfinite, (left, bottom, right, top))):
        return
    s_left, s_bottom, s_right, s_top = scene.dataset.bounds
    if left >= s_right or right <= s_left or bottom >= s_top or top <= s_bottom:
        raise InputError(
            f"The ROI mask raster {spec.path!r} does not overlap the raster {scene.path!r}. In the raster's CRS the "
            f"mask spans x {left:.6g}..{right:.6g}, y {bottom:.6g}..{top:.6g}, but the raster covers x "
            f"{s_left:.6g}..{s_right:.6g}, y {s_bottom:.6g}..{s_top:.6g}. Check that the mask is of this scene and "
            "that its CRS is set correctly.")


def _check_wide_enough(geometries: list[BaseGeometry], spec: RoiMaskRaster) -> None:
    """Isolated specks (a pixel or two of cloud) are too narrow to edit: say how much dilation fixes them."""
    least = defaults.MIN_TARGET_PIXELS
    narrow = [g for g in geometries if min(g.bounds[2] - g.bounds[0], g.bounds[3] - g.bounds[1]) < least]
    if not narrow:
        return
    first = narrow[0].bounds
    thinnest = min(min(g.bounds[2] - g.bounds[0], g.bounds[3] - g.bounds[1]) for g in narrow)
    needed = spec.dilation + math.ceil((least - thinnest) / 2)  # a disk of radius d widens a region by 2d
    raise InputError(
        f"The ROI mask {spec.path!r} (band {spec.band}, {spec.rule()}, dilated by {spec.dilation} px) gives "
        f"{len(narrow)} region(s) narrower than {least} pixels, the least RSEdit edits (the first at pixel column "
        f"{first[0]:.0f}, row {first[1]:.0f}). Dilate the mask by at least {needed} pixels, which also covers the "
        "cloud edges masks miss.")


def _blocks(scene: Scene, block: int) -> Iterator[Window]:
    for row in range(0, scene.height, block):
        for col in range(0, scene.width, block):
            yield Window(col, row, min(block, scene.width - col), min(block, scene.height - row))


def _cells(window: Window, cell: int) -> tuple[slice, slice]:
    """The coarse cells of a block (blocks start on cell borders)."""
    row, col = int(window.row_off) // cell, int(window.col_off) // cell
    return (slice(row, row + math.ceil(int(window.height) / cell)),
            slice(col, col + math.ceil(int(window.width) / cell)))


def _max_pool(pixels: np.ndarray, cell: int) -> np.ndarray:
    """Whether each cell x cell cell of the block holds a ROI pixel."""
    height, width = pixels.shape
    padded = np.zeros((math.ceil(height / cell) * cell, math.ceil(width / cell) * cell), dtype=bool)
    padded[:height, :width] = pixels
    return padded.reshape(padded.shape[0] // cell, cell, padded.shape[1] // cell, cell).any(axis=(1, 3))


def _polygons(pixels: np.ndarray, cells: np.ndarray, cell: int, window: Window) -> Iterator[tuple[int, BaseGeometry]]:
    """(component label, pixel-edge polygon in the scene's pixel coordinates) for the block's ROI pixels."""
    height, width = pixels.shape
    labels = np.repeat(np.repeat(cells.astype(np.int32), cell, axis=0), cell, axis=1)[:height, :width]
    labels[~pixels] = 0
    offset = Affine.translation(int(window.col_off), int(window.row_off))
    for geometry, label in shapes(labels, mask=pixels, connectivity=4, transform=offset):
        yield int(label), shape(geometry)


def _is_real(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)


def _is_whole(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _number(value: Union[int, float, None]) -> str:
    """8 as '8' and 0.5 as '0.5' (a whole float as a whole number)."""
    return f"{value:g}" if isinstance(value, float) else str(value)
