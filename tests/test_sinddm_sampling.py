"""Sampling: sizes, dtypes and ranges, seeding, starting from an image, hooks, other denoisers."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from rsedit.core.errors import CancelledError
from rsedit.models.diffusion.pyramid import plan_pyramid
from rsedit.models.diffusion.sampler import MultiScaleSampler, SamplingStart
from rsedit.models.diffusion.sampling_hooks import SamplingHooks
from rsedit.models.diffusion.scale_schedule import ScaleSchedule
from rsedit.models.diffusion.schedule import DiffusionSchedule
from rsedit.models.sinddm.trainer import train_sinddm
from rsedit.models.sinddm.training_settings import TrainingSettings


from single_thread import one_cpu_thread  # noqa: F401,E402 (autouse fixture)


def scene(bands: int, dtype: type, height: int = 72, width: int = 90) -> np.ndarray:
    rng = np.random.default_rng(3)
    yy, xx = np.mgrid[0:height, 0:width]
    layers = [np.sin(xx / (2.5 + b)) + np.cos(yy / (3.5 + b)) for b in range(bands)]
    values = (np.stack(layers) + rng.normal(0, 0.2, (bands, height, width)) + 2.5) / 5.0
    if dtype == np.float32:
        return (values * 0.3).astype(np.float32)  # e.g. reflectance
    return (values * np.iinfo(dtype).max).clip(0, np.iinfo(dtype).max).astype(dtype)


SETTINGS = TrainingSettings(
    name="test", width=16, steps=60, batch_size=4, crop_size=24, learning_rate=5e-3, lr_milestones=(),
    ema_decay=0.9, ema_every=1, ema_start=20, max_pixels=None, micro_batch_pixels=None,
)


@pytest.fixture(scope="module")
def rgbn_uint16_model():
    """4 bands, uint16, 72x90 px -> a 2-scale pyramid (coarsest 54x67)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return train_sinddm(scene(4, np.uint16), settings=SETTINGS, device="cpu").model
    finally:
        torch.set_num_threads(before)


@pytest.mark.parametrize("size", [None, (40, 64), (64, 40), (33, 47)])
def test_sample_shapes_dtypes_and_ranges(rgbn_uint16_model, size):
    model = rgbn_uint16_model
    assert model.pyramid.num_scales == 2
    values = model.sample(size, count=2, seed=5, device="cpu")
    expected = model.training_size if size is None else size
    assert values.shape == (2, 4, *expected) and values.dtype == torch.float32
    assert values.min() >= -1.0 and values.max() <= 1.0 and values.std() > 0.05
    raster = model.to_raster(values)
    assert raster.dtype == np.uint16 and raster.shape == (2, 4, *expected)
    low, high = np.array(model.normalization.low), np.array(model.normalization.high)
    assert (raster.min(axis=(0, 2, 3)) >= np.floor(low)).all() and (raster.max(axis=(0, 2, 3)) <= np.ceil(high)).all()


def test_float_single_band_model_keeps_float_output():
    model = train_sinddm(scene(1, np.float32, 40, 48), settings=SETTINGS.with_changes(steps=5), device="cpu").model
    raster = model.generate((30, 20), count=1, seed=0, device="cpu")
    assert raster.dtype == np.float32 and raster.shape == (1, 1, 30, 20) and np.isfinite(raster).all()


def test_same_seed_same_samples(rgbn_uint16_model):
    a = rgbn_uint16_model.sample((40, 50), count=2, seed=11, device="cpu")
    b = rgbn_uint16_model.sample((40, 50), count=2, seed=11, device="cpu")
    c = rgbn_uint16_model.sample((40, 50), count=2, seed=12, device="cpu")
    assert torch.equal(a, b)
    assert (a - c).abs().mean() > 0.05
    assert (a[0] - a[1]).abs().mean() > 0.05  # samples in one batch differ too


