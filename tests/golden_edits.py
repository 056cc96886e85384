"""Small edits of every mode whose output bytes were recorded before the editing pipeline was
restructured (tests/golden_edits.json), so that a refactor can prove it changed no pixel.

    python tests/golden_edits.py record   # only when behaviour is meant to change
"""
from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Callable

import numpy as np
import rasterio
from shapely.geometry import box

HERE = Path(__file__).resolve().parent
RECORD = HERE / "golden_edits.json"
TILING = dict(tile_size=64, overlap=16, margin=8, feather=4, context_size=64)


def _pixel_box(transform, col0: int, row0: int, col1: int, row1: int):
    x0, y0 = transform * (col0, row0)
    x1, y1 = transform * (col1, row1)
    return box(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))


def _digest(*paths: Path) -> str:
    digest = hashlib.sha256()
    for path in paths:
        with rasterio.open(path) as ds:
            digest.update(np.ascontiguousarray(ds.read()).tobytes())
    return digest.hexdigest()


def _tiny_training():
    from rsedit.models.sinddm.training_settings import TrainingSettings

    return TrainingSettings(name="golden", width=16, steps=12, batch_size=2, crop_size=32, learning_rate=2e-3,
                            lr_milestones=(), ema_start=0, ema_every=1, ema_decay=0.9, max_pixels=None)


def scenarios(folder: Path) -> dict[str, Callable[[], str]]:
    """name -> a function that runs one edit in `folder` and returns the digest of what it wrote."""
    from safetensors.torch import save_file

    from rsedit.core.scene_edit import edit_scene
    from textured_scene import CRS, TRANSFORM, write_textured_scene
    from tiny_clip import TINY_VIT, register_tiny_configs, tiny_open_clip_model

    scene = write_textured_scene(folder / "scene.tif", 64, nodata=0)
    roi = [_pixel_box(TRANSFORM, 16, 16, 44, 48)]
    two_rois = [_pixel_box(TRANSFORM, 6, 6, 26, 28), _pixel_box(TRANSFORM, 36, 30, 58, 58)]

    def clip_file() -> str:
        register_tiny_configs()
        path = folder / "tiny_clip.safetensors"
        if not path.exists():
            state = tiny_open_clip_model(TINY_VIT, seed=4).state_dict()
            save_file({k: v.contiguous() for k, v in state.items()}, str(path))
        return str(path)

    def run(name: str, rois, **options) -> str:
        out, mask = folder / f"{name}.tif", folder / f"{name}_mask.tif"
        edit_scene(scene, rois, out, rois_crs=CRS, mask_out=mask, **options)
        return _digest(out, mask)

    def regenerate_training_free() -> str:
        return run("regen_tf", roi, mode="regenerate", backend="training-free", start_t=60, seed=1, **TILING)

    def regenerate_trained() -> str:
        return run("regen_trained", roi, mode="regenerate", backend="trained", preset=_tiny_training(),
                   cache_dir=str(folder / "cache"), seed=2, **TILING)

    def text_two_variants() -> str:
        out = folder / "text.tif"
        edit_scene(scene, two_rois, out, rois_crs=CRS, variants=2, mode="text", prompt="a lake",
                   clip_model=TINY_VIT, clip_weights=clip_file(), backend="training-free", guidance_views=2,
                   start_t=40, seed=3, **TILING)
        return _digest(folder / "text_v01.tif", folder / "text_v02.tif")

    def text_clip_weight_map() -> str:
        return run("text_map", roi, mode="text", prompt="a forest on fire", clip_model=TINY_VIT,
                   clip_weights=clip_file(), weight_map="clip", backend="training-free", guidance_views=2,
                   start_t=40, seed=0, **TILING)

    def copy() -> str:
        source = _pixel_box(TRANSFORM, 2, 40, 18, 60)
        return run("copy", [_pixel_box(TRANSFORM, 34, 6, 58, 30)], mode="copy", copy_source=source,
                   copy_source_crs=CRS, backend="training-free", seed=4, **TILING)

    def pretrained() -> str:
        from rsedit.models.latent.latent_pipeline import random_latent_model, save_latent_model

        model_folder = save_latent_model(random_latent_model(64, seed=1), folder / "latent")
        return run("pretrained", roi, mode="pretrained", prompt="a lake", device="cpu",
                   pretrained={"model": str(model_folder), "steps": 3, "tile_size": 40,
                               "perceptual_weight": 0.0}, overlap=8, margin=4, feather=3, seed=5)

    def pairs_regenerate() -> str:
        from rsedit.core.before_after_pairs import generate_pairs

        from rsedit.core.settings import RegenerateSettings

        settings = RegenerateSettings(backend="training-free", start_t=60, seed=6, tile_size=32, margin=4, overlap=8,
                                      feather=4, context_size=64)
        result = generate_pairs(scene, two_rois, folder / "pairs", settings, rois_crs=CRS, variants=2)
        files = []
        for pair in result.pairs:
            files += [folder / "pairs" / pair.pre_path, folder / "pairs" / pair.post_path,
                      folder / "pairs" / pair.mask_path]
        return _digest(*files)

    return {
        "regenerate_training_free": regenerate_training_free,
        "regenerate_trained": regenerate_trained,
        "text_two_variants": text_two_variants,
        "text_clip_weight_map": text_clip_weight_map,
        "copy": copy,
        "pretrained": pretrained,
        "pairs_regenerate": pairs_regenerate,
    }


