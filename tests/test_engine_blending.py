"""Blending: no seams at tile or ROI borders, the soft mask, and bit-identity outside the ROIs."""
from __future__ import annotations

import numpy as np
import pytest
from rasterio.windows import Window

from rsedit.core import RoiMask, open_scene, plan_tiles, prepare_rois
from rsedit.core.masks import ramp_weights
from test_engine_support import (SMALL_GRID, TRANSFORM, file_hash, offset_editor,
                                 pixel_box_feature, random_editor, run_edit, textured,
                                 write_raster)

SIZE = 300
ROI = (20, 20, 280, 280)  # pixel box, leaving an untouched frame


def tile_borders(tiles, axis: str) -> set[int]:
    """Pixel positions p where a tile starts at p or ends at p (the step p-1 -> p crosses it)."""
    borders = set()
    for tile in tiles:
        start = int(tile.window.col_off if axis == "x" else tile.window.row_off)
        length = int(tile.window.width if axis == "x" else tile.window.height)
        borders.update({start, start + length})
    return borders


def steps_across_columns(out: np.ndarray, deep: np.ndarray):
    """|out[x] - out[x-1]| for x = 1.., restricted to pairs fully inside the ROI's flat core."""
    steps = np.abs(np.diff(out.astype(np.float64), axis=2)).max(axis=0)
    both_deep = deep[:, 1:] & deep[:, :-1]
    return steps, both_deep


@pytest.fixture()
def constant_raster(tmp_path):
    return write_raster(tmp_path / "in.tif", np.full((3, SIZE, SIZE), 100, dtype=np.uint8))


def plan_for(src):
    with open_scene(src) as scene:
        rois = prepare_rois([pixel_box_feature(TRANSFORM, *ROI)], None, scene)
    grid = {k: SMALL_GRID[k] for k in ("tile_size", "overlap", "margin")}
    return plan_tiles(SIZE, SIZE, rois, **grid)


def test_constant_offset_shows_no_tile_seam(constant_raster, tmp_path):
    _, out, mask = run_edit(constant_raster, [pixel_box_feature(TRANSFORM, *ROI)],
                            offset_editor(30), tmp_path, **SMALL_GRID)
    steps, both_deep = steps_across_columns(out, mask == 255)
    borders = tile_borders(plan_for(constant_raster), "x")
    at_border = np.zeros_like(both_deep)
    for x in borders:
        if 1 <= x < SIZE:
            at_border[:, x - 1] = True  # the step from x-1 to x
    assert (at_border & both_deep).any() and (~at_border & both_deep).any()
    assert steps[at_border & both_deep].max() <= steps[~at_border & both_deep].max()
    assert (out[:, mask == 255] == 130).all()


def test_tiles_that_disagree_are_blended_smoothly(constant_raster, tmp_path):
    # Each tile adds a different offset: without blending the borders would jump by 10+.
    def per_tile_offset(ctx):
        return (ctx.data + 10 * (ctx.tile.row + ctx.tile.col)).astype(ctx.data.dtype)

    grid = SMALL_GRID
    _, out, mask = run_edit(constant_raster, [pixel_box_feature(TRANSFORM, *ROI)],
                            per_tile_offset, tmp_path, **grid)
    deep = mask == 255
    largest_disagreement = 20  # neighbouring tiles differ by 10 per row and per column
    # The cosine ramp's steepest step over `overlap` pixels, plus rounding.
    bound = largest_disagreement * np.pi / (2 * grid["overlap"]) + 1
    for axis in (1, 2):
        steps = np.abs(np.diff(out.astype(np.float64), axis=axis)).max(axis=0)
        pair_deep = deep[1:, :] & deep[:-1, :] if axis == 1 else deep[:, 1:] & deep[:, :-1]
        assert steps[pair_deep].max() <= bound
    assert out[:, deep].max() - out[:, deep].min() >= 20  # the tiles did differ


def test_feather_bounds_the_jump_at_roi_borders(constant_raster, tmp_path):
    feather = SMALL_GRID["feather"]
    _, out, mask = run_edit(constant_raster, [pixel_box_feature(TRANSFORM, *ROI)],
                            random_editor(), tmp_path, **SMALL_GRID)
    out = out.astype(np.float64)
    t = 1.0 / feather
    first_weight = t * t * (3 - 2 * t)  # weight of the first pixel inside the border
    bound = 255 * first_weight + 1
    # Steps from the untouched frame into the ROI, on all four sides.
    row = slice(ROI[1] + feather, ROI[3] - feather)
    assert np.abs(out[:, row, ROI[0]] - out[:, row, ROI[0] - 1]).max() <= bound
    assert np.abs(out[:, row, ROI[2] - 1] - out[:, row, ROI[2]]).max() <= bound
    assert np.abs(out[:, ROI[1], row] - out[:, ROI[1] - 1, row]).max() <= bound
    assert np.abs(out[:, ROI[3] - 1, row] - out[:, ROI[3], row]).max() <= bound
    # Everywhere, a pixel moves at most as far as its mask weight allows.
    change = np.abs(out - 100).max(axis=0)
    assert (change <= mask.astype(np.float64) + 1).all()