def test_starting_from_an_image_at_small_t_stays_close_to_it(rgbn_uint16_model):
    model = rgbn_uint16_model
    source = model.to_model_units(scene(4, np.uint16))
    finest = model.pyramid.num_scales - 1
    kept = model.sample(count=2, seed=1, start=SamplingStart(source, scale=finest, t=3), device="cpu")
    free = model.sample(count=2, seed=1, device="cpu")
    kept_error = (kept - source).abs().mean().item()
    assert kept_error < 0.12
    assert kept_error < 0.4 * (free - source).abs().mean().item()
    # from the coarser scale with more noise the result is freer but still follows the source
    coarse = model.sample(count=2, seed=1, start=SamplingStart(source, scale=0, t=10), device="cpu")
    assert coarse.shape == kept.shape
    assert kept_error < (coarse - source).abs().mean().item() < (free - source).abs().mean().item()


def test_hooks_see_every_step_and_can_replace_values(rgbn_uint16_model):
    model = rgbn_uint16_model
    source = model.to_model_units(scene(4, np.uint16))[None]
    seen: list[tuple[int, int]] = []
    left = slice(0, 45)

    def x0_hook(state):
        seen.append((state.scale, state.t))
        assert state.x0_hat.shape[-2:] == tuple(state.sizes[state.scale])
        return None

    def x_prev_hook(state):
        # mask blending: outside the edited region, keep the source noised to the next step
        level = torch.nn.functional.interpolate(source, size=state.x_prev.shape[-2:], mode="area")
        replaced = state.x_prev.clone()
        replaced[..., left] = state.noise_to(level, state.t - 1)[..., left]
        return replaced

    out = model.sample(count=1, seed=2, hooks=SamplingHooks(x0_hook=x0_hook, x_prev_hook=x_prev_hook), device="cpu")
    starts = model.scales.start_steps
    expected = [(0, t) for t in range(99, -1, -1)] + [(1, t) for t in range(starts[1], -1, -1)]
    assert seen == expected
    assert torch.allclose(out[..., left], source[..., left])
    assert (out[..., 45:] - source[..., 45:]).abs().mean() > 0.05

    zeros = model.sample(count=1, seed=2, hooks=SamplingHooks(x0_hook=lambda s: torch.zeros_like(s.x0_hat)), device="cpu")
    assert torch.count_nonzero(zeros) == 0


def test_sampling_can_be_cancelled(rgbn_uint16_model):
    calls = []
    with pytest.raises(CancelledError):
        rgbn_uint16_model.sample(count=1, device="cpu", progress=lambda f, m: calls.append((f, m)),
                                 is_cancelled=lambda: len(calls) >= 3)
    total = 100 + rgbn_uint16_model.scales.start_steps[1] + 1
    assert len(calls) == 3 and calls[0] == (pytest.approx(1 / total), f"sampling step 1 of {total}")


class ConstantImageDenoiser:
    """A stand-in for a training-free denoiser: it predicts the clean image directly (x0)."""

    prediction = "x0"

    def __init__(self, image: torch.Tensor) -> None:
        self.image = image

    def __call__(self, x_t, t, scale):
        return torch.nn.functional.interpolate(self.image, size=x_t.shape[-2:], mode="bilinear").expand_as(x_t)


def test_sampler_works_with_any_denoiser():
    schedule = DiffusionSchedule.cosine()
    target = torch.linspace(-0.5, 0.5, 3 * 30 * 40).view(1, 3, 30, 40)
    single = plan_pyramid(30, 40)
    sampler = MultiScaleSampler(ConstantImageDenoiser(target), schedule, ScaleSchedule((0.0,), 1.0, (99,)), single, 3)
    assert torch.allclose(sampler.sample(count=2, seed=0), target.expand(2, -1, -1, -1), atol=1e-6)
    two = plan_pyramid(72, 90, max_pixels=None)
    scales = ScaleSchedule.from_blur_levels([0.0, 0.1], schedule, 1.0)
    out = MultiScaleSampler(ConstantImageDenoiser(target), schedule, scales, two, 3).sample((30, 40), count=1, seed=0)
    assert out.shape == (1, 3, 30, 40) and out.abs().max() <= 1.0
