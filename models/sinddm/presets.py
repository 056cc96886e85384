"""Named training presets: what each costs and what it delivers.

| preset     | net width | batch per step                  | steps   | lr (decay x0.5 at)          | EMA                      | CPU cost (2 cores)* | use |
|------------|-----------|---------------------------------|---------|-----------------------------|--------------------------|---------------------|-----|
| `paper`    | 160 (1.1 M weights) | 32 whole-image copies, image <= 50,000 px | 120,001 | 1e-3 (20k 40k 70k 80k 90k 110k) | 0.995 every 10 steps after 2,000 | days (a reference-style step: ~10 s; see below) | the reference settings; for a big GPU (8-10 h on a TITAN RTX) |
| `standard` | 96 (0.40 M) | 8 random 48x48 crops per scale   | 2,800   | 2e-3 (1,400 2,100)          | 0.99 every step after 700 | 511-738 s (bf16 CPU)* | ~4x `fast`'s training; see the SWD note below |
| `fast`     | 64 (0.18 M) | 8 random 48x48 crops per scale   | 1,200   | 2e-3 (600 900)              | 0.99 every step after 300 | 125-222 s (bf16 CPU), ~400-580 s (AVX2)*; 10-21 s on one H200 | the default |

*On the bench's 256x256 Landsat window with 2 cores. bf16 CPU: an AMD EPYC with AVX512-BF16, which
trains under bf16 autocast (bench/sinddm.py and bench/patch_denoiser.py, quiet machine). AVX2: an
EPYC without bf16 shared with other jobs, fp32 with the CPU kernels (200-step runs at 0.33-0.48
s/step). bench/sinddm.py reports `train_seconds_fast` and `train_seconds_standard` on each full run.

Measured SWD (bench/sinddm.py, 8 samples; lower is better): `fast` 278, `standard` 433, on the same
image and seed, and the previous `standard` (2,100 steps) 364 against `fast` 280. So `standard`
does not yet deliver what its longer training costs; `fast` is the better preset on the CPU.
Ablation on the same window (AVX2 CPU, fp32 kernels): width 96 on fast's schedule gave SWD 329,
width 64 on standard's 2,800-step schedule 391 (fast itself: 278-301 over machines and runs). The
longer schedule, not the width, costs most; the finest SWD level grows the most (~900-1,100
against 774), i.e. samples of the longer-trained nets are smoother. These figures predate the
sampling cap of 0.65 (scale_schedule.py) and the +-0.8 band headroom (normalization.py): with
both, `fast` measured SWD 246 on the same window and seed; `standard` is not re-measured.

Finer scales trained on the steps sampling runs there (`sampled_t_share` 0.8, both crop presets):
sampling visits only t <= T[s] (25-29 of 100) at scales > 0, so uniform t spent ~3/4 of their
training elsewhere. `fast` on one H200, 8 samples, model seeds 0/1/2: SWD 211/251/230 with the share,
316/309/290 without (bench/sinddm.py --device cuda and the same settings by hand); on the bf16 CPU,
seed 0: 280 with it, 299 without (the four coarser SWD levels 102/96/67/73 against 129/111/98/101;
the finest ~1,060 in both). With the share `standard` (652 s on that CPU) measured 284, so it still
does not beat `fast` (222 s in the same bench run). On the GPU:

| run (one H200, bench window)                  | train s | SWD |
|-----------------------------------------------|---------|-----|
| `fast`                                        | 10-21   | 211-251 (3 seeds) |
| `standard`                                    | 26      | 235 |
| `fast` with twice the steps                   | 26      | 304 |
| `paper` (reference settings), steps 500/1,500/3,000/3,557 | 14/40/81/96 | 603/320/437/493 |
| `paper` with `sampled_t_share` 0.8, steps 1,500/2,747 | 52/85 | 126/799 |
| width 160, 32 crops of 64 px, steps 2,000-6,458 | 27-80 | 861 -> 415 |

The full 120,001-step `paper` run was not measured: a reference-style step costs 13-185 ms there
(55-223 px), 2.4 h for the whole run, and the project's bf16 step 8.5-59 ms, 0.9 h (bench
`reference_120k_steps_hours`, `paper_preset_120k_steps_hours`). More training of one net does not
steadily lower the SWD under this sampler (paper and fast x2 above), so on a GPU too `fast` is
the preset to use: it trains in 10-21 s there.

The crop presets train with an L2 loss on the noise (`loss="l2"`); `paper` keeps the reference's L1.
An L1 net estimates the median of the noise, so each denoising step pulls a pixel towards the
scene's majority: with L1 `fast` models, 256 px unconditional samples of the bench window came out
as dark sea (mean 22-27 against the window's 59, mean |gradient| 4-8 against 23), three times the
training did not help (mean 19-20), and ROI regenerations on bench/edit.py's five ROIs had 0.74-0.77
of the scene's texture (seam ratio 1.20-1.25, seeds 0-2). With L2: samples with mean 37 and
|gradient| 17, texture 1.03 and seam ratio 0.89-0.91. bench/sinddm.py, bf16 CPU, seed 0: SWD
`fast` 186 (L1: 280) and `standard` 176 (L1: 284); the low-pass level, the colours and layout,
fell from ~1,060 to 310 and the finer levels rose from 67-102 to 103-198. The cost: on one large
ROI across the coast (a 40% square at the window's centre, seed 0), the L2 regeneration came out
rougher than the scene there (texture 1.70, L1 1.16; start steps 15-35 all gave 1.64-1.95), with
land and cloud speckle in its sea. L2 at the coarsest scale and L1 elsewhere gave 1.27 there, but
0.79 on the five ROIs, so it is not offered. The GPU figures above are for L1 nets.

CPU training of the fp32 path uses Winograd 3x3 convolutions and a faster depthwise backward (winograd_conv.py,
depthwise_conv.py): the same net and weights. At width 160 (`paper`, and bench's throughput
step) they give ~1.9x torch's oneDNN step and 2.3-3.3x the pixel throughput of a plain
reference-style step (bench `speedup`); at width 64 the 3x3 layers are too narrow for a full
Winograd pass, and only the weight gradients and the depthwise backward use them. CPUs with bf16
instructions skip them and train in bf16 (3.2-3.5x the reference step at width 160).

Why crops: the denoiser sees only ~35 px, so random crops of 48 px at a scale carry the same patch
statistics as copies of the whole image at a fraction of the pixels (the reference spends 32 x 55 x 55
px per step on one 55 px image). Why these numbers: measured on a 256x256 Landsat window (bench):
with width 64 and 1,200 steps, the multi-scale SWD of samples to the image was 239 with the blur
factor 3 and 313 with 1 (the float blur level as is), so presets use 3 (see scale_schedule.py);
later runs of `fast` measured SWD 280 with the CPU kernels and 301 with torch's own convolutions
(the same seed: fp32 rounding differences, so that is run-to-run spread, not an effect of them).
`fast` and `standard` train at the window's native resolution up to 512x512 px (`max_pixels`), so
edits keep the raster's pixel size; `paper` shrinks to 50,000 px as the reference does.
"""
from __future__ import annotations

