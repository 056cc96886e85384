"""Saving and loading trained models as one safetensors file (never pickle).

The file holds the EMA weights (`ema.*`), optionally what resuming needs (`train.net.*` raw
weights, `train.optim.*` Adam moments, `train.rng`), and in its header metadata a JSON config:
net, band normalisation, pyramid sizes, per-scale schedule, training settings, steps, and the
caller's fingerprint of the source scene and window. `read_checkpoint_info` reads only that JSON.
"""
from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from ...core.errors import CheckpointError
from ..diffusion.normalization import BandNormalization
from ..diffusion.pyramid import PyramidPlan
from ..diffusion.scale_schedule import ScaleSchedule
from ..diffusion.schedule import DiffusionSchedule
from .denoiser_net import SinDDMNet, SinDDMNetConfig
from .model import SinDDMModel
from .trainer import TrainingState
from .training_settings import TrainingSettings

FORMAT_NAME = "rsedit.sinddm"
FORMAT_VERSION = 1
CHECKPOINT_SUFFIX = ".safetensors"


@dataclass
class LoadedCheckpoint:
    model: SinDDMModel
    training_state: TrainingState | None  # present when the file was saved for resuming
    path: Path


def save_checkpoint(path: str | os.PathLike, model: SinDDMModel, training_state: TrainingState | None = None) -> Path:
    """Write `model` (and, for resuming, `training_state`) to `path` atomically; returns the path."""
    from safetensors.torch import save_file

    target = Path(path)
    tensors = {f"ema.{name}": value.detach().cpu().contiguous() for name, value in model.net.state_dict().items()}
    config: dict[str, Any] = {
        "net": model.net_config.to_dict(),
        "normalization": model.normalization.to_dict(),
        "pyramid": model.pyramid.to_dict(),
        "scales": model.scales.to_dict(),
        "schedule": {"kind": "cosine", "num_timesteps": model.schedule.num_timesteps},
        "training": model.settings.to_dict(),
        "steps_trained": model.steps_trained,
        "fingerprint": model.fingerprint,
        "torch_version": torch.__version__,
    }
    if training_state is not None:
        tensors.update({f"train.net.{k}": v.detach().cpu().contiguous() for k, v in training_state.net_weights.items()})
        optimizer = training_state.optimizer
        for index, values in optimizer["state"].items():
            for key, value in values.items():
                tensors[f"train.optim.{index}.{key}"] = torch.as_tensor(value).detach().cpu().contiguous()
        tensors["train.rng"] = training_state.rng_state.detach().cpu().contiguous()
        config["training_state"] = {
            "step": training_state.step,
            "elapsed_seconds": training_state.elapsed_seconds,
            "loss": training_state.loss if training_state.loss == training_state.loss else None,
            "optimizer_param_groups": optimizer["param_groups"],
        }
    try:
        metadata = {"format": FORMAT_NAME, "format_version": str(FORMAT_VERSION), "config": json.dumps(config)}
    except TypeError as error:
        raise CheckpointError(f"The scene fingerprint must be JSON-serialisable to be saved in {target}: {error}") from None
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=target.name, suffix=".tmp", dir=target.parent)
    os.close(handle)
    try:
        save_file(tensors, temporary, metadata=metadata)
        os.replace(temporary, target)  # readers never see a half-written checkpoint
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target


def checkpoint_bytes(model: SinDDMModel) -> bytes:
    """The checkpoint file of `model` as bytes (what a Dask worker receives instead of a model object)."""
    with tempfile.TemporaryDirectory(prefix="rsedit-checkpoint-") as folder:
        return save_checkpoint(Path(folder) / f"model{CHECKPOINT_SUFFIX}", model).read_bytes()


def load_checkpoint_bytes(data: bytes) -> LoadedCheckpoint:
    """A checkpoint given as the bytes of its file, checked as load_checkpoint checks a file."""
    with tempfile.TemporaryDirectory(prefix="rsedit-checkpoint-") as folder:
        path = Path(folder) / f"model{CHECKPOINT_SUFFIX}"
        path.write_bytes(data)
        return load_checkpoint(path)


