"""A small untrained SinDDM sampler for tests of the editing modes: fast, deterministic, real code."""
from __future__ import annotations

import numpy as np
import torch


def tiny_sampler(channels: int = 3, sizes=((16, 20), (24, 30), (32, 40)), width: int = 16, seed: int = 0):
    from rsedit.models.diffusion.denoiser import NetDenoiser
    from rsedit.models.diffusion.pyramid import PyramidPlan
    from rsedit.models.diffusion.sampler import MultiScaleSampler
    from rsedit.models.diffusion.scale_schedule import ScaleSchedule
    from rsedit.models.diffusion.schedule import DiffusionSchedule
    from rsedit.models.sinddm.denoiser_net import SinDDMNet, SinDDMNetConfig

    schedule = DiffusionSchedule.cosine()
    scales = ScaleSchedule.from_blur_levels([0.0] + [0.05] * (len(sizes) - 1), schedule)
    pyramid = PyramidPlan(tuple(sizes), sizes[-1][0] / sizes[-2][0])
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        net = SinDDMNet(SinDDMNetConfig(channels=channels, width=width))
    return MultiScaleSampler(NetDenoiser(net, torch.device("cpu"), use_autocast=False), schedule, scales, pyramid, channels)


def smooth_image(seed: int, shape=(3, 32, 40)) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    coarse = torch.rand((1, shape[0], shape[1] // 4, shape[2] // 4), generator=generator) * 1.6 - 0.8
    return torch.nn.functional.interpolate(coarse, size=shape[1:], mode="bilinear", align_corners=False)[0]


class GaussianPriorDenoiser:
    """The exact posterior mean E[x0 | x_t] for a standard normal x0: sqrt(abar_t) * x_t.

    A real, if simple, denoiser: tests of hooks use it where an untrained net's output would be
    arbitrary, so what they measure is the hook's effect through the sampler."""

    prediction = "x0"

    def __init__(self, schedule) -> None:
        self.abar = torch.as_tensor(schedule.alphas_cumprod, dtype=torch.float32)

    def __call__(self, x_t: torch.Tensor, t: torch.Tensor, scale: int) -> torch.Tensor:
        return self.abar[t.long()].sqrt().view(-1, 1, 1, 1) * x_t


def gaussian_prior_sampler(channels: int = 3, sizes=((16, 20), (24, 30), (32, 40))):
    net_sampler = tiny_sampler(channels, sizes)
    from rsedit.models.diffusion.sampler import MultiScaleSampler

    return MultiScaleSampler(GaussianPriorDenoiser(net_sampler.schedule), net_sampler.schedule, net_sampler.scales,
                             net_sampler.pyramid, channels)


class TinySceneModel:
    """A scene model for the sampling editors: the tiny untrained SinDDM sampler at these scale `sizes`,
    8-bit raster units."""

    description: dict = {}

    def __init__(self, sizes=((22, 22), (32, 32), (48, 48))) -> None:
        self.sizes = sizes

    def sampler(self, device: str):
        return tiny_sampler(sizes=self.sizes)

    def to_model_units(self, array: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(array.astype(np.float32)) / 127.5 - 1

    def to_raster(self, tensor: torch.Tensor) -> np.ndarray:
        return ((tensor.clamp(-1, 1) + 1) * 127.5).numpy()
