"""A small CLIP trained here on the sample scenes (bench/small_clip.py, its quick settings) loads
through clip_weights= by the code that loads RemoteCLIP, knows the held-back patches' labels zero-shot,
and its checkpoint is refused, with a clear message, as another architecture."""
from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from single_thread import one_cpu_thread  # noqa: F401 (autouse fixture: small models, shared CPU)

sys.path.append(str(Path(__file__).resolve().parents[1] / "bench"))  # after site-packages: bench/distributed.py must not shadow dask's distributed
import scene_labels  # noqa: E402
from small_clip import SmallClips, all_patches, zero_shot_accuracy  # noqa: E402

from rsedit.core.errors import CheckpointError  # noqa: E402
from rsedit.core.settings import TextSettings  # noqa: E402
from rsedit.models.clip.clip_model import GuidanceClip  # noqa: E402
from rsedit.models.editing.text import load_guidance_clip  # noqa: E402

pytestmark = pytest.mark.usefixtures("data_dir")  # trained on, and measured on, the sample scenes

CHANCE = 1 / len(scene_labels.LABELS)


@pytest.fixture
def clips(small_clips) -> SmallClips:
    return small_clips  # tests/conftest.py


@pytest.fixture(scope="module")
def held_back() -> scene_labels.Patches:
    patches = all_patches()
    return patches.select(patches.held_back)


def _copy_pair(checkpoint: Path, folder: Path, stem: str | None = None) -> Path:
    """The checkpoint and its config copied under another folder (and stem), as a user keeps them."""
    stem = stem or checkpoint.stem
    target = folder / f"{stem}.safetensors"
    shutil.copyfile(checkpoint, target)
    shutil.copyfile(checkpoint.with_suffix(".json"), target.with_suffix(".json"))
    return target


def test_the_cache_holds_a_remoteclip_like_checkpoint_and_its_open_clip_config(clips):
    for path, name in ((clips.guide_path, clips.guide_architecture), (clips.judge_path, clips.judge_architecture)):
        assert path.suffix == ".safetensors" and path.stem == name
        config = json.loads(path.with_suffix(".json").read_text())
        assert {"embed_dim", "vision_cfg", "text_cfg"} <= set(config)
    # another architecture, not only another seed: the judge's vision tower is a ResNet
    assert isinstance(json.loads(clips.judge_path.with_suffix(".json").read_text())["vision_cfg"]["layers"], list)
    assert isinstance(json.loads(clips.guide_path.with_suffix(".json").read_text())["vision_cfg"]["layers"], int)


def test_text_settings_load_the_trained_checkpoint_by_the_remoteclip_code(clips, tmp_path):
    path = _copy_pair(clips.guide_path, tmp_path)  # a fresh folder: nothing but the two files
    settings = TextSettings(prompt="the sea", clip_model=clips.guide_architecture, clip_weights=str(path))
    named = load_guidance_clip(settings.clip_model, settings.clip_weights, "cpu")  # what TextEditor calls
    inferred = GuidanceClip.load(None, path)  # architecture from the config beside the file
    assert named.architecture == inferred.architecture == clips.guide_architecture
    assert named.source == str(path)
    image = torch.rand(2, 3, 40, 40) * 2 - 1
    with torch.no_grad():
        torch.testing.assert_close(named.encode_image(image), inferred.encode_image(image), rtol=0, atol=0)
        torch.testing.assert_close(named.encode_text(["the sea"]), inferred.encode_text(["the sea"]), rtol=0, atol=0)


@pytest.mark.parametrize("role", ["guide", "judge"])
def test_zero_shot_accuracy_on_held_back_patches_is_far_above_chance(clips, held_back, role):
    clip = GuidanceClip.load(None, getattr(clips, f"{role}_path"))
    scores = zero_shot_accuracy(clip, held_back)
    assert len(scores["per_label"]) == len(scene_labels.LABELS)  # every label has held-back patches
    # chance is 1/7; the quick models reach about 0.95 (patches) and 0.97 (labels averaged)
    assert scores["accuracy"] > 0.8, scores
    assert scores["balanced_accuracy"] > 0.8, scores
    assert min(scores["per_label"].values()) > 3 * CHANCE, scores


