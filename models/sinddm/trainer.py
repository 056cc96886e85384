"""Training on a single image (Algorithm 1): one random scale per step, a random t per batch
element, an L1 (reference) or L2 loss on the noise, Adam with step decay, EMA; seeded, cancellable
and resumable."""
from __future__ import annotations

import contextlib
import copy
import logging
import math
import time
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import torch

from ...core.errors import ModelError, TrainingCancelled
from ...core.progress import CancelCheck, ProgressCallback
from ..device import autocast_dtype, prefers_channels_last, select_device, set_cpu_threads
from ..diffusion.normalization import BandNormalization, non_finite_band
from ..diffusion.pyramid import plan_pyramid
from ..diffusion.scale_schedule import ScaleSchedule
from ..diffusion.schedule import DiffusionSchedule
from ..kernels.winograd_conv import release_workspace
from .denoiser_net import SinDDMNet, SinDDMNetConfig
from .ema import copy_weights, update_ema
from .model import SinDDMModel
from .training_data import TrainingPyramid
from .training_settings import TrainingSettings

log = logging.getLogger(__name__)

_PROGRESS_INTERVAL_S = 0.25


@dataclass
class TrainingState:
    """What resuming needs beyond the model: raw weights, optimizer moments, step, RNG."""

    step: int
    net_weights: dict[str, torch.Tensor]
    optimizer: dict[str, Any]  # torch.optim.Adam.state_dict()
    rng_state: torch.Tensor  # torch.Generator state at the start of step `step`
    elapsed_seconds: float
    loss: float


@dataclass
class TrainingResult:
    model: SinDDMModel  # EMA weights as of the last completed step
    state: TrainingState  # what resuming needs (a cancelled run's TrainingCancelled.partial has it too)
    seconds: float  # wall time of this run
    losses: list[float]  # loss of every step of this run (for plots and checks)


def _prepare_image(
    image: np.ndarray, valid: np.ndarray | None, normalization: BandNormalization | None
) -> tuple[torch.Tensor, torch.Tensor | None, BandNormalization]:
    data = np.asarray(image)
    if data.ndim == 2:
        data = data[None]
    if data.ndim != 3:
        raise ModelError(f"Expected the training image as [bands, height, width], got shape {data.shape}.")
    mask = None if valid is None else np.asarray(valid, dtype=bool)
    if mask is not None and mask.shape != data.shape[1:]:
        raise ModelError(f"The validity mask is {mask.shape} but the image is {data.shape[1:]}.")
    if np.issubdtype(data.dtype, np.floating):
        finite_bands = np.isfinite(data)
        for number, finite_band in enumerate(finite_bands, start=1):
            if (mask is None or mask.any()) and not (finite_band if mask is None else finite_band & mask).any():
                raise non_finite_band(number)  # else every pixel would count as nodata, and the cause be lost
        finite = finite_bands.all(axis=0)
        mask = finite if mask is None else mask & finite
    normalization = normalization or BandNormalization.fit(data, mask)
    normalized = normalization.normalize(data, clip=True)
    if mask is not None:
        normalized[:, ~mask] = 0.0  # neutral fill; these pixels carry no loss weight
    valid_tensor = None if mask is None or mask.all() else torch.from_numpy(mask)
    return torch.from_numpy(normalized), valid_tensor, normalization


def _new_net(config: SinDDMNetConfig, seed: int) -> SinDDMNet:
    with torch.random.fork_rng(devices=[]):  # seeded init without touching the caller's global RNG
        torch.manual_seed(seed)
        return SinDDMNet(config)


