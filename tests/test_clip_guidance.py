"""CLIP text guidance as a per-step hook on x0_hat, with a tiny random open_clip model: it must
raise the image-text similarity under that model and leave pixels outside its mask untouched."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from tiny_clip import tiny_guidance_clip

from rsedit.core.errors import ModelError
from rsedit.models.clip.clip_guidance import ClipTextGuidance
from rsedit.models.clip.prompts import builtin_paraphrases, embed_prompts
from rsedit.models.clip.view_augment import ViewAugmentation

PROMPT = "a forest on fire"


@pytest.fixture(scope="module")
def clip():
    return tiny_guidance_clip(seed=0)


@pytest.fixture(scope="module")
def text(clip):
    return embed_prompts(clip, builtin_paraphrases(PROMPT, max_count=4)).embedding


def _image(seed: int, shape=(1, 3, 32, 40)) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.rand(shape, generator=g) * 2 - 1


def _run(guidance: ClipTextGuidance, x0: torch.Tensor, steps: range, scale: int = 0) -> torch.Tensor:
    for t in steps:
        x0 = guidance.step(x0, t, scale)
    return x0


def test_guidance_raises_similarity_and_leaves_the_rest_of_the_image_alone(clip, text):
    image = _image(0)
    roi = torch.zeros(image.shape[-2:])
    roi[4:28, 6:30] = 1.0
    guidance = ClipTextGuidance(clip, text, n_scales=1, start_scale=0, fill_factor=0.5, n_views=6, roi_mask=roi, seed=1)
    guided = _run(guidance, image, range(20, -1, -1))

    before = clip.image_text_similarity(image, text).item()
    after = clip.image_text_similarity(guided, text).item()
    assert after > before + 0.1, (before, after)

    mask = guidance.mask[0, 0]
    assert mask[roi == 0].max() == 0  # the mask lies inside the ROI ...
    inside = int((roi > 0).sum())
    assert 0.3 * inside < int((mask > 0).sum()) <= 0.5 * inside + 1  # ... and covers fill_factor of it
    changed = (guided != image).any(dim=1)[0]
    assert changed[mask > 0].float().mean() > 0.9
    assert not changed[mask == 0].any()  # bit-identical outside the mask
    assert guided.min() >= -1 and guided.max() <= 1


def test_the_same_seed_gives_the_same_edit(clip, text):
    image = _image(1)
    runs = [
        _run(ClipTextGuidance(clip, text, n_scales=1, start_scale=0, n_views=4, seed=seed), image, range(6, 2, -1))
        for seed in (5, 5, 6)
    ]
    assert torch.equal(runs[0], runs[1])
    assert not torch.equal(runs[0], runs[2])


def test_guided_steps_follow_the_scale_and_time_schedule(clip, text):
    guidance = ClipTextGuidance(clip, text, n_scales=3, start_scale=1, stop_t_on_finest=3, n_views=2)
    coarse, middle, fine = _image(2, (1, 3, 16, 20)), _image(3, (1, 3, 24, 30)), _image(4)
    assert guidance.step(coarse, 50, 0) is coarse  # below the start scale
    assert not torch.equal(guidance.step(middle, 20, 1), middle)
    assert not torch.equal(guidance.step(fine, 3, 2), fine)
    assert guidance.step(fine, 2, 2) is fine  # the last steps of the finest scale stay unguided
    assert guidance.is_active(10, 1) and not guidance.is_active(10, 0)
    text_only = ClipTextGuidance(clip, text, n_scales=3, guide_finest=False)
    assert text_only.is_active(10, 1) and not text_only.is_active(50, 2)
    # a one-scale pyramid (a small tile) is guided on its only scale, not left unedited
    single = ClipTextGuidance(clip, text, n_scales=1, start_scale=1, stop_t_on_finest=3, n_views=2)
    assert single.is_active(10, 0) and not single.is_active(2, 0)


def test_the_mask_is_built_once_and_resized_to_finer_scales(clip, text):
    guidance = ClipTextGuidance(clip, text, n_scales=2, start_scale=0, fill_factor=0.3, n_views=2, seed=3)
    coarse = _image(5, (1, 3, 16, 20))
    guidance.step(coarse, 10, 0)
    coarse_mask = guidance.mask.clone()
    assert coarse_mask.shape == (1, 1, 16, 20)
    assert abs(coarse_mask.mean().item() - 0.3) < 0.05

    fine = _image(6)
    guided = guidance.step(fine, 20, 1)
    expected = (F.interpolate(coarse_mask, size=(32, 40), mode="bilinear", align_corners=False) >= 0.5).float()
    assert torch.equal(guidance.mask, expected)
    assert not (guided != fine).any(dim=1)[0][expected[0, 0] == 0].any()

    other = _image(12, (1, 3, 16, 20))
    guidance.step(other, 30, 0)  # back at the coarsest scale: a new run, whose mask comes from its own gradient
    fresh = ClipTextGuidance(clip, text, n_scales=2, start_scale=0, fill_factor=0.3, n_views=2, seed=3)
    fresh.step(other, 30, 0)
    assert torch.equal(guidance.mask, fresh.mask) and not torch.equal(guidance.mask, coarse_mask)


def test_momentum_blends_with_the_previous_guided_image(clip, text):
    # strength 0 isolates eq. 13: x0 <- x0 (1 - m) + ((1 - lambda) x0_prev + lambda x0) m
    guidance = ClipTextGuidance(clip, text, n_scales=1, start_scale=0, strength=0.0, momentum=0.2, n_views=2)
    first, second = _image(7), _image(8)
    assert torch.equal(guidance.step(first, 10, 0), first)
    m = guidance.mask
    blended = guidance.step(second, 9, 0)
    torch.testing.assert_close(blended, second * (1 - m) + (0.8 * first + 0.2 * second) * m)


def test_only_the_chosen_bands_are_guided(clip, text):
    image = _image(9, (1, 5, 32, 40))
    guidance = ClipTextGuidance(clip, text, n_scales=1, start_scale=0, rgb_bands=(4, 2, 0), n_views=2)
    guided = guidance.step(image, 10, 0)
    assert torch.equal(guided[:, [1, 3]], image[:, [1, 3]])
    assert not torch.equal(guided[:, [0, 2, 4]], image[:, [0, 2, 4]])


def test_guidance_works_inside_the_samplers_inference_mode(clip, text):
    guidance = ClipTextGuidance(clip, text, n_scales=1, start_scale=0, n_views=2)
    image = _image(10)
    with torch.inference_mode():
        guided = guidance.step(image.clone(), 10, 0)
        guided = guidance.step(guided, 9, 0)
    assert not torch.equal(guided, image)


def test_views_are_seeded_and_differentiable():
    image = _image(11).add(1).mul(0.5).requires_grad_(True)
    augmentation = ViewAugmentation(n_views=6)
    views = augmentation.make_views(image, (24, 24), torch.Generator().manual_seed(0))
    again = augmentation.make_views(image, (24, 24), torch.Generator().manual_seed(0))
    assert views.shape == (6, 3, 24, 24) and torch.equal(views, again)
    torch.testing.assert_close(views[0], F.interpolate(image, size=(24, 24), mode="bilinear", antialias=True)[0])
    assert all(not torch.equal(views[i], views[j]) for i in range(6) for j in range(i))
    views.sum().backward()
    assert image.grad.abs().sum() > 0


def test_bad_settings_are_refused_clearly(clip, text):
    with pytest.raises(ModelError, match="fill factor"):
        ClipTextGuidance(clip, text, n_scales=3, fill_factor=0.0)
    with pytest.raises(ModelError, match="ROI mask is empty"):
        ClipTextGuidance(clip, text, n_scales=3, roi_mask=torch.zeros(8, 8))


def test_sampling_with_the_guidance_hook_raises_similarity(clip, text):
    # an untrained tiny SinDDM net: the test is about the hook's effect through the real sampler
    from rsedit.models.diffusion.denoiser import NetDenoiser
    from rsedit.models.diffusion.pyramid import PyramidPlan
    from rsedit.models.diffusion.sampler import MultiScaleSampler, SamplingStart
    from rsedit.models.diffusion.sampling_hooks import SamplingHooks
    from rsedit.models.diffusion.scale_schedule import ScaleSchedule
    from rsedit.models.diffusion.schedule import DiffusionSchedule
    from rsedit.models.sinddm.denoiser_net import SinDDMNet, SinDDMNetConfig

    schedule = DiffusionSchedule.cosine()
    scales = ScaleSchedule.from_blur_levels([0.0, 0.05, 0.05], schedule)
    pyramid = PyramidPlan(((16, 20), (24, 30), (32, 40)), 1.5)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        net = SinDDMNet(SinDDMNetConfig(channels=3, width=16))
    sampler = MultiScaleSampler(NetDenoiser(net, torch.device("cpu"), use_autocast=False), schedule, scales, pyramid, 3)
    start = SamplingStart(_image(13), scale=1, t=15)  # editing a scene: start from it, part-way down

    plain = sampler.sample(seed=4, start=start)
    guidance = ClipTextGuidance(clip, text, n_views=4, seed=0)
    guided = sampler.sample(seed=4, start=start, hooks=SamplingHooks(x0_hook=guidance))

    before = clip.image_text_similarity(plain, text).item()
    after = clip.image_text_similarity(guided, text).item()
    assert after > before + 0.1, (before, after)
    guided_steps = 16 + (scales.start_steps[2] + 1 - 3)  # all of scale 1, scale 2 down to t = 3
    assert len(guidance.similarity_history) == guided_steps
