#!/usr/bin/env python3
"""Benchmark of RSEdit's SinDDM (models/). Prints ONE JSON line.

  python bench/sinddm.py --quick   # training throughput only (<= ~2 minutes)
  python bench/sinddm.py           # + quality per compute: trains `fast` and `standard` (2 cores: ~20 min with bf16, ~50 min on AVX2)

Throughput: `train_px_per_s` is pixels through forward+backward per second of the project's
training step (models/trainer.py, standard preset at width 160, finest scale), on the CPU path the
trainer picks: fp32 with the Winograd 3x3 and depthwise kernels (models/winograd_conv.py) on AVX2
CPUs, oneDNN under bf16 autocast on CPUs with bf16 instructions (`training_precision`,
`cpu_kernels_used`). `train_px_per_s_onednn_convs` is the same step in plain fp32 with torch's own
(oneDNN) convolutions, so `cpu_kernels_gain` is what that CPU path adds. The reference figure
comes from a plain fp32 eager copy of the reference denoiser and step (width 160, 32 whole-image
copies of a 55x55 image), written below and timed in the same run, interleaved with the
project's step. Timings are the best of several repetitions (the machine may be shared).

Quality: a 256x256 window of ../shared/data/landsat/RGB.byte.tif inside the scene footprint (no
nodata collar) is trained with each preset, 8 samples are drawn at the training size and compared
with the image by the multi-scale SWD of models/metrics.py; baselines: the image shifted by 4 px
(near the floor) and its blurry version (the previous pyramid level upsampled).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # as the plugin does (models/__init__.py)

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

from bench_scene import import_models, load_window  # noqa: E402


def log(message: str) -> None:
    """Progress on stderr, so that stdout stays one JSON line."""
    print(f"[bench/sinddm {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- the reference: a plain fp32 eager transcription of the published SinDDM denoiser and step ---


class _RefSinusoidal(nn.Module):
    def __init__(self, dim: int) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        half = self.dim // 2
        emb = torch.exp(torch.arange(half, device=x.device) * -(math.log(10000) / (half - 1)))
        emb = x[:, None] * emb[None, :]
        return torch.cat((emb.sin(), emb.cos()), dim=-1)


class _RefBlock(nn.Module):
    def __init__(self, dim: int, dim_out: int, time_emb_dim: int) -> None:
        super().__init__()
        self.mlp = nn.Sequential(nn.GELU(), nn.Linear(time_emb_dim, time_emb_dim))
        self.time_reshape = nn.Conv2d(time_emb_dim, dim, 1)
        self.ds_conv = nn.Conv2d(dim, dim, 5, padding=2, groups=dim)
        self.net = nn.Sequential(nn.Conv2d(dim, dim_out, 3, padding=1), nn.GELU(), nn.Conv2d(dim_out, dim_out, 3, padding=1))
        self.res_conv = nn.Conv2d(dim, dim_out, 1) if dim != dim_out else nn.Identity()

    def forward(self, x: torch.Tensor, time_emb: torch.Tensor) -> torch.Tensor:
        h = self.ds_conv(x)
        condition = self.time_reshape(self.mlp(time_emb)[:, :, None, None])
        h = self.net(h + condition)
        return h + self.res_conv(x)


class ReferenceSinDDMNet(nn.Module):
    def __init__(self, dim: int = 160, channels: int = 3) -> None:
        super().__init__()
        time_dim = 32
        self.sin_time, self.sin_scale = _RefSinusoidal(time_dim), _RefSinusoidal(time_dim)
        self.time_mlp = nn.Sequential(nn.Linear(time_dim * 2, time_dim * 4), nn.GELU(), nn.Linear(time_dim * 4, time_dim))
        half = dim // 2
        self.l1, self.l2 = _RefBlock(channels, half, time_dim), _RefBlock(half, dim, time_dim)
        self.l3, self.l4 = _RefBlock(dim, dim, time_dim), _RefBlock(dim, half, time_dim)
        self.final_conv = nn.Conv2d(half, channels, 1)

    def forward(self, x: torch.Tensor, time: torch.Tensor, scale: int) -> torch.Tensor:
        scale_tensor = torch.ones(size=time.shape) * scale
        cond = self.time_mlp(torch.cat((self.sin_time(time), self.sin_scale(scale_tensor)), dim=1))
        for block in (self.l1, self.l2, self.l3, self.l4):
            x = block(x, cond)
        return self.final_conv(x)


def reference_training_step(image55: torch.Tensor, alphas_cumprod: np.ndarray):
    """The reference's step: 32 copies of the whole image, t ~ U[0, 100), L1 on eps, Adam 1e-3."""
    torch.manual_seed(0)
    net = ReferenceSinDDMNet(160, image55.shape[0])
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)
    batch = image55[None].repeat(32, 1, 1, 1)
    sqrt_ac = torch.tensor(np.sqrt(alphas_cumprod), dtype=torch.float32)
    sqrt_1m = torch.tensor(np.sqrt(1 - alphas_cumprod), dtype=torch.float32)

    def step() -> None:
        t = torch.randint(0, 100, (32,))
        noise = torch.randn_like(batch)
        x_noisy = sqrt_ac[t].view(-1, 1, 1, 1) * batch + sqrt_1m[t].view(-1, 1, 1, 1) * noise
        loss = (noise - net(x_noisy, t, 0)).abs().mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    return step, batch.shape[0] * batch.shape[2] * batch.shape[3]


