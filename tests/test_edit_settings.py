"""Settings are checked when they are built, per mode; one home for defaults; variants share one editor."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import rasterio
from safetensors.torch import save_file
from shapely.geometry import box

from rsedit.core import defaults
from rsedit.core.errors import InputError
from rsedit.core.scene_edit import edit_scene
from rsedit.core.settings import (CopySettings, PretrainedSettings, RegenerateSettings, TextSettings,
                                  settings_for_mode)
from single_thread import one_cpu_thread  # noqa: F401 (autouse fixture)
from textured_scene import CRS, TRANSFORM, write_textured_scene


@pytest.mark.parametrize("mode, values, message", [
    ("copy", dict(copy_step=1.5), "copy strength must be in"),
    ("text", dict(prompt="a lake", guidance_views=0), "guidance views must be in 1..64"),
    ("regenerate", dict(tile_size=7), "tile size must be in 16..4096"),
    ("regenerate", dict(tile_size=64, overlap=64), "overlap .64. must be smaller than the tile size"),
    ("regenerate", dict(tile_size=256.0), "tile size must be a whole number"),
    ("regenerate", dict(seed=True), "seed must be a whole number"),
    ("regenerate", dict(feather=30_000), "feather width must be in 0..512"),
    ("regenerate", dict(context_size=100_000), "context size must be in 32..4096"),
    ("regenerate", dict(start_t=100), "start step must be in 0..99"),
    ("regenerate", dict(device="tpu"), "Unknown device 'tpu'"),
    ("regenerate", dict(backend="magic"), "Unknown backend 'magic'"),
    ("regenerate", dict(preset="turbo"), "Unknown preset 'turbo'"),
    ("regenerate", dict(compress="JPEG"), "Unknown compression 'JPEG'"),
    ("regenerate", dict(prompt="a lake"), "prompt does not apply to regenerate edits .it is a setting of text and "
                                          "pretrained edits."),
    ("pretrained", dict(prompt="a lake", pretrained={"model": "x"}, tile_size=256), "tile_size does not apply to "
                                                                                      "pretrained edits"),
    ("copy", dict(guidance_strength=1.0), "guidance_strength does not apply to copy edits"),
    ("text", dict(prompt="  "), "Text edits need a prompt"),
    ("text", dict(prompt="a lake", guidance_strength=float("nan")), "guidance strength must be a finite number"),
    ("pretrained", dict(prompt="a lake"), "needs a model"),
    ("pretrained", dict(prompt="a lake", pretrained={"model": "x", "steps": 0}), "sampling steps must be in 1..1000"),
])
def test_every_setting_is_checked_when_the_settings_are_built(mode, values, message):
    with pytest.raises(InputError, match=message):
        settings_for_mode(mode, **values)


def test_a_bad_setting_fails_before_the_raster_is_opened(tmp_path):
    with pytest.raises(InputError, match="copy strength"):
        edit_scene(tmp_path / "missing.tif", [box(0, 0, 1, 1)], tmp_path / "out.tif", mode="copy", copy_step=1.5)
    assert list(tmp_path.iterdir()) == []


def test_settings_are_frozen_and_replace_checks_again():
    settings = TextSettings(prompt="a lake")
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.seed = 3  # type: ignore[misc]
    assert dataclasses.replace(settings, seed=3).seed == 3
    with pytest.raises(InputError, match="guidance strength"):
        dataclasses.replace(settings, guidance_strength=-1.0)


def test_a_settings_object_and_keywords_combine_and_the_mode_must_agree(tmp_path):
    with pytest.raises(InputError, match="settings are for copy edits but mode='text'"):
        edit_scene(tmp_path / "x.tif", [box(0, 0, 1, 1)], tmp_path / "o.tif", CopySettings(), mode="text")
    with pytest.raises(InputError, match="prompt does not apply to copy edits"):
        edit_scene(tmp_path / "x.tif", [box(0, 0, 1, 1)], tmp_path / "o.tif", CopySettings(), prompt="a lake")


def test_the_defaults_have_one_home_that_the_dialogs_and_the_engine_share():
    import inspect

    from rsedit.core.engine import edit_raster
    from rsedit.core.tiling import plan_tiles
    from rsedit.models.sinddm.presets import PRESETS

    assert sorted(PRESETS) == sorted(defaults.PRESETS)
    for function in (plan_tiles, edit_raster):
        parameters = inspect.signature(function).parameters
        assert (parameters["tile_size"].default, parameters["overlap"].default, parameters["margin"].default) == \
            (defaults.TILE_SIZE, defaults.OVERLAP, defaults.MARGIN)
    regenerate = RegenerateSettings()
    assert (regenerate.tile_size, regenerate.overlap, regenerate.margin, regenerate.feather,
            regenerate.context_size) == (defaults.TILE_SIZE, defaults.OVERLAP, defaults.MARGIN, defaults.FEATHER,
                                         defaults.CONTEXT_SIZE)
    pretrained = PretrainedSettings(prompt="a lake", pretrained={"model": "x"})
    assert (pretrained.overlap, pretrained.margin) == (defaults.PRETRAINED_OVERLAP, defaults.PRETRAINED_MARGIN)


@pytest.mark.usefixtures("qgis_app")
def test_the_dialogs_default_to_the_settings_defaults(provider):
    """previewtiles previews the tiles a default edit uses, and every editing dialog starts from the defaults."""
    from rsedit.ui.algorithms.edit_base import BACKENDS, DEVICES, PRESETS

    assert BACKENDS[1:] == list(defaults.BACKENDS) and PRESETS == list(defaults.PRESETS)
    assert DEVICES == list(defaults.DEVICES)
    expected = {"rsedit:previewtiles": RegenerateSettings(), "rsedit:regenerate": RegenerateSettings(),
                "rsedit:edittext": TextSettings(prompt="x"), "rsedit:copyroi": CopySettings(),
                "rsedit:editpretrained": PretrainedSettings(prompt="x", pretrained={"model": "x"})}
    for algorithm_id, settings in expected.items():
        algorithm = provider.algorithm(algorithm_id.split(":")[1])
        for name in ("TILE_SIZE", "OVERLAP", "MARGIN", "FEATHER", "CONTEXT_SIZE"):
            parameter = algorithm.parameterDefinition(name)
            if parameter is None or (name == "TILE_SIZE" and algorithm_id == "rsedit:editpretrained"):
                continue
            assert parameter.defaultValue() == getattr(settings, name.lower()), (algorithm_id, name)


def _pixel_box(col0, row0, col1, row1):
    x0, y0 = TRANSFORM * (col0, row0)
    x1, y1 = TRANSFORM * (col1, row1)
    return box(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))


def test_variants_load_clip_once_and_keep_their_own_tags(tmp_path, monkeypatch):
    from rsedit.models.clip import clip_model
    from tiny_clip import TINY_VIT, register_tiny_configs, tiny_open_clip_model

    register_tiny_configs()
    weights = tmp_path / "clip.safetensors"
    save_file({k: v.contiguous() for k, v in tiny_open_clip_model(TINY_VIT, seed=4).state_dict().items()}, str(weights))
    loads = []
    original = clip_model.GuidanceClip.load.__func__
    monkeypatch.setattr(clip_model.GuidanceClip, "load",
                        classmethod(lambda cls, *a, **k: loads.append(a) or original(cls, *a, **k)))
    scene = write_textured_scene(tmp_path / "scene.tif", 64, nodata=0)
    result = edit_scene(scene, [_pixel_box(16, 16, 44, 48)], tmp_path / "out.tif", rois_crs=CRS, variants=3,
                        mode="text", prompt="a lake", clip_model=TINY_VIT, clip_weights=str(weights),
                        backend="training-free", guidance_views=2, start_t=40, seed=7, tile_size=64, overlap=16,
                        margin=8, feather=4, context_size=64)
    assert len(loads) == 1
    assert [tags["RSEDIT_SEED"] for tags in result.tags] == ["7", "8", "9"]
    for index, output in enumerate(result.outputs):
        with rasterio.open(output.out_path) as dst:
            assert dst.tags()["RSEDIT_SEED"] == str(7 + index)
    images = [rasterio.open(o.out_path).read() for o in result.outputs]
    assert not np.array_equal(images[0], images[1])
    assert "a lake" in result.prompts
