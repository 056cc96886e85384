"""A smooth first guess for pixels to be regenerated, from the pixels around them (push-pull).

Regenerating an ROI (clouds, an object) from pure noise lets the coarsest scale put any of the
scene's content there, e.g. a lagoon in the middle of a forest. Starting instead from this fill,
noised part of the way, keeps the colours of the surroundings while the scene model draws new
texture, so the result agrees with what is around it.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F


def fill_from_surroundings(image: torch.Tensor, known: torch.Tensor) -> torch.Tensor:
    """`image` [C, H, W] with the pixels where `known` [H, W] is False replaced by a smooth
    interpolation of the known ones; known pixels are returned exactly. With nothing known the
    image is returned unchanged (there is nothing to interpolate from)."""
    if image.dim() != 3 or tuple(known.shape) != tuple(image.shape[-2:]):
        raise ValueError(f"Expected image [C, H, W] and known [H, W], got {tuple(image.shape)} and {tuple(known.shape)}")
    weight = known.to(image.dtype)[None, None]
    if float(weight.sum()) == 0 or bool(known.all()):
        return image.clone()
    # push: pyramid of known-weighted sums, halving until one cell covers everything
    levels = [(image[None] * weight, weight)]
    while min(levels[-1][1].shape[-2:]) > 1:
        total, count = levels[-1]
        levels.append((F.avg_pool2d(total, 2, ceil_mode=True), F.avg_pool2d(count, 2, ceil_mode=True)))
    # pull: each level takes its own mean where it has known pixels, the coarser estimate elsewhere
    total, count = levels[-1]
    estimate = total / count.clamp_min(1e-12)
    for total, count in reversed(levels[:-1]):
        coarse = F.interpolate(estimate, size=total.shape[-2:], mode="bilinear", align_corners=False)
        share = count.clamp(0.0, 1.0)
        estimate = share * (total / count.clamp_min(1e-12)) + (1.0 - share) * coarse
    return torch.where(known[None], image, estimate[0])
