"""Training: the loss falls, runs are seeded and resumable, cancel is prompt, devices and threads."""
from __future__ import annotations

import re
import threading
import time

import numpy as np
import pytest
import torch

from rsedit.core.errors import CancelledError, ModelError, TrainingCancelled
from rsedit.models.device import select_device, set_cpu_threads
from rsedit.models.sinddm.checkpoint import load_checkpoint, save_checkpoint
from rsedit.models.sinddm.trainer import train_sinddm
from rsedit.models.sinddm.training_settings import TrainingSettings


from single_thread import one_cpu_thread  # noqa: F401,E402 (autouse fixture)


def textured_image(bands: int = 3, height: int = 48, width: int = 56, seed: int = 0) -> np.ndarray:
    """Stripes and blobs: structure a tiny net can learn in a few dozen steps."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width]
    base = [np.sin(xx / (2.0 + b)) * np.cos(yy / (3.0 + b)) for b in range(bands)]
    noise = rng.normal(0, 0.15, (bands, height, width))
    return ((np.stack(base) + noise + 1.5) * 80).clip(0, 255).astype(np.uint8)


def tiny(**changes) -> TrainingSettings:
    base = TrainingSettings(
        name="test", width=16, steps=40, batch_size=4, crop_size=24, learning_rate=3e-3, lr_milestones=(),
        ema_decay=0.9, ema_every=1, ema_start=10, max_pixels=None, micro_batch_pixels=None,
    )
    return base.with_changes(**changes)


def test_loss_falls_on_a_tiny_image():
    result = train_sinddm(textured_image(), settings=tiny(steps=60), device="cpu")
    losses = np.array(result.losses)
    assert len(losses) == 60 and result.state.step == 60
    assert losses[-20:].mean() < 0.75 * losses[:10].mean()


def test_same_seed_same_weights_other_seed_other_weights():
    image = textured_image()
    a = train_sinddm(image, settings=tiny(steps=5), device="cpu").model.net.state_dict()
    b = train_sinddm(image, settings=tiny(steps=5), device="cpu").model.net.state_dict()
    c = train_sinddm(image, settings=tiny(steps=5, seed=1), device="cpu").model.net.state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not all(torch.equal(a[k], c[k]) for k in a)


def test_resuming_from_a_checkpoint_continues_exactly(tmp_path):
    image = textured_image()
    straight = train_sinddm(image, settings=tiny(steps=12), device="cpu", fingerprint="scene-a")
    first = train_sinddm(image, settings=tiny(steps=6), device="cpu", fingerprint="scene-a")
    path = save_checkpoint(tmp_path / "half.safetensors", first.model, first.state)
    loaded = load_checkpoint(path)
    assert loaded.training_state is not None and loaded.training_state.step == 6
    resumed = train_sinddm(
        image, settings=tiny(steps=12), device="cpu", fingerprint="scene-a", resume=(loaded.model, loaded.training_state)
    )
    assert resumed.state.step == 12 and len(resumed.losses) == 6
    assert resumed.losses == straight.losses[6:]
    for key, value in straight.model.net.state_dict().items():
        assert torch.equal(value, resumed.model.net.state_dict()[key])
    with pytest.raises(ModelError, match="another scene"):
        train_sinddm(image, settings=tiny(steps=12), device="cpu", fingerprint="scene-b", resume=(loaded.model, loaded.training_state))


def test_cancel_stops_within_a_second_and_leaves_a_resumable_state():
    # the flag is raised from another thread, as a QGIS task's cancel button does, after a few steps
    cancel = threading.Event()
    flipped_at: list[float] = []
    polls = 0

    def raise_flag() -> None:
        flipped_at.append(time.perf_counter())
        cancel.set()

    def is_cancelled() -> bool:
        nonlocal polls
        polls += 1
        if polls == 30:  # polled before every micro-batch: 8 per step here
            threading.Timer(0.2, raise_flag).start()
        return cancel.is_set()

    reports: list[tuple[float, str]] = []
    with pytest.raises(TrainingCancelled, match="cancelled at step") as cancelled:
        train_sinddm(
            textured_image(height=64, width=64),
            settings=tiny(steps=100_000, width=48, batch_size=8, crop_size=48, micro_batch_pixels=48 * 48),
            device="cpu",
            is_cancelled=is_cancelled,
            progress=lambda fraction, message: reports.append((fraction, message)),
        )
    stopped_after = time.perf_counter() - flipped_at[0]
    partial = cancelled.value.partial  # what was learnt so far, to resume from
    assert isinstance(cancelled.value, CancelledError)  # the one cancel type of the package
    assert 3 <= partial.state.step < 100_000 and partial.model.steps_trained == partial.state.step
    assert stopped_after < 1.5
    fraction, message = reports[-1]
    assert 0 < fraction < 1 and re.search(r"Training step \d+/100000, loss [\d.]+, about [1-9]\d* s left", message)


def test_valid_mask_and_float_input_train():
    image = textured_image(bands=1).astype(np.float32) * 0.01
    image[0, :10, :10] = np.nan  # nodata holes are left out of the loss
    valid = np.ones(image.shape[1:], bool)
    valid[-5:, :] = False
    result = train_sinddm(image, valid=valid, settings=tiny(steps=8), device="cpu")
    assert np.isfinite(result.losses).all() and result.model.bands == 1


def test_device_choice_and_threads(monkeypatch):
    from rsedit.models import device

    assert select_device("cpu") == torch.device("cpu")
    # auto prefers cuda, then mps, then the cpu: each machine is played by what torch reports
    for cuda, mps, chosen in ((True, True, "cuda"), (False, True, "mps"), (False, False, "cpu")):
        monkeypatch.setattr(device.torch.cuda, "is_available", lambda cuda=cuda: cuda)
        monkeypatch.setattr(device, "_mps_available", lambda mps=mps: mps)
        assert select_device("auto") == torch.device(chosen)
    with pytest.raises(ModelError, match="CUDA was requested"):
        select_device("cuda")  # the last machine played has no GPU
    with pytest.raises(ModelError, match="Unknown device"):
        select_device("tpu")
    before = torch.get_num_threads()
    try:
        assert set_cpu_threads(1) == 1
    finally:
        set_cpu_threads(before)
    with pytest.raises(ModelError):
        set_cpu_threads(0)


def test_sampled_t_share_draws_finer_scales_from_the_steps_sampling_runs():
    from rsedit.models.sinddm.trainer import SinDDMTrainer

    image = textured_image(height=96, width=96)
    uniform = SinDDMTrainer(image, settings=tiny(), device="cpu")
    focused = SinDDMTrainer(image, settings=tiny(sampled_t_share=1.0), device="cpu")
    assert focused.plan.num_scales >= 2
    finest = focused.plan.num_scales - 1
    limit = int(focused.scales.start_steps[finest])
    assert limit < 50
    assert int(focused.draw_timesteps(finest, 512).max()) <= limit
    assert int(uniform.draw_timesteps(finest, 512).max()) > limit
    # the coarsest scale samples from pure noise: it keeps the whole schedule
    assert int(focused.draw_timesteps(0, 512).max()) > 90
    with pytest.raises(ModelError, match="sampled_t_share"):
        tiny(sampled_t_share=1.5)


def test_l2_loss_learns_the_mean_where_l1_learns_the_median():
    """Why the crop presets train with "l2": DDPM sampling needs the mean of x0 given x_t, and over
    noisy copies of an image that mean averages to the image's mean. On pixels that are 80% dark and
    20% bright, the L2 net's x0 estimates average near it; the L1 net estimates the median, pulled
    to the dark majority: L1 nets sample the majority alone (e.g. sea without its clouds)."""
    from rsedit.models.sinddm.trainer import SinDDMTrainer

    rng = np.random.default_rng(0)
    image = np.where(rng.random((3, 40, 40)) < 0.2, 230, 25).astype(np.uint8)
    means = {}
    for loss in ("l1", "l2"):
        trainer = SinDDMTrainer(image, settings=tiny(loss=loss, crop_size=None, ema_start=10_000), device="cpu")
        for _ in range(300):
            trainer.step(scale=0)
        clean = trainer.pyramid.levels[0].expand(16, -1, -1, -1)
        generator = torch.Generator().manual_seed(1)
        t = torch.randint(20, 70, (16,), generator=generator)
        x_t = trainer.schedule.add_noise(clean, t, torch.randn(clean.shape, generator=generator))
        with torch.no_grad():
            eps = trainer.net.eval()(x_t, t, torch.zeros(16))
        means[loss] = float(trainer.schedule.x0_from_eps(x_t, t, eps).mean())
    image_mean = float(trainer.pyramid.levels[0].mean())  # the same for both nets
    assert abs(means["l2"] - image_mean) < 0.5 * abs(means["l1"] - image_mean)
    assert means["l1"] < image_mean - 0.1  # pulled towards the dark majority
    with pytest.raises(ModelError, match="loss"):
        tiny(loss="huber")
