"""Image resampling used by the pyramid and the sampler.

Downsampling is Lanczos-3 with PIL's conventions (the reference shrinks its pyramid with
PIL.Image.LANCZOS), written as two small matrices so that it works on any number of float bands
and on any device. Upsampling is bilinear, as the reference's blurry versions.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch
import torch.nn.functional as F

_LANCZOS_SUPPORT = 3.0


def _lanczos(x: np.ndarray) -> np.ndarray:
    return np.where(np.abs(x) < _LANCZOS_SUPPORT, np.sinc(x) * np.sinc(x / _LANCZOS_SUPPORT), 0.0)


@lru_cache(maxsize=256)
def _lanczos_matrix(in_size: int, out_size: int) -> np.ndarray:
    """[out_size, in_size] weights of PIL's Lanczos resampling along one axis."""
    scale = in_size / out_size
    filter_scale = max(scale, 1.0)  # widen the kernel when shrinking: that is the antialiasing
    support = _LANCZOS_SUPPORT * filter_scale
    matrix = np.zeros((out_size, in_size), dtype=np.float64)
    for i in range(out_size):
        center = (i + 0.5) * scale
        lo = max(int(center - support + 0.5), 0)
        hi = min(int(center + support + 0.5), in_size)
        taps = np.arange(lo, hi)
        weights = _lanczos((taps - center + 0.5) / filter_scale)
        total = weights.sum()
        matrix[i, lo:hi] = weights / total if total != 0 else 0.0
    return matrix


def lanczos_resize(image: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Resize [..., H, W] to `size` (h, w) with Lanczos-3 (PIL.Image.LANCZOS semantics)."""
    height, width = int(size[0]), int(size[1])
    if (height, width) == tuple(image.shape[-2:]):
        return image.clone()
    rows = torch.as_tensor(_lanczos_matrix(image.shape[-2], height), dtype=image.dtype, device=image.device)
    cols = torch.as_tensor(_lanczos_matrix(image.shape[-1], width), dtype=image.dtype, device=image.device)
    return torch.matmul(torch.matmul(rows, image), cols.T)


def bilinear_resize(image: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Bilinear resize of [B, C, H, W] (the reference's upsampling to make blurry versions)."""
    if tuple(image.shape[-2:]) == (int(size[0]), int(size[1])):
        return image.clone()
    return F.interpolate(image, size=(int(size[0]), int(size[1])), mode="bilinear", align_corners=False)


def area_resize(mask: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Average-pool resize of [B, C, H, W] (for validity masks: no ringing, stays in [0, 1])."""
    if tuple(mask.shape[-2:]) == (int(size[0]), int(size[1])):
        return mask.clone()
    if mask.shape[-2] >= size[0] and mask.shape[-1] >= size[1]:
        return F.adaptive_avg_pool2d(mask, (int(size[0]), int(size[1])))
    return F.interpolate(mask, size=(int(size[0]), int(size[1])), mode="bilinear", align_corners=False)
