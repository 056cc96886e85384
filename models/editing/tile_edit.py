"""Editing one image (a tile) with a scene model: start from the source at a coarse scale and
re-sample the ROI while the rest follows the source (NGDM), optionally steered by x0 hooks
(CLIP text guidance, ROI copy). Every mode is this one routine with different hooks.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import torch

from ...core.errors import ModelError
from ...core.progress import CancelCheck, ProgressCallback
from ..diffusion.sampler import MultiScaleSampler, SamplingStart
from ..diffusion.sampling_hooks import DraftChoice, Hook, SamplingHooks, StepState
from .ngdm import DEFAULT_A, DEFAULT_B, NgdmBlend, noise_weights
from .roi_fill import fill_from_surroundings


@dataclass(frozen=True)
class EditSchedule:
    """Where re-sampling starts and how the ROI weight becomes per-pixel noise.

    start_scale 0 with start_t None re-generates the ROI from pure noise at the coarsest scale
    (largest change: clouds and objects disappear); a finer start scale keeps the coarse layout
    of the source and changes texture and detail only.
    """

    start_scale: int = 0
    start_t: Optional[int] = None  # None: T-1 at scale 0, T[s] at finer scales
    soft_mask: bool = True  # NGDM soft weights; False: a hard 0/1 mask (for comparison)
    ngdm_a: float = DEFAULT_A
    ngdm_b: float = DEFAULT_B
    # start the ROI from a smooth fill of its surroundings instead of its own pixels (regeneration:
    # the ROI holds what is to disappear, so only the colours around it are a useful start)
    fill_roi: bool = False

    def start_step(self, sampler: MultiScaleSampler) -> int:
        if not 0 <= self.start_scale < sampler.pyramid.num_scales:
            raise ModelError(f"The start scale must be in 0..{sampler.pyramid.num_scales - 1}, got {self.start_scale}.")
        if self.start_t is not None:
            return int(self.start_t)
        if self.start_scale == 0:
            return sampler.schedule.num_timesteps - 1
        return int(sampler.scales.start_steps[self.start_scale])

    def weights(self, roi_weight: torch.Tensor) -> torch.Tensor:
        if self.soft_mask:
            return noise_weights(roi_weight, self.ngdm_a, self.ngdm_b)
        return (roi_weight >= 0.5).float()


def chain_x0_hooks(hooks: list[Hook]) -> Hook | None:
    """One x0 hook that applies several in turn (e.g. a text guidance per ROI prompt)."""
    hooks = [hook for hook in hooks if hook is not None]
    if not hooks:
        return None
    if len(hooks) == 1:
        return hooks[0]

    def chained(state: StepState) -> torch.Tensor | None:
        changed = None
        for hook in hooks:
            result = hook(state)
            if result is not None:
                changed = result
                state.x0_hat = result
        return changed

    return chained


def edit_image(
    sampler: MultiScaleSampler,
    source: torch.Tensor,
    roi_weight: torch.Tensor,
    schedule: EditSchedule = EditSchedule(),
    *,
    x0_hook: Hook | None = None,
    weight_map: torch.Tensor | None = None,
    drafts: DraftChoice | None = None,
    seed: int = 0,
    count: int = 1,
    progress: ProgressCallback | None = None,
    is_cancelled: CancelCheck | None = None,
) -> torch.Tensor:
    """Edited versions [count, C, H, W] of `source` ([C, H, W], model units) inside `roi_weight`
    ([H, W] in [0, 1], 0 = keep). Pixels with weight 0 come back exactly as the source.
    `weight_map` ([H, W] in [0, 1], 0 wherever roi_weight is 0) replaces roi_weight as NGDM's map A,
    e.g. a CLIP weight map (clip_weight_map.py). `drafts` has the coarse scales drawn several times and
    keeps one image of them (ring_agreement.py)."""
    if source.dim() != 3:
        raise ModelError(f"Expected a source image [bands, height, width], got shape {tuple(source.shape)}.")
    if tuple(roi_weight.shape) != tuple(source.shape[-2:]):
        raise ModelError(f"The ROI weight {tuple(roi_weight.shape)} does not match the image {tuple(source.shape[-2:])}.")
    if schedule.fill_roi:
        source = fill_from_surroundings(source.float(), roi_weight <= 0)
    start = SamplingStart(source, schedule.start_scale, schedule.start_step(sampler))
    if weight_map is not None and tuple(weight_map.shape) != tuple(roi_weight.shape):
        raise ModelError(f"The weight map {tuple(weight_map.shape)} does not match the image {tuple(roi_weight.shape)}.")
    weights = schedule.weights((roi_weight if weight_map is None else weight_map).float())
    hooks = SamplingHooks(x0_hook=x0_hook, x_prev_hook=NgdmBlend(source, weights, seed), drafts=drafts)
    return sampler.sample(tuple(source.shape[-2:]), count=count, seed=seed, start=start, hooks=hooks,
                          progress=progress, is_cancelled=is_cancelled)
