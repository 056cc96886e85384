"""NGDM soft masks (seed 002): every pixel gets its own start time from a soft weight map.

A weight map A in [0, 1] (1 = edit fully) becomes per-pixel noise weights
Λ = sigmoid(A / a + b) (the paper's eq. in section 3.4), and each pixel k starts denoising at
its own step T_k = ξ_k(T) (eq. 8). Until then it is replaced by the noised source with the
same noise z at every step (eq. 12, Algorithm 1), so pixels with small Λ stay close to the
source and the edit fades in smoothly instead of stopping at a hard mask edge.

Eq. 8 for the cosine schedule
-----------------------------
Eq. 8 solves ∫₀ᵗ β(s)·λ ds = ∫₀^τ β(s) ds for τ; the paper writes the closed form for a linear
β(s). For a variance-preserving process ᾱ(t) = exp(−∫₀ᵗ β(s) ds), so the same condition reads

    ᾱ(τ) = ᾱ(T)^λ        (any schedule).

With the cosine schedule ᾱ(t) = f(t)/f(0), f(t) = cos²(π/2 · (t/T + s)/(1 + s)), s = 0.008:

    τ = T · [ (1 + s) · (2/π) · arccos( sqrt(f(0) · ᾱ(T)^λ) ) − s ].

The schedule used here is diffusers' discrete `squaredcos_cap_v2` (betas capped at 0.999), so
`start_steps` inverts the tabulated ᾱ_t (log-linear between steps, with a step −1 of ᾱ = 1
before the first) rather than the continuous formula, and rounds τ to a step. λ = 1 gives
T_k = T_max (denoised from the start, fully regenerated); λ = 0 gives T_k = −1 (never denoised:
the source, exactly). `cosine_start_step` is the continuous form, used to check the table.

Scale of a and b
----------------
The paper's a = 10, b = 5 suit its DiffEdit map, whose values are not in [0, 1]: on a map in
[0, 1] they give Λ ≈ 0.993 everywhere. RSEdit's maps are in [0, 1] (feathered distance to the
ROI border, or a normalised CLIP-gradient map), so its defaults are a = 1/12, b = −6:
Λ(0) ≈ 0.0025, Λ(0.5) = 0.5, Λ(1) ≈ 0.9975.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from ..diffusion.schedule import COSINE_OFFSET, DiffusionSchedule

DEFAULT_A = 1.0 / 12.0
DEFAULT_B = -6.0


def noise_weights(weight_map: torch.Tensor, a: float = DEFAULT_A, b: float = DEFAULT_B,
                  exact_zeros: bool = True) -> torch.Tensor:
    """Λ = sigmoid(A / a + b). With `exact_zeros` (ROI maps), exact zeros stay zero so pixels outside
    every ROI are never touched; a DiffEdit map, whose minimum is 0 somewhere, passes False."""
    if a <= 0:
        raise ValueError(f"NGDM 'a' must be positive, got {a}")
    weights = torch.sigmoid(weight_map / a + b)
    if not exact_zeros:
        return weights
    return torch.where(weight_map <= 0, torch.zeros_like(weights), weights)


def _alphas_cumprod(schedule: Any) -> np.ndarray:
    """ᾱ_t as float64 numpy from a DiffusionSchedule, a diffusers scheduler or the table itself."""
    values = getattr(schedule, "alphas_cumprod", schedule)
    if torch.is_tensor(values):
        values = values.detach().cpu().double().numpy()
    return np.asarray(values, dtype=np.float64)


def start_steps(weights: torch.Tensor, schedule: Any, t_max: int) -> torch.Tensor:
    """Per-pixel start step T_k (int64, −1 … t_max) for noise weights Λ in [0, 1]: eq. 8 on the
    tabulated schedule, rounded to the nearest step (so Λ just below 1 still starts at t_max).

    `schedule` is a DiffusionSchedule, any diffusers scheduler (its `alphas_cumprod`, e.g. the
    1000-step table of a pretrained latent model) or the ᾱ table; steps are that table's indices."""
    alphas_cumprod = _alphas_cumprod(schedule)
    if not 0 <= t_max < alphas_cumprod.shape[0]:
        raise ValueError(f"t_max must be in [0, {alphas_cumprod.shape[0] - 1}], got {t_max}")
    # log ᾱ at steps −1 … t_max, with ᾱ = 1 at the virtual step −1
    log_abar = torch.log(torch.as_tensor(np.append(1.0, alphas_cumprod[: t_max + 1]),
                                         dtype=torch.float64, device=weights.device))
    lam = weights.to(torch.float64).clamp(0.0, 1.0)
    target = lam * log_abar[-1]  # log ᾱ(τ) = λ · log ᾱ(T)
    # τ by linear interpolation of log ᾱ between steps (log ᾱ falls strictly with t)
    above = (log_abar.view(*([1] * lam.dim()), -1) >= target.unsqueeze(-1)).sum(-1) - 1  # index of last step ≥ target
    above = above.clamp(0, t_max)
    upper, lower = log_abar[above], log_abar[(above + 1).clamp(max=t_max + 1)]
    frac = torch.where(upper > lower, (upper - target) / (upper - lower), torch.zeros_like(target))
    tau = above.to(torch.float64) + frac.clamp(0.0, 1.0) - 1.0  # back to step units (index 0 is step −1)
    return torch.round(tau).clamp(-1, t_max).to(torch.int64)


