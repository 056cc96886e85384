"""Augmented views of an image for CLIP guidance: the whole image plus random crops, flips, a
mild perspective warp and mild colour jitter, each resized to the CLIP input.

Averaging the CLIP loss over such views keeps the gradient from chasing one exact pixel layout
(adversarial patterns) and steers content rather than texture. All operations are differentiable
and all randomness comes from the caller's torch.Generator, so a seed reproduces the views.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor
from torchvision.transforms.v2 import InterpolationMode
from torchvision.transforms.v2 import functional as TF


@dataclass(frozen=True)
class ViewAugmentation:
    """How the views are drawn. The first view is always the whole, unaugmented image."""

    n_views: int = 16
    min_crop: float = 0.6  # each side of a crop is 60-100 % of the image's
    flip_p: float = 0.5  # horizontal and vertical, each; overhead images have no "up"
    perspective_p: float = 0.5
    perspective_distortion: float = 0.2
    brightness: float = 0.1
    contrast: float = 0.1
    saturation: float = 0.1

    def __post_init__(self) -> None:
        if self.n_views < 1:
            raise ValueError("n_views must be at least 1")
        if not 0.0 < self.min_crop <= 1.0:
            raise ValueError("min_crop must be in (0, 1]")

    def make_views(self, images01: Tensor, size: tuple[int, int], generator: torch.Generator) -> Tensor:
        """[B, 3, H, W] in [0, 1] -> [n_views * B, 3, *size], view-major (views of one kind for
        the whole batch are contiguous), so ``.view(n_views, B, ...)`` recovers them."""
        views = [resize_image(images01, size)]
        for _ in range(self.n_views - 1):
            views.append(self._random_view(images01, size, generator))
        return torch.cat(views, dim=0)

    def _random_view(self, images01: Tensor, size: tuple[int, int], generator: torch.Generator) -> Tensor:
        h, w = images01.shape[-2:]
        ch = max(1, round(h * _uniform(generator, self.min_crop, 1.0)))
        cw = max(1, round(w * _uniform(generator, self.min_crop, 1.0)))
        top = int(torch.randint(0, h - ch + 1, (1,), generator=generator))
        left = int(torch.randint(0, w - cw + 1, (1,), generator=generator))
        view = resize_image(images01[..., top : top + ch, left : left + cw], size)
        if _chance(generator, self.flip_p):
            view = view.flip(-1)
        if _chance(generator, self.flip_p):
            view = view.flip(-2)
        if self.perspective_distortion > 0 and _chance(generator, self.perspective_p):
            start, end = _perspective_points(size, self.perspective_distortion, generator)
            view = TF.perspective(view, start, end, interpolation=InterpolationMode.BILINEAR)
        if self.brightness > 0:
            view = TF.adjust_brightness(view, _uniform(generator, 1 - self.brightness, 1 + self.brightness))
        if self.contrast > 0:
            view = TF.adjust_contrast(view, _uniform(generator, 1 - self.contrast, 1 + self.contrast))
        if self.saturation > 0:
            view = TF.adjust_saturation(view, _uniform(generator, 1 - self.saturation, 1 + self.saturation))
        return view


def resize_image(images: Tensor, size: tuple[int, int]) -> Tensor:
    """Bilinear resize to ``size`` (stretching, as the reference's views do); antialiased when
    shrinking so small details do not alias."""
    if tuple(images.shape[-2:]) == tuple(size):
        return images
    shrinking = images.shape[-2] > size[0] or images.shape[-1] > size[1]
    return F.interpolate(images, size=size, mode="bilinear", align_corners=False, antialias=shrinking)


def _uniform(generator: torch.Generator, low: float, high: float) -> float:
    return low + (high - low) * float(torch.rand((), generator=generator))


def _chance(generator: torch.Generator, p: float) -> bool:
    return p > 0 and float(torch.rand((), generator=generator)) < p


def _perspective_points(
    size: tuple[int, int], distortion: float, generator: torch.Generator
) -> tuple[list[list[int]], list[list[int]]]:
    """Corners moved inwards by up to ``distortion`` of half the side (as torchvision's
    RandomPerspective does), drawn from our generator."""
    h, w = size
    dx, dy = int(distortion * w / 2), int(distortion * h / 2)

    def r(n: int) -> int:
        return int(torch.randint(0, n + 1, (1,), generator=generator))

    start = [[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]]
    end = [[r(dx), r(dy)], [w - 1 - r(dx), r(dy)], [w - 1 - r(dx), h - 1 - r(dy)], [r(dx), h - 1 - r(dy)]]
    return start, end
