"""edit_scene end to end on small synthetic scenes: every mode, both backends, cache, bad input."""
from __future__ import annotations

import numpy as np
import pytest
import rasterio
from shapely.geometry import box

from rsedit.core.errors import InputError
from rsedit.core.scene_edit import edit_scene

from textured_scene import CRS, TRANSFORM, write_textured_scene

# one 96-px tile and a tiny trained net (trained once per module, then cached): seconds per edit
TILING = dict(tile_size=96, overlap=16, margin=8, feather=4)
FAST = dict(TILING, context_size=64)


def tiny_training(steps: int = 30):
    from rsedit.models.sinddm.training_settings import TrainingSettings

    return TrainingSettings(name="test", width=16, steps=steps, batch_size=2, crop_size=32, learning_rate=2e-3,
                            lr_milestones=(), ema_start=0, ema_every=1, ema_decay=0.9, max_pixels=None)


@pytest.fixture(scope="module")
def tiny_trained(tmp_path_factory):
    """Settings for the trained backend with a tiny net, sharing one model cache."""
    return dict(backend="trained", preset=tiny_training(), cache_dir=str(tmp_path_factory.mktemp("cache")))


@pytest.fixture(scope="module")
def scene_path(tmp_path_factory):
    return write_textured_scene(tmp_path_factory.mktemp("scene") / "scene.tif", 96, nodata=0)


def roi_in_pixels(col0, row0, col1, row1):
    x0, y0 = TRANSFORM * (col0, row0)
    x1, y1 = TRANSFORM * (col1, row1)
    return box(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))


def read(path):
    with rasterio.open(path) as ds:
        return ds.read(), ds.tags()


@pytest.mark.parametrize("backend", ["trained", "training-free"])
def test_regenerate_changes_only_the_roi_and_records_provenance(scene_path, tmp_path, tiny_trained, backend):
    out, mask = tmp_path / "out.tif", tmp_path / "mask.tif"
    # the training-free model is exact: at small t it returns the source, so it starts at a high t
    model = tiny_trained if backend == "trained" else dict(backend=backend, context_size=40, start_t=60)
    result = edit_scene(scene_path, [roi_in_pixels(30, 30, 60, 62)], out, rois_crs=CRS, mask_out=mask, mode="regenerate", seed=1,
                        **{**FAST, **model})
    source, _ = read(scene_path)
    edited, tags = read(out)
    weights, _ = read(mask)
    outside = weights[0] == 0
    assert np.array_equal(edited[:, outside], source[:, outside])
    inside = weights[0] == 255
    assert np.abs(edited[:, inside].astype(int) - source[:, inside]).mean() > 3
    assert tags["RSEDIT_MODE"] == "regenerate" and tags["RSEDIT_BACKEND"] == backend
    assert tags["RSEDIT_SEED"] == "1" and "synthetic" in tags["RSEDIT_SYNTHETIC"]
    assert result.model["backend"] == backend


def test_the_same_seed_gives_the_same_edit(scene_path, tmp_path, tiny_trained):
    roi = [roi_in_pixels(20, 20, 50, 44)]
    common = dict(rois_crs=CRS, mode="regenerate", **FAST, **tiny_trained)
    edit_scene(scene_path, roi, tmp_path / "a.tif", seed=5, **common)
    edit_scene(scene_path, roi, tmp_path / "b.tif", seed=5, **common)
    edit_scene(scene_path, roi, tmp_path / "c.tif", seed=6, **common)
    a, b, c = (read(tmp_path / name)[0] for name in ("a.tif", "b.tif", "c.tif"))
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


def test_trained_backend_caches_the_scene_model(scene_path, tmp_path):
    roi = [roi_in_pixels(30, 30, 60, 62)]
    common = dict(rois_crs=CRS, mode="regenerate", backend="trained", preset=tiny_training(steps=31),
                  cache_dir=str(tmp_path / "cache"), **FAST)
    first = edit_scene(scene_path, roi, tmp_path / "first.tif", **common)
    second = edit_scene(scene_path, roi, tmp_path / "second.tif", **common)
    assert first.trained_now and not second.trained_now
    assert len(list((tmp_path / "cache").glob("*.safetensors"))) == 1
    assert np.array_equal(read(tmp_path / "first.tif")[0], read(tmp_path / "second.tif")[0])


