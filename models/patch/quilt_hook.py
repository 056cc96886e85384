"""The sampler hook that quilts a regenerated ROI at the finest scale, for any scene model.

The training-free model holds its context and calls this from its block transfer; the trained
model does not, so its editor is given the learning context's pixels (core/editors.py) and uses this
hook alone. At the first step of the finest scale the ROI is quilted from the context, guided by that
scale's x~ (the coarser scales' layout); every step of that scale then takes the quilt as its x0, as
the posterior mean would only add speckle or noise texture to it (quilt.py, docs/benchmarks.md)."""
from __future__ import annotations

from typing import TYPE_CHECKING

import torch

from ..diffusion.resample import bilinear_resize, lanczos_resize
from .border_colours import foreign_to_border
from .quilt import quilt

if TYPE_CHECKING:
    from ..diffusion.sampling_hooks import StepState


class FinestScaleQuilt:
    """x0 hook: `context` [C, Hc, Wc] in model units and `valid` [Hc, Wc] its copyable pixels; `known`
    [C, H, W] the tile in model units and `roi` [H, W] bool the pixels to regenerate; in a ROI deep enough
    to have blocks out of its border's sight, context pixels of a colour its border lacks are not copied
    (border_colours.py). `context_blurry` (the context's own x~ at the finest scale) is made like the
    pyramid's when not given: shrunk by the ratio of the last two scales, then enlarged back. One instance
    serves one sampling run."""

    def __init__(self, context: torch.Tensor, valid: torch.Tensor, known: torch.Tensor, roi: torch.Tensor, *,
                 seed: int = 0, context_blurry: torch.Tensor | None = None) -> None:
        self.context, self.valid, self.context_blurry = context, valid.bool(), context_blurry
        # a large ROI copies no colour its border lacks (a paint mark elsewhere in the scene)
        foreign = foreign_to_border(context, self.valid, known, roi.bool().cpu().numpy())
        if foreign is not None:
            usable = self.valid & ~foreign.to(self.valid.device)
            if bool(usable.any()):
                self.valid = usable
        self.known, self.roi, self.seed = known, roi.bool(), int(seed)
        self.quilted: torch.Tensor | None = None
        self.failed = False

    def applies(self, state: StepState) -> bool:
        return not self.failed and state.blurry is not None and state.scale == len(state.sizes) - 1

    def __call__(self, state: StepState) -> torch.Tensor | None:
        if not self.applies(state):
            return None
        if self.quilted is None:
            self.quilted = quilt(state.blurry[0], self.known.to(state.blurry.dtype), self.roi, self.context,
                                 self._blurry(state), self.valid, generator=torch.Generator().manual_seed(self.seed))
            if self.quilted is None:  # no context window to copy from: the sampler's own result stands
                self.failed = True
                return None
        out = state.x0_hat.clone()
        out[:, :, self.roi] = self.quilted[:, self.roi].to(out.dtype)[None]
        return out

    def _blurry(self, state: StepState) -> torch.Tensor:
        if self.context_blurry is not None:
            return self.context_blurry
        return finest_blurry(self.context, state.sizes)


def finest_blurry(image: torch.Tensor, sizes: list[tuple[int, int]]) -> torch.Tensor:
    """`image` [C, H, W] at the finest scale as the pyramid blurs it there (x~): shrunk by the ratio of
    the last two scales' `sizes`, then enlarged back."""
    (coarse_h, coarse_w), (fine_h, fine_w) = sizes[-2], sizes[-1]
    height, width = image.shape[-2:]
    coarse = (max(1, round(height * coarse_h / fine_h)), max(1, round(width * coarse_w / fine_w)))
    return bilinear_resize(lanczos_resize(image[None].float(), coarse), (height, width))[0]
