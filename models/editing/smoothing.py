"""Gaussian smoothing of weight maps (NGDM's DiffEdit and CLIP maps)."""
from __future__ import annotations

import torch
import torch.nn.functional as F


def gaussian_smooth(image: torch.Tensor, sigma: float) -> torch.Tensor:
    """[H, W] blurred with a normalised Gaussian (reflect padding); sigma in pixels, 0 = unchanged."""
    if sigma <= 0:
        return image
    radius = max(1, int(round(3 * sigma)))
    offsets = torch.arange(-radius, radius + 1, dtype=image.dtype, device=image.device)
    kernel = torch.exp(-0.5 * (offsets / sigma) ** 2)
    kernel = kernel / kernel.sum()
    x = image[None, None]
    pad_h, pad_w = min(radius, image.shape[0] - 1), min(radius, image.shape[1] - 1)
    x = F.pad(x, (pad_w, pad_w, 0, 0), mode="reflect") if pad_w > 0 else x
    x = F.conv2d(x, kernel[radius - pad_w: radius + pad_w + 1].view(1, 1, 1, -1))
    x = F.pad(x, (0, 0, pad_h, pad_h), mode="reflect") if pad_h > 0 else x
    x = F.conv2d(x, kernel[radius - pad_h: radius + pad_h + 1].view(1, 1, -1, 1))
    return x[0, 0]
