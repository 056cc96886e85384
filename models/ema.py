"""Exponential moving average of the denoiser weights (sampling uses the averaged copy)."""
from __future__ import annotations

import torch
from torch import nn


@torch.no_grad()
def update_ema(ema: nn.Module, model: nn.Module, decay: float) -> None:
    for averaged, current in zip(ema.parameters(), model.parameters()):
        averaged.lerp_(current, 1.0 - decay)


@torch.no_grad()
def copy_weights(target: nn.Module, source: nn.Module) -> None:
    for dst, src in zip(target.parameters(), source.parameters()):
        dst.copy_(src)
