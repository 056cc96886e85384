"""Exponential moving average of the denoiser weights (sampling uses the averaged copy)."""
from __future__ import annotations

import torch
from torch import nn


@torch.no_grad()
def update_ema(ema: nn.Module, model: nn.Module, decay: float) -> None:
    averaged, current = list(ema.parameters()), list(model.parameters())
    torch._foreach_lerp_(averaged, current, 1.0 - decay)  # one multi-tensor op instead of one per weight


@torch.no_grad()
def copy_weights(target: nn.Module, source: nn.Module) -> None:
    torch._foreach_copy_(list(target.parameters()), list(source.parameters()))
