"""Copy sources a regenerated ROI keeps out of: the context's pixels whose colour its border lacks.

Why. Deep inside a large ROI a block has only the blocks placed around it and the coarse layout to
agree with, and in a textured field both admit many windows (quilt.TOLERANCE): one of them held a
bright green paint disk, which the quilt copied into the middle of a maize strip whose border holds
no such colour (docs/benchmarks.md, "Colours the ROI's border lacks"). The pixels around a ROI are the
only evidence of what belongs in it, so a colour that none of them has is not copied into it.

A small ROI is left as it is: every block of it lies at its border and continues what is there, and its
thin ring is too small a sample of the surroundings (cumulus beside a small patch of sea).
"""
from __future__ import annotations

import numpy as np
import torch

from ..colour_histogram import ColourHistogram
from ..roi_depth import roi_depth
from .quilt import BLOCK, OVERLAP

BORDER_RING = 16  # px around the ROI whose colours may be copied into it
# a colour is foreign to the ROI when fewer than this share of its ring's pixels lie within one
# histogram bin of it (a few mixed pixels at a mark's edge do not make the mark's colour the ring's)
FOREIGN_SHARE = 1e-3
# a ROI whose deepest pixel lies at least this far inside it has blocks whose window holds no pixel of
# its border: the quilt places them by the layout and the blocks around them only
DEEP = BLOCK // 2 + OVERLAP
# px: only solid areas of foreign colour this many px across at least are left out (a mark, not the
# speckle of a textured field, nor the mixed pixels where two of the border's own colours meet), with a
# rim this wide around them (the mark's own edge)
SOLID = 5


def foreign_to_border(context: torch.Tensor, valid: torch.Tensor, known: torch.Tensor,
                      roi: np.ndarray) -> torch.Tensor | None:
    """[Hc, Wc] bool: the valid pixels of `context` [C, Hc, Wc] whose colour lies near no colour of the
    ring of `known` [C, H, W] pixels around `roi` [H, W] (BORDER_RING px wide); None for a ROI too
    shallow to have blocks out of its border's sight (DEEP), or without a ring."""
    from scipy.ndimage import binary_dilation, binary_opening

    roi = np.asarray(roi, dtype=bool)
    if not roi.any() or float(roi_depth(roi).max()) < DEEP:
        return None
    ring = torch.from_numpy(binary_dilation(roi, iterations=BORDER_RING) & ~roi)
    valid = valid.bool().cpu()
    if not bool(ring.any()) or not bool(valid.any()):
        return None
    histogram = ColourHistogram(context.detach().cpu()[:, valid])  # bins the valid pixels, the only ones judged
    near = histogram.near(histogram.counts(histogram.bins(known.detach().cpu()[:, ring])))
    foreign = np.zeros(tuple(valid.shape), dtype=bool)
    foreign[valid.numpy()] = (near < FOREIGN_SHARE * int(ring.sum())).numpy()
    solid = binary_opening(foreign, iterations=SOLID // 2)
    return torch.from_numpy(binary_dilation(solid, iterations=SOLID // 2)) & valid
