"""Tiny, randomly initialised open_clip models for tests (no weights to download).

The configs are registered with open_clip like any model config, so the real loading code
(architecture names, file-name inference, checkpoints) runs on them. The vocabulary and context
length are open_clip's, because its bundled tokenizer is used as is.
"""
from __future__ import annotations

import json
import tempfile
from pathlib import Path

import torch

TINY_VIT = "RSEditTiny-ViT"  # 32x32 input, patch 8, embed 32
TINY_VIT_WIDE = "RSEditTiny-ViT-wide"  # another architecture: a checkpoint of one must not load into the other

_TEXT = {"context_length": 77, "vocab_size": 49408, "width": 64, "heads": 2, "layers": 2}
CONFIGS = {
    TINY_VIT: {
        "embed_dim": 32,
        "vision_cfg": {"image_size": 32, "layers": 2, "width": 64, "head_width": 32, "patch_size": 8},
        "text_cfg": _TEXT,
    },
    TINY_VIT_WIDE: {
        "embed_dim": 48,
        "vision_cfg": {"image_size": 32, "layers": 2, "width": 96, "head_width": 32, "patch_size": 8},
        "text_cfg": _TEXT,
    },
}
_registered_in: Path | None = None


def register_tiny_configs() -> None:
    """Make the tiny architectures known to open_clip (once per process)."""
    global _registered_in
    if _registered_in is not None:
        return
    import open_clip

    folder = Path(tempfile.mkdtemp(prefix="rsedit-tiny-clip-"))
    for name, cfg in CONFIGS.items():
        (folder / f"{name}.json").write_text(json.dumps(cfg))
    open_clip.add_model_config(folder)
    _registered_in = folder


def tiny_open_clip_model(name: str = TINY_VIT, seed: int = 0) -> torch.nn.Module:
    """A randomly initialised open_clip model, the same for the same seed; the global RNG is
    left as it was."""
    import open_clip

    register_tiny_configs()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return open_clip.create_model(name, pretrained=None)


def tiny_guidance_clip(name: str = TINY_VIT, seed: int = 0):
    import open_clip

    from rsedit.models.clip.clip_model import GuidanceClip

    model = tiny_open_clip_model(name, seed)
    return GuidanceClip(model, open_clip.get_tokenizer(name), architecture=name, source=f"random:{seed}")
