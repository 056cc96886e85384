"""The training-free closed-form patch denoiser: its posterior mean, its bounds, and its use as a
drop-in denoiser of the SinDDM sampler (models/ only; no QGIS)."""
from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from rsedit.models.diffusion.denoiser import Denoiser
from rsedit.models.diffusion.pyramid import PyramidPlan
from rsedit.models.diffusion.sampler import MultiScaleSampler
from rsedit.models.diffusion.sampling_hooks import SamplingHooks
from rsedit.models.diffusion.schedule import DiffusionSchedule
from rsedit.models.patch.patch_denoiser import PatchDenoiser
from rsedit.models.patch.patch_posterior import exact_posterior_mean, exact_posterior_pixels
from single_thread import one_cpu_thread  # noqa: F401 (autouse fixture)

SCHEDULE = DiffusionSchedule.cosine()
# two small scales keep sampling through the real sampler to about a second
PLAN = PyramidPlan(((20, 28), (28, 40)), 1.41)


def textured_image(height: int, width: int, seed: int = 0, channels: int = 3) -> torch.Tensor:
    """A smooth random texture in [-0.9, 0.9]: every patch differs from the others, as in real scenes."""
    generator = torch.Generator().manual_seed(seed)
    noise = torch.randn(1, channels, height + 4, width + 4, generator=generator)
    smooth = F.avg_pool2d(noise, 5, stride=1)[0]
    return 0.9 * smooth / smooth.abs().max()


