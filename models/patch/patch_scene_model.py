"""The training-free scene model: the closed-form patch denoiser of one image, with the band
normalisation, pyramid and per-scale schedule the sampler needs. It stands where a trained
SinDDMModel does (sampler, to_model_units, to_raster), so every editing mode runs on it."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from ..device import select_device
from ..diffusion.normalization import BandNormalization
from ..diffusion.pyramid import PyramidPlan, plan_pyramid
from ..diffusion.sampler import MultiScaleSampler
from ..diffusion.schedule import DiffusionSchedule
from .patch_denoiser import PatchDenoiser


@dataclass
class PatchSceneModel:
    denoiser: PatchDenoiser
    normalization: BandNormalization
    pyramid: PyramidPlan
    schedule: DiffusionSchedule
    fingerprint: Any = None

    @classmethod
    def from_image(cls, data: np.ndarray, *, valid: np.ndarray | None = None, fingerprint: Any = None,
                   seed: int = 0, **options: Any) -> "PatchSceneModel":
        """Index `data` [bands, H, W] (raster values) at its native resolution; `options` go to
        PatchDenoiser.from_image (patch_size, k, ...)."""
        normalization = BandNormalization.fit(data, valid)
        image = torch.from_numpy(normalization.normalize(data, clip=True)).float()
        plan = plan_pyramid(image.shape[-2], image.shape[-1], max_pixels=None)
        schedule = DiffusionSchedule.cosine()
        valid_t = None if valid is None else torch.from_numpy(np.asarray(valid, dtype=bool))
        denoiser = PatchDenoiser.from_image(image, plan, schedule, valid=valid_t, seed=seed, **options)
        return cls(denoiser, normalization, plan, schedule, fingerprint)

    @property
    def bands(self) -> int:
        return self.denoiser.channels

    def sampler(self, device: torch.device | str | None = "auto") -> MultiScaleSampler:
        # the patch index lives on the CPU; the sampler runs there too
        return MultiScaleSampler(self.denoiser, self.schedule, self.denoiser.scales, self.pyramid, self.bands,
                                 torch.device("cpu") if device in (None, "auto") else select_device(device))

    def to_model_units(self, data: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(self.normalization.normalize(data, clip=True)).float()

    def to_raster(self, values: torch.Tensor) -> np.ndarray:
        return self.normalization.denormalize(values.detach().cpu().numpy())
