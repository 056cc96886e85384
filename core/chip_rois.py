"""Where each chip of a folder gets its ROIs: the whole chip, a same-named mask image in another
folder (non-zero = ROI), a fixed pixel box, or (georeferenced chips) the polygons of a vector file.

    ChipRois("mask", mask_folder="masks/")        # masks/<chip name>: non-zero pixels are the ROI
    ChipRois("box", box=(40, 40, 120, 120))        # col0, row0, col1, row1 in every chip's pixels
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional, Sequence, Union

import numpy as np
import rasterio
from rasterio.errors import RasterioError
from rasterio.features import shapes
from shapely.affinity import affine_transform
from shapely.geometry import box, shape

from . import defaults
from .errors import InputError
from .rois import Roi, RoiFeature, _shapely_affine, prepare_rois, read_roi_file
from .scene import Scene

ROI_SOURCES = ("whole", "mask", "box", "vector")


@dataclass(frozen=True)
class ChipRois:
    """`kind` is one of ROI_SOURCES; "mask" needs `mask_folder`, "box" needs `box`, "vector" needs
    `vector`: a file path (`vector_layer` names its layer), or a name for the index with the polygons
    given in `polygons` (RoiFeatures in `polygons_crs`, as QGIS passes a layer). Checked when built."""

    kind: str = "whole"
    mask_folder: Optional[Union[str, os.PathLike]] = None
    box: Optional[Sequence[int]] = None
    vector: Optional[Union[str, os.PathLike]] = None
    vector_layer: Optional[str] = None
    polygons: Optional[Sequence[RoiFeature]] = None
    polygons_crs: Optional[str] = None

    def __post_init__(self) -> None:
        if self.kind not in ROI_SOURCES:
            raise InputError(f"Unknown chip ROI source {self.kind!r}: choose one of {', '.join(ROI_SOURCES)}.")
        given = {"mask": self.mask_folder, "box": self.box, "vector": self.vector}
        for kind, value in given.items():
            if (value is not None) != (kind == self.kind):
                needs = f"needs {kind}=" if kind == self.kind else f"takes no {kind}="
                raise InputError(f"The chip ROI source {self.kind!r} {needs}... (mask: mask_folder, box: box, "
                                 "vector: vector).")
        if self.kind == "mask" and not Path(self.mask_folder).is_dir():
            raise InputError(f"The mask folder {str(self.mask_folder)!r} does not exist: give the folder that holds "
                             "one mask per chip, with the chip's file name.")
        if self.kind == "box":
            values = tuple(self.box)
            if len(values) != 4 or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool)
                                           for v in values):
                raise InputError(f"The pixel box is four whole numbers col0, row0, col1, row1 (got {self.box!r}).")
            col0, row0, col1, row1 = values
            least = defaults.MIN_TARGET_PIXELS
            if min(values) < 0 or col1 - col0 < least or row1 - row0 < least:
                raise InputError(f"The pixel box {values} must start at 0 or more and be at least {least} pixels "
                                 "wide and high (col0 < col1, row0 < row1).")
            object.__setattr__(self, "box", tuple(int(v) for v in values))
        if self.kind == "vector":
            # an unreadable file fails now, not at every chip
            features, crs = (list(self.polygons), self.polygons_crs) if self.polygons is not None else \
                read_roi_file(str(self.vector), self.vector_layer)
            if not features:
                raise InputError(f"The vector file {str(self.vector)!r} holds no polygon.")
            object.__setattr__(self, "_features", (features, crs))

    def describe(self) -> str:
        """The ROI source as the index records it."""
        if self.kind == "mask":
            return f"mask {os.path.abspath(self.mask_folder)}"
        if self.kind == "box":
            return "box " + ",".join(str(v) for v in self.box)
        if self.kind == "vector":
            name = str(self.vector) if self.polygons is not None else os.path.abspath(self.vector)
            return f"vector {name}" + (f"|{self.vector_layer}" if self.vector_layer else "")
        return "whole chip"

    def rois(self, scene: Scene, chip: Path) -> list[Roi]:
        """The ROIs of one chip; an InputError says why the chip has none."""
        if self.kind == "vector":
            if not scene.georeferenced:
                raise InputError("the chip has no georeferencing, so polygons of a vector file cannot be placed on "
                                 "it")
            features, crs = getattr(self, "_features")
            return prepare_rois(features, "" if crs is None else crs, scene)
        if self.kind == "mask":
            return pixel_rois(_mask_polygons(find_mask(Path(self.mask_folder), chip), scene), scene)
        if self.kind == "box":
            col0, row0, col1, row1 = self.box
            clipped = box(col0, row0, col1, row1).intersection(box(0, 0, scene.width, scene.height))
            least = defaults.MIN_TARGET_PIXELS
            if clipped.is_empty or min(clipped.bounds[2] - clipped.bounds[0], clipped.bounds[3] - clipped.bounds[1]) < least:
                raise InputError(f"the pixel box {self.box} lies (almost) outside the {scene.width}x{scene.height} "
                                 "px chip")
            return pixel_rois([clipped], scene)
        return pixel_rois([box(0, 0, scene.width, scene.height)], scene)


def pixel_rois(polygons: Sequence[Any], scene: Scene) -> list[Roi]:
    """ROIs from polygons in the chip's pixels (x = column, y = row)."""
    to_world = _shapely_affine(scene.transform)
    return [Roi(id=index, geometry=affine_transform(polygon, to_world), pixel_geometry=polygon, properties={})
            for index, polygon in enumerate(polygons)]


def find_mask(folder: Path, chip: Path) -> Path:
    """The chip's mask: the same file name in `folder`, else the one file there with the same stem."""
    same = folder / chip.name
    if same.is_file():
        return same
    candidates = [p for p in folder.glob(chip.stem + ".*") if p.stem == chip.stem and p.is_file()]
    if len(candidates) == 1:
        return candidates[0]
    raise InputError(f"no mask named {chip.name} (or {chip.stem}.*) in {folder}" if not candidates else
                     f"several masks named {chip.stem}.* in {folder}: keep one")


def _mask_polygons(path: Path, scene: Scene) -> list[Any]:
    """The mask's non-zero pixels as pixel-edge polygons; specks narrower than an editable ROI left out."""
    try:
        with rasterio.open(path) as dataset:
            if (dataset.width, dataset.height) != (scene.width, scene.height):
                raise InputError(f"its mask {path.name} is {dataset.width}x{dataset.height} px but the chip is "
                                 f"{scene.width}x{scene.height} px")
            marked = (dataset.read(1) != 0).astype(np.uint8)
    except RasterioError as error:
        raise InputError(f"its mask {path} cannot be read ({error})") from None
    if not marked.any():
        raise InputError(f"its mask {path.name} is empty (no non-zero pixel)")
    least = defaults.MIN_TARGET_PIXELS
    polygons = [shape(geometry) for geometry, _ in shapes(marked, mask=marked.astype(bool))]
    kept = [p for p in polygons if min(p.bounds[2] - p.bounds[0], p.bounds[3] - p.bounds[1]) >= least]
    if not kept:
        raise InputError(f"its mask {path.name} marks no region at least {least} pixels across")
    return kept


