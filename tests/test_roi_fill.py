"""The smooth fill that regeneration starts from: known pixels stay, unknown ones interpolate."""
from __future__ import annotations

import torch

from rsedit.models.editing.roi_fill import fill_from_surroundings


def test_known_pixels_stay_and_the_hole_takes_the_colours_around_it():
    image = torch.zeros(2, 24, 30)
    image[:, :, 15:] = 1.0  # dark left half, bright right half
    image[:, 8:16, 10:20] = 5.0  # the "cloud" to be replaced
    known = torch.ones(24, 30, dtype=torch.bool)
    known[8:16, 10:20] = False
    filled = fill_from_surroundings(image, known)
    assert torch.equal(filled[:, known], image[:, known])
    hole = filled[:, ~known]
    assert float(hole.min()) >= 0.0 and float(hole.max()) <= 1.0  # nothing of the cloud's 5.0 survives
    assert float(filled[0, 12, 10]) < float(filled[0, 12, 19])  # darker on the dark side, brighter on the bright
    assert float(filled[0, 12, 10]) < 0.5 < float(filled[0, 12, 19])


def test_nothing_known_or_everything_known_returns_the_image():
    image = torch.rand(3, 9, 7, generator=torch.Generator().manual_seed(0))
    assert torch.equal(fill_from_surroundings(image, torch.zeros(9, 7, dtype=torch.bool)), image)
    assert torch.equal(fill_from_surroundings(image, torch.ones(9, 7, dtype=torch.bool)), image)


def test_a_rare_colour_on_the_border_stays_out_and_two_covers_both_count():
    """A small bright cloud on the hole's border is not the surface the hole is to become; a coast's two
    covers both are."""
    generator = torch.Generator().manual_seed(0)
    image = 0.05 * torch.randn(3, 64, 64, generator=generator)
    image[:, :, 32:] += 1.0  # sea on the left, land on the right
    known = torch.ones(64, 64, dtype=torch.bool)
    known[20:44, 16:48] = False
    clear = fill_from_surroundings(image, known)
    image[:, 16:20, 17:25] = 4.0  # the cloud, 32 px on the hole's upper border (0.9 % of the known pixels)
    clouded = fill_from_surroundings(image, known)
    # at full weight the pixels under the cloud take 0.59 of its excess (2.4 of 4), at its weight 0.17
    assert float((clouded - clear)[:, 20:24, 17:25].max()) < 1.0, "the cloud's colour spread into the hole"
    assert abs(float(clouded[:, 32, 17].mean())) < 0.2  # sea beside the sea
    assert abs(float(clouded[:, 32, 46].mean()) - 1.0) < 0.2  # land beside the land
