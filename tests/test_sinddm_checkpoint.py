"""Checkpoints: exact round trip, resumable state, and clear errors for bad files (never unpickled)."""
from __future__ import annotations

import json
import pickle

import numpy as np
import pytest
import torch

from rsedit.core.errors import CheckpointError, ModelError
from rsedit.models.sinddm.checkpoint import load_checkpoint, read_checkpoint_info, save_checkpoint
from rsedit.models.sinddm.trainer import train_sinddm
from rsedit.models.sinddm.training_settings import TrainingSettings

SETTINGS = TrainingSettings(
    name="test", width=16, steps=4, batch_size=2, crop_size=24, lr_milestones=(), ema_decay=0.5, ema_every=1,
    ema_start=2, max_pixels=None, micro_batch_pixels=None,
)
FINGERPRINT = {"scene": "landsat.tif", "window": [10, 20, 64, 72], "bands": [1, 2, 3]}


from single_thread import one_cpu_thread  # noqa: F401,E402 (autouse fixture)


@pytest.fixture(scope="module")
def trained():
    image = (np.random.default_rng(0).random((3, 64, 72)) * 255).astype(np.uint8)
    return train_sinddm(image, settings=SETTINGS, device="cpu", fingerprint=FINGERPRINT)


@pytest.fixture
def saved(tmp_path, trained):
    return save_checkpoint(tmp_path / "scene.safetensors", trained.model, trained.state)


def test_round_trip_gives_identical_outputs(trained, saved):
    loaded = load_checkpoint(saved)
    model = loaded.model
    assert model.fingerprint == FINGERPRINT and model.steps_trained == 4
    assert model.normalization == trained.model.normalization
    assert model.pyramid == trained.model.pyramid and model.scales == trained.model.scales
    assert model.settings == trained.model.settings
    for key, value in trained.model.net.state_dict().items():
        assert torch.equal(value, model.net.state_dict()[key])
    before = trained.model.generate((40, 52), count=2, seed=7, device="cpu")
    after = model.generate((40, 52), count=2, seed=7, device="cpu")
    assert np.array_equal(before, after)
    state = loaded.training_state
    assert state.step == 4 and torch.equal(state.rng_state, trained.state.rng_state)
    assert set(state.optimizer["state"]) == set(trained.state.optimizer["state"])


def test_info_is_readable_without_weights(saved):
    info = read_checkpoint_info(saved)
    assert info["net"]["width"] == 16 and info["fingerprint"] == FINGERPRINT
    assert info["pyramid"]["sizes"][-1] == [64, 72]
    assert info["normalization"]["dtype"] == "uint8"


def test_inference_only_checkpoint_has_no_training_state(tmp_path, trained):
    path = save_checkpoint(tmp_path / "small.safetensors", trained.model)
    assert load_checkpoint(path).training_state is None
    assert path.stat().st_size < saved_size(tmp_path, trained)


def saved_size(tmp_path, trained) -> int:
    return save_checkpoint(tmp_path / "full.safetensors", trained.model, trained.state).stat().st_size


def test_loading_never_unpickles(monkeypatch, saved):
    def refuse(*args, **kwargs):
        raise AssertionError("pickle used while loading a checkpoint")

    monkeypatch.setattr(torch, "load", refuse)
    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(pickle, "loads", refuse)
    assert load_checkpoint(saved).model.bands == 3


def test_missing_corrupt_and_truncated_files_give_clear_errors(tmp_path, saved):
    with pytest.raises(CheckpointError, match="does not exist"):
        load_checkpoint(tmp_path / "nope.safetensors")
    corrupt = tmp_path / "corrupt.safetensors"
    corrupt.write_bytes(b"\x00" * 5 + b"not a checkpoint at all" * 20)
    with pytest.raises(CheckpointError, match=r"corrupt\.safetensors.*corrupt or truncated"):
        load_checkpoint(corrupt)
    truncated = tmp_path / "truncated.safetensors"
    truncated.write_bytes(saved.read_bytes()[: saved.stat().st_size // 2])
    with pytest.raises(CheckpointError, match=r"truncated\.safetensors.*corrupt or truncated"):
        load_checkpoint(truncated)


def test_other_and_mismatched_files_give_clear_errors(tmp_path, trained, saved):
    from safetensors.torch import save_file

    foreign = tmp_path / "foreign.safetensors"
    save_file({"weight": torch.zeros(3)}, str(foreign))
    with pytest.raises(CheckpointError, match="not an RSEdit SinDDM checkpoint"):
        load_checkpoint(foreign)

    # a config that no longer fits the stored weights (e.g. edited, or written by another version)
    from safetensors import safe_open

    with safe_open(str(saved), framework="pt") as handle:
        metadata = handle.metadata()
        tensors = {name: handle.get_tensor(name) for name in handle.keys()}
    config = json.loads(metadata["config"])
    config["net"]["width"] = 32
    mismatched = tmp_path / "mismatched.safetensors"
    save_file(tensors, str(mismatched), metadata={**metadata, "config": json.dumps(config)})
    with pytest.raises(CheckpointError, match=r"mismatched\.safetensors.*do not fit"):
        load_checkpoint(mismatched)

    newer = tmp_path / "newer.safetensors"
    save_file(tensors, str(newer), metadata={**metadata, "format_version": "99"})
    with pytest.raises(CheckpointError, match="update the RSEdit plugin"):
        load_checkpoint(newer)

    model = load_checkpoint(saved).model
    with pytest.raises(ModelError, match="trained on 3 band"):
        model.check_compatible(4)
    with pytest.raises(ModelError, match="another scene or window"):
        model.check_compatible(3, {"scene": "other.tif", "window": [0, 0, 64, 72], "bands": [1, 2, 3]})
    model.check_compatible(3, FINGERPRINT)
