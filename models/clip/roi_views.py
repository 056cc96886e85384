"""Where CLIP looks: the box around a ROI that its guidance views are cut from.

Views cut from the whole tile show a small ROI as a small part of what CLIP sees, so the loss (and
its gradient) is mostly about the rest of the tile (docs/benchmarks.md, "CLIP views"). With ``view_focus="roi"`` the views are cut from
the ROI's bounding box plus some context instead, and the augmentations (crops, flips, perspective,
jitter; view_augment.py) act inside that box.

The context margin is ``CONTEXT_SHARE`` of the box's side on each side, at least
``MIN_CONTEXT_PX`` tile pixels, clipped to the tile. Some context helps CLIP read the ROI as a
place in a scene ("sea" next to land) and keeps a small ROI from filling the view with its border;
too much brings back the tile-view problem. The box is found once, on the mask at the tile's size,
and scaled to each pyramid level, so guidance at every scale looks at the same ground.
"""
from __future__ import annotations

import math

import torch
from torch import Tensor

from ...core.defaults import CLIP_VIEWS as VIEW_FOCI  # views around each ROI (default), or of the whole tile

CONTEXT_SHARE = 0.25  # of the ROI box's height (width) added above and below (left and right)
MIN_CONTEXT_PX = 8  # tile pixels: a ROI of a few pixels still shows what surrounds it

Box = tuple[int, int, int, int]  # (row0, col0, row1, col1), end-exclusive


def roi_view_box(roi: Tensor, share: float = CONTEXT_SHARE, min_context: int = MIN_CONTEXT_PX) -> Box | None:
    """The box views are cut from for the ROI mask ``roi`` [H, W] (> 0 inside): its bounding box
    grown by the context margin, clipped to the mask. None for an empty mask."""
    inside = roi.detach() > 0
    rows = torch.nonzero(inside.any(dim=1)).flatten()
    cols = torch.nonzero(inside.any(dim=0)).flatten()
    if rows.numel() == 0:
        return None
    height, width = inside.shape
    row0, row1 = int(rows[0]), int(rows[-1]) + 1
    col0, col1 = int(cols[0]), int(cols[-1]) + 1
    dr = max(math.ceil(share * (row1 - row0)), int(min_context))
    dc = max(math.ceil(share * (col1 - col0)), int(min_context))
    return max(row0 - dr, 0), max(col0 - dc, 0), min(row1 + dr, height), min(col1 + dc, width)


def box_at(box: Box, from_size: tuple[int, int], to_size: tuple[int, int]) -> Box:
    """``box`` on an image of ``from_size`` scaled to ``to_size`` (a pyramid level): grown outwards
    to whole pixels, at least one pixel across, inside the image."""
    (fh, fw), (th, tw) = from_size, to_size
    if (fh, fw) == (th, tw):
        return box
    sy, sx = th / fh, tw / fw
    row0, col0 = min(int(math.floor(box[0] * sy)), th - 1), min(int(math.floor(box[1] * sx)), tw - 1)
    row1, col1 = max(int(math.ceil(box[2] * sy)), row0 + 1), max(int(math.ceil(box[3] * sx)), col0 + 1)
    return row0, col0, min(row1, th), min(col1, tw)


def crop_box(images: Tensor, box: Box) -> Tensor:
    """The part of ``images`` [..., H, W] inside ``box`` (a differentiable slice: pixels outside
    the box get no gradient)."""
    row0, col0, row1, col1 = box
    return images[..., row0:row1, col0:col1]
