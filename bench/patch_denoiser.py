#!/usr/bin/env python3
"""Benchmark of the training-free backend (models/patch/patch_denoiser.py). Prints ONE JSON line.

  python bench/patch_denoiser.py --quick   # seconds_256 and swd only (<= 3 minutes)
  python bench/patch_denoiser.py           # + 1024 px, and the trained `fast` and `standard` presets (long)

Image and measure are those of bench/sinddm.py: the fully valid 256x256 window of
../shared/data/landsat/RGB.byte.tif (no nodata collar), normalised by BandNormalization; samples
are drawn at the training size from seeds 2024.. and compared with the image by the multi-scale
SWD of models/metrics.py. The patch backend indexes the same image with the same pyramid plan
(max_pixels=None, as the presets) and blur factor as the trained presets.

- seconds_256 / seconds_1024: sampling seconds per sample at 256x256 and 1024x1024 output
  (1024 px from the 256 px index: the pyramid's sizes_for, as for the trained net);
  seconds_index: building the index (once per scene). *_cuda: the same on a GPU when there is one.
- swd_trained_fast / swd_trained_standard: the presets trained here (models/sinddm/trainer.py).
- time_ratio_vs_trained_standard: (index + one 256 px sample) / (standard training + one sample).
- peak_rss_mb: peak RSS of the child process that ran the patch backend (training runs elsewhere).
Each part runs in its own child process so that one's memory does not count against another.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # as the plugin does (models/__init__.py)

from bench_scene import import_models, load_window  # noqa: E402
SEED = 2024


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def run_patch(samples: int, sizes: list[int], blur_factor: float, devices: list[str]) -> dict:
    """Index the window, sample it, time it, and score it (in this process)."""
    import torch

    models = import_models()
    from rsedit.models.patch.patch_denoiser import PatchDenoiser

    image = load_window()
    normalization = models.BandNormalization.fit(image)
    x = torch.from_numpy(normalization.normalize(image))
    plan = models.plan_pyramid(*x.shape[1:], max_pixels=None)
    schedule = models.DiffusionSchedule.cosine()
    out: dict = {}
    for device in devices:
        suffix = "" if device == "cpu" else f"_{device}"
        tick = time.perf_counter()
        denoiser = PatchDenoiser.from_image(x, plan, schedule, blur_factor=blur_factor, device=device)
        out[f"seconds_index{suffix}"] = round(time.perf_counter() - tick, 2)
        sampler = models.MultiScaleSampler(denoiser, schedule, denoiser.scales, plan, denoiser.channels, device)
        for size in sizes:
            count = samples if size == plan.finest_size[0] else 1
            generated, times = [], []
            for i in range(count):
                tick = time.perf_counter()
                generated.append(sampler.sample((size, size), seed=SEED + i).cpu())
                if device == "cuda":
                    torch.cuda.synchronize()
                times.append(time.perf_counter() - tick)
            out[f"seconds_{size}{suffix}"] = round(sum(times) / len(times), 2)
            if size == plan.finest_size[0] and device == "cpu":
                swd = models.sliced_wasserstein_distance(torch.cat(generated), x)
                out["swd"] = round(swd.mean, 2)
                out["swd_levels"] = [round(v, 1) for v in swd.per_level]
                out["samples"] = count
    out["settings"] = {
        "patch_sizes": list(denoiser.patch_sizes), "k": denoiser.k, "tile": denoiser.tile,
        "anchors_per_side": denoiser.anchors_per_side, "propagate": denoiser.propagate,
        "exact_max_pairs": denoiser.exact_max_pairs, "mixing": denoiser.mixing,
        "aggregation": list(denoiser.aggregations), "plan": [list(s) for s in plan.sizes],
        "start_steps": list(denoiser.scales.start_steps),
    }
    out["peak_rss_mb"] = round(_peak_rss_mb(), 1)
    return out


def run_trained(preset: str, samples: int) -> dict:
    """Train a preset on the window and score its samples exactly as bench/sinddm.py does."""
    import torch

    models = import_models()
    image = load_window()
    tick = time.perf_counter()
    result = models.train_sinddm(image, settings=preset, device="cpu")
    train_seconds = time.perf_counter() - tick
    model = result.model
    reference = torch.from_numpy(model.normalization.normalize(image))
    tick = time.perf_counter()
    generated = model.sample(count=samples, seed=SEED, device="cpu")
    sample_seconds = (time.perf_counter() - tick) / samples
    swd = models.sliced_wasserstein_distance(generated, reference)
    return {
        "train_seconds": round(train_seconds, 1), "sample_seconds": round(sample_seconds, 2),
        "swd": round(swd.mean, 2), "swd_levels": [round(v, 1) for v in swd.per_level],
        "blur_factor": model.settings.blur_factor, "peak_rss_mb": round(_peak_rss_mb(), 1),
    }


def _child(*args: str) -> dict:
    """Run one part in a fresh interpreter (its own peak RSS, no memory carried over)."""
    done = subprocess.run([sys.executable, __file__, *args], check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="seconds_256 and swd only (<= 3 minutes)")
    parser.add_argument("--samples", type=int, default=None, help="samples for the SWD (default: 8; --quick: 1)")
    parser.add_argument("--child-patch", help=argparse.SUPPRESS)
    parser.add_argument("--child-trained", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_patch:
        print(json.dumps(run_patch(**json.loads(args.child_patch))), flush=True)
        return
    if args.child_trained:
        print(json.dumps(run_trained(**json.loads(args.child_trained))), flush=True)
        return

    started = time.perf_counter()
    samples = args.samples or (1 if args.quick else 8)
    models = import_models()
    import torch

    blur_factor = models.get_preset("standard").blur_factor
    if args.quick:
        patch = _child("--child-patch", json.dumps(
            {"samples": samples, "sizes": [256], "blur_factor": blur_factor, "devices": ["cpu"]}))
        print(json.dumps({"bench": "patch_denoiser", "quick": True, "seconds_256": patch["seconds_256"],
                          "swd": patch["swd"], "samples": samples, "bench_seconds": round(time.perf_counter() - started, 1)}))
        return
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    patch = _child("--child-patch", json.dumps(
        {"samples": samples, "sizes": [256, 1024], "blur_factor": blur_factor, "devices": devices}))
    trained = {preset: _child("--child-trained", json.dumps({"preset": preset, "samples": samples}))
               for preset in ("fast", "standard")}
    standard = trained["standard"]
    patch_total = patch["seconds_index"] + patch["seconds_256"]
    trained_total = standard["train_seconds"] + standard["sample_seconds"]
    out = {
        "bench": "patch_denoiser",
        "seconds_256": patch["seconds_256"],
        "seconds_1024": patch["seconds_1024"],
        "swd": patch["swd"],
        "swd_trained_fast": trained["fast"]["swd"],
        "swd_trained_standard": standard["swd"],
        "time_ratio_vs_trained_standard": round(patch_total / trained_total, 4),
        "peak_rss_mb": patch["peak_rss_mb"],
        "seconds_index": patch["seconds_index"],
        "swd_levels": patch["swd_levels"],
        "samples": samples,
        "trained": trained,
        "settings": patch["settings"],
        "threads": torch.get_num_threads(),
        "target_swd_met": patch["swd"] <= standard["swd"],
        "target_time_met": patch_total <= trained_total / 20,
        "bench_seconds": round(time.perf_counter() - started, 1),
    }
    out.update({key: value for key, value in patch.items() if key.endswith("_cuda")})
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