def test_copy_moves_target_content_towards_the_source(scene_path, tmp_path):
    source_area = roi_in_pixels(5, 5, 25, 25)
    target = roi_in_pixels(50, 50, 70, 70)
    out = tmp_path / "copy.tif"
    # a 96-px context gives a 3-scale model: the copy acts at the two coarse scales, started at scale 1
    edit_scene(scene_path, [target], out, rois_crs=CRS, mode="copy", copy_source=source_area,
               copy_source_crs=CRS, backend="training-free", context_size=96, start_scale=1, **TILING)
    before, _ = read(scene_path)
    after, _ = read(out)
    patch = before[:, 5:25, 5:25].astype(float)
    # compare the core of the target (away from the feathered border) with the source patch
    dist_before = np.abs(before[:, 54:66, 54:66] - patch[:, 4:16, 4:16]).mean()
    dist_after = np.abs(after[:, 54:66, 54:66] - patch[:, 4:16, 4:16]).mean()
    assert dist_after < 0.8 * dist_before, (dist_before, dist_after)


def test_variants_get_their_own_files_and_seeds(scene_path, tmp_path, tiny_trained):
    out = tmp_path / "v.tif"
    result = edit_scene(scene_path, [roi_in_pixels(30, 30, 60, 62)], out, rois_crs=CRS, variants=2, seed=3,
                        **FAST, **tiny_trained)
    paths = [r.out_path for r in result.outputs]
    assert [p.endswith(s) for p, s in zip(paths, ("v_v01.tif", "v_v02.tif"))] == [True, True]
    assert read(paths[0])[1]["RSEDIT_SEED"] == "3" and read(paths[1])[1]["RSEDIT_SEED"] == "4"
    assert not np.array_equal(read(paths[0])[0], read(paths[1])[0])


@pytest.mark.parametrize("options, message", [
    (dict(mode="text", prompt="  "), "prompt"),
    (dict(mode="regenerate", checkpoint="/nonexistent/model.safetensors"), "does not exist"),
    (dict(mode="wobble"), "mode"),
    (dict(mode="copy"), "source polygon"),
])
def test_bad_settings_get_clear_errors(scene_path, tmp_path, options, message):
    with pytest.raises(InputError, match=message):
        edit_scene(scene_path, [roi_in_pixels(30, 30, 60, 62)], tmp_path / "x.tif", rois_crs=CRS, **options)
    assert not (tmp_path / "x.tif").exists()


def test_copy_source_outside_the_raster_and_tiny_targets_are_refused(scene_path, tmp_path):
    far_away = box(0, 0, 100, 100)
    with pytest.raises(InputError, match="(?i)source"):
        edit_scene(scene_path, [roi_in_pixels(50, 50, 70, 70)], tmp_path / "x.tif", rois_crs=CRS, mode="copy",
                   copy_source=far_away, copy_source_crs=CRS, backend="training-free", **FAST)
    with pytest.raises(InputError, match="pixels across"):
        edit_scene(scene_path, [roi_in_pixels(50, 50, 52, 51)], tmp_path / "x.tif", rois_crs=CRS, mode="copy",
                   copy_source=roi_in_pixels(5, 5, 25, 25), copy_source_crs=CRS, backend="training-free", **FAST)


def test_a_checkpoint_for_other_bands_is_refused(scene_path, tmp_path):
    from rsedit.models.sinddm.checkpoint import save_checkpoint
    from rsedit.models.sinddm.trainer import train_sinddm

    one_band = np.random.default_rng(1).integers(0, 255, (1, 48, 48)).astype(np.uint8)
    model = train_sinddm(one_band, settings=tiny_training(steps=2), device="cpu").model
    path = save_checkpoint(tmp_path / "one_band.safetensors", model)
    with pytest.raises(InputError, match="band"):
        edit_scene(scene_path, [roi_in_pixels(30, 30, 60, 62)], tmp_path / "x.tif", rois_crs=CRS,
                   checkpoint=str(path), **FAST)
