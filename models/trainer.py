"""Training on a single image (Algorithm 1): one random scale per step, a random t per batch
element, L1 loss on the noise, Adam with step decay, EMA; seeded, cancellable and resumable."""
from __future__ import annotations

import copy
import logging
import math
import time
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import torch

from .denoiser_net import SinDDMNet, SinDDMNetConfig
from .device import prefers_channels_last, select_device, set_cpu_threads
from .ema import copy_weights, update_ema
from .errors import ModelError
from .normalization import BandNormalization
from .pyramid import plan_pyramid
from .scale_schedule import ScaleSchedule
from .schedule import DiffusionSchedule
from .sinddm import SinDDMModel
from .training_data import TrainingPyramid
from .training_settings import TrainingSettings

log = logging.getLogger(__name__)

ProgressCallback = Callable[[int, float, float], None]  # (steps done, smoothed loss, estimated seconds left)
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
    state: TrainingState
    completed: bool  # False when should_stop ended the run early (resume from `state`)
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
    if np.issubdtype(data.dtype, np.floating):
        finite = np.isfinite(data).all(axis=0)
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


def train_sinddm(
    image: np.ndarray,
    *,
    valid: np.ndarray | None = None,
    settings: TrainingSettings | str | None = "standard",
    device: torch.device | str | None = "auto",
    threads: int | None = None,
    fingerprint: Any = None,
    progress: ProgressCallback | None = None,
    should_stop: Callable[[], bool] | None = None,
    resume: tuple[SinDDMModel, TrainingState] | None = None,
) -> TrainingResult:
    """Train a SinDDM on `image` [bands, H, W] (any int/float dtype); `valid` [H, W] marks usable pixels.

    `settings` is a TrainingSettings or a preset name (see presets.py). `progress(step, loss,
    seconds_left)` is called a few times per second at most. `should_stop()` is polled between
    micro-batches; when it returns True training stops within about a second and the result has
    completed=False and a state to resume from: pass (result.model, result.state) as `resume`.
    """
    from .presets import get_preset  # presets import TrainingSettings only; avoids a cycle at import

    started = time.perf_counter()
    set_cpu_threads(threads)
    run_device = select_device(device)
    if resume is not None:
        model_in, state_in = resume
        if settings is None or isinstance(settings, str):
            settings = model_in.settings
        elif settings.width != model_in.settings.width:
            raise ModelError("A run can only be resumed with the same network width it started with.")
        model_in.check_compatible(np.asarray(image).shape[0] if np.ndim(image) == 3 else 1, fingerprint, source="The checkpoint")
    settings = get_preset(settings) if isinstance(settings, str) else settings
    if settings is None:
        raise ModelError("No training settings given: pass a preset name or TrainingSettings.")

    tensor, valid_tensor, normalization = _prepare_image(image, valid, resume[0].normalization if resume else None)
    schedule = DiffusionSchedule.cosine()
    plan = resume[0].pyramid if resume else plan_pyramid(tensor.shape[1], tensor.shape[2], max_pixels=settings.max_pixels)
    pyramid = TrainingPyramid(tensor, plan, valid_tensor).to(run_device)
    scales = resume[0].scales if resume else ScaleSchedule.from_blur_levels(pyramid.blur_levels, schedule, settings.blur_factor)
    config = SinDDMNetConfig(channels=pyramid.channels, width=settings.width)

    net = _new_net(config, settings.seed)
    ema = copy.deepcopy(net)
    generator = torch.Generator().manual_seed(settings.seed)
    step, elapsed_before, loss_value = 0, 0.0, float("nan")
    if resume is not None:
        net.load_state_dict(state_in.net_weights)
        ema.load_state_dict(resume[0].net.state_dict())
        generator.set_state(state_in.rng_state.clone())
        step, elapsed_before, loss_value = state_in.step, state_in.elapsed_seconds, state_in.loss

    channels_last = prefers_channels_last(run_device)
    memory_format = torch.channels_last if channels_last else torch.contiguous_format
    net.to(device=run_device, memory_format=memory_format).train()
    ema.to(device=run_device, memory_format=memory_format).eval()
    optimizer = torch.optim.Adam(net.parameters(), lr=settings.learning_rate)
    if resume is not None:
        optimizer.load_state_dict(state_in.optimizer)
    forward = _maybe_compile(net, settings.compile, run_device)

    gammas = torch.tensor(
        np.stack([scales.gammas(s, schedule) for s in range(plan.num_scales)]), dtype=torch.float32
    )
    micro_pixels = settings.micro_batch_pixels if run_device.type == "cpu" else None
    stop = should_stop or (lambda: False)
    smoothed = loss_value
    first_step, last_report = step, 0.0
    completed = True
    losses: list[float] = []

    while step < settings.steps:
        rng_at_step = generator.get_state()
        for group in optimizer.param_groups:
            group["lr"] = settings.learning_rate_at(step)
        step_loss = _train_step(
            forward, optimizer, pyramid, schedule, gammas, settings, generator, run_device, channels_last, micro_pixels, stop
        )
        if step_loss is None:  # cancelled mid-step: redo this step on resume
            generator.set_state(rng_at_step)
            optimizer.zero_grad(set_to_none=True)
            completed = False
            break
        step += 1
        losses.append(step_loss)
        if step % settings.ema_every == 0:
            if step < settings.ema_start:
                copy_weights(ema, net)
            else:
                update_ema(ema, net, settings.ema_decay)
        if math.isfinite(step_loss):
            loss_value = step_loss
            smoothed = step_loss if not math.isfinite(smoothed) else 0.98 * smoothed + 0.02 * step_loss
        now = time.perf_counter()
        if progress is not None and (now - last_report >= _PROGRESS_INTERVAL_S or step == settings.steps):
            per_step = (now - started) / max(1, step - first_step)
            progress(step, smoothed, per_step * (settings.steps - step))
            last_report = now
        if step < settings.steps and stop():
            completed = False
            break

    if step < settings.ema_start or settings.ema_decay == 0.0:
        copy_weights(ema, net)  # a short run has no meaningful average yet: use the weights themselves
    seconds = time.perf_counter() - started
    model = SinDDMModel(
        net=_to_cpu_copy(ema),
        normalization=normalization,
        pyramid=plan,
        scales=scales,
        settings=settings,
        steps_trained=step,
        fingerprint=fingerprint,
        schedule=schedule,
    )
    state = TrainingState(
        step=step,
        net_weights={k: v.detach().cpu().contiguous().clone() for k, v in net.state_dict().items()},
        optimizer=_optimizer_state_to_cpu(optimizer.state_dict()),
        rng_state=generator.get_state(),
        elapsed_seconds=elapsed_before + seconds,
        loss=smoothed,
    )
    return TrainingResult(model=model, state=state, completed=completed, seconds=seconds, losses=losses)