def cpu_capability() -> str:
    """The key digests are recorded under: torch's CPU capability and version, the CPU's model and a
    digest of its flags (two AVX512 machines with the same torch gave different digests)."""
    import platform

    import torch

    model, flags = platform.processor(), ""
    try:
        with open("/proc/cpuinfo") as info:
            lines = info.read().splitlines()
        model = next((line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")), model)
        flags = next((line.split(":", 1)[1].strip() for line in lines if line.startswith("flags")), "")
    except OSError:
        pass
    digest = hashlib.sha256(" ".join(sorted(flags.split())).encode()).hexdigest()[:8]
    return f"{torch.backends.cpu.get_cpu_capability()} torch {torch.__version__} {model} flags {digest}"


CHECKPOINT = HERE / "data" / "sinddm_tiny.safetensors"


def checkpoint_sample_digest(path: Path) -> str:
    """The digest of one seeded sample of a saved checkpoint: the same file, the same pixels."""
    import torch

    from rsedit.models.sinddm.checkpoint import load_checkpoint

    sample = load_checkpoint(path).model.sample((24, 24), seed=0, device="cpu")
    return hashlib.sha256(sample.to(torch.float32).numpy().tobytes()).hexdigest()


def save_tiny_checkpoint(path: Path) -> None:
    """A 2-step SinDDM of width 8 on a 32 px scene: a few kB, enough to test loading."""
    from rsedit.models.sinddm.checkpoint import save_checkpoint
    from rsedit.models.sinddm.trainer import train_sinddm
    from rsedit.models.sinddm.training_settings import TrainingSettings

    rng = np.random.default_rng(0)
    image = (rng.random((3, 32, 32)) * 255).astype(np.uint8)
    settings = TrainingSettings(name="golden", width=8, steps=2, batch_size=1, crop_size=16, learning_rate=1e-3,
                                lr_milestones=(), ema_start=0, ema_every=1, ema_decay=0.9, max_pixels=None)
    result = train_sinddm(image, settings=settings, device="cpu", fingerprint={"sha256": "golden"})
    path.parent.mkdir(parents=True, exist_ok=True)
    save_checkpoint(path, result.model)


def record() -> None:
    import torch

    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        digests = {name: run() for name, run in scenarios(Path(tmp)).items()}
    if not CHECKPOINT.exists():
        save_tiny_checkpoint(CHECKPOINT)
    digests["checkpoint_sample"] = checkpoint_sample_digest(CHECKPOINT)
    recorded = json.loads(RECORD.read_text()) if RECORD.exists() else {"by_cpu": {}}
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=HERE, capture_output=True,
                            text=True).stdout.strip()
    recorded["by_cpu"][cpu_capability()] = {"recorded_at": commit, "digests": digests}  # other CPUs' stay
    RECORD.write_text(json.dumps(recorded, indent=1) + "\n")
    print(json.dumps(digests, indent=1))


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    import conftest  # noqa: F401 (exposes the repository as the package rsedit)

    if sys.argv[1:] == ["record"]:
        record()
    else:
        print(__doc__)