def _open_header(path: Path) -> tuple[Any, dict]:
    from safetensors import safe_open

    if not path.is_file():
        raise CheckpointError(f"Checkpoint {path} does not exist: check the path, or train a model first.")
    try:
        handle = safe_open(str(path), framework="pt", device="cpu")
    except Exception as error:  # safetensors raises its own error type for bad headers and short files
        raise CheckpointError(
            f"Checkpoint {path} cannot be read: the file is corrupt or truncated ({error}). "
            "Copy it again or train the model again."
        ) from None
    metadata = handle.metadata() or {}
    if metadata.get("format") != FORMAT_NAME:
        raise CheckpointError(
            f"{path} is a safetensors file but not an RSEdit SinDDM checkpoint: choose a file saved by RSEdit."
        )
    version = metadata.get("format_version", "")
    if not version.isdigit() or int(version) > FORMAT_VERSION:
        raise CheckpointError(
            f"Checkpoint {path} has format version {version!r}, newer than this plugin understands "
            f"({FORMAT_VERSION}): update the RSEdit plugin."
        )
    try:
        config = json.loads(metadata["config"])
    except (KeyError, json.JSONDecodeError) as error:
        raise CheckpointError(f"Checkpoint {path} has a damaged configuration ({error}): train the model again.") from None
    return handle, config


def read_checkpoint_info(path: str | os.PathLike) -> dict:
    """The JSON configuration of a checkpoint, without loading its weights."""
    _, config = _open_header(Path(path))
    return config


def load_checkpoint(path: str | os.PathLike) -> LoadedCheckpoint:
    """Read a checkpoint written by save_checkpoint; errors name the file and what to do."""
    path = Path(path)
    handle, config = _open_header(path)
    try:
        net_config = SinDDMNetConfig.from_dict(config["net"])
        normalization = BandNormalization.from_dict(config["normalization"])
        pyramid = PyramidPlan.from_dict(config["pyramid"])
        scales = ScaleSchedule.from_dict(config["scales"])
        settings = TrainingSettings.from_dict(config["training"])
        schedule = DiffusionSchedule.cosine(int(config["schedule"]["num_timesteps"]))
        names = list(handle.keys())
        ema = {name[len("ema."):]: handle.get_tensor(name) for name in names if name.startswith("ema.")}
    except CheckpointError:
        raise
    except Exception as error:
        raise CheckpointError(
            f"Checkpoint {path} is incomplete or damaged ({type(error).__name__}: {error}): train the model again."
        ) from None
    if normalization.num_bands != net_config.channels or scales.num_scales != pyramid.num_scales:
        raise CheckpointError(f"Checkpoint {path} is inconsistent (bands or scales disagree): train the model again.")
    damaged = [name for name, tensor in ema.items() if tensor.is_floating_point() and not torch.isfinite(tensor).all()]
    if damaged:  # a diverged training or a damaged file: every edit with it would be NaN
        raise CheckpointError(f"Checkpoint {path} holds NaN or infinite weights ({len(damaged)} tensors, e.g. "
                              f"{damaged[0]}): its training diverged or the file is damaged; train the model again.")
    net = SinDDMNet(net_config)
    try:
        net.load_state_dict(ema, strict=True)
    except RuntimeError as error:
        first_line = str(error).splitlines()[1:2] or [str(error)]
        raise CheckpointError(
            f"The weights in {path} do not fit its network configuration ({first_line[0].strip()}): "
            "the file is damaged or from an incompatible version; train the model again."
        ) from None
    model = SinDDMModel(
        net=net.eval(),
        normalization=normalization,
        pyramid=pyramid,
        scales=scales,
        settings=settings,
        steps_trained=int(config.get("steps_trained", 0)),
        fingerprint=config.get("fingerprint"),
        schedule=schedule,
    )
    return LoadedCheckpoint(model, _training_state(handle, names, config, path), path)


def _training_state(handle: Any, names: list[str], config: dict, path: Path) -> TrainingState | None:
    info = config.get("training_state")
    if info is None:
        return None
    try:
        net_weights = {n[len("train.net."):]: handle.get_tensor(n) for n in names if n.startswith("train.net.")}
        optimizer_state: dict[int, dict[str, torch.Tensor]] = {}
        for name in names:
            if name.startswith("train.optim."):
                index, key = name[len("train.optim."):].split(".", 1)
                optimizer_state.setdefault(int(index), {})[key] = handle.get_tensor(name)
        groups = info["optimizer_param_groups"]
        for group in groups:
            if isinstance(group.get("betas"), list):
                group["betas"] = tuple(group["betas"])
        loss = info.get("loss")
        return TrainingState(
            step=int(info["step"]),
            net_weights=net_weights,
            optimizer={"state": optimizer_state, "param_groups": groups},
            rng_state=handle.get_tensor("train.rng"),
            elapsed_seconds=float(info.get("elapsed_seconds", 0.0)),
            loss=float("nan") if loss is None else float(loss),
        )
    except Exception as error:
        raise CheckpointError(
            f"The training state in {path} is damaged ({type(error).__name__}: {error}): "
            "the model can still be used, but training cannot resume from it."
        ) from None
