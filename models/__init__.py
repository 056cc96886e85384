"""Torch models of RSEdit: a single-image multi-scale diffusion model (SinDDM) trained on the scene.

Never imports qgis or PyQt5; imports without CUDA. Main entry points:

    train_sinddm(image, valid=..., settings="fast", progress=..., should_stop=..., resume=...) -> TrainingResult
    save_checkpoint(path, model, training_state=None); load_checkpoint(path) -> LoadedCheckpoint
    SinDDMModel.sample(output_size, count=, seed=, start=SamplingStart(...), hooks=SamplingHooks(...))
    MultiScaleSampler(denoiser, schedule, scales, pyramid, channels, device)  # any Denoiser
"""
import os

# OpenMP threads that spin while waiting make torch 10-30x slower whenever the CPU is shared (QGIS's own
# threads, other programs): measured 2.0 s vs 0.07 s per small training step on 2 busy cores. Passive
# waiting costs nothing measurable on big convolutions. Only effective if torch is not imported yet.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
from .checkpoint import LoadedCheckpoint, load_checkpoint, read_checkpoint_info, save_checkpoint
from .denoiser import Denoiser, NetDenoiser
from .denoiser_net import SinDDMNet, SinDDMNetConfig
from .device import select_device, set_cpu_threads
from .errors import Cancelled, CheckpointError, ModelError
from .metrics import SWDResult, sliced_wasserstein_distance
from .normalization import BandNormalization
from .presets import PRESETS, get_preset
from .pyramid import PyramidPlan, plan_pyramid
from .sampler import MultiScaleSampler, SamplingStart
from .sampling_hooks import SamplingHooks, StepState
from .scale_schedule import ScaleSchedule
from .schedule import DiffusionSchedule
from .sinddm import SinDDMModel
from .trainer import TrainingResult, TrainingState, train_sinddm
from .training_settings import TrainingSettings

__all__ = [
    "BandNormalization", "Cancelled", "CheckpointError", "Denoiser", "DiffusionSchedule", "LoadedCheckpoint",
    "ModelError", "MultiScaleSampler", "NetDenoiser", "PRESETS", "PyramidPlan", "SWDResult", "SamplingHooks",
    "SamplingStart", "ScaleSchedule", "SinDDMModel", "SinDDMNet", "SinDDMNetConfig", "StepState",
    "TrainingResult", "TrainingSettings", "TrainingState", "get_preset", "load_checkpoint", "plan_pyramid",
    "read_checkpoint_info", "save_checkpoint", "select_device", "set_cpu_threads", "sliced_wasserstein_distance",
    "train_sinddm",
]
