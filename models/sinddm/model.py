"""A trained single-image model: the denoiser with everything needed to use it on the scene it
was trained on (band normalisation, pyramid, per-scale schedule, settings, scene fingerprint)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from ...core.errors import ModelError
from ...core.progress import CancelCheck, ProgressCallback
from ..device import select_device
from ..diffusion.denoiser import NetDenoiser
from ..diffusion.normalization import BandNormalization
from ..diffusion.pyramid import PyramidPlan
from ..diffusion.sampler import MultiScaleSampler, SamplingStart
from ..diffusion.sampling_hooks import SamplingHooks
from ..diffusion.scale_schedule import ScaleSchedule
from ..diffusion.schedule import DiffusionSchedule
from .denoiser_net import SinDDMNet, SinDDMNetConfig
from .training_settings import TrainingSettings


@dataclass
class SinDDMModel:
    net: SinDDMNet  # the EMA weights, on the CPU
    normalization: BandNormalization
    pyramid: PyramidPlan
    scales: ScaleSchedule
    settings: TrainingSettings
    steps_trained: int = 0
    fingerprint: Any = None  # JSON-able description of the source scene and window, from the caller
    schedule: DiffusionSchedule = field(default_factory=DiffusionSchedule.cosine)

    @property
    def net_config(self) -> SinDDMNetConfig:
        return self.net.config

    @property
    def bands(self) -> int:
        return self.net.config.channels

    @property
    def training_size(self) -> tuple[int, int]:
        return self.pyramid.finest_size

    def denoiser(self, device: torch.device | str | None = "auto") -> NetDenoiser:
        return NetDenoiser(self.net, select_device(device))

    def sampler(self, device: torch.device | str | None = "auto") -> MultiScaleSampler:
        denoiser = self.denoiser(device)
        return MultiScaleSampler(denoiser, self.schedule, self.scales, self.pyramid, self.bands, denoiser.device)

    def sample(
        self,
        output_size: tuple[int, int] | None = None,
        *,
        count: int = 1,
        seed: int = 0,
        start: SamplingStart | None = None,
        hooks: SamplingHooks | None = None,
        device: torch.device | str | None = "auto",
        progress: ProgressCallback | None = None,
        is_cancelled: CancelCheck | None = None,
    ) -> torch.Tensor:
        """Samples [count, bands, h, w] in model units ([-1, 1]), on the CPU."""
        sampler = self.sampler(device)
        return sampler.sample(
            output_size, count=count, seed=seed, start=start, hooks=hooks, progress=progress, is_cancelled=is_cancelled
        ).cpu()

    def generate(self, output_size: tuple[int, int] | None = None, *, count: int = 1, seed: int = 0, **options) -> np.ndarray:
        """Samples as raster values [count, bands, h, w] in the source dtype."""
        return self.to_raster(self.sample(output_size, count=count, seed=seed, **options))

    def to_model_units(self, data: np.ndarray) -> torch.Tensor:
        """Raster values [bands, H, W] -> [bands, H, W] model units (for SamplingStart and hooks)."""
        return torch.from_numpy(self.normalization.normalize(data, clip=True))

    def to_raster(self, values: torch.Tensor) -> np.ndarray:
        return self.normalization.denormalize(values.detach().cpu().numpy())

    def check_compatible(self, bands: int, fingerprint: Any = None, *, source: str = "the model") -> None:
        """Raise a ModelError when this model cannot be used on data with `bands` bands (or another scene)."""
        if bands != self.bands:
            raise ModelError(
                f"{source} was trained on {self.bands} band(s) but the raster has {bands}: "
                "train a model on this raster (or select the same bands)."
            )
        if fingerprint is not None and self.fingerprint is not None and fingerprint != self.fingerprint:
            raise ModelError(
                f"{source} was trained on another scene or window ({self.fingerprint}) than this one ({fingerprint}): "
                "train a model on this area, or load the model that belongs to it."
            )
