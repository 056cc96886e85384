#!/usr/bin/env python3
"""Benchmark of RSEdit's SinDDM (models/). Prints ONE JSON line.

  python bench/sinddm.py --quick   # training throughput only (<= ~2 minutes)
  python bench/sinddm.py           # + quality per compute: trains `fast` and `standard` (2 cores: ~20 min with bf16, ~50 min on AVX2)
  python bench/sinddm.py --device cuda   # the GPU figures (~5 min on one H200), see device_quality()

Throughput: `train_px_per_s` is pixels through forward+backward per second of the project's
training step (models/sinddm/trainer.py, standard preset at width 160, finest scale), on the CPU path the
trainer picks: fp32 with the Winograd 3x3 and depthwise kernels (models/kernels/winograd_conv.py) on AVX2
CPUs, oneDNN under bf16 autocast on CPUs with bf16 instructions (`training_precision`,
`cpu_kernels_used`; the C kernels load only with RSEDIT_NATIVE_KERNELS=1 in the environment, see
`native_kernels`). `train_px_per_s_onednn_convs` is the same step in plain fp32 with torch's own
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
        scale_tensor = torch.full(time.shape, float(scale), device=time.device)
        cond = self.time_mlp(torch.cat((self.sin_time(time), self.sin_scale(scale_tensor)), dim=1))
        for block in (self.l1, self.l2, self.l3, self.l4):
            x = block(x, cond)
        return self.final_conv(x)


def reference_training_step(image55: torch.Tensor, alphas_cumprod: np.ndarray, device: str = "cpu"):
    """The reference's step: 32 copies of the whole image, t ~ U[0, 100), L1 on eps, Adam 1e-3."""
    torch.manual_seed(0)
    net = ReferenceSinDDMNet(160, image55.shape[0]).to(device)
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)
    batch = image55[None].repeat(32, 1, 1, 1).to(device)
    sqrt_ac = torch.tensor(np.sqrt(alphas_cumprod), dtype=torch.float32, device=device)
    sqrt_1m = torch.tensor(np.sqrt(1 - alphas_cumprod), dtype=torch.float32, device=device)

    def step() -> None:
        t = torch.randint(0, 100, (32,), device=device)
        noise = torch.randn_like(batch)
        x_noisy = sqrt_ac[t].view(-1, 1, 1, 1) * batch + sqrt_1m[t].view(-1, 1, 1, 1) * noise
        loss = (noise - net(x_noisy, t, 0)).abs().mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    return step, batch.shape[0] * batch.shape[2] * batch.shape[3]


def _finest_step(trainer):
    """(one training step at the trainer's finest scale, the pixels it processes)."""
    finest = trainer.plan.num_scales - 1
    return (lambda: trainer.step(scale=finest)), trainer.batch_pixels(finest)


def _step_candidates(models, image: np.ndarray, device: str):
    """The steps both throughput measurements time: the reference step (width 160, 32 copies of a
    55x55 image), the project's step at width 160 (standard preset) and the fast preset's step.
    Returns (the width-160 trainer, the image in model units, {name: (step, pixels)})."""
    from rsedit.models.diffusion.resample import lanczos_resize
    from rsedit.models.sinddm.trainer import SinDDMTrainer

    standard = models.get_preset("standard").with_changes(width=160, steps=10**9)
    fast = models.get_preset("fast").with_changes(steps=10**9)
    project = SinDDMTrainer(image, settings=standard, device=device)
    fast_trainer = SinDDMTrainer(image, settings=fast, device=device)
    normalized = torch.from_numpy(project.normalization.normalize(image))
    image55 = lanczos_resize(normalized, (55, 55)).contiguous()
    candidates = {
        "reference": reference_training_step(image55, project.schedule.alphas_cumprod, device),
        "project": _finest_step(project),
        "fast": _finest_step(fast_trainer),
    }
    return project, normalized, candidates


def measure_throughput(models, image: np.ndarray, budget_s: float) -> dict:
    from rsedit.models.kernels import native_kernels
    from rsedit.models.kernels.winograd_conv import winograd_tile
    from rsedit.models.sinddm.trainer import SinDDMTrainer

    project, _, steps = _step_candidates(models, image, "cpu")
    oneDNN = SinDDMTrainer(image, settings=project.settings, device="cpu")
    # the same step in fp32 with oneDNN's convolutions: what the project's CPU path gains (the
    # Winograd/depthwise kernels on AVX2 CPUs, bf16 autocast on CPUs with bf16 instructions)
    oneDNN.net.use_cpu_kernels(False)
    oneDNN.autocast = None
    candidates = {"reference": steps["reference"], "project": steps["project"], "onednn": _finest_step(oneDNN),
                  "fast": steps["fast"]}
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
        "project_step": {"width": 160, "batch": project.settings.batch_size, "crop": project.settings.crop_size,
                         "pixels": candidates["project"][1]},
        "reference_step": {"width": 160, "batch": 32, "crop": None, "pixels": candidates["reference"][1]},
        "timing_rounds": rounds,
    }