from ...core.errors import ModelError
from .training_settings import TrainingSettings

PAPER = TrainingSettings(name="paper")
# what `standard` and `fast` share: random crops, a faster learning rate, an EMA every step, native
# resolution, and finer scales trained mostly on the steps that sampling runs there
_CROP_TRAINING = dict(batch_size=8, crop_size=48, learning_rate=2e-3, ema_decay=0.99, ema_every=1,
                      max_pixels=512 * 512, blur_factor=3.0, sampled_t_share=0.8, loss="l2")
# standard: about 4x fast's training time (a width-96 step costs 1.7-1.8x a width-64 one, measured)
STANDARD = TrainingSettings(name="standard", width=96, steps=2800, lr_milestones=(1400, 2100), ema_start=700,
                            **_CROP_TRAINING)
FAST = TrainingSettings(name="fast", width=64, steps=1200, lr_milestones=(600, 900), ema_start=300,
                        **_CROP_TRAINING)
PRESETS = {preset.name: preset for preset in (PAPER, STANDARD, FAST)}


def get_preset(name: str) -> TrainingSettings:
    """The preset called `name` (paper, standard or fast)."""
    try:
        return PRESETS[name.lower()]
    except KeyError:
        raise ModelError(f"Unknown training preset {name!r}: choose one of {', '.join(PRESETS)}.") from None
