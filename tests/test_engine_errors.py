"""Failure paths: cancellation, failing or wrong editors, bad parameters; nothing is left behind."""
from __future__ import annotations

import os

import numpy as np
import pytest
import rasterio

from rsedit.core import CancelledError, InputError, RSEditError, edit_raster, open_scene, prepare_rois
from test_engine_support import (SMALL_GRID, TRANSFORM, file_hash, identity_editor,
                                 offset_editor, pixel_box_feature, textured, write_raster)


@pytest.fixture()
def scene_and_rois(tmp_path):
    src = write_raster(tmp_path / "in.tif", textured((3, 200, 240), "uint8"))
    with open_scene(src) as scene:
        rois = prepare_rois([pixel_box_feature(TRANSFORM, 20, 20, 200, 180)], None, scene)
    return src, rois


def assert_only_input_left(folder):
    assert sorted(os.listdir(folder)) == ["in.tif"]


def run(src, rois, editor, folder, **options):
    options = {**SMALL_GRID, **options}
    return edit_raster(str(src), rois, editor, str(folder / "out.tif"),
                       mask_path=str(folder / "mask.tif"), **options)


def test_cancellation_mid_run_leaves_no_file(scene_and_rois, tmp_path):
    src, rois = scene_and_rois
    before = file_hash(src)
    calls = []

    def is_cancelled():
        calls.append(1)
        return len(calls) > 6

    with pytest.raises(CancelledError, match="cancelled"):
        run(src, rois, offset_editor(5), tmp_path, is_cancelled=is_cancelled)
    assert len(calls) == 7
    assert_only_input_left(tmp_path)
    assert file_hash(src) == before


def test_cancellation_during_editing_is_seen_per_tile(scene_and_rois, tmp_path):
    src, rois = scene_and_rois
    state = {"edited": 0}

    def editor(ctx):
        state["edited"] += 1
        return ctx.data

    with pytest.raises(CancelledError):
        run(src, rois, editor, tmp_path, is_cancelled=lambda: state["edited"] >= 2)
    assert state["edited"] == 2
    assert_only_input_left(tmp_path)


def test_an_editor_that_raises_leaves_no_file(scene_and_rois, tmp_path):
    src, rois = scene_and_rois

    def failing(ctx):
        if ctx.tile.col == 1:
            raise RuntimeError("model exploded")
        return ctx.data

    with pytest.raises(RuntimeError, match="model exploded") as info:
        run(src, rois, failing, tmp_path)
    assert any("tile row" in note for note in getattr(info.value, "__notes__", []))
    assert_only_input_left(tmp_path)


@pytest.mark.parametrize("editor, message", [
    (lambda ctx: ctx.data[:, :-1, :], r"shape \(3, 95, 96\).*expected \(3, 96, 96\)"),
    (lambda ctx: ctx.data.astype(np.float32), "dtype float32.*expected uint8"),
    (lambda ctx: ctx.data.tolist(), "returned list"),
])
def test_editor_results_are_validated(scene_and_rois, tmp_path, editor, message):
    src, rois = scene_and_rois
    with pytest.raises(RSEditError, match=message):
        run(src, rois, editor, tmp_path)
    assert_only_input_left(tmp_path)


def test_nan_from_the_editor_is_refused_but_allowed_in_invalid_pixels(tmp_path):
    data = textured((1, 100, 100), "float32", low=-1, high=1)
    data[:, :, :30] = -9999.0
    src = write_raster(tmp_path / "in.tif", data, nodata=-9999.0)
    with open_scene(src) as scene:
        rois = prepare_rois([pixel_box_feature(TRANSFORM, 0, 0, 100, 100)], None, scene)

    def nan_everywhere(ctx):
        return np.full_like(ctx.data, np.nan)

    with pytest.raises(RSEditError, match="NaN or infinite values in valid pixels"):
        run(src, rois, nan_everywhere, tmp_path)
    assert_only_input_left(tmp_path)

    def nan_where_invalid(ctx):
        return np.where(ctx.valid, ctx.data + 1, np.nan).astype(ctx.data.dtype)

    run(src, rois, nan_where_invalid, tmp_path)
    with rasterio.open(tmp_path / "out.tif") as dst:
        out = dst.read(1)
    assert np.isfinite(out).all() and (out[:, :30] == -9999.0).all()


def test_parameters_are_validated(scene_and_rois, tmp_path):
    src, rois = scene_and_rois
    out = str(tmp_path / "out.tif")
    cases = [
        (dict(tile_size=64, overlap=64), "overlap"),
        (dict(feather=-1), "feather"),
        (dict(compress="JPEG2000"), "compression"),
        (dict(mask_path=out), "different files"),
    ]
    for options, message in cases:
        with pytest.raises(InputError, match=message):
            edit_raster(str(src), rois, identity_editor, out, **options)
    with pytest.raises(InputError, match="never overwrites its input"):
        edit_raster(str(src), rois, identity_editor, str(src))
    with pytest.raises(InputError, match="does not exist"):
        edit_raster(str(src), rois, identity_editor, str(tmp_path / "no" / "out.tif"))
    with pytest.raises(InputError, match="is a folder"):
        edit_raster(str(src), rois, identity_editor, str(tmp_path))
    with pytest.raises(InputError, match="prepare_rois"):
        edit_raster(str(src), [], identity_editor, out)
    assert_only_input_left(tmp_path)


def test_unwritable_folder_is_refused(scene_and_rois, tmp_path, monkeypatch):
    src, rois = scene_and_rois
    monkeypatch.setattr(os, "access", lambda path, mode: False)  # works even as root
    with pytest.raises(InputError, match="not writable"):
        edit_raster(str(src), rois, identity_editor, str(tmp_path / "out.tif"))


def test_progress_rises_to_one_and_overwriting_an_output_works(scene_and_rois, tmp_path):
    src, rois = scene_and_rois
    reports = []
    (tmp_path / "out.tif").write_bytes(b"old")
    result = run(src, rois, offset_editor(3), tmp_path, progress=lambda f, m: reports.append((f, m)))
    fractions = [f for f, _ in reports]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0 and 0 <= fractions[0]
    assert fractions.count(1.0) <= 2  # 1.0 only at the very end
    assert all(isinstance(m, str) and m for _, m in reports)
    assert result.tiles_edited == result.tiles_planned > 1
    assert sorted(os.listdir(tmp_path)) == ["in.tif", "mask.tif", "out.tif"]


def test_progress_inside_a_tile_moves_the_bar_between_tiles(scene_and_rois, tmp_path):
    src, rois = scene_and_rois
    reports = []

    def slow_editor(ctx):
        for step in range(1, 5):  # as the sampler reports its steps
            ctx.progress(step / 4)
        return ctx.data

    result = run(src, rois, slow_editor, tmp_path, progress=lambda f, m: reports.append((f, m)))
    fractions = [f for f, _ in reports]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    inside = [(f, m) for f, m in reports if m.startswith("Editing tile")]
    assert len(inside) >= result.tiles_edited  # every tile reports while it is being edited
    assert "Editing tile 1 of at most" in inside[0][1] and inside[0][0] < 0.5 / result.tiles_planned