def brute_force_posterior_mean(noisy: torch.Tensor, clean: torch.Tensor, p: int, s: float, v: float) -> torch.Tensor:
    """Loop-by-loop reference: every pixel from its (border-clamped) query patch's posterior mean."""
    _, height, width = noisy.shape
    clean_patches = torch.stack(
        [clean[:, i : i + p, j : j + p] for i in range(clean.shape[1] - p + 1) for j in range(clean.shape[2] - p + 1)]
    ).double()
    out = torch.empty_like(noisy)
    for r in range(height):
        for c in range(width):
            top, left = min(max(r - p // 2, 0), height - p), min(max(c - p // 2, 0), width - p)
            query = noisy[:, top : top + p, left : left + p].double()
            distances = ((query[None] - s * clean_patches) ** 2).sum(dim=(1, 2, 3))
            weights = torch.softmax(-distances / (2 * v), dim=0)
            out[:, r, c] = (weights[:, None] * clean_patches[:, :, r - top, c - left]).sum(dim=0).float()
    return out


def test_closed_form_matches_brute_force_posterior_mean():
    clean = textured_image(9, 8, seed=1, channels=2)
    noisy = torch.randn(2, 7, 10, generator=torch.Generator().manual_seed(2))
    for t in (5, 40, 90):
        abar = float(SCHEDULE.alphas_cumprod[t])
        expected = brute_force_posterior_mean(noisy, clean, 3, math.sqrt(abar), 1 - abar)
        got = exact_posterior_mean(noisy, clean, 3, math.sqrt(abar), 1 - abar, chunk_size=5)
        torch.testing.assert_close(got, expected, atol=1e-5, rtol=1e-4)


def test_exact_posterior_at_chosen_pixels_matches_the_whole_image():
    clean = textured_image(12, 11, seed=20)
    noisy = torch.randn(3, 10, 13, generator=torch.Generator().manual_seed(21))
    whole = exact_posterior_mean(noisy, clean, 5, 0.8, 0.36)
    rows, cols = torch.tensor([0, 1, 5, 9, 9]), torch.tensor([0, 12, 6, 2, 12])  # corners, edges, centre
    picked = exact_posterior_pixels(noisy, clean, 5, 0.8, 0.36, rows, cols, chunk_size=2)
    torch.testing.assert_close(picked, whole[:, rows, cols])


def test_denoiser_mixes_the_blurry_version_like_the_forward_process():
    image = textured_image(*PLAN.finest_size, seed=3)
    denoiser = PatchDenoiser.from_image(image, PLAN, SCHEDULE, patch_size=3, exact_max_pairs=10**9)
    data = denoiser.scales_data[1]
    t = int(denoiser.scales.start_steps[1]) - 2
    gamma = denoiser.gamma(1, t)
    # the gamma SinDDM training mixes with (scale_schedule.py), so both backends model the same x_t
    assert gamma == pytest.approx(float(denoiser.scales.gammas(1, SCHEDULE)[t])) and 0.0 < gamma < 1.0
    abar = float(SCHEDULE.alphas_cumprod[t])
    noisy = torch.randn(1, 3, 11, 9, generator=torch.Generator().manual_seed(4))
    mixed = gamma * data.blurry + (1 - gamma) * data.sharp
    expected = brute_force_posterior_mean(noisy[0], mixed, 3, math.sqrt(abar), 1 - abar)
    got = denoiser(noisy, torch.tensor([t]), 1)
    torch.testing.assert_close(got[0], expected, atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("exact_max_pairs", [10**9, 0], ids=["exact", "tiled"])
def test_image_is_its_own_fixed_point_as_t_goes_to_zero(exact_max_pairs):
    image = textured_image(48, 56, seed=5)
    plan = PyramidPlan(((48, 56),), 1.0)
    denoiser = PatchDenoiser.from_image(image, plan, SCHEDULE, exact_max_pairs=exact_max_pairs, k=4)
    abar = float(SCHEDULE.alphas_cumprod[0])
    noise = torch.randn(image.shape, generator=torch.Generator().manual_seed(6))
    clean_input = math.sqrt(abar) * image
    assert torch.allclose(denoiser(clean_input[None], torch.tensor([0]), 0)[0], image, atol=1e-5)
    # with the real noise of step 0 too: every patch, borders included, comes back to itself
    noisy = clean_input + math.sqrt(1 - abar) * noise
    assert torch.allclose(denoiser(noisy[None], torch.tensor([0]), 0)[0], image, atol=1e-3)
    # while at large t the estimate is pulled towards the average patch
    far = denoiser(noisy[None] * 0 + torch.randn(1, *image.shape), torch.tensor([99]), 0)[0]
    assert (far - image).abs().mean() > 0.1


@pytest.mark.parametrize("exact_max_pairs", [10**9, 0], ids=["exact", "tiled"])
def test_outputs_stay_within_the_data_range(exact_max_pairs):
    image = textured_image(*PLAN.finest_size, seed=7) * 0.5 + 0.2  # data in a narrow range
    denoiser = PatchDenoiser.from_image(image, PLAN, SCHEDULE, exact_max_pairs=exact_max_pairs, k=4, patch_size=5)
    generator = torch.Generator().manual_seed(8)
    for scale, size in enumerate(PLAN.sizes):
        data = denoiser.scales_data[scale]
        low = torch.minimum(data.sharp, data.sharp if data.blurry is None else data.blurry).amin()
        high = torch.maximum(data.sharp, data.sharp if data.blurry is None else data.blurry).amax()
        for t in (0, 10, 50, 99):
            x_t = 3.0 * torch.randn(2, 3, size[0] + 3, size[1] - 2, generator=generator)  # far outside the data
            out = denoiser(x_t, torch.tensor([t, t]), scale)
            assert out.shape == x_t.shape
            assert out.min() >= low - 1e-5 and out.max() <= high + 1e-5


@pytest.mark.parametrize("exact_max_pairs", [10**9, 0], ids=["exact", "tiled"])
def test_chunk_size_does_not_change_the_result(exact_max_pairs):
    image = textured_image(*PLAN.finest_size, seed=9)
    options = dict(exact_max_pairs=exact_max_pairs, k=4, patch_size=5)
    small = PatchDenoiser.from_image(image, PLAN, SCHEDULE, chunk_size=37, **options)
    large = PatchDenoiser.from_image(image, PLAN, SCHEDULE, chunk_size=100_000, **options)
    x_t = torch.randn(1, 3, 33, 45, generator=torch.Generator().manual_seed(10))
    for t in (3, 20):
        # BLAS may sum a product of 37 rows in another order than one of thousands; at small t the
        # softmax temperature 1/(2(1-abar)) magnifies that float32 rounding to ~5e-5 (seen on two CPUs).
        # A chunk that lost or mixed up queries is off by ~0.1 or more.
        torch.testing.assert_close(small(x_t, torch.tensor([t]), 1), large(x_t, torch.tensor([t]), 1), atol=2e-4, rtol=1e-4)


def test_tiled_candidates_approach_the_exact_posterior():
    image = textured_image(40, 44, seed=11)
    plan = PyramidPlan(((40, 44),), 1.0)
    exact = PatchDenoiser.from_image(image, plan, SCHEDULE, exact_max_pairs=10**9)
    tiled = PatchDenoiser.from_image(image, plan, SCHEDULE, exact_max_pairs=0, k=8)
    generator = torch.Generator().manual_seed(12)
    for t in (5, 15, 30):
        abar = float(SCHEDULE.alphas_cumprod[t])
        x_t = math.sqrt(abar) * image + math.sqrt(1 - abar) * torch.randn(image.shape, generator=generator)
        reference = exact(x_t[None], torch.tensor([t]), 0)
        error = (tiled(x_t[None], torch.tensor([t]), 0) - reference).abs().mean()
        assert error < 0.1 * (x_t / math.sqrt(abar) - reference).abs().mean()  # far below the noise removed


def test_invalid_pixels_never_enter_the_estimate():
    image = textured_image(40, 44, seed=13) * 0.4  # valid data within [-0.36, 0.36]
    valid = torch.ones(40, 44, dtype=torch.bool)
    valid[10:20, 5:30] = False
    image[:, ~valid] = 1.0  # whatever fills nodata must not leak into the output
    plan = PyramidPlan(((40, 44),), 1.0)
    for exact_max_pairs, aggregation in ((10**9, "center"), (0, "center"), (0, "average")):
        denoiser = PatchDenoiser.from_image(
            image, plan, SCHEDULE, valid=valid, exact_max_pairs=exact_max_pairs, k=4, aggregation=aggregation
        )
        for t in (0, 20, 99):  # the query looks like the nodata fill: its best match would be nodata
            out = denoiser(torch.ones(1, 3, 40, 44) * 0.99, torch.tensor([t]), 0)
            assert out.max() < 0.4


def test_same_seed_same_index_and_result():
    image = textured_image(*PLAN.finest_size, seed=14)
    options = dict(exact_max_pairs=0, k=4, max_indexed=50, patch_size=5)  # a random subset is searched: seeded
    first = PatchDenoiser.from_image(image, PLAN, SCHEDULE, seed=1, **options)
    again = PatchDenoiser.from_image(image, PLAN, SCHEDULE, seed=1, **options)
    other = PatchDenoiser.from_image(image, PLAN, SCHEDULE, seed=2, **options)
    assert torch.equal(first.scales_data[1].indexed, again.scales_data[1].indexed)
    assert not torch.equal(first.scales_data[1].indexed, other.scales_data[1].indexed)
    x_t = torch.randn(1, 3, 28, 40, generator=torch.Generator().manual_seed(15))
    assert torch.equal(first(x_t, torch.tensor([10]), 1), again(x_t, torch.tensor([10]), 1))


def _sampler(denoiser: PatchDenoiser) -> MultiScaleSampler:
    return MultiScaleSampler(denoiser, SCHEDULE, denoiser.scales, PLAN, denoiser.channels)


@pytest.mark.parametrize("exact_max_pairs", [10**9, 0], ids=["exact", "tiled"])
def test_sampling_through_the_sinddm_sampler(exact_max_pairs):
    image = textured_image(*PLAN.finest_size, seed=16)
    denoiser = PatchDenoiser.from_image(image, PLAN, SCHEDULE, exact_max_pairs=exact_max_pairs, k=4, patch_size=5)
    assert isinstance(denoiser, Denoiser) and denoiser.prediction == "x0"
    sampler = _sampler(denoiser)
    default = sampler.sample(count=2, seed=3)
    assert default.shape == (2, 3, *PLAN.finest_size)
    wider = sampler.sample((30, 52), seed=3)  # another, non-square output size
    assert wider.shape == (1, 3, 30, 52)
    for sample in (default, wider):
        assert torch.isfinite(sample).all() and sample.min() >= -1.0 and sample.max() <= 1.0
    assert torch.equal(sampler.sample(count=2, seed=3), default)  # same seed, same samples
    assert not torch.allclose(default[0], default[1])  # one call, two different samples
    # made of the image's patches: near its range (the sampler's un-blurring may overshoot a little)
    assert default.min() >= image.min() - 0.1 and default.max() <= image.max() + 0.1


def test_editing_hooks_work_unchanged_on_this_backend():
    image = textured_image(*PLAN.finest_size, seed=17)
    sampler = _sampler(PatchDenoiser.from_image(image, PLAN, SCHEDULE, k=4, patch_size=5))
    seen = []

    def copy_roi(state):  # an ROI-copy-like x0 hook: paste the source into a box at every scale
        seen.append((state.scale, state.t))
        source = F.interpolate(image[None], size=state.x0_hat.shape[-2:], mode="bilinear", align_corners=False)
        out = state.x0_hat.clone()
        out[..., 4:12, 6:18] = source[..., 4:12, 6:18]
        return out

    result = sampler.sample(seed=0, hooks=SamplingHooks(x0_hook=copy_roi))
    assert len(seen) == sampler.total_steps()
    source = F.interpolate(image[None], size=PLAN.finest_size, mode="bilinear", align_corners=False)
    torch.testing.assert_close(result[..., 4:12, 6:18], source[..., 4:12, 6:18])


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU here")
def test_cuda_matches_cpu():
    image = textured_image(*PLAN.finest_size, seed=18)
    for exact_max_pairs in (10**9, 0):
        cpu = PatchDenoiser.from_image(image, PLAN, SCHEDULE, exact_max_pairs=exact_max_pairs, k=4)
        gpu = PatchDenoiser.from_image(image, PLAN, SCHEDULE, exact_max_pairs=exact_max_pairs, k=4, device="cuda")
        x_t = torch.randn(1, 3, 28, 40, generator=torch.Generator().manual_seed(19))
        expected = cpu(x_t, torch.tensor([12]), 1)
        got = gpu(x_t.cuda(), torch.tensor([12]), 1)
        assert got.device.type == "cuda"
        torch.testing.assert_close(got.cpu(), expected, atol=1e-4, rtol=1e-3)
