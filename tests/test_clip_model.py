"""CLIP loading (checkpoints, safety, clear errors), preprocessing and scores, on tiny random
open_clip models."""
from __future__ import annotations

import collections

import pytest
import torch
import torch.nn.functional as F
from safetensors.torch import save_file
from tiny_clip import TINY_VIT, TINY_VIT_WIDE, register_tiny_configs, tiny_guidance_clip, tiny_open_clip_model

from rsedit.core.errors import CheckpointError, ModelError
from rsedit.models.clip.clip_model import GuidanceClip, infer_architecture, read_state_dict, select_rgb_bands

PROMPTS = ["a satellite image of a forest on fire", "an aerial photograph of a flooded river"]


@pytest.fixture(scope="module")
def clip() -> GuidanceClip:
    return tiny_guidance_clip(TINY_VIT, seed=0)


def _image(seed: int, shape=(2, 3, 40, 48)) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.rand(shape, generator=g) * 2 - 1


def _embeddings(clip: GuidanceClip) -> tuple[torch.Tensor, torch.Tensor]:
    with torch.no_grad():
        return clip.encode_image(_image(1)), clip.encode_text(PROMPTS)


class SomeObject:
    """Stands for arbitrary pickled Python objects, which a restricted unpickler must refuse."""


# ---------------------------------------------------------------- architecture names
def test_architecture_is_read_from_the_remoteclip_file_names():
    assert infer_architecture("RemoteCLIP-ViT-B-32.pt") == "ViT-B-32"
    assert infer_architecture("/data/models/RemoteCLIP-ViT-L-14.pt") == "ViT-L-14"
    assert infer_architecture("RemoteCLIP-RN50.pt") == "RN50"
    assert infer_architecture("weights.pt") is None


def test_the_longest_architecture_name_in_a_file_name_wins():
    register_tiny_configs()
    assert infer_architecture("scene-RSEditTiny-ViT-wide.safetensors") == TINY_VIT_WIDE
    assert infer_architecture("scene-RSEditTiny-ViT.pt") == TINY_VIT


# ---------------------------------------------------------------- checkpoints
def test_a_plain_state_dict_saved_with_torch_save_loads_with_weights_only(tmp_path, clip):
    path = tmp_path / f"finetuned-{TINY_VIT}.pt"
    torch.save(clip.model.state_dict(), path)
    loaded = GuidanceClip.from_checkpoint(path)  # architecture from the file name
    assert loaded.architecture == TINY_VIT
    for ours, theirs in zip(_embeddings(clip), _embeddings(loaded)):
        torch.testing.assert_close(ours, theirs, rtol=0, atol=0)


def test_state_dict_and_module_wrappers_are_removed(tmp_path, clip):
    path = tmp_path / "wrapped.pt"
    wrapped = collections.OrderedDict(("module." + k, v) for k, v in clip.model.state_dict().items())
    torch.save({"state_dict": wrapped, "epoch": 3}, path)
    state = read_state_dict(path)
    assert set(state) == set(clip.model.state_dict())
    loaded = GuidanceClip.load(TINY_VIT, path)
    torch.testing.assert_close(_embeddings(loaded)[1], _embeddings(clip)[1], rtol=0, atol=0)


def test_safetensors_round_trip_gives_identical_embeddings(tmp_path, clip):
    path = tmp_path / "tiny.safetensors"
    save_file({k: v.contiguous() for k, v in clip.model.state_dict().items()}, str(path))
    loaded = GuidanceClip.from_checkpoint(path, TINY_VIT)
    for ours, theirs in zip(_embeddings(clip), _embeddings(loaded)):
        torch.testing.assert_close(ours, theirs, rtol=0, atol=0)


def test_weights_of_another_architecture_fail_clearly(tmp_path):
    path = tmp_path / f"RemoteCLIP-{TINY_VIT_WIDE}.pt"
    torch.save(tiny_open_clip_model(TINY_VIT_WIDE).state_dict(), path)
    with pytest.raises(CheckpointError) as err:
        GuidanceClip.from_checkpoint(path, TINY_VIT)
    message = str(err.value)
    assert path.name in message and f"'{TINY_VIT}'" in message
    assert "other shapes" in message
    assert f"suggests '{TINY_VIT_WIDE}'" in message  # what to do instead


def test_a_missing_weights_file_fails_clearly(tmp_path):
    path = tmp_path / "RemoteCLIP-ViT-B-32.pt"
    with pytest.raises(CheckpointError) as err:
        GuidanceClip.from_checkpoint(path)
    assert str(path) in str(err.value) and "huggingface.co/chendelong/RemoteCLIP" in str(err.value)