def measure_throughput(models, image: np.ndarray, budget_s: float) -> dict:
    from rsedit.models.resample import lanczos_resize
    from rsedit.models import native_kernels
    from rsedit.models.trainer import SinDDMTrainer
    from rsedit.models.winograd_conv import winograd_tile

    standard = models.get_preset("standard").with_changes(width=160, steps=10**9)
    fast = models.get_preset("fast").with_changes(steps=10**9)
    project = SinDDMTrainer(image, settings=standard, device="cpu")
    fast_trainer = SinDDMTrainer(image, settings=fast, device="cpu")
    finest = project.plan.num_scales - 1
    normalized = torch.from_numpy(project.normalization.normalize(image))
    image55 = lanczos_resize(normalized, (55, 55)).contiguous()
    ref_step, ref_pixels = reference_training_step(image55, project.schedule.alphas_cumprod)

    oneDNN = SinDDMTrainer(image, settings=standard, device="cpu")
    # the same step in fp32 with oneDNN's convolutions: what the project's CPU path gains (the
    # Winograd/depthwise kernels on AVX2 CPUs, bf16 autocast on CPUs with bf16 instructions)
    oneDNN.net.use_cpu_kernels(False)
    oneDNN.autocast = None
    candidates = {
        "reference": (ref_step, ref_pixels),
        "project": (lambda: project.step(scale=finest), project.batch_pixels(finest)),
        "onednn": (lambda: oneDNN.step(scale=finest), oneDNN.batch_pixels(finest)),
        "fast": (lambda: fast_trainer.step(scale=fast_trainer.plan.num_scales - 1), fast_trainer.batch_pixels(fast_trainer.plan.num_scales - 1)),
    }
    times: dict[str, list[float]] = {name: [] for name in candidates}
    for step, _ in candidates.values():
        step()  # warm-up: allocator, oneDNN primitive caches
    started = time.perf_counter()
    rounds = 0
    while rounds < 2 or (time.perf_counter() - started < budget_s and rounds < 8):
        for name, (step, _) in candidates.items():  # interleaved, so all see the same machine load
            tick = time.perf_counter()
            step()
            times[name].append(time.perf_counter() - tick)
        rounds += 1
    best = {name: candidates[name][1] / min(values) for name, values in times.items()}
    median = {name: candidates[name][1] / float(np.median(values)) for name, values in times.items()}
    return {
        "train_px_per_s": round(best["project"]),
        "train_px_per_s_reference": round(best["reference"]),
        "speedup": round(best["project"] / best["reference"], 2),
        "speedup_median": round(median["project"] / median["reference"], 2),
        "train_px_per_s_fast_preset": round(best["fast"]),
        "train_px_per_s_onednn_convs": round(best["onednn"]),
        "cpu_kernels_gain": round(best["project"] / best["onednn"], 2),
        "cpu_kernels_gain_median": round(median["project"] / median["onednn"], 2),
        "native_kernels": native_kernels.load() is not None,
        "training_precision": "fp32" if project.autocast is None else str(project.autocast).replace("torch.", ""),
        "cpu_kernels_used": project.net.blocks[0].cpu_kernels,
        "winograd_tile": winograd_tile(),
        "project_step": {"width": 160, "batch": standard.batch_size, "crop": standard.crop_size, "pixels": candidates["project"][1]},
        "reference_step": {"width": 160, "batch": 32, "crop": None, "pixels": ref_pixels},
        "timing_rounds": rounds,
    }


