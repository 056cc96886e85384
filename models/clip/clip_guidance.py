"""CLIP text guidance of SinDDM sampling (RSEdit paper eq. 11-13; SinDDM's reference guidance).

A ``ClipTextGuidance`` is a per-step hook on the sampler's clean-image estimate x0_hat. At each
guided step it

1. blends x0_hat with the previous guided x0 inside the mask m, with momentum lambda (eq. 13):
   x0 <- x0 (1 - m) + ((1 - lambda) x0_prev + lambda x0) m. SinDDM's denoiser is overfitted to
   the training image and undoes single small steps; the momentum lets the edit accumulate;
2. computes the CLIP loss 1.2 (1 - cos) between augmented views of x0 and the (ensembled) text
   embedding (eq. 11), averaged over the views, and its gradient g with respect to x0. With
   ``view_focus="roi"`` (the default) and a ROI mask, the views are cut from the ROI's box plus
   some context (roi_views.py), so CLIP judges the ROI rather than the tile around it;
   ``view_focus="tile"`` cuts them from the whole image, as before;
3. at the first guided step only, builds the mask m: the fill_factor share of pixels with the
   largest gradient norm (within the user's ROI when one is given); later scales get the same
   mask resized, so the edit stays where it started;
4. steps down the loss, with a step size relative to the image (eq. 12):
   x0 <- clamp(x0 - strength * (||x0 m|| / ||g m||) * g m, -1, 1).

Pixels where m is 0 are returned bit-identical. Which steps are guided: scales >= ``start_scale``
(default 1: the coarsest scale's gradients are too noisy to place a mask, as the reference finds;
a one-scale pyramid is guided on its only scale), and on the finest scale only while t >= ``stop_t_on_finest`` (default 3, as the reference code
does, so the last denoising steps remove the high-frequency residue of CLIP's gradients). The
paper's text says text-only guidance "stops at s = N-1" for a smoother result; set
``guide_finest=False`` for that stricter reading (no guidance at all on the finest scale).

Use: ``sampler.sample(..., hooks=SamplingHooks(x0_hook=ClipTextGuidance.from_prompts(clip, prompts)))``.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from ...core.errors import ModelError
from .clip_model import GuidanceClip, select_rgb_bands
from .prompts import embed_prompts
from .roi_views import VIEW_FOCI, box_at, crop_box, roi_view_box
from .view_augment import ViewAugmentation, resize_image

if TYPE_CHECKING:
    from ..diffusion.sampling_hooks import StepState

CLIP_LOSS_WEIGHT = 1.2  # the reference's weight; it cancels in the normalised step but keeps losses comparable


class ClipTextGuidance:
    """The sampler's ``x0_hook``: ``guidance(state) -> x0 | None`` (see sampling_hooks.StepState),
    or directly ``guidance.step(x0_hat, t, scale)``. x0_hat is [B, C, H, W] in [-1, 1], t the
    current step, scale the pyramid level (0 = coarsest, n_scales - 1 = finest; the number of
    scales comes from the sampler's state, or from ``n_scales`` for direct calls).

    The state (mask, previous x0) lives for one sampling run; it is cleared by ``reset()``, and
    automatically when a call goes back to a coarser scale, or to the same or a larger t on the
    same scale, which can only mean a new run.
    """

    def __init__(
        self,
        clip: GuidanceClip,
        text_embedding: Tensor,
        *,
        n_scales: int | None = None,
        strength: float = 0.5,
        momentum: float = 0.2,
        fill_factor: float = 0.5,
        n_views: int = 16,
        start_scale: int = 1,
        stop_t_on_finest: int = 3,
        guide_finest: bool = True,
        roi_mask: Tensor | np.ndarray | None = None,
        rgb_bands: Sequence[int] | None = None,
        seed: int = 0,
        prompts: Sequence[str] = (),
        view_focus: str = "roi",
    ):
        _check_settings(n_scales, strength, momentum, fill_factor, n_views, start_scale, stop_t_on_finest, view_focus)
        self.clip = clip
        self.text_embedding = F.normalize(text_embedding.detach().reshape(-1).to(clip.device, clip.dtype), dim=0)
        self.n_scales = None if n_scales is None else int(n_scales)
        self.strength = float(strength)
        self.momentum = float(momentum)
        self.fill_factor = float(fill_factor)
        self.start_scale = int(start_scale)
        self.stop_t_on_finest = int(stop_t_on_finest)
        self.guide_finest = bool(guide_finest)
        self.rgb_bands = None if rgb_bands is None else tuple(int(b) for b in rgb_bands)
        self.seed = int(seed)
        self.prompts = tuple(prompts)
        self.augmentation = ViewAugmentation(n_views=int(n_views))
        self.roi_mask = _as_roi(roi_mask)
        self.view_focus = view_focus
        # the box views are cut from, on the ROI mask's grid (None: the whole image)
        self.view_box = roi_view_box(self.roi_mask) if view_focus == "roi" and self.roi_mask is not None else None
        self._box_grid = None if self.roi_mask is None else tuple(self.roi_mask.shape)
        self.reset()

    @classmethod
    def from_prompts(cls, clip: GuidanceClip, prompts: Sequence[str], **settings) -> ClipTextGuidance:
        """Guidance towards the ensemble of ``prompts`` (see prompts.ensemble_prompts)."""
        ensemble = embed_prompts(clip, prompts)
        return cls(clip, ensemble.embedding, prompts=ensemble.prompts, **settings)

    # ------------------------------------------------------------------ state
    def reset(self) -> None:
        """Forget the mask and the previous x0, and restart the view augmentations' generator."""
        self.generator = torch.Generator().manual_seed(self.seed)
        self._mask: Tensor | None = None  # [B, 1, h, w] from the gradient, without the ROI
        self._prev: Tensor | None = None  # the last guided x0
        self._last_call: tuple[int, int] | None = None  # (scale, t)
        self.similarity_history: list[float] = []  # mean cosine over views and batch, per guided step

    def _restart_if_new_run(self, t: int, scale: int, batch: int) -> None:
        if self._last_call is not None:
            last_scale, last_t = self._last_call
            if scale < last_scale or (scale == last_scale and t >= last_t):
                self.reset()
        if self._mask is not None and self._mask.shape[0] != batch:
            self.reset()
        self._last_call = (scale, t)

    def is_active(self, t: int, scale: int, n_scales: int | None = None) -> bool:
        n_scales = n_scales or self.n_scales
        if n_scales is None:
            raise ValueError("the number of scales is unknown: pass n_scales")
        # a one-scale pyramid (a small tile) has no scale 1: guide its only scale as the finest,
        # rather than leave the edit unguided
        if scale < min(self.start_scale, n_scales - 1):
            return False
        if scale >= n_scales - 1:
            return self.guide_finest and t >= self.stop_t_on_finest
        return True

    @property
    def mask(self) -> Tensor | None:
        """The guidance mask at the size of the last guided step (ROI included), or None before."""
        if self._prev is None:
            return None
        return self._mask_at(tuple(self._prev.shape[-2:]))

    # ------------------------------------------------------------------ the step
    def __call__(self, state: StepState) -> Tensor | None:
        """The sampler's x0_hook; None (keep the sampler's x0_hat) on unguided steps."""
        guided = self.step(state.x0_hat, state.t, state.scale, n_scales=len(state.sizes))
        return None if guided is state.x0_hat else guided

    def step(self, x0_hat: Tensor, t: int, scale: int, n_scales: int | None = None) -> Tensor:
        """One guidance step; unguided steps return x0_hat itself."""
        t, scale = int(t), int(scale)
        if x0_hat.ndim != 4:
            raise ValueError(f"expected x0_hat shaped [B, C, H, W], got {tuple(x0_hat.shape)}")
        self._restart_if_new_run(t, scale, x0_hat.shape[0])
        if not self.is_active(t, scale, n_scales):
            return x0_hat
        # samplers run under no_grad or inference_mode; the CLIP gradient needs autograd back
        with torch.inference_mode(False), torch.enable_grad():
            x0 = x0_hat.detach().clone().to(self.clip.device, torch.float32)
            guided = self._guided_step(x0)
        return guided.to(x0_hat.device, x0_hat.dtype)

    def clip_loss(self, x0: Tensor) -> Tensor:
        """Per-image CLIP loss [B]: 1.2 (1 - cos) averaged over the augmented views (of the ROI's
        box with ``view_focus="roi"``, else of the whole image)."""
        rgb01 = (select_rgb_bands(x0, self.rgb_bands) + 1) * 0.5
        if self.view_box is not None:  # the ROI's box at this pyramid level
            rgb01 = crop_box(rgb01, box_at(self.view_box, self._box_grid, tuple(x0.shape[-2:])))
        views = self.augmentation.make_views(rgb01, self.clip.image_size, self.generator)
        cosine = (self.clip.encode_views(views) @ self.text_embedding).view(-1, x0.shape[0])
        self.similarity_history.append(float(cosine.detach().mean()))
        return CLIP_LOSS_WEIGHT * (1 - cosine).mean(dim=0)

    def roi_similarity(self, x0: Tensor) -> float:
        """Mean cosine between the prompt and views of the ROI's own pixels in ``x0`` [B, C, H, W]: its
        bounding box without the context margin (the whole image without a ROI mask), augmented as
        the guidance's views, without a gradient and outside the run's state. The generator is seeded
        afresh with the guidance's seed, so two images are compared on the same views
        (models/patch/scene_texture.py asks which of two results shows the prompt better).

        Not the guidance's own views: the guided pixels were optimised on those, with the context
        around them, and on them beat any result that was not (CLIP's saturated specks do)."""
        x0 = x0.detach().to(self.clip.device, torch.float32)
        rgb01 = (select_rgb_bands(x0, self.rgb_bands) + 1) * 0.5
        if self.roi_mask is not None:
            rgb01 = crop_box(rgb01, box_at(roi_view_box(self.roi_mask, 0.0, 0), self._box_grid, tuple(x0.shape[-2:])))
        views = self.augmentation.make_views(rgb01, self.clip.image_size, torch.Generator().manual_seed(self.seed))
        with torch.no_grad():
            return float((self.clip.encode_views(views) @ self.text_embedding).mean())

    def window_similarity(self, image: Tensor, side: int, stride: int, batch: int = 256) -> Tensor:
        """[ny, nx]: the cosine between the prompt and each `side` px window of `image` [C, H, W] (model
        units, the tile's grid) on a `stride` px grid, each window resized to the model's input as the
        first, unaugmented view of roi_similarity sees the ROI's box. Without a gradient and outside
        the run's state (models/patch/scene_texture.py asks which of the scene's surfaces show the
        prompt, to copy its texture from them)."""
        rgb01 = (select_rgb_bands(image[None].detach().to(self.clip.device, torch.float32), self.rgb_bands) + 1) * 0.5
        windows = rgb01[0].unfold(1, side, stride).unfold(2, side, stride)  # [3, ny, nx, side, side], a view
        rows, cols = int(windows.shape[1]), int(windows.shape[2])
        scores = []
        with torch.no_grad():
            # one batch of windows copied at a time: all of them at once hold each pixel about four times
            # over (docs/benchmarks.md, "Scene texture: copied from what the prompt's CLIP finds typical")
            for first in range(0, rows * cols, batch):
                index = torch.arange(first, min(first + batch, rows * cols), device=windows.device)
                chunk = windows[:, index // cols, index % cols].permute(1, 0, 2, 3)  # [n, 3, side, side]
                scores.append(self.clip.encode_views(resize_image(chunk, self.clip.image_size)) @ self.text_embedding)
        return torch.cat(scores).view(rows, cols).cpu()

    def _guided_step(self, x0: Tensor) -> Tensor:
        size = tuple(x0.shape[-2:])
        x = x0
        if self._mask is not None and self._prev is not None:
            m = self._mask_at(size)
            prev = self._prev if tuple(self._prev.shape[-2:]) == size else resize_image(self._prev, size)
            x = x * (1 - m) + ((1 - self.momentum) * prev + self.momentum * x) * m
        x = x.detach().requires_grad_(True)
        (grad,) = torch.autograd.grad(self.clip_loss(x).sum(), x)
        x = x.detach()
        if self._mask is None:
            self._mask = self._gradient_mask(grad, self._roi_at(size))
        m = self._mask_at(size)
        step = -grad * m  # down the loss
        ratio = _norms(x * m) / _norms(step).clamp_min(torch.finfo(step.dtype).tiny)
        stepped = (x + self.strength * ratio * step).clamp(-1.0, 1.0)
        guided = torch.where(m > 0, stepped, x0)
        self._prev = guided.detach()
        return guided

    # ------------------------------------------------------------------ masks
    def _gradient_mask(self, grad: Tensor, roi: Tensor | None) -> Tensor:
        """1 where the gradient norm is in the top ``fill_factor`` share (of the ROI's pixels)."""
        energy = grad.norm(dim=1)  # [B, h, w]
        if self.fill_factor >= 1.0:
            return torch.ones_like(energy).unsqueeze(1)
        inside = None if roi is None else roi[0, 0] > 0
        masks = []
        for e in energy:
            values = e.flatten() if inside is None else e[inside]
            if values.numel() == 0:
                masks.append(torch.zeros_like(e))
                continue
            threshold = torch.quantile(values, 1.0 - self.fill_factor, interpolation="nearest")
            masks.append((e > threshold).to(e.dtype))
        return torch.stack(masks).unsqueeze(1)

    def _mask_at(self, size: tuple[int, int]) -> Tensor:
        assert self._mask is not None
        mask = self._mask
        if tuple(mask.shape[-2:]) != size:
            mask = (F.interpolate(mask, size=size, mode="bilinear", align_corners=False) >= 0.5).to(mask.dtype)
        roi = self._roi_at(size)
        return mask if roi is None else mask * roi

    def _roi_at(self, size: tuple[int, int]) -> Tensor | None:
        if self.roi_mask is None:
            return None
        roi = self.roi_mask.to(self.clip.device)[None, None]
        if tuple(roi.shape[-2:]) != size:
            roi = resize_image(roi, size).clamp(0.0, 1.0)
        return roi


def _norms(x: Tensor) -> Tensor:
    return torch.linalg.vector_norm(x, dim=(1, 2, 3), keepdim=True)


def _as_roi(roi_mask: Tensor | np.ndarray | None) -> Tensor | None:
    if roi_mask is None:
        return None
    roi = torch.as_tensor(np.asarray(roi_mask) if not isinstance(roi_mask, Tensor) else roi_mask)
    roi = roi.detach().to(torch.float32).squeeze()
    if roi.ndim != 2:
        raise ModelError(f"The ROI mask must be a single [H, W] layer, got shape {tuple(roi.shape)}.")
    if not torch.isfinite(roi).all() or roi.min() < 0 or roi.max() > 1:
        raise ModelError("The ROI mask must hold weights between 0 (keep) and 1 (edit).")
    if roi.max() == 0:
        raise ModelError("The ROI mask is empty: it selects no pixel to edit. Check the ROI polygons.")
    return roi


def _check_settings(
    n_scales: int | None, strength: float, momentum: float, fill_factor: float, n_views: int, start_scale: int,
    stop_t: int, view_focus: str = "roi",
) -> None:
    problems = []
    if n_scales is not None and n_scales < 1:
        problems.append(f"the number of scales must be at least 1 (got {n_scales})")
    if not (math.isfinite(strength) and strength >= 0):
        problems.append(f"the guidance strength must be 0 or more, typically 0.1-1 (got {strength})")
    if not 0.0 <= momentum <= 1.0:
        problems.append(f"the momentum lambda must be between 0 and 1 (got {momentum})")
    if not 0.0 < fill_factor <= 1.0:
        problems.append(f"the fill factor must be above 0 and at most 1 (got {fill_factor})")
    if n_views < 1:
        problems.append(f"the number of CLIP views must be at least 1 (got {n_views})")
    if start_scale < 0:
        problems.append(f"the first guided scale must be 0 or more (got {start_scale})")
    if stop_t < 0:
        problems.append(f"the last-scale stop step must be 0 or more (got {stop_t})")
    if view_focus not in VIEW_FOCI:
        problems.append(f"the view focus must be one of {', '.join(VIEW_FOCI)} (got {view_focus!r})")
    if problems:
        raise ModelError("Text guidance settings: " + "; ".join(problems) + ".")
