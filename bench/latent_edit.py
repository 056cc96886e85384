"""Pretrained latent-diffusion backend benchmark: seconds per 512x512 tile (CPU, and GPU when one is
available), the share of pixels left identical outside the ROI, and the LPIPS distance to the source
outside the ROI when LPIPS backbone weights are given. Prints one JSON line.

    .venv/bin/python bench/latent_edit.py [--quick] [--model DIR_OR_HUB_ID] [--lpips-weights FILE]

Without --model a small randomly initialised Stable-Diffusion-like model is built from configs and
saved as a diffusers folder (the JSON says so): its timings are of the pipeline around a small
UNet, not of Stable Diffusion. --quick: 4 sampling steps (finishes within about 3 minutes on CPU
with the random model); the full run uses 20 steps.
"""
from __future__ import annotations

import argparse
import json
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

from bench_scene import LANDSAT, crop_scene, import_models
TILE = 512


def roi_polygon(transform):
    from shapely.geometry import Polygon

    lo, hi = int(TILE * 0.3), int(TILE * 0.7)
    return Polygon([transform * c for c in [(lo, lo + 10), (hi - 8, lo), (hi, hi - 12), (lo + 12, hi)]])


def lpips_outside(weights: str, source: np.ndarray, edited: np.ndarray, outside: np.ndarray) -> float:
    import torch

    from rsedit.models.latent.perceptual_guidance import build_lpips

    metric = build_lpips(weights)
    to_tensor = lambda a: torch.from_numpy(a[:3].astype(np.float32) / 127.5 - 1.0)[None]  # noqa: E731
    with torch.no_grad():
        spatial = metric(to_tensor(edited), to_tensor(source))[0, 0].numpy()
    return float(spatial[outside].mean())


def run_edit(scene: Path, roi, out: Path, model: str, device: str, steps: int, lpips_weights: str | None):
    from rsedit.core.pretrained import PretrainedOptions
    from rsedit.core.scene_edit import edit_scene

    options = PretrainedOptions(model=model, source_prompt="a coastal landscape", steps=steps,
                                lpips_weights=lpips_weights, tile_size=TILE)
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = edit_scene(scene, [roi], out, mask_out=out.with_name(out.stem + "_mask.tif"), mode="pretrained",
                            prompt="a lake", pretrained=options, device=device, overlap=64, margin=32, feather=8)
    total = time.perf_counter() - started
    edit = result.outputs[0]
    return edit.seconds / max(edit.tiles_edited, 1), total, edit.tiles_edited


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--model", help="diffusers Stable Diffusion folder or hub id (default: a random small model)")
    parser.add_argument("--lpips-weights", help="torchvision AlexNet state dict for LPIPS")
    parser.add_argument("--steps", type=int)
    args = parser.parse_args()
    import_models()  # puts rsedit on sys.path

    import rasterio
    import torch

    steps = args.steps or (4 if args.quick else 20)
    with tempfile.TemporaryDirectory(prefix="rsedit-bench-latent-") as tmp:
        folder = Path(tmp)
        with rasterio.open(LANDSAT) as src:  # the centre of the scene
            col, row = max(0, (src.width - TILE) // 2), max(0, (src.height - TILE) // 2)
        scene, transform = crop_scene(folder, col, row, TILE)
        roi = roi_polygon(transform)
        model, random_model = args.model, not args.model
        if random_model:
            from rsedit.models.latent.latent_pipeline import random_latent_model, save_latent_model

            model = str(save_latent_model(random_latent_model(TILE, width=32, seed=0), folder / "random-sd"))
        report = {"bench": "latent_edit", "quick": args.quick, "tile": TILE, "steps": steps,
                  "model": "random small SD-like model built from configs (not pretrained)" if random_model else model,
                  "random_model": random_model, "threads": torch.get_num_threads(),
                  "lpips_weights": args.lpips_weights}
        out = folder / "cpu.tif"
        per_tile, total, tiles = run_edit(scene, roi, out, model, "cpu", steps, args.lpips_weights)
        report.update(cpu_seconds_per_tile=round(per_tile, 3), cpu_seconds_total=round(total, 3), tiles_edited=tiles)
        if torch.cuda.is_available():
            gpu_out = folder / "gpu.tif"
            per_tile_gpu, _, _ = run_edit(scene, roi, gpu_out, model, "cuda", steps, args.lpips_weights)
            report.update(gpu_seconds_per_tile=round(per_tile_gpu, 3), gpu=torch.cuda.get_device_name(0))
        else:
            report.update(gpu_seconds_per_tile=None, gpu=None)
        with rasterio.open(scene) as src, rasterio.open(out) as dst, \
                rasterio.open(out.with_name(out.stem + "_mask.tif")) as mask:
            source, edited, outside = src.read(), dst.read(), mask.read(1) == 0
        report["identical_outside_roi"] = float((source == edited).all(axis=0)[outside].mean())
        report["changed_inside_roi"] = float((source != edited).any(axis=0)[~outside].mean())
        report["lpips_outside_roi"] = (lpips_outside(args.lpips_weights, source, edited, outside)
                                       if args.lpips_weights else None)
        if not args.lpips_weights:
            report["lpips_note"] = "no LPIPS backbone weights given (--lpips-weights): not measured"
    print(json.dumps(report))


if __name__ == "__main__":
    main()