def evaluate_preset(models, image: np.ndarray, preset, samples: int, seed: int, device: str = "cpu") -> dict:
    from rsedit.models.diffusion.resample import lanczos_resize

    log(f"training the {getattr(preset, 'name', preset)} preset on {device}")
    cpu_start, wall_start = time.process_time(), time.perf_counter()
    result = models.train_sinddm(image, settings=preset, device=device)
    train_seconds = time.perf_counter() - wall_start
    train_cpu = time.process_time() - cpu_start
    model = result.model
    reference = lanczos_resize(torch.from_numpy(model.normalization.normalize(image)), model.training_size)
    log(f"{getattr(preset, 'name', preset)}: trained in {train_seconds:.0f} s; sampling {samples} images")
    tick = time.perf_counter()
    generated = model.sample(count=samples, seed=seed, device=device)
    _synchronize(device)
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


def _synchronize(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def _median_step_seconds(step, device: str, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        tick = time.perf_counter()
        step()
        _synchronize(device)
        times.append(time.perf_counter() - tick)
    return float(np.median(times))


def measure_device_throughput(models, image: np.ndarray, device: str, repeats: int) -> dict:
    """Throughput on an accelerator, and what the reference configuration costs there.

    The project's step runs as the trainer runs it on that device (bf16 autocast, channels_last);
    the reference step is the plain fp32 eager copy above on the same device. The per-scale
    figures run the reference configuration (whole-image copies of the image shrunk to 50,000 px,
    width 160) at every pyramid size, through the reference step (`reference_*`) and through the
    project's trainer with the `paper` preset (`paper_*`); the mean over scales times 120,001 steps
    is what that training costs on this device.
    """
    from rsedit.models.diffusion.resample import lanczos_resize
    from rsedit.models.sinddm.trainer import SinDDMTrainer

    project, normalized, candidates = _step_candidates(models, image, device)
    paper = SinDDMTrainer(image, settings=models.get_preset("paper").with_changes(steps=10**9), device=device)
    seconds = {}
    for name, (step, _) in candidates.items():
        _median_step_seconds(step, device, 3)  # warm-up: cuDNN autotuning, allocator
        seconds[name] = _median_step_seconds(step, device, repeats)
    px = {name: candidates[name][1] / seconds[name] for name in candidates}

    paper_sizes = list(paper.plan.sizes)
    reference_per_scale, project_per_scale = [], []
    for scale, size in enumerate(paper_sizes):
        level = lanczos_resize(normalized, tuple(size)).contiguous()
        step, _ = reference_training_step(level, project.schedule.alphas_cumprod, device)
        _median_step_seconds(step, device, 2)
        reference_per_scale.append(_median_step_seconds(step, device, max(3, repeats // 2)))
        project_step = lambda: paper.step(scale=scale)  # noqa: E731
        _median_step_seconds(project_step, device, 2)
        project_per_scale.append(_median_step_seconds(project_step, device, max(3, repeats // 2)))
    reference_mean = float(np.mean(reference_per_scale))
    paper_mean = float(np.mean(project_per_scale))
    return {
        "train_px_per_s": round(px["project"]),
        "train_px_per_s_reference": round(px["reference"]),
        "speedup": round(px["project"] / px["reference"], 2),
        "train_px_per_s_fast_preset": round(px["fast"]),
        "step_ms": {name: round(1000 * value, 2) for name, value in seconds.items()},
        "training_precision": "fp32" if project.autocast is None else str(project.autocast).replace("torch.", ""),
        "paper_sizes": [list(size) for size in paper_sizes],
        "reference_step_ms_per_scale": [round(1000 * v, 2) for v in reference_per_scale],
        "paper_step_ms_per_scale": [round(1000 * v, 2) for v in project_per_scale],
        # the same work (whole-image copies, every scale) through the project's trainer against the
        # reference step: on a GPU the crop presets' steps are too small to fill it, so their px/s say little
        "speedup_reference_batches": round(reference_mean / paper_mean, 2),
        "reference_120k_steps_hours": round(reference_mean * 120_001 / 3600, 2),
        "paper_preset_120k_steps_hours": round(paper_mean * 120_001 / 3600, 2),
    }


def train_with_checkpoints(models, image: np.ndarray, settings, device: str, checkpoints: list[int],
                           budget_s: float, samples: int, seed: int) -> dict:
    """Train `settings`, stopping at each checkpoint step to sample and score; training time excludes
    the scoring, and training stops early once `budget_s` of training time is spent."""
    from rsedit.models.diffusion.resample import lanczos_resize
    from rsedit.models.sinddm.trainer import SinDDMTrainer

    trainer = SinDDMTrainer(image, settings=settings, device=device)
    reference = lanczos_resize(torch.from_numpy(trainer.normalization.normalize(image)), trainer.plan.finest_size)
    curve, train_seconds = [], 0.0
    for target in checkpoints:
        tick = time.perf_counter()
        while trainer.step_count < target and train_seconds + time.perf_counter() - tick < budget_s:
            trainer.step()
        _synchronize(device)
        train_seconds += time.perf_counter() - tick
        generated = trainer.model().sample(count=samples, seed=seed, device=device)
        swd = models.sliced_wasserstein_distance(generated, reference)
        curve.append({"step": trainer.step_count, "train_seconds": round(train_seconds, 1), "swd": round(swd.mean, 2),
                      "swd_levels": [round(v, 1) for v in swd.per_level]})
        log(f"{settings.name}: step {trainer.step_count}, {train_seconds:.0f} s, SWD {swd.mean:.1f}")
        if trainer.step_count < target:
            break  # out of budget
    return {"settings": {key: value for key, value in settings.to_dict().items() if key != "name"},
            "training_size": list(trainer.plan.finest_size), "curve": curve,
            "seconds_per_step": round(train_seconds / max(trainer.step_count, 1), 5)}


def gpu_candidate(models, steps: int):
    """The reference's net and learning rate on random crops, sized for a large GPU batch."""
    return models.TrainingSettings(
        name="gpu-candidate", width=160, batch_size=32, crop_size=64, steps=steps, learning_rate=1e-3,
        lr_milestones=(steps // 2, 3 * steps // 4), ema_decay=0.995, ema_every=1, ema_start=steps // 4,
        max_pixels=512 * 512, blur_factor=3.0, sampled_t_share=0.8)


def device_quality(models, image: np.ndarray, device: str, samples: int, budget_scale: float) -> dict:
    """Quality per wall time on an accelerator: the presets, the reference settings within a time
    budget (SWD along the way), and the reference net on crops. Each part reports its own failure."""
    out: dict = {}

    def part(name: str, run) -> None:
        try:
            out[name] = run()
        except Exception as error:  # a GPU lease is short: one broken part must not lose the others
            out[name] = {"error": repr(error)}
        log(json.dumps({name: out[name]}))  # each part's figures survive a run cut short

    for preset in ("fast", "standard"):
        part(preset, lambda: evaluate_preset(models, image, preset, samples, 2024, device))
    uniform = models.get_preset("fast").with_changes(sampled_t_share=0.0, name="fast-uniform-t")
    part("fast_uniform_t", lambda: evaluate_preset(models, image, uniform, samples, 2024, device))
    paper = models.get_preset("paper")
    part("paper_curve", lambda: train_with_checkpoints(
        models, image, paper, device, [500, 1500, 3000, 6000, 12000, 24000], 120 * budget_scale, samples, 2024))
    part("gpu_candidate_curve", lambda: train_with_checkpoints(
        models, image, gpu_candidate(models, 8000), device, [2000, 4000, 6000, 8000], 100 * budget_scale, samples, 2024))
    return out


def baselines(models, image: np.ndarray) -> dict:
    from rsedit.models.diffusion.pyramid import blurry_versions, build_pyramid, plan_pyramid

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
    parser.add_argument("--device", default="cpu",
                        help="cpu (default), or an accelerator such as cuda: then the GPU figures below")
    parser.add_argument("--budget-scale", type=float, default=1.0,
                        help="accelerator only: scales the training-time budgets of the curves (default 1)")
    args = parser.parse_args()
    models = import_models()
    threads = models.set_cpu_threads(args.threads)
    started = time.perf_counter()
    image = load_window()
    out: dict = {"bench": "sinddm", "quick": args.quick, "device": args.device, "threads": threads, "torch": torch.__version__}
    if args.device != "cpu":
        device = str(models.select_device(args.device))
        out["device_name"] = torch.cuda.get_device_name() if device.startswith("cuda") else device
        log(f"timing training steps on {device} (project vs reference)")
        try:
            out.update(measure_device_throughput(models, image, device, repeats=5 if args.quick else 20))
        except Exception as error:
            out["throughput_error"] = repr(error)
        log(json.dumps(out))
        if not args.quick:
            out.update(baselines(models, image))
            out.update(device_quality(models, image, device, args.samples, args.budget_scale))
        out["bench_seconds"] = round(time.perf_counter() - started, 1)
        print(json.dumps(out), flush=True)
        return
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
