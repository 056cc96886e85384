"""SinDDM's fully-convolutional denoiser (Kulikov et al. 2023), conditioned on time step and scale.

Four blocks, channels in -> w/2 -> w -> w -> w/2, then a 1x1 conv back to the input bands. Each
block: 5x5 depthwise conv, + condition, 3x3 conv, GELU, 3x3 conv, + residual (1x1 conv when the
channel count changes). No attention, normalisation or resampling: the receptive field is 35 px,
so the net only ever learns patch statistics, which is what makes single-image training work.
The condition is a 32-d sinusoidal embedding of t and one of the scale index, concatenated and
passed through Linear 64->128, GELU, Linear 128->32; each block maps it with GELU, Linear 32->32
and a 1x1 conv (here the equivalent Linear) to its input channels. Width 160 has ~1.1 M weights.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
from torch import nn

from ...core.errors import ModelError
from ..kernels.winograd_conv import winograd_conv3x3, winograd_weight_grad_conv3x3
from .depthwise_conv import depthwise_conv

# Winograd pays off only for wide layers: its tile transforms cost O(C) per pixel, the multiplies it
# saves O(C^2); it beats oneDNN from 80 channels (docs/benchmarks.md, "Winograd and depthwise kernels").
_WINOGRAD_MIN_CHANNELS = 80
# narrower layers keep oneDNN's forward and input gradient and take only the weight gradient from
# Winograd (oneDNN's is slow on AVX2); a 3-band input is too thin for either
_WINOGRAD_WEIGHT_GRAD_MIN_CHANNELS = 16


@dataclass(frozen=True)
class SinDDMNetConfig:
    channels: int = 3  # image bands in and out
    width: int = 160  # widest block; the outer blocks use width // 2
    embedding_dim: int = 32  # per sinusoidal embedding (t and scale) and of the joint condition

    def __post_init__(self) -> None:
        if self.channels < 1:
            raise ModelError(f"The denoiser needs at least one band, not {self.channels}.")
        if self.width < 2 or self.width % 2:
            raise ModelError(f"The denoiser width must be an even number >= 2, not {self.width}.")
        if self.embedding_dim < 4 or self.embedding_dim % 2:
            raise ModelError(f"The embedding size must be an even number >= 4, not {self.embedding_dim}.")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "SinDDMNetConfig":
        return cls(**{key: int(data[key]) for key in ("channels", "width", "embedding_dim")})


def sinusoidal_embedding(values: torch.Tensor, dim: int) -> torch.Tensor:
    """Transformer position embedding of `values` [B] -> [B, dim] (the reference's frequencies)."""
    half = dim // 2
    frequencies = torch.exp(torch.arange(half, device=values.device, dtype=torch.float32) * -(math.log(10000) / (half - 1)))
    angles = values.float()[:, None] * frequencies[None, :]
    return torch.cat((angles.sin(), angles.cos()), dim=-1)


class ConvBlock(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, condition_dim: int) -> None:
        super().__init__()
        self.depthwise = nn.Conv2d(in_channels, in_channels, 5, padding=2, groups=in_channels)
        self.condition = nn.Sequential(
            nn.GELU(), nn.Linear(condition_dim, condition_dim), nn.Linear(condition_dim, in_channels)
        )
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, padding=1)
        self.activation = nn.GELU()
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1)
        self.residual = nn.Conv2d(in_channels, out_channels, 1) if in_channels != out_channels else nn.Identity()
        self.cpu_kernels = False  # see SinDDMNet.use_cpu_kernels

    def forward(self, x: torch.Tensor, condition: torch.Tensor) -> torch.Tensor:
        # the kernels are fp32: under autocast the activations and gradients are bf16
        fast = (self.cpu_kernels and x.device.type == "cpu" and x.dtype == torch.float32 and torch.is_grad_enabled()
                and not torch.is_autocast_enabled("cpu"))
        h = depthwise_conv(x, self.depthwise) if fast else self.depthwise(x)
        h = h + self.condition(condition)[:, :, None, None]
        h = self._conv3x3(self.conv2, self.activation(self._conv3x3(self.conv1, h, fast)), fast)
        return h + self.residual(x)

    @staticmethod
    def _conv3x3(conv: nn.Conv2d, x: torch.Tensor, fast: bool) -> torch.Tensor:
        if fast and min(conv.in_channels, conv.out_channels) >= _WINOGRAD_MIN_CHANNELS:
            return winograd_conv3x3(x, conv.weight, conv.bias)
        if fast and conv.in_channels >= _WINOGRAD_WEIGHT_GRAD_MIN_CHANNELS:
            return winograd_weight_grad_conv3x3(x, conv.weight, conv.bias)
        return conv(x)


class SinDDMNet(nn.Module):
    """eps_theta(x_t, t, s): predicts the noise in x_t at time step t and scale s."""

    def __init__(self, config: SinDDMNetConfig) -> None:
        super().__init__()
        self.config = config
        dim, half = config.embedding_dim, config.width // 2
        self.condition_mlp = nn.Sequential(nn.Linear(2 * dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim))
        self.blocks = nn.ModuleList(
            [
                ConvBlock(config.channels, half, dim),
                ConvBlock(half, config.width, dim),
                ConvBlock(config.width, config.width, dim),
                ConvBlock(config.width, half, dim),
            ]
        )
        self.output = nn.Conv2d(half, config.channels, 1)

    def use_cpu_kernels(self, enabled: bool) -> "SinDDMNet":
        """CPU fp32 training passes: Winograd 3x3 convolutions and a faster depthwise backward.

        Same function and weights (winograd_conv.py, depthwise_conv.py), computed in fewer
        operations; inference (no grad) always uses the ordinary convolutions.
        """
        for block in self.blocks:
            block.cpu_kernels = enabled
        return self

    def condition(self, t: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
        dim = self.config.embedding_dim
        joint = torch.cat((sinusoidal_embedding(t, dim), sinusoidal_embedding(scale, dim)), dim=1)
        return self.condition_mlp(joint)

    def forward(self, x: torch.Tensor, t: torch.Tensor, scale: torch.Tensor | int) -> torch.Tensor:
        if not torch.is_tensor(scale) or scale.dim() == 0:
            scale = torch.full((x.shape[0],), float(scale), device=x.device)
        condition = self.condition(t.to(x.device), scale.to(x.device))
        h = x
        for block in self.blocks:
            h = block(h, condition)
        return self.output(h)

    @property
    def receptive_field(self) -> int:
        return 1 + len(self.blocks) * (4 + 2 + 2)  # per block: 5x5, 3x3, 3x3
