"""The multi-scale image pyramid of SinDDM and its blurry versions.

Sizes follow the reference rules: the image is first shrunk to at most `max_pixels`; the coarsest
level's short side is round(sqrt(3110 * short / long)) clamped to 42..55 (so the ~35 px receptive
field covers ~40% of it); the number of scales comes from a nominal factor of 1.411, and the
factor is then recomputed exactly. Each level is a Lanczos shrink of the source; the blurry
version of level s is level s-1 upsampled bilinearly to level s's size.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from ...core.errors import ModelError
from .resample import bilinear_resize, lanczos_resize

REFERENCE_MAX_PIXELS = 50_000
REFERENCE_SCALE_FACTOR = 1.411
COARSEST_AREA = 3110
COARSEST_SIDE_RANGE = (42, 55)

Size = tuple[int, int]  # (height, width)


@dataclass(frozen=True)
class PyramidPlan:
    """Level sizes, coarsest first; the last level is the training image size."""

    sizes: tuple[Size, ...]
    scale_factor: float

    @property
    def num_scales(self) -> int:
        return len(self.sizes)

    @property
    def finest_size(self) -> Size:
        return self.sizes[-1]

    def sizes_for(self, output_size: Size) -> list[Size]:
        """Level sizes for another output size: same number of scales and factor (fully convolutional)."""
        height, width = int(output_size[0]), int(output_size[1])
        if height < 1 or width < 1:
            raise ModelError(f"Output size must be positive, got {height}x{width}.")
        levels = []
        for level in range(self.num_scales):
            shrink = self.scale_factor ** (self.num_scales - 1 - level)
            levels.append((max(1, int(round(height / shrink))), max(1, int(round(width / shrink)))))
        return levels

    def to_dict(self) -> dict:
        return {"sizes": [list(size) for size in self.sizes], "scale_factor": self.scale_factor}

    @classmethod
    def from_dict(cls, data: dict) -> "PyramidPlan":
        return cls(tuple((int(h), int(w)) for h, w in data["sizes"]), float(data["scale_factor"]))


def training_size(height: int, width: int, max_pixels: int | None = REFERENCE_MAX_PIXELS) -> Size:
    """The size the image is trained at: shrunk (aspect kept, truncated as the reference) to <= max_pixels."""
    if max_pixels is not None and height * width > max_pixels:
        shrink = math.sqrt(height * width / max_pixels)
        return max(1, int(height / shrink)), max(1, int(width / shrink))
    return height, width


def coarsest_short_side(height: int, width: int) -> int:
    short, long = min(height, width), max(height, width)
    side = int(round(math.sqrt(COARSEST_AREA * short / long)))
    return min(max(side, COARSEST_SIDE_RANGE[0]), COARSEST_SIDE_RANGE[1])


def plan_pyramid(
    height: int,
    width: int,
    *,
    max_pixels: int | None = REFERENCE_MAX_PIXELS,
    scale_factor: float = REFERENCE_SCALE_FACTOR,
) -> PyramidPlan:
    """Pyramid sizes for an image of `height` x `width` pixels (reference rules, see module doc)."""
    if height < 1 or width < 1:
        raise ModelError(f"Cannot build a pyramid for an empty image ({height}x{width}).")
    height, width = training_size(height, width, max_pixels)
    short = min(height, width)
    smallest = coarsest_short_side(height, width)
    if short <= smallest:  # too small to shrink: a single-scale model
        return PyramidPlan(((height, width),), 1.0)
    num_scales = int(round(math.log(short / smallest) / math.log(scale_factor))) + 1
    if num_scales < 2:
        return PyramidPlan(((height, width),), 1.0)
    factor = math.exp(math.log(short / smallest) / (num_scales - 1))
    sizes = []
    for level in range(num_scales):
        shrink = factor ** (num_scales - 1 - level)
        sizes.append((int(round(height / shrink)), int(round(width / shrink))))
    return PyramidPlan(tuple(sizes), factor)


def build_pyramid(image: torch.Tensor, sizes: list[Size] | tuple[Size, ...]) -> list[torch.Tensor]:
    """Levels of `image` [..., H, W] at `sizes`, each a Lanczos shrink of the full image."""
    return [lanczos_resize(image, size) for size in sizes]


def blurry_versions(levels: list[torch.Tensor]) -> list[torch.Tensor | None]:
    """x~^s = level s-1 upsampled to level s (None for the coarsest level, which has no blur)."""
    blurry: list[torch.Tensor | None] = [None]
    for coarse, fine in zip(levels[:-1], levels[1:]):
        batched = coarse if coarse.dim() == 4 else coarse.unsqueeze(0)
        up = bilinear_resize(batched, tuple(fine.shape[-2:]))
        blurry.append(up if coarse.dim() == 4 else up.squeeze(0))
    return blurry


def blur_level(sharp: torch.Tensor, blurry: torch.Tensor, weight: torch.Tensor | None = None) -> float:
    """RMS difference between a level and its blurry version, on floats (normalised units).

    The reference computes ||sharp - blurry|| / size on uint8 arrays, where the subtraction wraps
    around; this is the RMS of the true float difference, on the same scale as the noise sigma_t.
    `weight` ([H, W], 1 = valid) leaves invalid pixels out.
    """
    diff = (sharp.double() - blurry.double()) ** 2
    if weight is None:
        return float(diff.mean().sqrt())
    w = weight.double().expand_as(diff)
    total = float(w.sum())
    return float(((diff * w).sum() / total).sqrt()) if total > 0 else 0.0
