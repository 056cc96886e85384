"""The interface between the sampler and whatever removes noise.

The sampler needs one thing from a denoiser: given x_t at step t of scale s, an estimate of the
noise (`prediction == "eps"`) or of the clean image (`prediction == "x0"`). "Clean" here means the
blur-mixed image of eq. 4 at that step; the sampler applies the deblurring correction itself.
The trained SinDDM net is one denoiser; a training-free closed-form patch denoiser can be another.
"""
from __future__ import annotations

import contextlib
import copy
from typing import Literal, Protocol, runtime_checkable

import torch

from ..device import autocast_dtype, prefers_channels_last
from ..sinddm.denoiser_net import SinDDMNet

Prediction = Literal["eps", "x0"]


@runtime_checkable
class Denoiser(Protocol):
    prediction: Prediction

    def __call__(self, x_t: torch.Tensor, t: torch.Tensor, scale: int) -> torch.Tensor:
        """x_t [B, C, H, W], t [B] (long, 0..T-1), scale index (0 = coarsest) -> eps or x0 [B, C, H, W]."""
        ...


class NetDenoiser:
    """Runs a SinDDMNet for sampling on its device, in the fastest precision and layout that is exact enough."""

    prediction: Prediction = "eps"

    def __init__(self, net: SinDDMNet, device: torch.device, *, use_autocast: bool = True) -> None:
        self.device = device
        self.channels_last = prefers_channels_last(device)
        memory_format = torch.channels_last if self.channels_last else torch.contiguous_format
        # a private copy: moving it to the GPU or to NHWC must not change the caller's model
        self.net = copy.deepcopy(net).to(device=device, memory_format=memory_format).eval()
        self.autocast = autocast_dtype(device) if use_autocast else None

    def _precision(self) -> contextlib.AbstractContextManager:
        if self.autocast is None:
            return contextlib.nullcontext()
        return torch.autocast(device_type=self.device.type, dtype=self.autocast)

    @torch.no_grad()  # not inference_mode: guidance hooks take gradients of what comes out
    def __call__(self, x_t: torch.Tensor, t: torch.Tensor, scale: int) -> torch.Tensor:
        x = x_t.to(self.device, torch.float32)
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        with self._precision():
            eps = self.net(x, t.to(self.device), scale)
        return eps.float().contiguous()
