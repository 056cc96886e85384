"""A training-free denoiser: the closed-form posterior mean over the image's own patches.

After Efficient-SID (Qiu, Kutulakos, Lindell, CVPR 2026): the patches of one image at each
pyramid scale are a finite dataset, and for a finite dataset the optimal denoiser is the
posterior mean, a softmax-weighted average of clean patches. Put in place of the trained SinDDM
net inside the same coarse-to-fine sampler, it needs no training at all.

What it models. At scale s and step t the sampler expects the clean image of SinDDM's forward
process, x_mix = gamma_t^s * blurry^s + (1 - gamma_t^s) * sharp^s, with the pyramid, blurry
versions, blur levels and gammas of training_data.py / scale_schedule.py. The dataset is the
patches of that x_mix (mixed on the fly from the sharp and blurry levels) and the prediction is
"x0"; the sampler un-mixes the blur itself, exactly as for the net. By default gamma is the
sampler's (capped at 0.55), because that is how the sampler actually builds x_t; `mixing=
"training"` uses the uncapped training gamma instead, as the net sees it.

Bounded cost. Small scales (at most `exact_max_patches` patches: the coarsest, ~50x50 px, has
~2,400) use the exact posterior over every patch: that is where the noise is largest and the
posterior broadest, so truncating it would cost diversity. Larger scales start at moderate noise
(T[s] ~ 30 of 100), where the posterior is concentrated on few patches, and use candidates:
exact kNN of a few anchor queries per 8x8 tile in a PCA-reduced patch space, each match
proposing a whole clean window for its tile (coherence: neighbouring queries match neighbouring
patches), with the weights computed on full patch distances over the proposals. The choice over
search windows propagated from coarser scales: the denoiser stays stateless, so every editing
hook (CLIP guidance, ROI copy, NGDM blending), which may change x_t anywhere between calls,
works unchanged. Cost per step ~ Q/16 x N x r for the search and Q x K x C (b+p-1)^2 / b^2 for
the weights (Q queries, N patches, r reduced dims, K proposals per tile).

Bounded memory: queries go through in chunks of `chunk_size` pixels; the result does not depend
on it. Nothing is random except the subset searched when a scale has more than `max_indexed`
patches, which is drawn once from `seed`.
"""
from __future__ import annotations

from typing import Literal, Sequence

import torch

from .errors import ModelError
from .patch_index import DEFAULT_MAX_INDEXED, DEFAULT_REDUCED_DIM, ScalePatches, build_scale_patches
from .patch_posterior import Aggregation, exact_posterior_mean, tiled_posterior_mean
from .pyramid import PyramidPlan
from .scale_schedule import DEFAULT_BLUR_FACTOR, ScaleSchedule
from .schedule import DiffusionSchedule
from .training_data import TrainingPyramid

Mixing = Literal["sampling", "training"]

DEFAULT_PATCH_SIZE = 7
DEFAULT_K = 8
DEFAULT_EXACT_MAX_PATCHES = 4096
DEFAULT_CHUNK_SIZE = 4096