def test_pickled_python_objects_are_refused(tmp_path, clip):
    path = tmp_path / f"{TINY_VIT}.pt"
    torch.save({"state_dict": clip.model.state_dict(), "extra": SomeObject()}, path)
    with pytest.raises(CheckpointError, match="does not unpickle"):
        GuidanceClip.from_checkpoint(path)


def test_a_file_without_an_architecture_in_its_name_needs_one(tmp_path, clip):
    path = tmp_path / "weights.pt"
    torch.save(clip.model.state_dict(), path)
    with pytest.raises(CheckpointError, match="Cannot tell the CLIP architecture"):
        GuidanceClip.from_checkpoint(path)


def test_pretrained_tags_go_through_open_clip(monkeypatch):
    import open_clip

    calls = []

    def offline(name, pretrained=None, **kwargs):
        calls.append((name, pretrained))
        raise RuntimeError("Failed to download weights (no network)")

    monkeypatch.setattr(open_clip, "create_model_and_transforms", offline)
    with pytest.raises(ModelError, match="download a checkpoint"):
        GuidanceClip.load("ViT-B-32", "laion2b_s34b_b79k")
    assert calls == [("ViT-B-32", "laion2b_s34b_b79k")]
    with pytest.raises(ModelError, match="not a pretrained tag"):
        GuidanceClip.from_pretrained("ViT-B-32", "no-such-tag")


# ---------------------------------------------------------------- preprocessing
def test_band_selection():
    image = torch.arange(5.0).view(1, 5, 1, 1).expand(1, 5, 2, 2)
    assert select_rgb_bands(image)[0, :, 0, 0].tolist() == [0, 1, 2]
    assert select_rgb_bands(image, (4, 2, 0))[0, :, 0, 0].tolist() == [4, 2, 0]
    assert select_rgb_bands(image[:, 3:4])[0, :, 0, 0].tolist() == [3, 3, 3]
    with pytest.raises(ModelError, match="has 5 band"):
        select_rgb_bands(image, (0, 1, 7))


def test_clip_input_is_resized_and_normalised_like_the_model_expects(clip):
    value = 0.5  # in [-1, 1], i.e. 0.75 in [0, 1]
    image = torch.full((1, 4, 50, 70), value)
    prepared = clip.to_clip_input(image)
    assert prepared.shape == (1, 3, *clip.image_size)
    mean, std = clip.model.visual.image_mean, clip.model.visual.image_std
    expected = torch.tensor([(0.75 - m) / s for m, s in zip(mean, std)])
    torch.testing.assert_close(prepared[0, :, 5, 7], expected)


def test_image_embeddings_are_differentiable_wrt_pixels(clip):
    image = _image(2, (1, 3, 64, 64)).requires_grad_(True)
    clip.encode_image(image).sum().backward()
    assert image.grad is not None and image.grad.abs().sum() > 0
    assert all(p.grad is None for p in clip.model.parameters())  # CLIP stays frozen


# ---------------------------------------------------------------- text and scores
def test_text_embeddings_are_cached_per_prompt_list(clip):
    tokenized = []
    tokenizer = clip.tokenizer
    counting = GuidanceClip(clip.model, lambda texts: tokenized.append(list(texts)) or tokenizer(texts),
                            architecture=TINY_VIT, source="test")
    first = counting.encode_text(PROMPTS)
    again = counting.encode_text(list(PROMPTS))
    other = counting.encode_text(PROMPTS[:1])
    assert again is first and tokenized == [PROMPTS, PROMPTS[:1]]
    torch.testing.assert_close(other[0], first[0])


def test_similarity_is_the_cosine_and_clipscore_clamps_negatives(clip):
    image = _image(3)
    text = clip.encode_text(PROMPTS)[0]
    with torch.no_grad():
        expected = F.cosine_similarity(clip.model.encode_image(clip.to_clip_input(image)), text[None], dim=-1)
        cosine = clip.image_text_similarity(image, text * 7.0)  # the text norm must not matter
        torch.testing.assert_close(cosine, expected)
        torch.testing.assert_close(clip.clip_score(image, text), 100 * expected.clamp(min=0))
        own = clip.encode_image(image[:1])[0]
        assert clip.clip_score(image[:1], -own).item() == 0.0
        assert clip.clip_score(image[:1], own).item() == pytest.approx(100.0, abs=1e-3)
