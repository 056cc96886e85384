"""A training-free denoiser: the closed-form posterior mean over the image's own patches.

After Efficient-SID (Qiu, Kutulakos, Lindell, CVPR 2026): the patches of one image at each
pyramid scale are a finite dataset, and for a finite dataset the optimal denoiser is the
posterior mean, a softmax-weighted average of clean patches. Put in place of the trained SinDDM
net inside the same coarse-to-fine sampler, it needs no training at all.

What it models. At scale s and step t the sampler expects the clean image of SinDDM's forward
process, x_mix = gamma_t^s * blurry^s + (1 - gamma_t^s) * sharp^s, built from the pyramid, blurry
versions, blur levels and gammas of training_data.py and scale_schedule.py. The dataset is the
patches of that x_mix (mixed on the fly from the sharp and blurry levels), the prediction is "x0",
and the sampler un-mixes the blur itself, exactly as for the net. gamma is the training one (as
the net sees it); `mixing="sampling"` uses the sampler's capped gamma instead (worse: docs/benchmarks.md).

Each pixel is the centre pixel of its own patch's posterior mean (near the border: its pixel in
the nearest patch that fits). Averaging the overlapping patch estimates instead (classical
patch-denoising aggregation) blurs the coarse scales into a mean colour (docs/benchmarks.md,
section "Training-free backend").
Patches are larger at coarse scales (15 px at the ~55 px coarsest scale): they carry the layout
there, as the trained net's ~35 px receptive field does; the finest scales use 7 px.

Bounded cost. A scale whose exact posterior needs at most `exact_max_pairs` (query patch, clean
patch) pairs uses it: the coarsest scale at the training size (~3,000 x ~1,700), where the noise is
largest and the posterior broadest, so truncating it would cost diversity. Other scales start at
moderate noise (T[s] ~ 30 of 100), where the posterior is concentrated on few patches, and use
candidates (patch_posterior.tiled_posterior_mean): exact k-nearest-neighbour search of one anchor
query per 8x8 tile in a PCA-reduced patch space (patch_index.py), each match proposing a whole
clean window for its tile and, continued, for its 4 neighbours (coherence, as in PatchMatch), with
the weights computed from full patch distances over the proposals. This was chosen over search
windows propagated from coarser scales so that the denoiser stays stateless: every editing hook
(CLIP guidance, ROI copy, NGDM blending) may change x_t anywhere between two calls, and the same
(x_t, t, scale) always gives the same answer. Per step it costs ~Q/64 x N x r for the search and
~5k x C (b+p-1)^2 / b^2 per query for the weights (Q queries, N patches, r reduced dimensions).

Bounded memory: queries go through in chunks of `chunk_size` pixels; the result does not depend
on it beyond float rounding (BLAS may sum a small chunk in another order). Nothing is random
except the subset searched when a scale has more than `max_indexed` patches, drawn once from `seed`.
"""
from __future__ import annotations

import math
from typing import Any, Literal, Sequence

import torch
import torch.nn.functional as F

from ...core.errors import ModelError
from ..diffusion.pyramid import PyramidPlan
from ..diffusion.scale_schedule import DEFAULT_BLUR_FACTOR, ScaleSchedule
from ..diffusion.schedule import DiffusionSchedule
from ..sinddm.training_data import TrainingPyramid
from .patch_index import (DEFAULT_MAX_INDEXED, DEFAULT_REDUCED_DIM, ScalePatches, build_scale_patches, patch_grid,
                          valid_patches)
from .patch_posterior import Aggregation, exact_posterior_mean, tiled_posterior_mean

Mixing = Literal["training", "sampling"]

COARSE_PATCH_SIZES = (15, 11, 9)  # scales 0, 1, 2; every finer scale uses FINE_PATCH_SIZE
FINE_PATCH_SIZE = 7
DEFAULT_K = 8
DEFAULT_EXACT_MAX_PAIRS = 1 << 24
DEFAULT_CHUNK_SIZE = 4096


def default_patch_sizes(sizes: Sequence[tuple[int, int]]) -> list[int]:
    """Patch side per scale: COARSE_PATCH_SIZES from the coarsest, then FINE_PATCH_SIZE; never more
    than a level's short side (odd, so that patches have a centre pixel)."""
    chosen = []
    for scale, (height, width) in enumerate(sizes):
        wanted = COARSE_PATCH_SIZES[scale] if scale < len(COARSE_PATCH_SIZES) else FINE_PATCH_SIZE
        fits = min(height, width)
        chosen.append(max(1, min(wanted, fits if fits % 2 else fits - 1)))
    return chosen


