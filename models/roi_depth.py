"""How deep inside a ROI each of its pixels lies."""
from __future__ import annotations

import numpy as np


def roi_depth(roi: np.ndarray) -> np.ndarray:
    """[H, W]: each ROI pixel's Euclidean distance to the nearest pixel outside `roi` [H, W] bool, 0
    outside it. The image's edge counts as outside: a ROI cut by the tile's edge is as deep as it is
    there, not as deep as the part of it beyond."""
    from scipy.ndimage import distance_transform_edt

    return distance_transform_edt(np.pad(np.asarray(roi, dtype=bool), 1))[1:-1, 1:-1]
