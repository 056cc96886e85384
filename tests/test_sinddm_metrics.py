"""Sliced Wasserstein distance: zero for the same image, ordered by how different the patches are."""
from __future__ import annotations

import torch

from rsedit.models.metrics import laplacian_pyramid, sliced_wasserstein_distance


def texture(seed: int = 0, size: int = 64) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    yy, xx = torch.meshgrid(torch.arange(size), torch.arange(size), indexing="ij")
    base = torch.stack([torch.sin(xx / 2.0), torch.cos(yy / 3.0), torch.sin((xx + yy) / 4.0)])
    return (base + 0.3 * torch.randn(3, size, size, generator=generator)).clamp(-1, 1) * 0.8


def test_laplacian_pyramid_levels_reconstruct_sizes():
    levels = laplacian_pyramid(texture()[None])
    assert [tuple(level.shape[-2:]) for level in levels] == [(64, 64), (32, 32), (16, 16)]


def test_swd_is_zero_for_the_image_itself_and_grows_with_damage():
    image = texture()
    same = sliced_wasserstein_distance(image[None], image)
    assert same.mean < 1e-6 and len(same.per_level) == 3
    shifted = sliced_wasserstein_distance(image[None, :, 2:, 2:], image[:, :-2, :-2]).mean
    blurred = torch.nn.functional.avg_pool2d(image[None], 3, stride=1, padding=1, count_include_pad=False)
    blur = sliced_wasserstein_distance(blurred, image).mean
    uniform = torch.rand(1, 3, 64, 64, generator=torch.Generator().manual_seed(1))
    noise = sliced_wasserstein_distance(uniform * 2 - 1, image).mean
    assert shifted < blur < noise
