"""The per-ROI measures of bench/scene_scale.py on arrays whose answer is known."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.append(str(Path(__file__).resolve().parents[1] / "bench"))  # after site-packages: bench/distributed.py must not shadow dask's distributed
from scene_scale import colour_gap, mirror, ring_mask, tile_border_coherence  # noqa: E402


def test_tile_border_coherence_sees_a_step_on_the_grid_line_only():
    rng = np.random.default_rng(0)
    image = rng.normal(100, 5, (3, 64, 64))
    mask = np.zeros((64, 64), dtype=bool)
    mask[8:56, 8:56] = True
    # the window starts at raster column 224: the grid line lies between its columns 31 and 32
    assert 0.9 < tile_border_coherence(image, mask, 0, 224) < 1.1
    stepped = image.copy()
    stepped[:, :, 32:] += 30
    assert tile_border_coherence(stepped, mask, 0, 224) > 3
    assert tile_border_coherence(stepped, mask, 0, 0) is None  # no grid line inside this ROI


def test_colour_gap_compares_the_roi_with_its_ring():
    image = np.full((3, 60, 60), 50.0)
    mask = np.zeros((60, 60), dtype=bool)
    mask[20:40, 20:40] = True
    image[:, mask] = np.array([[60.0], [70.0], [50.0]])
    ring = ring_mask(mask)
    assert ring.sum() > 0 and not (ring & mask).any()
    assert abs(colour_gap(image, mask, ring) - 10.0) < 1e-9  # (10 + 20 + 0) / 3


def test_mirror_tiling_turns_back_at_each_edge():
    assert mirror(np.arange(8), 3).tolist() == [0, 1, 2, 2, 1, 0, 0, 1]