def cosine_start_step(weight: float, t_max: int, num_timesteps: int, offset: float = COSINE_OFFSET) -> float:
    """Continuous eq. 8 for the cosine schedule, in step units: diffusers' step i has
    ᾱ_i = f((i + 1)/T) / f(0), so step i sits at continuous time i + 1."""
    def f(time: float) -> float:
        return math.cos(math.pi / 2 * (time / num_timesteps + offset) / (1 + offset)) ** 2

    abar_target = (f(t_max + 1.0) / f(0.0)) ** weight
    tau = num_timesteps * ((1 + offset) * (2 / math.pi) * math.acos(math.sqrt(f(0.0) * abar_target)) - offset)
    return tau - 1.0


class NgdmBlend:
    """x_prev hook running Algorithm 1 at every scale of the multi-scale sampler.

    `weights` is Λ at the output size. At each scale the source, its blurry version (the training
    forward process mixes it in, eq. 4), Λ and the start steps are brought to that scale; a pixel
    follows the source, noised with one fixed z per scale, until its own start step. The noise has
    its own generator so that Λ = 1 everywhere reproduces plain sampling exactly.
    """

    def __init__(self, source: torch.Tensor, weights: torch.Tensor, seed: int = 0) -> None:
        if source.dim() == 3:
            source = source.unsqueeze(0)
        if weights.shape[-2:] != source.shape[-2:]:
            raise ValueError(f"NGDM weights {tuple(weights.shape)} do not match the source {tuple(source.shape)}")
        self.source = source.float()
        self.weights = weights.float().reshape(1, 1, *weights.shape[-2:]).clamp(0.0, 1.0)
        self.seed = int(seed)
        self._per_scale: dict[int, tuple[torch.Tensor, torch.Tensor | None, torch.Tensor, torch.Tensor]] = {}

    def _prepare(self, scale: int, sizes: list[tuple[int, int]], t_max: int, schedule: DiffusionSchedule):
        from ..diffusion.resample import area_resize, bilinear_resize, lanczos_resize

        size = sizes[scale]
        source = lanczos_resize(self.source, size)
        blurry = bilinear_resize(lanczos_resize(self.source, sizes[scale - 1]), size) if scale > 0 else None
        weights = area_resize(self.weights, size)
        if scale == len(sizes) - 1:
            weights = torch.where(self.weights <= 0, torch.zeros_like(weights), weights)  # exact zeros at full size
        steps = start_steps(weights[0, 0], schedule, t_max)
        generator = torch.Generator().manual_seed(self.seed * 1009 + scale)
        noise = torch.randn(source.shape, generator=generator)
        self._per_scale[scale] = (source, blurry, steps, noise)
        return self._per_scale[scale]

    def noised_source(self, scale: int, t: int, state) -> torch.Tensor:
        source, blurry, _, noise = self._per_scale[scale]
        if t < 0:
            return source
        clean = source
        if blurry is not None:
            gamma = float(state.scales.gammas(scale, state.schedule, sampling=True)[t])
            clean = gamma * blurry + (1.0 - gamma) * source
        abar = float(state.schedule.alphas_cumprod[t])
        return math.sqrt(abar) * clean + math.sqrt(1.0 - abar) * noise

    def __call__(self, state) -> torch.Tensor:
        if state.scale not in self._per_scale:
            # the first step seen at a scale is where sampling starts there: that is T_max
            self._prepare(state.scale, state.sizes, state.t, state.schedule)
        steps = self._per_scale[state.scale][2]
        target = state.t - 1
        noised = self.noised_source(state.scale, target, state).to(state.x_prev)
        return torch.where((target >= steps).to(state.x_prev.device), noised, state.x_prev)
