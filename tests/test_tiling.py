"""Tile planning: grid, edge tiles, ROI selection with margin, and huge rasters."""
from __future__ import annotations

import dataclasses

import pytest
from shapely.geometry import MultiPolygon, box
from shapely.ops import unary_union

from rsedit.core import InputError, Roi, Tile, plan_tiles
from rsedit.core.tiling import tile_starts


def pixel_roi(geometry, roi_id=1) -> Roi:
    return Roi(id=roi_id, geometry=geometry, pixel_geometry=geometry, properties={})


def whole(width, height) -> Roi:
    return pixel_roi(box(0, 0, width, height))


def test_grid_has_the_stride_and_shifts_edge_tiles_inside():
    assert tile_starts(1000, 512, 448) == [0, 448, 488]
    assert tile_starts(960, 512, 448) == [0, 448]
    assert tile_starts(512, 512, 448) == [0]
    tiles = plan_tiles(1000, 700, [whole(1000, 700)], tile_size=512, overlap=64, margin=32)
    assert [(t.row, t.col) for t in tiles] == [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2)]
    for tile in tiles:
        w = tile.window
        assert all(isinstance(v, int) for v in (w.col_off, w.row_off, w.width, w.height))
        assert (w.width, w.height) == (512, 512)
        assert 0 <= w.col_off and w.col_off + w.width <= 1000
        assert 0 <= w.row_off and w.row_off + w.height <= 700
    assert {t.window.col_off for t in tiles} == {0, 448, 488}
    assert {t.window.row_off for t in tiles} == {0, 188}


def test_raster_smaller_than_a_tile_gives_one_tile_of_its_size():
    [tile] = plan_tiles(300, 200, [whole(300, 200)], tile_size=512, overlap=64, margin=32)
    w = tile.window
    assert (w.col_off, w.row_off, w.width, w.height) == (0, 0, 300, 200)


def test_tile_is_a_frozen_dataclass_with_roi_ids():
    rois = [pixel_roi(box(10, 10, 20, 20), "a"), pixel_roi(box(15, 15, 30, 30), "b")]
    [tile] = plan_tiles(100, 100, rois, tile_size=64, overlap=16, margin=0)
    assert isinstance(tile, Tile)  # the type rsedit.core exports is the one plans are made of
    assert tile.roi_ids == ("a", "b")
    with pytest.raises(dataclasses.FrozenInstanceError):
        tile.row = 3  # type: ignore[misc]


def test_only_tiles_near_rois_and_the_margin_reaches_neighbours():
    # Tiles of 100 px, stride 80: columns start at 0, 80, 160, ... A ROI ending at x=155 lies in
    # columns 0 and 1; column 2 starts at x=160, 5 px away.
    roi = pixel_roi(box(120, 120, 155, 150))
    no_margin = plan_tiles(1000, 1000, [roi], tile_size=100, overlap=20, margin=0)
    assert {(t.row, t.col) for t in no_margin} == {(1, 1)}
    with_margin = plan_tiles(1000, 1000, [roi], tile_size=100, overlap=20, margin=8)
    assert {(t.row, t.col) for t in with_margin} == {(1, 1), (1, 2)}


def test_tiles_follow_the_shape_not_only_the_bounds():
    # Two far-apart squares: the empty space between them gets no tiles.
    shape = MultiPolygon([box(0, 0, 50, 50), box(900, 900, 950, 950)])
    tiles = plan_tiles(1000, 1000, [pixel_roi(shape)], tile_size=100, overlap=20, margin=5)
    assert {(t.row, t.col) for t in tiles if t.row < 5} == {(0, 0)}
    assert all(t.window.col_off >= 800 for t in tiles if t.row >= 5)
    assert len(tiles) == 1 + 3 * 3  # the far square sits under the shifted last row/column


def test_planning_a_100k_raster_is_cheap_and_covers_every_roi():
    rois = [pixel_roi(box(1000, 2000, 3000, 2600), 1),
            pixel_roi(box(60_000.5, 70_000.5, 60_100.5, 70_050.5), 2),
            pixel_roi(box(99_900, 99_950, 100_000, 100_000), 3)]
    tiles = plan_tiles(100_000, 100_000, rois, tile_size=512, overlap=64, margin=32)
    # Only a handful of the ~50 000 grid cells are visited and returned.
    assert 8 <= len(tiles) <= 30
    covered = unary_union([box(t.window.col_off, t.window.row_off, t.window.col_off + t.window.width,
                               t.window.row_off + t.window.height) for t in tiles])
    for roi in rois:
        assert covered.contains(roi.pixel_geometry.buffer(-1e-6))
    assert {roi_id for t in tiles for roi_id in t.roi_ids} == {1, 2, 3}
    last = max(tiles, key=lambda t: (t.row, t.col))
    assert last.window.col_off + last.window.width == 100_000


@pytest.mark.parametrize("kwargs, message", [
    (dict(tile_size=64, overlap=64), "overlap"),
    (dict(tile_size=64, overlap=-1), "overlap"),
    (dict(tile_size=0, overlap=0), "tile size"),
    (dict(tile_size=64, overlap=8, margin=-1), "margin"),
    (dict(tile_size=64.5, overlap=8), "whole numbers"),
])
def test_bad_parameters_are_refused(kwargs, message):
    with pytest.raises(InputError, match=message):
        plan_tiles(100, 100, [whole(100, 100)], **kwargs)
