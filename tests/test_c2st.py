"""The two-sample classifier test of bench/c2st.py: real texture against itself reads as
indistinguishable, noise with the texture's mean and variance as trivially told apart."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import rasterio

from single_thread import one_cpu_thread  # noqa: F401 (autouse fixture: tiny CNN, shared CPU)

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from c2st import c2st_auc, noise_like, patch_positions, rank_auc, split_positions  # noqa: E402

# mark-free crops of the sample data: (file, rows, cols)
CROPS = {
    "maize": ("fotomap/fotomap_small.tif", slice(0, 512), slice(830, 1086)),  # right of the painted marks
    "landsat": ("landsat/RGB.byte.tif", slice(250, 506), slice(200, 456)),  # island, coast and sea
}


def read_crop(data_dir: Path, name: str) -> np.ndarray:
    path, rows, cols = CROPS[name]
    with rasterio.open(data_dir / path) as dataset:
        return dataset.read((1, 2, 3))[:, rows, cols]


def checkerboard(shape: tuple[int, int], block: int) -> np.ndarray:
    rows, cols = np.mgrid[:shape[0], :shape[1]]
    return (rows // block + cols // block) % 2 == 0


def test_rank_auc_counts_pairs_and_ties():
    assert rank_auc(np.array([2.0, 3.0]), np.array([0.0, 1.0])) == 1.0
    assert rank_auc(np.array([0.0, 1.0]), np.array([2.0, 3.0])) == 0.0
    assert rank_auc(np.array([1.0, 1.0]), np.array([1.0, 1.0])) == 0.5
    assert rank_auc(np.array([1.0, 3.0]), np.array([2.0])) == 0.5


def test_spatial_split_keeps_train_and_test_patches_apart():
    mask = np.zeros((100, 60), dtype=bool)
    mask[5:95, 10:50] = True
    positions = patch_positions(mask, 16, 4, 0.75)
    first, second = split_positions(mask, positions, 16)
    assert len(first) and len(second)
    # the cut runs across the longer side (rows): no patch of one half reaches into the other
    assert first[:, 0].max() + 16 <= second[:, 0].min()
    inside = [mask[r:r + 16, c:c + 16].mean() for r, c in positions]
    assert min(inside) >= 0.75


def test_too_few_patches_is_an_error():
    tiny = np.zeros((3, 10, 10), dtype=np.uint8)
    with pytest.raises(ValueError, match="Too few"):
        c2st_auc(tiny, tiny, patch=16, seeds=(0,))


def test_two_halves_of_one_real_texture_are_indistinguishable(data_dir):
    # interleaved 64 px blocks: both halves sample the same field (two sides of a field differ in
    # light and density, which the classifier rightly notices)
    crop = read_crop(data_dir, "maize")
    half = checkerboard(crop.shape[1:], 64)
    result = c2st_auc(crop, crop, half, ~half, patch=32, min_inside=1.0)
    assert len(result.per_seed) == 3 and result.n_test >= 100
    assert result.auc_mean <= 0.65, result


@pytest.mark.parametrize("name", ["maize", "landsat"])
def test_noise_with_the_texture_mean_and_variance_is_told_apart(data_dir, name):
    crop = read_crop(data_dir, name)
    moments = noise_like(crop.astype(np.float32), None, np.random.default_rng(0))  # unclipped
    assert np.allclose(moments.reshape(3, -1).mean(1), crop.reshape(3, -1).mean(1), atol=1)
    assert np.allclose(moments.reshape(3, -1).std(1), crop.reshape(3, -1).std(1), rtol=0.02)
    noise = noise_like(crop, None, np.random.default_rng(0))
    result = c2st_auc(noise, crop, patch=32)
    assert result.auc_mean >= 0.9, result