class SinDDMTrainer:
    """One training run: the image pyramid, the net and its EMA copy, Adam and the seeded RNG."""

    def __init__(
        self,
        image: np.ndarray,
        *,
        valid: np.ndarray | None = None,
        settings: TrainingSettings | str | None = None,
        device: torch.device | str | None = "auto",
        fingerprint: Any = None,
        resume: tuple[SinDDMModel, TrainingState] | None = None,
    ) -> None:
        from .presets import get_preset  # presets import TrainingSettings only; avoids an import cycle

        self.device = select_device(device)
        self.fingerprint = fingerprint
        if resume is not None:
            previous, state = resume
            if settings is None:
                settings = previous.settings
            elif isinstance(settings, str):
                raise ModelError("Resume with the checkpoint's own settings (settings=None) or with TrainingSettings.")
            elif settings.width != previous.settings.width:
                raise ModelError("A run can only be resumed with the network width it started with.")
            bands = np.asarray(image).shape[0] if np.ndim(image) == 3 else 1
            previous.check_compatible(bands, fingerprint, source="The checkpoint")
        if settings is None:
            settings = "standard"
        self.settings = get_preset(settings) if isinstance(settings, str) else settings

        tensor, valid_tensor, self.normalization = _prepare_image(image, valid, resume[0].normalization if resume else None)
        self.schedule = DiffusionSchedule.cosine()
        self.plan = resume[0].pyramid if resume else plan_pyramid(*tensor.shape[1:], max_pixels=self.settings.max_pixels)
        self.pyramid = TrainingPyramid(tensor, self.plan, valid_tensor).to(self.device)
        self.scales = (
            resume[0].scales
            if resume
            else ScaleSchedule.from_blur_levels(self.pyramid.blur_levels, self.schedule, self.settings.blur_factor)
        )
        self.net = _new_net(SinDDMNetConfig(channels=self.pyramid.channels, width=self.settings.width), self.settings.seed)
        self.ema = copy.deepcopy(self.net)
        self.generator = torch.Generator().manual_seed(self.settings.seed)
        self.step_count, self.elapsed_before, self.loss = 0, 0.0, float("nan")
        if resume is not None:
            self.net.load_state_dict(state.net_weights)
            self.ema.load_state_dict(resume[0].net.state_dict())
            self.generator.set_state(state.rng_state.clone())
            self.step_count, self.elapsed_before, self.loss = state.step, state.elapsed_seconds, state.loss

        self.channels_last = prefers_channels_last(self.device)
        memory_format = torch.channels_last if self.channels_last else torch.contiguous_format
        self.net.to(device=self.device, memory_format=memory_format).train()
        self.ema.to(device=self.device, memory_format=memory_format).eval()
        self.optimizer = _adam(self.net, self.settings.learning_rate)
        if resume is not None:
            self.optimizer.load_state_dict(state.optimizer)
        # bf16 only: it needs no loss scaling; fp16-only GPUs and plain CPUs train in fp32
        self.autocast = autocast_dtype(self.device) if autocast_dtype(self.device) == torch.bfloat16 else None
        # Winograd 3x3 and depthwise-backward kernels (fp32 only) beat oneDNN's step on AVX2 CPUs; CPUs
        # with bf16 instructions train faster in oneDNN bf16, so they take that path instead
        # (docs/benchmarks.md, "Winograd and depthwise kernels"); compiled graphs keep oneDNN's (dynamo
        # would break there)
        self.net.use_cpu_kernels(self.device.type == "cpu" and self.autocast is None and not self.settings.compile)
        self.forward = _maybe_compile(self.net, self.settings.compile)
        self.gammas = torch.tensor(
            np.stack([self.scales.gammas(s, self.schedule) for s in range(self.plan.num_scales)]), dtype=torch.float32
        )
        # on CPU, batches are split into micro-batches (same gradient): caches hold the activations,
        # and a cancel request is seen between them instead of after a whole (possibly 10 s) step
        self.micro_batch_pixels = self.settings.micro_batch_pixels if self.device.type == "cpu" else None

    def step(self, is_cancelled: CancelCheck = lambda: False, scale: int | None = None) -> float | None:
        """One optimizer step (at a random scale unless `scale` is given); its loss, or None if stopped.

        A stopped step leaves no trace: the RNG is rewound so a resumed run redoes the same step.
        """
        rng_at_step = self.generator.get_state()
        for group in self.optimizer.param_groups:
            group["lr"] = self.settings.learning_rate_at(self.step_count)
        loss = self._compute_gradients(is_cancelled, scale)
        if loss is None:
            self.generator.set_state(rng_at_step)
            self.optimizer.zero_grad(set_to_none=True)
            return None
        if math.isfinite(loss):
            self.optimizer.step()
        self.step_count += 1
        if self.step_count % self.settings.ema_every == 0:
            if self.step_count < self.settings.ema_start:
                copy_weights(self.ema, self.net)
            else:
                update_ema(self.ema, self.net, self.settings.ema_decay)
        return loss

    def batch_pixels(self, scale: int) -> int:
        height, width = self.plan.sizes[scale]
        crop = self.settings.crop_size
        if crop is not None:
            height, width = min(height, crop), min(width, crop)
        return self.settings.batch_size * height * width

    def _compute_gradients(self, is_cancelled: CancelCheck, fixed_scale: int | None) -> float | None:
        generator, device = self.generator, self.device
        scale = int(torch.randint(0, self.plan.num_scales, (1,), generator=generator))
        if fixed_scale is not None:
            scale = fixed_scale
        sharp, blurry, weight = self.pyramid.batch(scale, self.settings.batch_size, self.settings.crop_size, generator)
        batch = sharp.shape[0]
        t = self.draw_timesteps(scale, batch)
        noise = self._noise(sharp.shape)
        clean = sharp
        if blurry is not None:
            gamma = self.gammas[scale, t].to(device).view(-1, 1, 1, 1)
            clean = gamma * blurry + (1.0 - gamma) * sharp
        x_t = self.schedule.add_noise(clean, t, noise)
        denominator = float(noise.numel()) if weight is None else float(weight.sum()) * noise.shape[1]
        if denominator == 0:
            return float("nan")  # the crops fell on nodata only: nothing to learn from this draw
        pixels = sharp.shape[-1] * sharp.shape[-2]
        chunk = batch if self.micro_batch_pixels is None else max(1, min(batch, self.micro_batch_pixels // pixels))
        self.optimizer.zero_grad(set_to_none=True)
        total = 0.0
        t_device = t.to(device)
        scales = torch.full((batch,), float(scale), device=device)  # a tensor: compiled code is not specialised per scale
        for first in range(0, batch, chunk):
            if is_cancelled():
                return None
            part = slice(first, first + chunk)
            inputs = x_t[part]
            if self.channels_last:
                inputs = inputs.contiguous(memory_format=torch.channels_last)
            with self._precision():
                prediction = self.forward(inputs, t_device[part], scales[part])
            difference = prediction.float() - noise[part]
            error = difference.abs() if self.settings.loss == "l1" else difference.square()
            if weight is not None:
                error = error * weight[part]
            loss = error.sum() / denominator  # micro-batch losses add up to the full batch's mean
            loss.backward()
            total += float(loss.detach())
        return total

    def _noise(self, shape: torch.Size) -> torch.Tensor:
        if self.device.type == "cpu":
            return torch.randn(shape, generator=self.generator)
        # On a GPU, drawing on the host would add a host-side draw and a copy to every step; a device
        # generator seeded from the run's generator keeps runs reproducible and resumable.
        seed = int(torch.randint(0, 2**62, (1,), generator=self.generator))
        device_generator = torch.Generator(device=self.device).manual_seed(seed)
        return torch.randn(shape, generator=device_generator, device=self.device)

    def draw_timesteps(self, scale: int, batch: int) -> torch.Tensor:
        """t for each batch element: uniform over the schedule, except that at scales > 0 a
        `sampled_t_share` of them is drawn from 0..T[s], the only steps sampling runs there (about a quarter
        of the schedule, so uniform draws spend most of a finer scale's training elsewhere; docs/benchmarks.md)."""
        generator = self.generator
        t = torch.randint(0, self.schedule.num_timesteps, (batch,), generator=generator)
        if scale > 0 and self.settings.sampled_t_share > 0:
            sampled = torch.randint(0, int(self.scales.start_steps[scale]) + 1, (batch,), generator=generator)
            chosen = torch.rand(batch, generator=generator) < self.settings.sampled_t_share
            t = torch.where(chosen, sampled, t)
        return t

    def _precision(self) -> contextlib.AbstractContextManager:
        if self.autocast is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=self.autocast)

    def run(
        self, progress: ProgressCallback | None = None, is_cancelled: CancelCheck | None = None
    ) -> TrainingResult:
        """Train to settings.steps. A cancel raises TrainingCancelled, whose `partial` is the
        TrainingResult so far (its state resumes the run)."""
        started = time.perf_counter()
        stop = is_cancelled or (lambda: False)
        first_step, last_report = self.step_count, 0.0
        smoothed = self.loss
        losses: list[float] = []
        completed = True
        total = self.settings.steps
        while self.step_count < total:
            loss = self.step(stop)
            if loss is None:
                completed = False
                break
            losses.append(loss)
            if math.isfinite(loss):
                self.loss = loss
                smoothed = loss if not math.isfinite(smoothed) else 0.98 * smoothed + 0.02 * loss
            now = time.perf_counter()
            if progress is not None and (now - last_report >= _PROGRESS_INTERVAL_S or self.step_count == total):
                seconds_left = (now - started) / max(1, self.step_count - first_step) * (total - self.step_count)
                progress(self.step_count / total,
                         f"Training step {self.step_count}/{total}, loss {smoothed:.4f}, about {seconds_left:.0f} s left")
                last_report = now
            if self.step_count < total and stop():
                completed = False
                break
        release_workspace()  # the Winograd kernels' scratch buffers (hundreds of MB at width 160)
        seconds = time.perf_counter() - started
        result = TrainingResult(self.model(), self.state(seconds, smoothed), seconds, losses)
        if not completed:
            raise TrainingCancelled(f"Training was cancelled at step {self.step_count} of {total}.", partial=result)
        return result

    def model(self) -> SinDDMModel:
        """The trained model so far (EMA weights; the raw weights while the EMA has not started)."""
        source = self.ema if self.step_count >= self.settings.ema_start and self.settings.ema_decay > 0 else self.net
        net = SinDDMNet(self.net.config)
        net.load_state_dict({k: v.detach().cpu().contiguous() for k, v in source.state_dict().items()})
        return SinDDMModel(
            net=net.eval(),
            normalization=self.normalization,
            pyramid=self.plan,
            scales=self.scales,
            settings=self.settings,
            steps_trained=self.step_count,
            fingerprint=self.fingerprint,
            schedule=self.schedule,
        )

    def state(self, seconds: float = 0.0, loss: float | None = None) -> TrainingState:
        return TrainingState(
            step=self.step_count,
            net_weights={k: v.detach().cpu().contiguous().clone() for k, v in self.net.state_dict().items()},
            optimizer=_to_cpu(self.optimizer.state_dict()),
            rng_state=self.generator.get_state(),
            elapsed_seconds=self.elapsed_before + seconds,
            loss=self.loss if loss is None else loss,
        )


def train_sinddm(
    image: np.ndarray,
    *,
    valid: np.ndarray | None = None,
    settings: TrainingSettings | str | None = None,
    device: torch.device | str | None = "auto",
    threads: int | None = None,
    fingerprint: Any = None,
    progress: ProgressCallback | None = None,
    is_cancelled: CancelCheck | None = None,
    resume: tuple[SinDDMModel, TrainingState] | None = None,
) -> TrainingResult:
    """Train a SinDDM on `image` [bands, H, W] (any int/float dtype); `valid` [H, W] marks usable pixels.

    `settings` is a TrainingSettings or a preset name (see presets.py); None means "standard", or
    the checkpoint's own settings when resuming (then only TrainingSettings may change, e.g. steps).
    `progress(fraction, message)` is called at most 4 times a second. `is_cancelled()` is polled
    between micro-batches: when it returns True, training stops within about a second and raises
    TrainingCancelled; its `partial` result has a state to resume from: pass (partial.model,
    partial.state), or what load_checkpoint returns, as `resume`.
    """
    set_cpu_threads(threads)
    trainer = SinDDMTrainer(image, valid=valid, settings=settings, device=device, fingerprint=fingerprint, resume=resume)
    return trainer.run(progress, is_cancelled)


def _adam(net: SinDDMNet, learning_rate: float) -> torch.optim.Optimizer:
    """Adam with multi-tensor (foreach) updates: one kernel per step for all weights, same rule.

    fused=True would be a little faster still, but a resumed run then no longer reproduces the
    uninterrupted one bit for bit (measured: it is ~1% of a width-160 step anyway).
    """
    return torch.optim.Adam(net.parameters(), lr=learning_rate, foreach=True)


def _maybe_compile(net: SinDDMNet, wanted: bool) -> Callable[..., torch.Tensor]:
    if not wanted:
        return net
    try:
        compiled = torch.compile(net, dynamic=False)
    except Exception as error:  # no compiler / unsupported platform: eager is always correct
        log.warning("torch.compile is unavailable (%s); training eagerly.", error)
        return net
    state = {"compiled": compiled}

    def forward(x: torch.Tensor, t: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
        if state["compiled"] is not net:
            try:
                return state["compiled"](x, t, scale)
            except Exception as error:  # compilation happens on the first call
                log.warning("torch.compile failed (%s); training eagerly.", error)
                state["compiled"] = net
        return net(x, t, scale)

    return forward


def _to_cpu(value: Any) -> Any:
    if torch.is_tensor(value):
        return value.detach().cpu().contiguous().clone()
    if isinstance(value, dict):
        return {k: _to_cpu(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_to_cpu(v) for v in value]
    return value
