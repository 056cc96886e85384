"""NGDM soft masks: start times by eq. 8 on the cosine schedule, and the replacement rule."""
from __future__ import annotations


import pytest
import torch

from rsedit.models.diffusion.schedule import DiffusionSchedule
from rsedit.models.editing.ngdm import cosine_start_step, noise_weights, start_steps
from rsedit.models.editing.tile_edit import EditSchedule, edit_image
from tiny_sampler import smooth_image, tiny_sampler


@pytest.mark.parametrize("t_max", [20, 47, 60, 90])
def test_start_steps_match_the_closed_form_for_the_cosine_schedule(t_max):
    schedule = DiffusionSchedule.cosine()
    weights = torch.linspace(0.0, 1.0, 41)
    steps = start_steps(weights, schedule, t_max)
    expected = torch.tensor([cosine_start_step(float(w), t_max, 100) for w in weights])
    # rounding (0.5) plus log-linear interpolation between the table's steps (measured < 0.01)
    assert (steps.double() - expected).abs().max() <= 0.51
    assert steps[0] == -1 and steps[-1] == t_max
    assert torch.all(steps[1:] >= steps[:-1])  # more weight, earlier start


def test_noise_weights_follow_the_sigmoid_and_keep_exact_zeros():
    a, b = 0.25, -2.0
    weight_map = torch.tensor([0.0, 0.1, 0.5, 1.0])
    weights = noise_weights(weight_map, a, b)
    assert weights[0] == 0.0
    assert torch.allclose(weights[1:], torch.sigmoid(weight_map[1:] / a + b))


def test_zero_weight_keeps_the_source_and_full_weight_regenerates():
    sampler = tiny_sampler()
    source = smooth_image(1)
    roi = torch.zeros(32, 40)
    roi[8:24, 10:30] = 1.0
    hard = EditSchedule(start_scale=0, soft_mask=False)
    edited = edit_image(sampler, source, roi, hard, seed=3)[0]
    outside = roi == 0
    assert torch.equal(edited[:, outside], source[:, outside])
    assert (edited[:, ~outside] - source[:, ~outside]).abs().mean() > 0.05

    # weight 1 everywhere: no pixel ever follows the source, exactly plain sampling from the start
    everywhere = edit_image(sampler, source, torch.ones(32, 40), hard, seed=3)[0]
    from rsedit.models.diffusion.sampler import SamplingStart

    plain = sampler.sample((32, 40), seed=3, start=SamplingStart(source, 0, hard.start_step(sampler)))[0]
    assert torch.equal(everywhere, plain)


def test_soft_weights_change_pixels_in_proportion_to_their_weight():
    sampler = tiny_sampler()
    source = smooth_image(2)
    ramp = torch.linspace(0.0, 1.0, 40).expand(32, 40).clone()
    edited = edit_image(sampler, source, ramp, EditSchedule(start_scale=1), seed=5)[0]
    change = (edited - source).abs().mean(dim=(0, 1))  # per column
    assert change[0] == 0.0
    low, high = change[1:13].mean(), change[-12:].mean()
    assert high > 3 * low, (float(low), float(high))


def test_the_same_seed_gives_the_same_edit():
    sampler = tiny_sampler()
    source = smooth_image(3)
    roi = torch.zeros(32, 40)
    roi[4:28, 4:36] = 1.0
    first = edit_image(sampler, source, roi, EditSchedule(start_scale=1), seed=11)
    again = edit_image(sampler, source, roi, EditSchedule(start_scale=1), seed=11)
    other = edit_image(sampler, source, roi, EditSchedule(start_scale=1), seed=12)
    assert torch.equal(first, again)
    assert not torch.equal(first, other)
