"""Per-step hooks through which editing modes steer the sampler.

`x0_hook(state) -> Tensor | None` sees every step's clean-image estimate x0_hat (state.x0_hat)
and may return a replacement: CLIP guidance steps, ROI content copies.
`x_prev_hook(state) -> Tensor | None` sees the next iterate x_{t-1} (state.x_prev) and may return
a replacement: mask / NGDM blending with the source noised to step t-1 (`state.noise_to`).
`scale_hook(state) -> Tensor | None` runs once per scale on the upsampled start image x~^s
(state.blurry) before it is noised, e.g. to paste the source outside a mask.
`drafts`: a DraftChoice that has the coarse scales drawn several times, up to a scale it names, and
makes one image of the drafts there (regeneration keeps the layout that agrees best with the ROI's
surroundings).
Returning None keeps the sampler's value. All tensors are [B, C, H, W] in model units ([-1, 1]).
The sampler runs under torch.no_grad(): a hook that needs gradients (CLIP guidance) wraps its
work in torch.enable_grad() and differentiates with respect to a detached copy of x0_hat.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Optional, Protocol

import torch

from .scale_schedule import ScaleSchedule
from .schedule import DiffusionSchedule


@dataclass
class StepState:
    scale: int  # 0 = coarsest
    t: int  # current step (x_t -> x_{t-1}); -1 in scale_hook
    sizes: list[tuple[int, int]]  # (h, w) of every scale at this output size
    x_t: torch.Tensor | None
    x0_hat: torch.Tensor | None
    x_prev: torch.Tensor | None
    blurry: torch.Tensor | None  # x~^s, the upsampled previous scale (None at scale 0)
    schedule: DiffusionSchedule
    scales: ScaleSchedule
    generator: torch.Generator
    extras: dict = field(default_factory=dict)  # free space for hooks to keep state between steps

    def noise_to(self, x0: torch.Tensor, t: int, blurry: torch.Tensor | None = None) -> torch.Tensor:
        """q(x_t | x0) with fresh seeded noise; with `blurry` (x0's own x~ at this scale) the blur is
        mixed in as in training (eq. 4). t < 0 returns x0 unchanged."""
        if t < 0:
            return x0
        if blurry is not None and self.scale > 0:
            gamma = float(self.scales.gammas(self.scale, self.schedule)[t])
            x0 = gamma * blurry + (1.0 - gamma) * x0
        noise = torch.randn(x0.shape, generator=self.generator, dtype=torch.float32).to(x0.device)
        steps = torch.full((x0.shape[0],), int(t), dtype=torch.long)
        return self.schedule.add_noise(x0, steps, noise)


Hook = Callable[[StepState], Optional[torch.Tensor]]


class DraftChoice(Protocol):
    count: int  # drafts drawn

    def last_scale(self, sizes: list[tuple[int, int]]) -> int:
        """The scale at whose end the drafts are compared, for an image of these scale `sizes`."""

    def __call__(self, drafts: torch.Tensor) -> torch.Tensor:
        """The one image [1, C, h, w] kept of `drafts` [count, C, h, w]."""


@dataclass
class SamplingHooks:
    x0_hook: Hook | None = None
    x_prev_hook: Hook | None = None
    scale_hook: Hook | None = None
    drafts: DraftChoice | None = None
