"""Per-band robust normalisation: multi-band, uint16, float, alpha-masked and constant bands."""
from __future__ import annotations

import numpy as np
import pytest

from rsedit.core.errors import ModelError
from rsedit.models.diffusion.normalization import PERCENTILE_TARGET, BandNormalization


def test_uint16_four_bands_round_trip_exactly_without_clipping():
    rng = np.random.default_rng(1)
    scales = np.array([300, 4000, 12000, 65535])[:, None, None]
    data = (rng.random((4, 30, 40)) * scales).astype(np.uint16)
    norm = BandNormalization.fit(data)
    assert norm.num_bands == 4 and norm.dtype == "uint16"
    values = norm.normalize(data, clip=False)
    assert values.dtype == np.float32
    inside = (values >= -PERCENTILE_TARGET) & (values <= PERCENTILE_TARGET)
    assert 0.985 < inside.mean() < 0.995  # 0.5/99.5 percentiles -> +-0.8
    assert np.array_equal(norm.denormalize(values), data)


def test_each_band_gets_its_own_range():
    data = np.stack([np.linspace(0, 100, 1000), np.linspace(5000, 9000, 1000)]).reshape(2, 20, 50)
    norm = BandNormalization.fit(data.astype(np.float32))
    percentiles = np.array([[0.5, 99.5], [5020.0, 8980.0]])[:, :, None]
    mapped = norm.normalize(percentiles, clip=False)
    assert np.allclose(mapped, [[[-0.8], [0.8]]] * 2, atol=1e-4)
    values = norm.normalize(data)
    # the sampler's headroom: the scene's own extremes stay inside [-1, 1] unclipped
    assert -1.0 < values.min() < -0.8 and 0.8 < values.max() < 1.0
    far = norm.normalize(np.array([[[-500.0]], [[20000.0]]]))
    assert far.ravel().tolist() == [-1.0, 1.0]  # values far beyond the scene's range clipped for training


def test_denormalize_clips_to_the_dtype_range():
    norm = BandNormalization((100.0,), (60000.0,), "uint16")
    out = norm.denormalize(np.array([[[-3.0, 0.0, 3.0]]]))
    assert out.dtype == np.uint16
    assert out.tolist() == [[[0, 30050, 65535]]]


def test_invalid_pixels_are_left_out_of_the_statistics():
    # an RGBA layer: transparent pixels hold garbage that must not stretch the range
    rgb = np.full((3, 20, 20), 50, dtype=np.uint8)
    rgb[:, :, 10:] = 150
    rgb[:, :5, :5] = 255
    alpha = np.full((20, 20), 255, dtype=np.uint8)
    alpha[:5, :5] = 0
    norm = BandNormalization.fit(rgb, valid=alpha > 0)
    values = norm.normalize(rgb)[:, alpha > 0]
    assert np.allclose(np.unique(values), [-0.8, 0.8], atol=1e-6)  # 255 garbage did not stretch the range
    with pytest.raises(ModelError, match="no valid pixels"):
        BandNormalization.fit(rgb, valid=np.zeros((20, 20), bool))


def test_single_float_band_with_nan_and_constant_band():
    data = np.random.default_rng(2).normal(20.0, 5.0, (1, 16, 16)).astype(np.float32)
    data[0, 0, 0] = np.nan
    norm = BandNormalization.fit(data)
    assert np.isfinite(norm.low[0]) and np.isfinite(norm.high[0])
    restored = norm.denormalize(norm.normalize(data, clip=False))
    assert np.allclose(restored[0, 1:], data[0, 1:], atol=1e-4)
    constant = np.full((1, 8, 8), 7, dtype=np.uint8)
    flat = BandNormalization.fit(constant)
    assert np.array_equal(flat.denormalize(flat.normalize(constant)), constant)


def test_wrong_band_count_is_a_clear_error():
    norm = BandNormalization((0.0,) * 3, (1.0,) * 3, "uint8")
    with pytest.raises(ModelError, match="trained on 3 band"):
        norm.normalize(np.zeros((4, 5, 5), np.uint8))
    assert BandNormalization.from_dict(norm.to_dict()) == norm