def fitting_patch_size(weight: torch.Tensor | None, wanted: int) -> int:
    """`wanted`, or the largest smaller odd size with at least one fully valid patch: around a large
    ROI left out of the context, the valid ring can be narrower than a coarse scale's patch."""
    if weight is None:
        return wanted
    for size in range(wanted, 2, -2):
        found = valid_patches(weight, size)
        if found is None or bool(found.any()):
            return size
    return wanted  # nothing fits: build_scale_patches says so


class PatchDenoiser:
    """Denoiser protocol (models/diffusion/denoiser.py): (x_t [B, C, H, W], t [B], scale) -> x0 estimate."""

    prediction = "x0"

    def __init__(
        self,
        scales_data: list[ScalePatches],
        schedule: DiffusionSchedule,
        scales: ScaleSchedule,
        *,
        k: int = DEFAULT_K,
        tile: int = 8,
        anchors_per_side: int = 1,
        propagate: bool = True,
        exact_max_pairs: int = DEFAULT_EXACT_MAX_PAIRS,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        mixing: Mixing = "training",
        aggregation: Aggregation | Sequence[Aggregation] = "center",
    ) -> None:
        if len(scales_data) != scales.num_scales:
            raise ModelError(f"Got patch data for {len(scales_data)} scales but the schedule has {scales.num_scales}.")
        if k < 1 or tile < 1 or anchors_per_side < 1 or chunk_size < 1:
            raise ModelError("k, tile, anchors_per_side and chunk_size must all be at least 1.")
        if mixing not in ("training", "sampling"):
            raise ModelError(f"Unknown mixing {mixing!r}: use 'training' or 'sampling'.")
        aggregations = [aggregation] * len(scales_data) if isinstance(aggregation, str) else list(aggregation)
        if len(aggregations) != len(scales_data) or any(a not in ("center", "average") for a in aggregations):
            raise ModelError(f"Aggregation must be 'center' or 'average', or one of those per scale; got {aggregation!r}.")
        self.scales_data = scales_data
        self.schedule = schedule
        self.scales = scales
        self.k = int(k)
        self.tile = int(tile)
        self.anchors_per_side = int(anchors_per_side)
        self.propagate = bool(propagate)
        self.exact_max_pairs = int(exact_max_pairs)
        self.chunk_size = int(chunk_size)
        self.mixing = mixing
        self.aggregations = tuple(aggregations)
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
        patch_size: int | Sequence[int] | None = None,
        k: int = DEFAULT_K,
        reduced_dim: int = DEFAULT_REDUCED_DIM,
        max_indexed: int | None = DEFAULT_MAX_INDEXED,
        seed: int = 0,
        device: torch.device | str | None = None,
        **options,
    ) -> "PatchDenoiser":
        """Index `image` [C, H, W] (model units, invalid pixels filled; `valid` [H, W] bool marks the
        usable ones) at the pyramid `plan`'s sizes. `scales` defaults to the one SinDDM training
        derives from this image's blur levels with `blur_factor`; pass a trained model's to compare
        the two backends alike. `patch_size`: one side for every scale, one per scale, or None for
        default_patch_sizes. `options` go to the constructor (tile, anchors_per_side, propagate,
        exact_max_pairs, chunk_size, mixing, aggregation)."""
        if image.dim() != 3:
            raise ModelError(f"Expected an image shaped [bands, height, width], got {tuple(image.shape)}.")
        pyramid = TrainingPyramid(image.float(), plan, valid)
        if device is not None:
            pyramid.to(torch.device(device))
        if scales is None:
            scales = ScaleSchedule.from_blur_levels(pyramid.blur_levels, schedule, blur_factor)
        if patch_size is None:
            sizes = default_patch_sizes(plan.sizes)
        elif isinstance(patch_size, int):
            sizes = [int(patch_size)] * plan.num_scales
        else:
            sizes = [int(p) for p in patch_size]
        if len(sizes) != plan.num_scales:
            raise ModelError(f"Got {len(sizes)} patch sizes for a pyramid of {plan.num_scales} scales.")
        sizes = [fitting_patch_size(None if pyramid.weights[s] is None else pyramid.weights[s][0], sizes[s])
                 for s in range(plan.num_scales)]
        generator = torch.Generator().manual_seed(int(seed))
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

    @property
    def device(self) -> torch.device:
        return self.scales_data[0].sharp.device

    def to(self, device: torch.device | str) -> "PatchDenoiser":
        self.scales_data = [data.to(device) for data in self.scales_data]
        return self

    def gamma(self, scale: int, t: int) -> float:
        """The blur mixing of the clean image at step t of `scale` (0 at the coarsest scale)."""
        return float(self._gammas[scale][t]) if scale > 0 else 0.0

    def uses_exact_posterior(self, scale: int, size: tuple[int, int]) -> bool:
        """Whether an image of `size` (h, w) at `scale` is denoised over every clean patch."""
        data = self.scales_data[scale]
        rows, cols = patch_grid(size[0], size[1], data.patch_size)
        return rows * cols * data.num_patches <= self.exact_max_pairs

    def _too_small(self, scale: int, size: tuple[int, int]) -> str:
        """What to change when an image (a tile) shrinks below one patch at `scale`: the shrink from its
        full size to `scale` is the training image's, so the least full size follows from the patch size."""
        patch_size = self.scales_data[scale].patch_size
        shrink = max(self.scales_data[-1].sharp.shape[-2] / self.scales_data[scale].sharp.shape[-2],
                     self.scales_data[-1].sharp.shape[-1] / self.scales_data[scale].sharp.shape[-1])
        full = max(1, round(min(size) * shrink))
        least = math.ceil(patch_size * shrink) + 1  # +1: the level sizes are rounded
        return (f"The training-free model copies {patch_size}x{patch_size} px patches at its scale {scale}, where "
                f"a tile of about {full} px shrinks to {size[0]}x{size[1]} px: choose a tile size of at least "
                f"{least} px, or a smaller training context (its scales shrink less).")

    @torch.no_grad()
    def __call__(self, x_t: torch.Tensor, t: torch.Tensor, scale: int) -> torch.Tensor:
        scale = int(scale)
        if not 0 <= scale < len(self.scales_data):
            raise ModelError(f"Scale {scale} is outside 0..{len(self.scales_data) - 1}.")
        if x_t.dim() != 4 or x_t.shape[1] != self.channels:
            raise ModelError(f"Expected x_t shaped [B, {self.channels}, H, W], got {tuple(x_t.shape)}.")
        patch_size = self.scales_data[scale].patch_size
        if min(x_t.shape[-2:]) < patch_size:
            raise ModelError(self._too_small(scale, tuple(x_t.shape[-2:])))
        steps = t.reshape(-1).tolist()
        if len(steps) == 1:
            steps = steps * x_t.shape[0]
        if len(steps) != x_t.shape[0]:
            raise ModelError(f"Got {len(steps)} time steps for a batch of {x_t.shape[0]}.")
        noisy = x_t.detach().to(self.device, torch.float32)
        denoised = [self.denoise_one(noisy[i], int(step), scale) for i, step in enumerate(steps)]
        return torch.stack(denoised).to(x_t.device)

    def denoise_one(self, noisy: torch.Tensor, t: int, scale: int) -> torch.Tensor:
        """Posterior mean of the clean mixed image for one noisy image [C, H, W] at step t of `scale`."""
        data = self.scales_data[scale]
        abar = float(self.schedule.alphas_cumprod[t])
        sqrt_abar, noise_variance = abar**0.5, 1.0 - abar
        gamma = self.gamma(scale, t)
        clean = data.mixed(gamma)
        aggregation = self.aggregations[scale]
        if self.uses_exact_posterior(scale, tuple(noisy.shape[-2:])):
            return exact_posterior_mean(
                noisy, clean, data.patch_size, sqrt_abar, noise_variance,
                patch_valid=data.patch_valid, chunk_size=self.chunk_size, aggregation=aggregation,
            )

        def search(queries: torch.Tensor) -> torch.Tensor:
            return data.search(queries, sqrt_abar, gamma, self.k, self.chunk_size)

        return tiled_posterior_mean(
            noisy, clean, data.patch_size, sqrt_abar, noise_variance, search,
            patch_valid=data.patch_valid, tile=self.tile, anchors_per_side=self.anchors_per_side,
            chunk_size=self.chunk_size, aggregation=aggregation, propagate=self.propagate,
        )


def patch_denoiser_of(denoiser: Any) -> PatchDenoiser | None:
    """The training-free model's denoiser behind `denoiser` (itself, or inside a ChunkedDenoiser), or
    None for another model's (the trained one's)."""
    inner = getattr(denoiser, "inner", denoiser)
    return inner if isinstance(inner, PatchDenoiser) else None