def _train_step(
    forward: Callable[..., torch.Tensor],
    optimizer: torch.optim.Optimizer,
    pyramid: TrainingPyramid,
    schedule: DiffusionSchedule,
    gammas: torch.Tensor,
    settings: TrainingSettings,
    generator: torch.Generator,
    device: torch.device,
    channels_last: bool,
    micro_pixels: int | None,
    stop: Callable[[], bool],
) -> float | None:
    """One optimizer step; returns its loss, or None when `stop()` interrupted it."""
    scale = int(torch.randint(0, pyramid.plan.num_scales, (1,), generator=generator))
    sharp, blurry, weight = pyramid.batch(scale, settings.batch_size, settings.crop_size, generator)
    batch = sharp.shape[0]
    t = torch.randint(0, schedule.num_timesteps, (batch,), generator=generator)
    noise = torch.randn(sharp.shape, generator=generator).to(device)
    clean = sharp
    if blurry is not None:
        gamma = gammas[scale, t].to(device).view(-1, 1, 1, 1)
        clean = gamma * blurry + (1.0 - gamma) * sharp
    x_t = schedule.add_noise(clean, t, noise)
    denominator = float(noise.numel()) if weight is None else float(weight.sum()) * noise.shape[1]
    if denominator == 0:
        return float("nan")  # the crops fell on nodata only: nothing to learn from this draw
    pixels = sharp.shape[-1] * sharp.shape[-2]
    chunk = batch if micro_pixels is None else max(1, min(batch, micro_pixels // pixels))
    optimizer.zero_grad(set_to_none=True)
    total = 0.0
    t_device = t.to(device)
    scales = torch.full((batch,), float(scale), device=device)  # a tensor, so compiled code is not specialised per scale
    for first in range(0, batch, chunk):
        if stop():
            return None
        part = slice(first, first + chunk)
        inputs = x_t[part]
        if channels_last:
            inputs = inputs.contiguous(memory_format=torch.channels_last)
        error = (forward(inputs, t_device[part], scales[part]) - noise[part]).abs()
        if weight is not None:
            error = error * weight[part]
        loss = error.sum() / denominator
        loss.backward()
        total += float(loss.detach())
    optimizer.step()
    return total


def _maybe_compile(net: SinDDMNet, wanted: bool, device: torch.device) -> Callable[..., torch.Tensor]:
    if not wanted:
        return net
    try:
        compiled = torch.compile(net, dynamic=False)
    except Exception as error:  # no compiler / unsupported platform: eager is always correct
        log.warning("torch.compile is unavailable (%s); training eagerly.", error)
        return net

    def forward(x: torch.Tensor, t: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
        nonlocal compiled
        if compiled is not net:
            try:
                return compiled(x, t, scale)
            except Exception as error:  # compilation happens on the first call
                log.warning("torch.compile failed (%s); training eagerly.", error)
                compiled = net
        return net(x, t, scale)

    return forward


def _to_cpu_copy(net: SinDDMNet) -> SinDDMNet:
    cpu = SinDDMNet(net.config)
    cpu.load_state_dict({k: v.detach().cpu().contiguous() for k, v in net.state_dict().items()})
    return cpu.eval()


def _optimizer_state_to_cpu(state: dict) -> dict:
    def move(value: Any) -> Any:
        if torch.is_tensor(value):
            return value.detach().cpu().contiguous().clone()
        if isinstance(value, dict):
            return {k: move(v) for k, v in value.items()}
        if isinstance(value, list):
            return [move(v) for v in value]
        return value

    return move(state)
