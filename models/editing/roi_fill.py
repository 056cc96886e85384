"""A smooth first guess for pixels to be regenerated, from the pixels around them (push-pull).

Regenerating an ROI (clouds, an object) from pure noise lets the coarsest scale put any of the
scene's content there, e.g. a lagoon in the middle of a forest. Starting instead from this fill,
noised part of the way, keeps the colours of the surroundings while the scene model draws new
texture, so the result agrees with what is around it.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from ..colour_histogram import ColourHistogram

# Known pixels weigh by how common their colour is around the ROI: a colour whose neighbourhood in a
# colour histogram (colour_histogram.py: its bin and the 26 around it) holds RARE_SHARE of the known
# pixels weighs 1/2, a rarer one less (1/5 at half that share). A bright cloud or a paint mark on the
# ROI's border is not the surface the ROI is to become: at full weight the fill carried it in as a pale
# blob that the model made turquoise shallows in open sea, or a brown streak. Density, not distance to
# one typical colour, so that two covers (a coast, a field's edge) both count in full
# (docs/benchmarks.md, "Typical colours in the regeneration's first guess").
RARE_SHARE = 0.02


def fill_from_surroundings(image: torch.Tensor, known: torch.Tensor) -> torch.Tensor:
    """`image` [C, H, W] with the pixels where `known` [H, W] is False replaced by a smooth
    interpolation of the known ones; known pixels are returned exactly. With nothing known the
    image is returned unchanged (there is nothing to interpolate from)."""
    if image.dim() != 3 or tuple(known.shape) != tuple(image.shape[-2:]):
        raise ValueError(f"Expected image [C, H, W] and known [H, W], got {tuple(image.shape)} and {tuple(known.shape)}")
    if not bool(known.any()) or bool(known.all()):
        return image.clone()
    weight = typical_weight(image, known)[None, None]
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


def typical_weight(image: torch.Tensor, known: torch.Tensor) -> torch.Tensor:
    """[H, W]: each known pixel's weight in the fill, from its colour's share (colour_share): 1/2 at
    RARE_SHARE, near 1 for the common colours, 0 where unknown."""
    share = colour_share(image, known)
    return known.to(image.dtype) * share**2 / (share**2 + RARE_SHARE**2)


def colour_share(image: torch.Tensor, known: torch.Tensor) -> torch.Tensor:
    """[H, W]: for each known pixel, the share of all known pixels whose colour falls within one bin of its
    own in a BINS^3 histogram over the colours' three main axes (the bands themselves up to three bands);
    0 where unknown."""
    histogram = ColourHistogram(image[:, known])
    near = histogram.near(histogram.counts())
    share = torch.zeros(known.shape, dtype=image.dtype, device=image.device)
    share[known] = (near / int(known.sum())).to(image.device, image.dtype)
    return share
