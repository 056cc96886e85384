"""A soft NGDM weight map from CLIP: where must the image change to match the prompt?

The map is the norm, over bands, of the gradient of the CLIP loss (1 - cos between augmented views
of the source and the prompt's embedding) with respect to the source pixels, averaged over views,
smoothed with a Gaussian and scaled so that the ROI's 95th percentile is 1. Multiplied by the
feathered ROI weight, it stays 0 outside the ROI and fades out at its border. It plays the role
DiffEdit's noise-difference map plays for a text-to-image model (seed 002): large where the prompt
disagrees with what is there, so those pixels start earlier and change most (models/editing/ngdm.py).
"""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

from ..editing.smoothing import gaussian_smooth
from .clip_model import GuidanceClip, select_rgb_bands
from .roi_views import crop_box, roi_view_box
from .view_augment import ViewAugmentation

PERCENTILE = 0.95  # of the map inside the ROI, scaled to 1: a few hot pixels must not flatten the rest


def clip_weight_map(
    clip: GuidanceClip,
    text_embedding: Tensor,
    source: Tensor,
    roi_weight: Tensor,
    *,
    rgb_bands: Sequence[int] | None = None,
    n_views: int = 8,
    sigma: float | None = None,
    seed: int = 0,
    view_focus: str = "roi",
) -> Tensor:
    """Weight map A [H, W] in [0, 1] for `source` [C, H, W] (model units, [-1, 1]) inside
    `roi_weight` [H, W] (0 outside). `sigma`: Gaussian smoothing in pixels (None: 2% of the
    longer side, at least 1 px). `view_focus`: "roi" cuts the views from the ROI's box plus context
    (roi_views.py), "tile" from the whole source."""
    if source.dim() != 3 or tuple(roi_weight.shape) != tuple(source.shape[-2:]):
        raise ValueError(f"Expected source [C, H, W] and roi_weight [H, W], got {tuple(source.shape)} and {tuple(roi_weight.shape)}")
    roi = roi_weight.float().clamp(0.0, 1.0)
    if float(roi.max()) <= 0:
        return torch.zeros_like(roi)
    text = F.normalize(text_embedding.detach().reshape(-1).to(clip.device, clip.dtype), dim=0)
    augmentation = ViewAugmentation(n_views=int(n_views))
    generator = torch.Generator().manual_seed(int(seed))
    with torch.inference_mode(False), torch.enable_grad():
        x = source.detach().float().clone().to(clip.device)[None].requires_grad_(True)
        rgb01 = (select_rgb_bands(x, rgb_bands) + 1) * 0.5
        box = roi_view_box(roi) if view_focus == "roi" else None
        if box is not None:
            rgb01 = crop_box(rgb01, box)
        views = augmentation.make_views(rgb01, clip.image_size, generator)
        loss = (1 - clip.encode_views(views) @ text).mean()
        (grad,) = torch.autograd.grad(loss, x)
    energy = grad.detach().float().norm(dim=1, keepdim=True).cpu()  # [1, 1, H, W]
    if sigma is None:
        sigma = max(1.0, 0.02 * max(source.shape[-2:]))
    energy = gaussian_smooth(energy[0, 0], float(sigma))
    inside = energy[roi > 0]
    scale = torch.quantile(inside, PERCENTILE) if inside.numel() else energy.max()
    if float(scale) <= 0:
        return roi.clone()  # no gradient anywhere (a constant model): fall back to the ROI itself
    return (energy / scale).clamp(0.0, 1.0) * roi
