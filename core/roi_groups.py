"""ROI groups: the edit units that share one scene model, learnt from their own surroundings.

A scene model learns the land cover around the ROIs it serves. One model for ROIs spread over a
whole scene learns one place (or a mix) and regenerates a depot with maize texture; one model
per ROI rebuilds or retrains for every house of a town. So units are grouped by proximity: a
group holds units whose cores, with the surroundings the model learns from, fit in one training
context of at most `extent` pixels a side. A unit larger than that is a group of its own, whose
context is its own surroundings (scene_models.group_context).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from rasterio.windows import Window

from .edit_units import EditUnit

# The largest training context that ROIs share: beyond it a model would mix land covers that are
# far apart (and a training-free model's patch search grows with the context).
GROUP_EXTENT = 768


@dataclass(frozen=True)
class RoiGroup:
    index: int
    units: tuple[int, ...]  # EditUnit.index, in order
    roi_ids: tuple[Any, ...]
    bounds: Window  # the cores of its units, together


def group_units(units: Sequence[EditUnit], surround: int, extent: int = GROUP_EXTENT) -> list[RoiGroup]:
    """Units grouped greedily in row-major order: each joins the open group whose box it grows
    least, if the box plus `surround` on each side still fits `extent`; else it starts a group."""
    boxes: list[list[int]] = []  # col0, row0, col1, row1 of each group so far
    members: list[list[int]] = []
    # groups by the cell (extent px a side) of their first unit's corner: a group's box stays within
    # `extent` of that corner, so only groups of the 5 x 5 cells around a unit can take it
    cells: dict[tuple[int, int], list[int]] = {}
    for unit in units:
        core = unit.core
        box = [int(core.col_off), int(core.row_off), int(core.col_off + core.width), int(core.row_off + core.height)]
        cell = (box[0] // extent, box[1] // extent)
        nearby = [g for dc in range(-2, 3) for dr in range(-2, 3) for g in cells.get((cell[0] + dc, cell[1] + dr), ())]
        best, best_area = None, None
        for index in sorted(nearby):
            group = boxes[index]
            merged = [min(group[0], box[0]), min(group[1], box[1]), max(group[2], box[2]), max(group[3], box[3])]
            if max(merged[2] - merged[0], merged[3] - merged[1]) + 2 * surround > extent:
                continue
            area = (merged[2] - merged[0]) * (merged[3] - merged[1])
            if best_area is None or area < best_area:
                best, best_area = index, area
        if best is None:
            cells.setdefault(cell, []).append(len(boxes))
            boxes.append(box)
            members.append([unit.index])
        else:
            group = boxes[best]
            boxes[best] = [min(group[0], box[0]), min(group[1], box[1]), max(group[2], box[2]), max(group[3], box[3])]
            members[best].append(unit.index)
    by_index = {unit.index: unit for unit in units}
    return [RoiGroup(index, tuple(unit_ids), tuple(i for u in unit_ids for i in by_index[u].roi_ids),
                     Window(box[0], box[1], box[2] - box[0], box[3] - box[1]))
            for index, (box, unit_ids) in enumerate(zip(boxes, members))]
