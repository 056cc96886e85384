"""ROI content copy (eq. 14-15): target content moves towards the source patch."""
from __future__ import annotations

import torch

from rsedit.models.editing.roi_copy import CopyTarget, RoiCopyGuidance
from rsedit.models.editing.tile_edit import EditSchedule, edit_image
from tiny_sampler import gaussian_prior_sampler, smooth_image


def test_copy_pulls_the_target_towards_the_source_patch():
    sampler = gaussian_prior_sampler()
    source = smooth_image(4)
    patch = torch.zeros(3, 8, 8)
    patch[0] = 0.9  # a red square, unlike anything in the source
    patch[1:] = -0.9
    box = (10, 12, 22, 26)  # resampled to 12 x 14 pixels
    mask = torch.ones(12, 14)
    roi = torch.zeros(32, 40)
    roi[box[0]:box[2], box[1]:box[3]] = 1.0
    resized = torch.nn.functional.interpolate(patch[None], size=(12, 14), mode="bilinear")[0]

    def distance(image: torch.Tensor) -> float:
        return float(((image[:, box[0]:box[2], box[1]:box[3]] - resized) ** 2).mean())

    schedule = EditSchedule(start_scale=0)
    plain = edit_image(sampler, source, roi, schedule, seed=2)[0]
    copied = edit_image(sampler, source, roi, schedule, seed=2,
                        x0_hook=RoiCopyGuidance(patch, [CopyTarget(box, mask)]))[0]
    assert distance(copied) < 0.5 * distance(plain), (distance(copied), distance(plain))
    outside = roi == 0
    assert torch.equal(copied[:, outside], source[:, outside])


def test_targets_cut_by_the_image_border_are_clipped():
    patch = torch.ones(3, 10, 10)
    guidance = RoiCopyGuidance(patch, [CopyTarget((-5, 30, 5, 50), torch.ones(10, 20))], step=1.0)

    class State:
        scale, sizes = 0, [(32, 40), (64, 80)]
        x0_hat = torch.zeros(1, 3, 32, 40)

    result = guidance(State())
    assert result[..., :3, 15:25].min() > 0.9  # the visible part of the box, at half size
    assert result[..., 3:, :].abs().max() == 0
    assert result[..., :, :15].abs().max() == 0 and result[..., :, 25:].abs().max() == 0


def test_a_one_scale_pyramid_is_pulled_on_its_only_scale_but_the_last_step():
    guidance = RoiCopyGuidance(torch.ones(3, 4, 4), [CopyTarget((0, 0, 8, 8), torch.ones(8, 8))], step=1.0)

    class State:
        scale, sizes, t = 0, [(16, 16)], 5
        x0_hat = torch.zeros(1, 3, 16, 16)

    pulled = guidance(State())
    assert pulled[..., :8, :8].min() > 0.9 and pulled[..., 8:, :].abs().max() == 0
    State.t = 0
    assert guidance(State()) is None  # the model renders the last step
    State.sizes, State.t = [(16, 16), (32, 32)], 5
    State.scale = 1
    assert guidance(State()) is None  # the finest of several scales is the model's
