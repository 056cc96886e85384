"""ROI content copy (seed 000, eq. 14-15): pull target regions of x0_hat towards a source patch.

At every scale but the finest, each target region takes one L2 guidance step of size η towards
the source patch resized to the target's box at that scale:

    x0[box] ← x0[box] − η · m · ∇ ½‖x0[box] − patch‖²  =  x0[box] + η · m · (patch − x0[box]),

with m the target's (soft) mask inside its box. η = 0.8 is the reference's 0.8·patch + 0.2·x0.
The finest scale is left to the model, which renders the copied content in the scene's own
texture and blends it with its surroundings. A one-scale pyramid is pulled on its only scale at
every step but the last.
"""
from __future__ import annotations

from dataclasses import dataclass

import math

import torch

from ..diffusion.resample import area_resize, lanczos_resize

REFERENCE_STEP = 0.8


@dataclass(frozen=True)
class CopyTarget:
    """Where one copy goes, in pixels of the sampler's output size.

    `box` is (row0, col0, row1, col1), end-exclusive, and may reach outside the output (a target
    cut by a tile border); `mask` is [row1 - row0, col1 - col0] in [0, 1].
    """

    box: tuple[int, int, int, int]
    mask: torch.Tensor


class RoiCopyGuidance:
    """x0 hook: one guidance step towards `patch` ([C, h, w], model units) in every target."""

    def __init__(self, patch: torch.Tensor, targets: list[CopyTarget], step: float = REFERENCE_STEP) -> None:
        if not 0.0 < step <= 1.0:
            raise ValueError(f"The copy step size must be in (0, 1], got {step}")
        self.patch = patch.float()
        self.targets = targets
        self.step = float(step)

    def __call__(self, state) -> torch.Tensor | None:
        finest = len(state.sizes) - 1
        if not self.targets or (state.scale >= finest and (finest > 0 or state.t < 1)):
            # a one-scale pyramid (a small tile) has no coarse scale to carry the copy: pull on
            # its only scale, leaving the last step to the model
            return None
        height, width = state.sizes[state.scale]
        full_height, full_width = state.sizes[-1]
        x0 = state.x0_hat.clone()
        for target in self.targets:
            self._pull(x0, target, height / full_height, width / full_width)
        return x0

    def _pull(self, x0: torch.Tensor, target: CopyTarget, fy: float, fx: float) -> None:
        r0, c0, r1, c1 = target.box
        top, left = _nearest(r0 * fy), _nearest(c0 * fx)
        bottom, right = max(_nearest(r1 * fy), top + 1), max(_nearest(c1 * fx), left + 1)
        patch = lanczos_resize(self.patch, (bottom - top, right - left)).to(x0)
        mask = area_resize(target.mask.float().reshape(1, 1, *target.mask.shape), (bottom - top, right - left))[0, 0].to(x0)
        # clip the box to the image, and the patch and mask with it
        height, width = x0.shape[-2:]
        y0, x0_, y1, x1 = max(top, 0), max(left, 0), min(bottom, height), min(right, width)
        if y0 >= y1 or x0_ >= x1:
            return
        patch = patch[..., y0 - top:y1 - top, x0_ - left:x1 - left]
        mask = mask[y0 - top:y1 - top, x0_ - left:x1 - left]
        region = x0[..., y0:y1, x0_:x1]
        x0[..., y0:y1, x0_:x1] = region + self.step * mask * (patch - region)


def _nearest(value: float) -> int:
    return math.floor(value + 0.5)  # halves round up, unlike round(), so boxes keep their size
