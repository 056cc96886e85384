"""Which of several coarse drafts of a regenerated ROI agrees best with the ROI's surroundings.

A large ROI regenerated from (nearly) pure noise gets its layout from the coarse scales, which may
draw any of the scene's covers there: land in the middle of open sea. Drawing those scales several
times costs little (they are the smallest images). Of the drafts, the one kept is the one whose ROI
holds the fewest colours not found near it outside the ROI, and leaves out the fewest colours found
there: sea mostly stays sea, and a coast runs on where the ROI's surroundings hold both covers. Each
separate ROI of the image keeps its own best draft.

The drafts are compared at the last scale at most a third of the finest scale's size: at the coarsest
scale a pale speck is a cumulus or an island alike, and the next scales decide which
(docs/benchmarks.md, "Coarse drafts for large ROIs").
"""
from __future__ import annotations

import numpy as np
import torch

from ..diffusion.resample import area_resize

DRAFTS = 8  # draws compared per regenerated image
SIZE_SHARE = 1.0 / 3.0  # drafts are compared at the last scale this share of the finest one's size, at most
REACH = 3.0  # how far beyond a pixel's own distance to the ROI's border its neighbours lie (drafts' pixels)
MIN_RING = 2.0  # ring width in the drafts' pixels, at least
MAX_PIXELS = 2048  # pixels of a part, and of its ring, that a score compares (drawn when there are more)


class RingAgreement:
    """DraftChoice for the sampler (sampling_hooks.py): `roi` [H, W] bool at the image's full size.

    At the drafts' scale (last_scale) the ROI falls into separate parts (8-connected); each part's ring
    is the pixels outside the ROI within the part's depth of it (MIN_RING at least). A draft's score for
    one part is a local chamfer distance of colours: the mean, over the part's pixels, of the colour
    distance to the nearest-coloured ring pixel within the pixel's depth + REACH of it, plus the same
    from the ring's pixels to the part's. Every pixel the drafts change is taken from the best draft of
    its nearest part."""

    def __init__(self, roi: torch.Tensor, *, count: int = DRAFTS, seed: int = 0) -> None:
        self.roi = roi.bool()
        self.count = int(count)
        self.seed = int(seed)
        self.kept: list[int] = []  # the draft kept for each part
        self.scores: list[list[float]] = []  # each part's score of every draft

    def last_scale(self, sizes: list[tuple[int, int]]) -> int:
        """The last of the scale `sizes` whose sides are at most SIZE_SHARE of the finest one's (0 if none is)."""
        finest = sizes[-1]
        small = [index for index, (height, width) in enumerate(sizes)
                 if height <= SIZE_SHARE * finest[0] and width <= SIZE_SHARE * finest[1]]
        return small[-1] if small else 0

    def __call__(self, drafts: torch.Tensor) -> torch.Tensor:
        from scipy.ndimage import distance_transform_edt, label

        from ..roi_depth import roi_depth

        inside = area_resize(self.roi.float()[None, None], tuple(drafts.shape[-2:]))[0, 0].numpy() >= 0.5
        parts, count = label(inside, structure=np.ones((3, 3), dtype=bool))
        self.kept, self.scores = [], []
        if count == 0:
            return drafts[:1]
        depth = roi_depth(inside)
        outside_depth = distance_transform_edt(~inside)
        # every pixel's nearest part: the drafts differ around a part too (soft ROI weights)
        nearest = parts[tuple(distance_transform_edt(parts == 0, return_indices=True)[1])]
        colours = drafts.float().cpu()
        rng = np.random.default_rng(self.seed)
        out = drafts[:1].clone()
        for part in range(1, count + 1):
            own = parts == part
            width = max(MIN_RING, float(depth[own].max()))
            ring = ~inside & (distance_transform_edt(~own) <= width)
            scores = self._scores(colours, _sample(own, rng), depth, _sample(ring, rng), outside_depth) \
                if ring.any() else [0.0] * colours.shape[0]
            best = int(np.argmin(scores))
            self.kept.append(best)
            self.scores.append(scores)
            region = torch.from_numpy(nearest == part)
            out[0][:, region] = drafts[best][:, region]
        return out

    @staticmethod
    def _scores(colours: torch.Tensor, own: np.ndarray, depth: np.ndarray, ring: np.ndarray,
                outside_depth: np.ndarray) -> list[float]:
        """Each draft's local chamfer distance between the `own` and `ring` pixels ([N, 2] rows, cols)."""
        spacing = torch.cdist(torch.from_numpy(own).float(), torch.from_numpy(ring).float())
        own_near = spacing <= torch.from_numpy(depth[own[:, 0], own[:, 1]] + REACH).float()[:, None]
        ring_near = spacing <= torch.from_numpy(outside_depth[ring[:, 0], ring[:, 1]] + REACH).float()[None, :]
        scores = []
        for draft in colours:
            distance = torch.cdist(draft[:, own[:, 0], own[:, 1]].T, draft[:, ring[:, 0], ring[:, 1]].T)
            ahead = distance.masked_fill(~own_near, float("inf")).amin(1)
            back = distance.masked_fill(~ring_near, float("inf")).amin(0)
            scores.append(_finite_mean(ahead) + _finite_mean(back))
        return scores


def _finite_mean(values: torch.Tensor) -> float:
    """The mean of the finite `values` (a pixel with no neighbour within reach has none), 0 if none is."""
    finite = values[values.isfinite()]
    return float(finite.mean()) if finite.numel() else 0.0


def _sample(mask: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The [N, 2] coordinates of `mask`'s pixels, MAX_PIXELS of them drawn when there are more."""
    coords = np.argwhere(mask)
    if len(coords) > MAX_PIXELS:
        coords = coords[np.sort(rng.choice(len(coords), MAX_PIXELS, replace=False))]
    return coords