class PatchDenoiser:
    """Denoiser protocol (models/denoiser.py): (x_t [B, C, H, W], t [B], scale) -> x0 estimate."""

    prediction = "x0"

    def __init__(
        self,
        scales_data: list[ScalePatches],
        schedule: DiffusionSchedule,
        scales: ScaleSchedule,
        *,
        k: int = DEFAULT_K,
        tile: int = 8,
        anchors_per_side: int = 2,
        exact_max_patches: int = DEFAULT_EXACT_MAX_PATCHES,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        mixing: Mixing = "sampling",
        aggregation: Aggregation = "center",
        propagate: bool = True,
    ) -> None:
        if len(scales_data) != scales.num_scales:
            raise ModelError(f"Got patch data for {len(scales_data)} scales but the schedule has {scales.num_scales}.")
        if k < 1 or tile < 1 or anchors_per_side < 1 or chunk_size < 1:
            raise ModelError("k, tile, anchors_per_side and chunk_size must all be at least 1.")
        if mixing not in ("sampling", "training"):
            raise ModelError(f"Unknown mixing {mixing!r}: use 'sampling' or 'training'.")
        if aggregation not in ("center", "average"):
            raise ModelError(f"Unknown aggregation {aggregation!r}: use 'center' or 'average'.")
        self.scales_data = scales_data
        self.schedule = schedule
        self.scales = scales
        self.k = int(k)
        self.tile = int(tile)
        self.anchors_per_side = int(anchors_per_side)
        self.exact_max_patches = int(exact_max_patches)
        self.chunk_size = int(chunk_size)
        self.mixing = mixing
        self.aggregation = aggregation
        self.propagate = bool(propagate)
        self._gammas = [scales.gammas(s, schedule, sampling=mixing == "sampling") for s in range(scales.num_scales)]

    @classmethod
    def from_image(
        cls,
        image: torch.Tensor,
        plan: PyramidPlan,
        schedule: DiffusionSchedule,
        *,
        valid: torch.Tensor | None = None,
        scales: ScaleSchedule | None = None,
        blur_factor: float = DEFAULT_BLUR_FACTOR,
        patch_size: int | Sequence[int] = DEFAULT_PATCH_SIZE,
        k: int = DEFAULT_K,
        reduced_dim: int = DEFAULT_REDUCED_DIM,
        max_indexed: int | None = DEFAULT_MAX_INDEXED,
        seed: int = 0,
        device: torch.device | str | None = None,
        **options,
    ) -> "PatchDenoiser":
        """Index `image` [C, H, W] (model units, invalid pixels filled; `valid` [H, W] bool marks the
        usable ones) at the pyramid `plan`'s sizes. `scales` defaults to the one SinDDM training would
        derive from this image's blur levels; pass the trained model's to compare the two alike.
        `options` go to the constructor (tile, anchors_per_side, exact_max_patches, chunk_size, mixing)."""
        if image.dim() != 3:
            raise ModelError(f"Expected an image shaped [bands, height, width], got {tuple(image.shape)}.")
        pyramid = TrainingPyramid(image.float(), plan, valid)
        if device is not None:
            pyramid.to(torch.device(device))
        if scales is None:
            scales = ScaleSchedule.from_blur_levels(pyramid.blur_levels, schedule, blur_factor)
        generator = torch.Generator().manual_seed(int(seed))
        sizes = [int(patch_size)] * plan.num_scales if isinstance(patch_size, int) else [int(p) for p in patch_size]
        if len(sizes) != plan.num_scales:
            raise ModelError(f"Got {len(sizes)} patch sizes for a pyramid of {plan.num_scales} scales.")
        scales_data = [
            build_scale_patches(
                pyramid.levels[s],
                pyramid.blurry[s],
                sizes[s],
                weight=None if pyramid.weights[s] is None else pyramid.weights[s][0],
                reduced_dim=reduced_dim,
                max_indexed=max_indexed,
                generator=generator,
            )
            for s in range(plan.num_scales)
        ]
        return cls(scales_data, schedule, scales, k=k, **options)

    @property
    def patch_sizes(self) -> tuple[int, ...]:
        return tuple(data.patch_size for data in self.scales_data)

    @property
    def channels(self) -> int:
        return int(self.scales_data[0].sharp.shape[0])

    def to(self, device: torch.device | str) -> "PatchDenoiser":
        self.scales_data = [data.to(device) for data in self.scales_data]
        return self

    def gamma(self, scale: int, t: int) -> float:
        return float(self._gammas[scale][t]) if scale > 0 else 0.0

    def uses_exact_posterior(self, scale: int) -> bool:
        return self.scales_data[scale].num_patches <= self.exact_max_patches

    @torch.no_grad()
    def __call__(self, x_t: torch.Tensor, t: torch.Tensor, scale: int) -> torch.Tensor:
        scale = int(scale)
        if not 0 <= scale < len(self.scales_data):
            raise ModelError(f"Scale {scale} is outside 0..{len(self.scales_data) - 1}.")
        if x_t.dim() != 4 or x_t.shape[1] != self.channels:
            raise ModelError(f"Expected x_t shaped [B, {self.channels}, H, W], got {tuple(x_t.shape)}.")
        patch_size = self.scales_data[scale].patch_size
        if min(x_t.shape[-2:]) < patch_size:
            raise ModelError(f"The image ({x_t.shape[-2]}x{x_t.shape[-1]}) is smaller than one {patch_size} px patch.")
        steps = t.reshape(-1).tolist()
        if len(steps) == 1 and x_t.shape[0] > 1:
            steps = steps * x_t.shape[0]
        data = self.scales_data[scale]
        device = data.sharp.device
        noisy = x_t.detach().to(device, torch.float32)
        return torch.stack([self.denoise_one(noisy[i], int(step), scale) for i, step in enumerate(steps)]).to(x_t.device)

    def denoise_one(self, noisy: torch.Tensor, t: int, scale: int) -> torch.Tensor:
        """Posterior mean of the clean mixed image for one noisy image [C, H, W] at step t of `scale`."""
        data = self.scales_data[scale]
        abar = float(self.schedule.alphas_cumprod[t])
        sqrt_abar, noise_variance = abar**0.5, 1.0 - abar
        gamma = self.gamma(scale, t)
        clean = data.mixed(gamma)
        if self.uses_exact_posterior(scale):
            return exact_posterior_mean(
                noisy, clean, data.patch_size, sqrt_abar, noise_variance,
                patch_valid=data.patch_valid, chunk_size=self.chunk_size, aggregation=self.aggregation,
            )

        def search(queries: torch.Tensor) -> torch.Tensor:
            return data.search(queries, sqrt_abar, gamma, self.k, self.chunk_size)

        return tiled_posterior_mean(
            noisy, clean, data.patch_size, sqrt_abar, noise_variance, search,
            patch_valid=data.patch_valid, tile=self.tile, anchors_per_side=self.anchors_per_side,
            chunk_size=self.chunk_size, aggregation=self.aggregation, propagate=self.propagate,
        )
