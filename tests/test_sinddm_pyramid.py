"""Pyramid sizes, blur levels and per-scale start steps against hand-computed values."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from rsedit.models.diffusion.pyramid import blur_level, blurry_versions, build_pyramid, plan_pyramid
from rsedit.models.diffusion.resample import lanczos_resize
from rsedit.models.diffusion.scale_schedule import SAMPLING_GAMMA_MAX, ScaleSchedule
from rsedit.models.diffusion.schedule import DiffusionSchedule


from single_thread import one_cpu_thread  # noqa: F401,E402 (autouse fixture)


def test_pyramid_250x188_has_five_scales_from_64x48():
    # short=188, long=250: coarsest side round(sqrt(3110*188/250)) = round(48.36) = 48;
    # scales = round(ln(188/48)/ln(1.411)) + 1 = round(3.965) + 1 = 5; factor = (188/48)^(1/4) = 1.40679;
    # level i = round(side / 1.40679^(4-i)): 188/3.9167=48, 250/3.9167=63.8 -> 64; 188/2.7842=67.5 -> 68 ...
    plan = plan_pyramid(188, 250)
    assert plan.sizes == ((48, 64), (68, 90), (95, 126), (134, 178), (188, 250))
    assert plan.scale_factor == pytest.approx(1.40679, abs=1e-5)


def test_pyramid_160x160_has_four_scales():
    # coarsest side sqrt(3110) = 55.8 -> 56 -> clamped to 55; round(ln(160/55)/ln(1.411)) + 1 = 4;
    # factor (160/55)^(1/3) = 1.42753: 160/2.909 = 55, 160/2.0378 = 78.5 -> 79, 160/1.4275 = 112.1 -> 112
    plan = plan_pyramid(160, 160)
    assert [size[0] for size in plan.sizes] == [55, 79, 112, 160]
    assert plan.scale_factor == pytest.approx(1.42753, abs=1e-5)


def test_large_images_are_shrunk_to_50k_pixels_first_and_small_ones_get_one_scale():
    # 300x400 = 120,000 px: shrink by sqrt(120000/50000) = 1.5492 -> (int(193.6), int(258.2)) = (193, 258)
    assert plan_pyramid(300, 400).finest_size == (193, 258)
    assert plan_pyramid(300, 400, max_pixels=None).finest_size == (300, 400)
    assert plan_pyramid(30, 40).sizes == ((30, 40),)


def test_sizes_for_other_output_sizes_keep_scale_count_and_factor():
    plan = plan_pyramid(160, 160)
    sizes = plan.sizes_for((100, 300))
    assert len(sizes) == 4 and sizes[-1] == (100, 300)
    assert sizes[0] == (round(100 / 1.42753**3), round(300 / 1.42753**3)) == (34, 103)


def _sigma_closed_form(t: int, steps: int = 100) -> float:
    """sigma_t of the cosine schedule written out: abar_t = prod_{i<=t} (1 - beta_i), beta_i = 1 - f(i+1)/f(i)."""
    f = lambda u: math.cos((u / steps + 0.008) / 1.008 * math.pi / 2) ** 2  # noqa: E731
    abar = 1.0
    for i in range(t + 1):
        abar *= 1.0 - min(1.0 - f(i + 1) / f(i), 0.999)
    return math.sqrt(1.0 - abar) / math.sqrt(abar)


def test_schedule_is_the_cosine_schedule():
    schedule = DiffusionSchedule.cosine()
    assert schedule.num_timesteps == 100
    for t in (0, 1, 9, 26, 50, 90):
        assert schedule.sigmas[t] == pytest.approx(_sigma_closed_form(t), rel=1e-4)


def test_start_steps_and_gammas_follow_the_blur_levels():
    schedule = DiffusionSchedule.cosine()
    # sigma_1 = 0.0418 < 0.05 < sigma_2 = 0.0580 and sigma_7 = 0.1374 < 0.15 < sigma_8 = 0.1534;
    # x3: sigma_4 = 0.0898 < 0.09 < sigma_5 = 0.1056 and sigma_25 = 0.4435 < 0.45 < sigma_26 = 0.4623
    scales = ScaleSchedule.from_blur_levels([0.0, 0.05, 0.15], schedule, blur_factor=1.0)
    assert scales.start_steps == (99, 2, 8)
    tripled = ScaleSchedule.from_blur_levels([0.0, 0.03, 0.15], schedule, blur_factor=3.0)
    assert tripled.start_steps == (99, 5, 26)
    gammas = tripled.gammas(2, schedule)
    assert gammas[10] == pytest.approx(_sigma_closed_form(10) / 0.45, rel=1e-4)
    assert gammas[26] == 1.0 and gammas[0] == pytest.approx(0.0251 / 0.45, rel=1e-2)
    assert tripled.gammas(2, schedule, sampling=True).max() == SAMPLING_GAMMA_MAX
    assert not tripled.gammas(0, schedule).any()


def test_blur_level_is_the_float_rms_difference_without_wraparound():
    sharp = torch.tensor([[[0.0, 0.2], [0.4, 0.6]]])
    blurry = sharp + torch.tensor([[[0.1, -0.1], [0.1, -0.1]]])  # negative differences wrap in uint8
    assert blur_level(sharp, blurry) == pytest.approx(0.1)
    assert blur_level(sharp, blurry, torch.tensor([[1.0, 0.0], [0.0, 0.0]])) == pytest.approx(0.1)
    flat = torch.full((3, 40, 40), 0.3)
    levels = build_pyramid(flat, plan_pyramid(160, 160).sizes_for((40, 40)))
    blurry_levels = blurry_versions(levels)
    assert blurry_levels[0] is None
    assert blur_level(levels[1], blurry_levels[1]) == pytest.approx(0.0, abs=1e-6)


def test_lanczos_matches_pil():
    pil = pytest.importorskip("PIL.Image")
    data = np.random.default_rng(0).random((37, 53)).astype(np.float32) * 100
    for size in ((20, 30), (11, 13), (60, 80)):
        expected = np.asarray(pil.fromarray(data, mode="F").resize((size[1], size[0]), pil.LANCZOS))
        ours = lanczos_resize(torch.from_numpy(data).double(), size).numpy()
        assert np.abs(expected - ours).max() < 1e-3
