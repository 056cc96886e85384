"""Chip placement and prompt choice of the before/after pairs (no model needed)."""
from __future__ import annotations

import pytest
from shapely.geometry import box

from rsedit.core.before_after_pairs import roi_chips, roi_prompts
from rsedit.core.errors import InputError
from rsedit.core.rois import Roi


def roi(c0, r0, c1, r1, **properties) -> Roi:
    return Roi(id=1, geometry=box(c0, r0, c1, r1), pixel_geometry=box(c0, r0, c1, r1), properties=properties)


def spans(chips):
    return [(int(w.col_off), int(w.row_off), int(w.width), int(w.height)) for w in chips]


def test_a_small_roi_gets_one_chip_centred_on_it():
    assert spans(roi_chips(roi(100, 200, 120, 230), 1000, 1000, 64, 8)) == [(78, 183, 64, 64)]


def test_chips_stay_inside_the_raster_and_shrink_only_with_it():
    assert spans(roi_chips(roi(0, 990, 10, 1000), 1000, 1000, 64, 8)) == [(0, 936, 64, 64)]
    assert spans(roi_chips(roi(5, 5, 20, 20), 40, 30, 64, 8)) == [(0, 0, 40, 30)]


def test_a_large_roi_is_covered_by_several_chips_that_all_touch_it():
    l_shape = roi(0, 0, 300, 40).pixel_geometry.union(box(0, 0, 40, 300))
    chips = roi_chips(Roi(7, l_shape, l_shape, {}), 1000, 1000, 128, 0)
    covered = box(0, 0, 0, 0)
    for w in chips:
        chip = box(w.col_off, w.row_off, w.col_off + w.width, w.row_off + w.height)
        assert chip.intersection(l_shape).area > 0
        covered = covered.union(chip)
    assert covered.contains(l_shape)
    assert len(chips) < 9  # the empty inside corner of the L gets no chip


def test_a_polygon_prompt_replaces_the_list_and_regenerate_uses_none():
    prompts = ["a flooded river", "a forest on fire"]
    assert roi_prompts(roi(0, 0, 5, 5, prompt="a damaged house"), "text", prompts, "prompt") == ["a damaged house"]
    assert roi_prompts(roi(0, 0, 5, 5, prompt=None), "text", prompts, "prompt") == prompts
    assert roi_prompts(roi(0, 0, 5, 5, prompt="x"), "regenerate", prompts, "prompt") == [""]
    with pytest.raises(InputError, match="prompt"):
        roi_prompts(roi(0, 0, 5, 5, prompt=" "), "text", [], "prompt")


