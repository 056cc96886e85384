"""The denoiser's 5x5 depthwise convolution for CPU training, with a faster weight gradient.

oneDNN's depthwise backward on AVX2 is several times slower than its forward (docs/benchmarks.md,
"Winograd and depthwise kernels"): here
the input gradient is the forward convolution with the flipped kernel (oneDNN's fast path) and
the weight gradient is one pass of a C kernel (native_kernels.py) over the activations. Same
function and gradients as `F.conv2d(x, w, b, padding=k // 2, groups=C)` up to fp32 rounding.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from ..kernels import native_kernels


class _DepthwiseConv(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
        ctx.save_for_backward(x, weight)
        ctx.has_bias = bias is not None
        return F.conv2d(x, weight, bias, padding=weight.shape[-1] // 2, groups=weight.shape[0])

    @staticmethod
    def backward(ctx, grad_output: torch.Tensor):
        x, weight = ctx.saved_tensors
        kernel, channels = weight.shape[-1], weight.shape[0]
        gy = grad_output.contiguous(memory_format=torch.channels_last)
        grad_x = grad_w = grad_b = None
        if ctx.needs_input_grad[0]:  # correlation with the 180-degree rotated kernel
            grad_x = F.conv2d(gy, weight.flip(2, 3), None, padding=kernel // 2, groups=channels)
        if ctx.needs_input_grad[1]:
            xh = x.permute(0, 2, 3, 1)
            xh = xh if xh.stride(-1) == 1 else xh.contiguous()
            grad_w = native_kernels.depthwise_weight_grad(native_kernels.load(), xh, gy.permute(0, 2, 3, 1), kernel)
        if ctx.has_bias and ctx.needs_input_grad[2]:
            grad_b = gy.sum((0, 2, 3))
        return grad_x, grad_w, grad_b


def depthwise_conv(x: torch.Tensor, conv: torch.nn.Conv2d) -> torch.Tensor:
    """`conv(x)` for a same-padded depthwise conv (odd square kernel, stride 1) while training on CPU.

    Falls back to `conv(x)` when the C kernels are not available.
    """
    if native_kernels.load() is None:
        return conv(x)
    return _DepthwiseConv.apply(x, conv.weight, conv.bias)