def evaluate_preset(models, image: np.ndarray, preset: str, samples: int, seed: int) -> dict:
    from rsedit.models.resample import lanczos_resize

    log(f"training the {preset} preset")
    cpu_start, wall_start = time.process_time(), time.perf_counter()
    result = models.train_sinddm(image, settings=preset, device="cpu")
    train_seconds = time.perf_counter() - wall_start
    train_cpu = time.process_time() - cpu_start
    model = result.model
    reference = lanczos_resize(torch.from_numpy(model.normalization.normalize(image)), model.training_size)
    log(f"{preset}: trained in {train_seconds:.0f} s; sampling {samples} images")
    tick = time.perf_counter()
    generated = model.sample(count=samples, seed=seed, device="cpu")
    sample_seconds = time.perf_counter() - tick
    swd = models.sliced_wasserstein_distance(generated, reference)
    return {
        "train_seconds": round(train_seconds, 1),
        "train_cpu_seconds": round(train_cpu, 1),
        "steps": result.state.step,
        "final_loss": round(result.state.loss, 4),
        "sample_seconds": round(sample_seconds, 1),
        "swd": round(swd.mean, 2),
        "swd_levels": [round(v, 1) for v in swd.per_level],
        "start_steps": list(model.scales.start_steps),
    }


def baselines(models, image: np.ndarray) -> dict:
    from rsedit.models.pyramid import blurry_versions, build_pyramid, plan_pyramid

    norm = models.BandNormalization.fit(image)
    x = torch.from_numpy(norm.normalize(image))
    shift = 4
    shifted = models.sliced_wasserstein_distance(x[None, :, shift:, shift:], x[:, :-shift, :-shift])
    plan = plan_pyramid(*x.shape[1:], max_pixels=None)
    blurry = blurry_versions(build_pyramid(x, plan.sizes))[-1]
    blurred = models.sliced_wasserstein_distance(blurry[None], x)
    return {"swd_baseline_shifted": round(shifted.mean, 2), "swd_baseline_blurred": round(blurred.mean, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="throughput only (<= ~2 minutes)")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's)")
    parser.add_argument("--samples", type=int, default=8, help="samples per preset for the SWD")
    args = parser.parse_args()
    models = import_models()
    threads = models.set_cpu_threads(args.threads)
    started = time.perf_counter()
    image = load_window()
    out: dict = {"bench": "sinddm", "quick": args.quick, "device": "cpu", "threads": threads, "torch": torch.__version__}
    log("timing training steps (project vs reference)")
    out.update(measure_throughput(models, image, budget_s=45.0 if args.quick else 120.0))
    out["target_speedup_3x_met"] = out["speedup"] >= 3.0
    if not args.quick:
        out.update(baselines(models, image))
        for preset in ("fast", "standard"):
            for key, value in evaluate_preset(models, image, preset, args.samples, seed=2024).items():
                out[f"{key}_{preset}"] = value
        out["swd_ratio_fast_to_standard"] = round(out["swd_fast"] / out["swd_standard"], 3)
        out["target_fast_under_10_min_met"] = out["train_seconds_fast"] <= 600
        out["target_fast_swd_within_1_5x_met"] = out["swd_ratio_fast_to_standard"] <= 1.5
    out["bench_seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
