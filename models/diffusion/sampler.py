"""Multi-scale sampling (Algorithm 2): coarse to fine, any output size, seeded, optionally
starting from a given image at a given scale and step, with per-step hooks for editing.

Scale 0 runs ancestral DDPM from pure noise over all T steps. Each finer scale upsamples the
previous result (x~^s), noises it to T[s] and denoises deterministically (the reference's
omega = 0, a DDIM-like step) with the deblurring correction x0_hat = (x_mix - gamma_t x~)/(1 - gamma_t),
re-mixed with gamma_{t-1} for the next step; gamma is capped at SAMPLING_GAMMA_MAX (the reference: 0.55).
The sampler only talks to a `Denoiser`, so it works with any denoiser, trained or not.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import torch

from ...core.errors import ModelError
from ...core.progress import CancelCheck, ProgressCallback, raise_if_cancelled
from .denoiser import Denoiser
from .pyramid import PyramidPlan
from .resample import bilinear_resize, lanczos_resize
from .sampling_hooks import SamplingHooks, StepState
from .scale_schedule import ScaleSchedule
from .schedule import DiffusionSchedule


@dataclass(frozen=True)
class SamplingStart:
    """Start from `image` ([C, H, W] or [B, C, H, W], model units, at the output size): it is
    shrunk to `scale`, noised to step `t` by the training forward process and denoised from there."""

    image: torch.Tensor
    scale: int
    t: int


def _randn(shape: tuple[int, ...], generator: torch.Generator, device: torch.device) -> torch.Tensor:
    # drawn on the CPU so that one seed gives the same samples on every device
    return torch.randn(shape, generator=generator, dtype=torch.float32).to(device)


class MultiScaleSampler:
    def __init__(
        self,
        denoiser: Denoiser,
        schedule: DiffusionSchedule,
        scales: ScaleSchedule,
        pyramid: PyramidPlan,
        channels: int,
        device: torch.device | str = "cpu",
    ) -> None:
        if scales.num_scales != pyramid.num_scales:
            raise ModelError(f"The scale schedule has {scales.num_scales} scales but the pyramid has {pyramid.num_scales}.")
        self.denoiser = denoiser
        self.schedule = schedule
        self.scales = scales
        self.pyramid = pyramid
        self.channels = channels
        self.device = torch.device(device)

    def total_steps(self, start: SamplingStart | None = None) -> int:
        first = 0 if start is None else start.scale
        steps = (self.schedule.num_timesteps if start is None else start.t + 1)
        return steps + sum(self.scales.start_steps[s] + 1 for s in range(first + 1, self.pyramid.num_scales))

    @torch.no_grad()
    def sample(
        self,
        output_size: tuple[int, int] | None = None,
        *,
        count: int = 1,
        seed: int = 0,
        start: SamplingStart | None = None,
        hooks: SamplingHooks | None = None,
        eta: float = 0.0,
        progress: ProgressCallback | None = None,
        is_cancelled: CancelCheck | None = None,
    ) -> torch.Tensor:
        """`count` samples [count, C, h, w] in model units. output_size defaults to the start image's
        size, or else to the training size."""
        hooks = hooks or SamplingHooks()
        first_scale = 0 if start is None else self._check_start(start)
        if output_size is None:
            output_size = tuple(start.image.shape[-2:]) if start is not None else self.pyramid.finest_size
        sizes = self.pyramid.sizes_for(tuple(output_size))
        generator = torch.Generator().manual_seed(int(seed))
        total, done = self.total_steps(start), 0

        def tick() -> None:
            nonlocal done
            done += 1
            if progress is not None:
                progress(done / total, f"sampling step {done} of {total}")
            raise_if_cancelled(is_cancelled, "Sampling was cancelled.")

        drafts = hooks.drafts
        if drafts is not None and count != 1:
            raise ModelError("Drafts are kept one at a time: sample with count 1.")
        last = len(sizes) - 1
        chosen_at = last if drafts is None else min(max(drafts.last_scale(sizes), first_scale), last)
        x, blurry, t_start = self._first_iterate(start, sizes, count if drafts is None else drafts.count, generator)
        result = x
        for scale in range(first_scale, len(sizes)):
            if scale > first_scale:
                blurry = bilinear_resize(result, sizes[scale])
                if hooks.scale_hook is not None:
                    state = self._state(scale, -1, sizes, None, None, None, blurry, generator)
                    blurry = _replace(blurry, hooks.scale_hook(state))
                t_start = self.scales.start_steps[scale]
                steps = torch.full((blurry.shape[0],), t_start, dtype=torch.long)
                x = self.schedule.add_noise(blurry, steps, _randn(blurry.shape, generator, self.device))
            result = self._denoise_scale(x, scale, t_start, blurry, sizes, hooks, eta, generator, tick)
            if drafts is not None and scale == chosen_at:
                result = drafts(result)
        return result

    def _check_start(self, start: SamplingStart) -> int:
        if not 0 <= start.scale < self.pyramid.num_scales:
            raise ModelError(f"The start scale {start.scale} is outside this scene model's scales 0.."
                             f"{self.pyramid.num_scales - 1}: choose a start scale in that range.")
        if not 0 <= start.t < self.schedule.num_timesteps:
            raise ModelError(f"The start step {start.t} is outside this scene model's steps 0.."
                             f"{self.schedule.num_timesteps - 1}: choose a start step in that range.")
        return start.scale

    def _first_iterate(
        self, start: SamplingStart | None, sizes: list[tuple[int, int]], count: int, generator: torch.Generator
    ) -> tuple[torch.Tensor, torch.Tensor | None, int]:
        if start is None:
            shape = (count, self.channels, *sizes[0])
            return _randn(shape, generator, self.device), None, self.schedule.num_timesteps - 1
        image = start.image.to(self.device, torch.float32)
        if image.dim() == 3:
            image = image.unsqueeze(0)
        if image.shape[1] != self.channels:
            raise ModelError(f"The start image has {image.shape[1]} bands; the model expects {self.channels}.")
        image = image.expand(count, -1, -1, -1) if image.shape[0] == 1 else image
        clean = lanczos_resize(image, sizes[start.scale])
        blurry = None
        if start.scale > 0:
            blurry = bilinear_resize(lanczos_resize(image, sizes[start.scale - 1]), sizes[start.scale])
            gamma = float(self.scales.gammas(start.scale, self.schedule)[start.t])
            clean = gamma * blurry + (1.0 - gamma) * clean
        steps = torch.full((clean.shape[0],), start.t, dtype=torch.long)
        noisy = self.schedule.add_noise(clean, steps, _randn(clean.shape, generator, self.device))
        return noisy, blurry, start.t

    def _state(self, scale, t, sizes, x_t, x0_hat, x_prev, blurry, generator) -> StepState:
        return StepState(scale, t, sizes, x_t, x0_hat, x_prev, blurry, self.schedule, self.scales, generator)

    def _denoise_scale(
        self,
        x: torch.Tensor,
        scale: int,
        t_start: int,
        blurry: torch.Tensor | None,
        sizes: list[tuple[int, int]],
        hooks: SamplingHooks,
        eta: float,
        generator: torch.Generator,
        tick: Callable[[], None],
    ) -> torch.Tensor:
        schedule = self.schedule
        abar, betas, posterior_variance = schedule.alphas_cumprod, schedule.betas, schedule.posterior_variance
        gammas = self.scales.gammas(scale, schedule, sampling=True)
        deblur = blurry is not None and scale > 0 and self.scales.effective_blur(scale) > 0
        count = x.shape[0]
        for t in range(t_start, -1, -1):
            steps = torch.full((count,), t, dtype=torch.long)
            prediction = self.denoiser(x, steps, scale).to(x.device, torch.float32)
            if self.denoiser.prediction == "eps":
                x_mix = schedule.x0_from_eps(x, steps, prediction)
            else:
                x_mix = prediction
            x0_hat = (x_mix - gammas[t] * blurry) / (1.0 - gammas[t]) if deblur else x_mix
            x0_hat = x0_hat.clamp(-1.0, 1.0)
            if hooks.x0_hook is not None:
                x0_hat = _replace(x0_hat, hooks.x0_hook(self._state(scale, t, sizes, x, x0_hat, None, blurry, generator)))
            if t == 0:
                x_prev = x0_hat
            elif deblur:
                x_prev_mix = (gammas[t - 1] * blurry + (1.0 - gammas[t - 1]) * x0_hat).clamp(-1.0, 1.0)
                eps_direction = (x - math.sqrt(abar[t]) * x_mix.clamp(-1.0, 1.0)) / math.sqrt(1.0 - abar[t])
                variance = eta * (1.0 - abar[t - 1])
                x_prev = math.sqrt(abar[t - 1]) * x_prev_mix + math.sqrt(1.0 - abar[t - 1] - variance) * eps_direction
                if variance > 0:
                    x_prev = x_prev + math.sqrt(variance) * _randn(x.shape, generator, x.device)
            else:
                beta = betas[t]
                mean_x0 = beta * math.sqrt(abar[t - 1]) / (1.0 - abar[t])
                mean_xt = (1.0 - abar[t - 1]) * math.sqrt(1.0 - beta) / (1.0 - abar[t])
                x_prev = mean_x0 * x0_hat + mean_xt * x
                x_prev = x_prev + math.sqrt(posterior_variance[t]) * _randn(x.shape, generator, x.device)
            if hooks.x_prev_hook is not None:
                x_prev = _replace(x_prev, hooks.x_prev_hook(self._state(scale, t, sizes, x, x0_hat, x_prev, blurry, generator)))
            x = x_prev
            tick()
        return x


def _replace(value: torch.Tensor, replacement: torch.Tensor | None) -> torch.Tensor:
    if replacement is None:
        return value
    if replacement.shape != value.shape:
        raise ModelError(f"A sampling hook returned shape {tuple(replacement.shape)}; expected {tuple(value.shape)}.")
    return replacement.to(value.device, value.dtype)
