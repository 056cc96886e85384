"""The CLIP that guides text edits, carried to another process (a Dask worker) as plain data.

What travels: the architecture's name and its open_clip config (JSON: a worker has not necessarily
registered the configs the caller has, e.g. a config read beside a checkpoint), the preprocessing
(size, mean, std) and either the weights as safetensors bytes or the path of a checkpoint file the
worker reads itself. Never a pickled model object. The worker builds the model from the config,
loads the weights strictly, and checks that it embeds a fixed probe image as the caller's model
does, so that a config that differs silently (e.g. QuickGELU) is an error, not a different edit.

Text is embedded on the caller (prompt ensembles travel as vectors), so the worker's CLIP has no
tokenizer.
"""
from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any, Optional

import numpy as np
import torch

from ...core.errors import ModelError
from .clip_model import GuidanceClip, fit_logit_scale, read_state_dict

PROBE_TOLERANCE = 1e-3  # unit-norm embeddings: another device sums differently; another model is far off


def clip_config(clip: GuidanceClip) -> dict:
    """The open_clip config the caller's CLIP was built from (a `model_config` it carries, or the one
    open_clip has registered under its architecture name), with QuickGELU as the model uses it."""
    import open_clip

    config = getattr(clip, "model_config", None) or open_clip.get_model_config(clip.architecture)
    if not config:
        raise ModelError(f"The open_clip config of the CLIP '{clip.architecture}' is unknown here, so Dask workers "
                         "cannot build it: use a checkpoint file of a known architecture (e.g. ViT-B-32), or run "
                         "the text edit locally.")
    config = json.loads(json.dumps(config))  # a private, plain copy
    from open_clip.transformer import QuickGELU

    if any(isinstance(module, QuickGELU) for module in clip.model.modules()):
        config["quick_gelu"] = True  # set by some pretrained tags rather than by the config
    return config


def probe_images(size: tuple[int, int]) -> torch.Tensor:
    """A fixed [1, 3, h, w] image in [-1, 1] that both sides embed."""
    height, width = size
    return torch.linspace(-1.0, 1.0, 3 * height * width).reshape(1, 3, height, width).sin()


def probe_embedding(clip: GuidanceClip) -> np.ndarray:
    with torch.no_grad():
        return clip.encode_image(probe_images(clip.image_size)).detach().cpu().numpy()


def clip_payload(clip: GuidanceClip, weights_file: Optional[str] = None) -> dict:
    """What a worker needs to rebuild `clip`: with `weights_file` (a checkpoint the worker reads
    itself, the one `clip` was loaded from) the weights stay out of the payload."""
    import open_clip

    payload: dict[str, Any] = {
        "architecture": clip.architecture, "source": clip.source, "config": json.dumps(clip_config(clip)),
        "preprocess": json.dumps(open_clip.get_model_preprocess_cfg(clip.model)),
        "probe": probe_embedding(clip), "weights": None, "weights_file": weights_file,
    }
    if weights_file is None:
        from safetensors.torch import save

        state = {name: value.detach().cpu().contiguous().clone() for name, value in clip.model.state_dict().items()}
        payload["weights"] = save(state)
    return payload


def clip_from_payload(payload: dict, device: str | torch.device = "cpu") -> GuidanceClip:
    """The caller's CLIP, rebuilt here from clip_payload's data (checked against its probe)."""
    config = json.loads(payload["config"])
    model = _build_model(payload["architecture"], config)
    import open_clip

    open_clip.set_model_preprocess_cfg(model, json.loads(payload["preprocess"]))
    if payload["weights"] is not None:
        from safetensors.torch import load

        state = load(bytes(payload["weights"]))
    else:
        state = read_state_dict(payload["weights_file"])
    fit_logit_scale(state, model)
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as error:
        raise ModelError(f"The CLIP weights sent to this worker do not fit '{payload['architecture']}': "
                         f"{str(error).splitlines()[0]}") from None
    clip = GuidanceClip(model.to(device), _embedded_on_the_caller, architecture=payload["architecture"],
                        source=payload["source"])
    found = probe_embedding(clip)
    expected = np.asarray(payload["probe"])
    difference = float(np.abs(found - expected).max()) if found.shape == expected.shape else float("inf")
    if not difference <= PROBE_TOLERANCE:
        raise ModelError(f"The CLIP '{payload['architecture']}' rebuilt on this worker does not embed images as the "
                         f"caller's does (largest difference {difference:.3g}): install the caller's open_clip "
                         "version on the workers.")
    return clip


def _build_model(architecture: str, config: dict) -> torch.nn.Module:
    """An open_clip model of `config`, by its name when this open_clip has the same config under
    it, else from the config itself (open_clip's local-dir form, in a temporary folder); the
    random initialisation leaves this process's global RNG as it was."""
    import open_clip

    with torch.random.fork_rng(devices=[]):
        if open_clip.get_model_config(architecture) == config:
            return open_clip.create_model(architecture, pretrained=None)
        with tempfile.TemporaryDirectory(prefix="rsedit-clip-config-") as folder:
            (Path(folder) / "open_clip_config.json").write_text(json.dumps({"model_cfg": config}))
            return open_clip.create_model(f"local-dir:{folder}")


def _embedded_on_the_caller(texts: Any) -> torch.Tensor:
    raise ModelError("This CLIP embeds images only: texts are embedded by the process that started the edit.")
