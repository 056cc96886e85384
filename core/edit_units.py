"""Edit units: the pieces of a scene that are each sampled as one image.

A ROI of any size is one unit, so it is one coherent sample instead of tiles sampled apart and
cross-faded; ROIs whose surroundings touch (bounding boxes within two margins of each other) join
one unit while it stays within MAX_MERGED_SIDE, so that neighbours are sampled together without
chains of ROIs growing into a unit as large as the scene. A unit writes the pixels of its own ROIs
(the engine gives a pixel that two units' ROIs share to the first), within its `core` (its ROIs'
bounding box grown by the margin), and is sampled over its `window` (the core, widened to at least
the tile size so that a small ROI still sees a tile of context).
"""
from __future__ import annotations

import math
import operator
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
from rasterio.windows import Window

from .errors import InputError
from .rois import Roi

# ROIs near each other are merged into one unit only while it stays within this many pixels a side:
# a unit's images are held whole while it is sampled (about 0.35 kB per pixel for 3 bands).
MAX_MERGED_SIDE = 2048


@dataclass(frozen=True)
class EditUnit:
    index: int
    window: Window  # what the editor samples (integer offsets, inside the raster)
    core: Window  # the bounding box of what this unit writes (its own ROIs' pixels), plus the margin
    roi_ids: tuple[Any, ...]

    @property
    def pixels(self) -> int:
        return int(self.window.width) * int(self.window.height)


def plan_edit_units(width: int, height: int, rois: Sequence[Roi], min_size: int, margin: int,
                    max_merged: int = MAX_MERGED_SIDE) -> list[EditUnit]:
    """Units covering `rois` on a `width` x `height` raster, in row-major order of their cores."""
    try:
        min_size, margin = operator.index(min_size), operator.index(margin)
    except TypeError:
        raise InputError(f"The tile size and margin must be whole numbers of pixels (got {min_size!r}, "
                         f"{margin!r}).") from None
    if min_size < 1:
        raise InputError(f"The tile size must be at least 1 pixel (got {min_size}).")
    if margin < 0:
        raise InputError(f"The ROI margin must be at least 0 pixels (got {margin}).")
    rois = [roi for roi in rois if not roi.pixel_geometry.is_empty]
    if not rois:
        return []
    boxes = np.array([_grown_box(roi.pixel_geometry.bounds, margin, width, height) for roi in rois], dtype=np.int64)
    clusters = _merged_clusters(boxes, max_merged)
    cores = [[boxes[c, 0].min(), boxes[c, 1].min(), boxes[c, 2].max(), boxes[c, 3].max()] for c in clusters]
    order = sorted(range(len(clusters)), key=lambda i: (cores[i][1], cores[i][0], min(clusters[i])))
    units = []
    for index, i in enumerate(order):
        col0, row0, col1, row1 = (int(v) for v in cores[i])
        core = Window(col0, row0, col1 - col0, row1 - row0)
        units.append(EditUnit(index, _widened(core, min_size, width, height), core,
                              tuple(rois[m].id for m in sorted(clusters[i]))))
    return units


def _grown_box(bounds: tuple[float, float, float, float], margin: int, width: int, height: int) -> list[int]:
    """The pixel box (col0, row0, col1, row1) holding every pixel the ROI touches, grown by margin."""
    minx, miny, maxx, maxy = bounds
    return [max(int(math.floor(minx)) - margin, 0), max(int(math.floor(miny)) - margin, 0),
            min(int(math.ceil(maxx)) + margin, width), min(int(math.ceil(maxy)) + margin, height)]


def _merged_clusters(boxes: np.ndarray, max_merged: int) -> list[list[int]]:
    """Indices of boxes joined where they overlap (share pixels) while the joined box stays within
    `max_merged` a side; pairs are found by a sweep along columns."""
    parent = list(range(len(boxes)))
    extent = boxes.copy()  # the joined box of each root

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    active: list[int] = []
    for i in np.argsort(boxes[:, 0], kind="stable").tolist():
        active = [j for j in active if boxes[j, 2] > boxes[i, 0]]  # boxes still reaching this column
        for j in active:
            if not (boxes[j, 1] < boxes[i, 3] and boxes[i, 1] < boxes[j, 3]):
                continue
            a, b = root(i), root(j)
            if a == b:
                continue
            joined = np.array([min(extent[a, 0], extent[b, 0]), min(extent[a, 1], extent[b, 1]),
                               max(extent[a, 2], extent[b, 2]), max(extent[a, 3], extent[b, 3])])
            if max(joined[2] - joined[0], joined[3] - joined[1]) <= max_merged:
                parent[b] = a
                extent[a] = joined
        active.append(i)
    clusters: dict[int, list[int]] = {}
    for i in range(len(boxes)):
        clusters.setdefault(root(i), []).append(i)
    return list(clusters.values())


def _widened(core: Window, min_size: int, width: int, height: int) -> Window:
    """`core` grown about its centre to at least min_size on each side, kept inside the raster."""
    def axis(start: int, length: int, extent: int) -> tuple[int, int]:
        size = min(max(length, min_size), extent)
        first = start - (size - length) // 2
        return int(np.clip(first, 0, extent - size)), size

    col, w = axis(int(core.col_off), int(core.width), width)
    row, h = axis(int(core.row_off), int(core.height), height)
    return Window(col, row, w, h)