def test_the_trained_model_tells_the_scenes_labels_apart_not_only_the_scenes(clips, held_back):
    clip = GuidanceClip.load(None, clips.guide_path)
    ortho = held_back.select(held_back.scene == "orthophoto")
    scores = zero_shot_accuracy(clip, ortho)
    assert scores["balanced_accuracy"] > 0.8, scores


def test_a_checkpoint_asked_to_load_as_another_architecture_is_refused_clearly(clips):
    GuidanceClip.load(None, clips.judge_path)  # the judge's architecture is now known to open_clip
    with pytest.raises(CheckpointError) as caught:
        load_guidance_clip(clips.judge_architecture, str(clips.guide_path), "cpu")
    message = str(caught.value)
    assert "do not fit the CLIP architecture" in message and clips.judge_architecture in message
    assert f"describes '{clips.guide_architecture}'" in message  # names the one to choose


def test_a_malformed_config_beside_the_checkpoint_is_refused_clearly(clips, tmp_path):
    path = _copy_pair(clips.guide_path, tmp_path, "scene-clip")
    path.with_suffix(".json").write_text('{"embed_dim": 32, "vision_cfg": ')
    with pytest.raises(CheckpointError, match="not a readable JSON model config"):
        GuidanceClip.load(None, path)
    path.with_suffix(".json").write_text(json.dumps({"embed_dim": 32, "vision_cfg": {}}))
    with pytest.raises(CheckpointError, match="lacks text_cfg"):
        GuidanceClip.load(None, path)
    path.with_suffix(".json").write_text("[1, 2]")
    with pytest.raises(CheckpointError, match="must hold a JSON object"):
        GuidanceClip.load(None, path)


def test_a_config_cannot_replace_an_open_clip_architecture(clips, tmp_path):
    path = _copy_pair(clips.guide_path, tmp_path, "ViT-B-32")
    with pytest.raises(CheckpointError, match="another model than open_clip's own architecture 'ViT-B-32'"):
        GuidanceClip.load("ViT-B-32", path)
    import open_clip

    assert open_clip.get_model_config("ViT-B-32")["vision_cfg"]["width"] == 768  # untouched


def test_a_retrained_config_under_the_same_name_replaces_the_earlier_one(clips, tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = _copy_pair(clips.guide_path, tmp_path / "a", "scene-clip")
    second = _copy_pair(clips.judge_path, tmp_path / "b", "scene-clip")
    assert GuidanceClip.load(None, first).model.visual.__class__.__name__ == "VisionTransformer"
    assert GuidanceClip.load(None, second).model.visual.__class__.__name__ == "ModifiedResNet"


def test_label_rules_give_each_scene_its_own_labels():
    for scene in scene_labels.SCENES:
        rgb, valid = scene_labels.read_scene(scene)
        found = set(np.unique(scene_labels.pixel_labels(scene, rgb)[valid]).tolist()) - {-1}
        assert {scene_labels.LABELS[i].scene for i in found} == {scene}
        assert len(found) >= 3
    for name in scene_labels.LABEL_NAMES:
        assert len(set(scene_labels.captions(name))) >= 10  # enough wordings to ensemble


def test_text_settings_default_architecture_is_refused_with_the_configs_name(clips, tmp_path):
    path = _copy_pair(clips.guide_path, tmp_path, "scene-clip")
    settings = TextSettings(prompt="the sea", clip_weights=str(path))  # clip_model left at ViT-B-32
    with pytest.raises(CheckpointError) as caught:
        load_guidance_clip(settings.clip_model, settings.clip_weights, "cpu")
    assert "'ViT-B-32'" in str(caught.value) and "scene-clip.json describes 'scene-clip'" in str(caught.value)