def test_feather_zero_gives_a_hard_edge(constant_raster, tmp_path):
    grid = dict(SMALL_GRID, feather=0)
    _, out, mask = run_edit(constant_raster, [pixel_box_feature(TRANSFORM, *ROI)],
                            offset_editor(50), tmp_path, **grid)
    assert set(np.unique(mask)) == {0, 255}
    assert (out[:, mask == 255] == 150).all()


def test_edit_mask_output_is_zero_outside_full_inside_and_ramps(constant_raster, tmp_path):
    feather = SMALL_GRID["feather"]
    _, _, mask = run_edit(constant_raster, [pixel_box_feature(TRANSFORM, *ROI)],
                          offset_editor(10), tmp_path, **SMALL_GRID)
    assert mask.dtype == np.uint8
    assert not mask[:, :ROI[0]].any() and not mask[:ROI[1], :].any()
    assert not mask[:, ROI[2]:].any() and not mask[ROI[3]:, :].any()
    inner = mask[ROI[1] + feather:ROI[3] - feather, ROI[0] + feather:ROI[2] - feather]
    assert (inner == 255).all()
    profile = mask[SIZE // 2, ROI[0] - 2:ROI[0] + feather + 2].astype(int)
    assert profile[0] == profile[1] == 0
    assert (np.diff(profile) >= 0).all()
    ramp = profile[2:2 + feather - 1]
    assert ((ramp > 0) & (ramp < 255)).all() and len(set(ramp)) == len(ramp)


def test_pixels_with_zero_mask_are_bit_identical(tmp_path):
    data = textured((3, 220, 260), "uint16", high=50000, seed=3)
    src = write_raster(tmp_path / "in.tif", data, compress="lzw")
    before = file_hash(src)
    features = [pixel_box_feature(TRANSFORM, 30, 40, 120, 150, fid=1),
                pixel_box_feature(TRANSFORM, 100, 20, 240, 90, fid=2)]
    _, out, mask = run_edit(src, features, random_editor(), tmp_path, **SMALL_GRID)
    untouched = mask == 0
    assert untouched.any() and (~untouched).any()
    assert np.array_equal(out[:, untouched], data[:, untouched])
    assert file_hash(src) == before


def test_window_masks_agree_across_windows_and_cell_grids():
    from rsedit.core import Roi
    from shapely.geometry import Point

    disc = Point(70, 60).buffer(45)
    rois = [Roi(1, disc, disc, {})]
    one_cell = RoiMask(rois, width=150, height=120, feather=8, cell_size=512)
    small_cells = RoiMask(rois, width=150, height=120, feather=8, cell_size=16)
    full = one_cell.window_mask(Window(0, 0, 150, 120))
    assert np.array_equal(full, small_cells.window_mask(Window(0, 0, 150, 120)))
    for window in (Window(13, 7, 50, 61), Window(100, 90, 50, 30)):
        rows, cols = window.toslices()
        assert np.array_equal(small_cells.window_mask(window), full[rows, cols])
    rows, cols = np.mgrid[0:120, 0:150] + 0.5
    outside = (cols - 70) ** 2 + (rows - 60) ** 2 > 45.5 ** 2
    assert (full[outside] == 0).all() and full.max() == 1.0
    assert ((full > 0) & (full < 1)).any()


def test_inward_distance_matches_a_full_distance_transform():
    from scipy.ndimage import distance_transform_edt
    from rsedit.core.masks import inward_distance

    rng = np.random.default_rng(5)
    rows, cols = np.mgrid[0:300, 0:260]
    inside = ((rows - 150) ** 2 / 120 ** 2 + (cols - 120) ** 2 / 90 ** 2) < 1
    inside &= ~(((rows - 140) ** 2 + (cols - 110) ** 2) < 30 ** 2)  # a hole
    inside |= rng.random(inside.shape) < 0.001  # specks
    expected = np.minimum(distance_transform_edt(inside), 12.5)
    assert np.allclose(inward_distance(inside, 12.5), expected)


def test_ramp_weights_are_positive_and_sum_to_one_over_the_overlap():
    left = ramp_weights(0, 96, 300, 24)
    right = ramp_weights(72, 96, 300, 24)
    assert (left > 0).all() and (right > 0).all()
    assert left[0] == 1.0  # flat at the raster edge
    assert np.allclose(left[72:96] + right[:24], 1.0)


def test_roi_clipped_at_the_raster_edge_is_not_feathered_there(constant_raster, tmp_path):
    feather = SMALL_GRID["feather"]
    beyond_right = pixel_box_feature(TRANSFORM, 200, 100, SIZE + 50, 200)
    _, out, mask = run_edit(constant_raster, [beyond_right], offset_editor(20), tmp_path, **SMALL_GRID)
    assert (mask[150, 200 + feather:] == 255).all()  # full weight up to the last column
    assert 0 < mask[150, 200] < 255                  # feathered on the ROI's own border
    assert (out[:, 150, -1] == 120).all()
