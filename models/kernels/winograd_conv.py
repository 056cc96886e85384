"""3x3 convolutions for CPU training by Winograd's minimal filtering (Lavin & Gray 2016).

The same function as `F.conv2d(x, weight, bias, padding=1)`, computed on input tiles with one
matrix product per tile position ([tiles, C_in] x [C_in, C_out]) instead of 9 multiply-adds per
output pixel and channel pair: F(4x4, 3x3) needs 4x fewer multiplies (with the C tile transforms
of native_kernels.py), F(2x2, 3x3) 2.25x fewer (transforms as torch ops, where the C kernels are off, the default, or no compiler is
available). That holds for the forward pass, the input gradient and the weight gradient alike.
On AVX2 CPUs (oneDNN has no Winograd there) the 3x3 convolutions dominate a training step
(docs/benchmarks.md, "Winograd and depthwise kernels"). Results match oneDNN to ~1e-5 relative
(F(4x4)) or ~1e-6 (F(2x2)): fp32 rounding, not a different function.

Tensors are handled in NHWC order (channels_last), so tile transforms and GEMMs read and write
contiguous channel vectors. Large scratch buffers are reused (per thread): allocating them fresh
on every call costs page faults worth a good part of the GEMM time.
"""
from __future__ import annotations

import threading

import torch
import torch.nn.functional as F

from . import native_kernels


class _Workspace(threading.local):
    """Grow-only scratch buffers by role; a call's temporaries never outlive the call."""

    def __init__(self) -> None:
        self.buffers: dict[tuple[str, torch.dtype], torch.Tensor] = {}

    def get(self, role: str, shape: tuple[int, ...], dtype: torch.dtype) -> torch.Tensor:
        numel = 1
        for size in shape:
            numel *= size
        buffer = self.buffers.get((role, dtype))
        if buffer is None or buffer.numel() < numel:
            buffer = torch.empty(numel, dtype=dtype)
            self.buffers[(role, dtype)] = buffer
        return buffer[:numel].view(shape)

    def clear(self) -> None:
        self.buffers.clear()


_workspace = _Workspace()


def release_workspace() -> None:
    """Free this thread's scratch buffers (e.g. after training)."""
    _workspace.clear()


def _input_transform(x: torch.Tensor, th: int, tw: int) -> torch.Tensor:
    """x [N, H, W, C] (any strides) -> V = B^T d B per 4x4 tile (stride 2), as [16, N*th*tw, C]."""
    n, h, w, c = x.shape
    xp = _workspace.get("padded", (n, 2 * th + 2, 2 * tw + 2, c), x.dtype)
    xp[:, 0].zero_()
    xp[:, h + 1 :].zero_()
    xp[:, 1 : h + 1, 0].zero_()
    xp[:, 1 : h + 1, w + 1 :].zero_()
    xp[:, 1 : h + 1, 1 : w + 1].copy_(x)
    rows = _workspace.get("rows", (4, n, th, 2 * tw + 2, c), x.dtype)
    r = [xp[:, k : k + 2 * th : 2] for k in range(4)]
    torch.sub(r[0], r[2], out=rows[0])
    torch.add(r[1], r[2], out=rows[1])
    torch.sub(r[2], r[1], out=rows[2])
    torch.sub(r[1], r[3], out=rows[3])
    v = _workspace.get("v", (4, 4, n, th, tw, c), x.dtype)
    cols = [rows[:, :, :, k : k + 2 * tw : 2] for k in range(4)]
    torch.sub(cols[0], cols[2], out=v[:, 0])
    torch.add(cols[1], cols[2], out=v[:, 1])
    torch.sub(cols[2], cols[1], out=v[:, 2])
    torch.sub(cols[1], cols[3], out=v[:, 3])
    return v.view(16, n * th * tw, c)


def _output_transform(m: torch.Tensor, bias: torch.Tensor | None, n: int, h: int, w: int) -> torch.Tensor:
    """M [16, N*th*tw, C] -> Y = A^T M A per 2x2 output tile (+ bias), a new [N, H, W, C] tensor."""
    th, tw, c = (h + 1) // 2, (w + 1) // 2, m.shape[-1]
    m = m.view(4, 4, n, th, tw, c)
    sums = _workspace.get("sums", (2, 4, n, th, tw, c), m.dtype)
    torch.add(m[0], m[1], out=sums[0]).add_(m[2])
    torch.sub(m[1], m[2], out=sums[1]).sub_(m[3])
    if bias is not None:
        sums[:, 1].add_(bias)  # the middle column enters both outputs of a tile row with sign +1
    even = h % 2 == 0 and w % 2 == 0
    tiles = torch.empty((n, th, 2, tw, 2, c), dtype=m.dtype) if even else _workspace.get("ytiles", (n, th, 2, tw, 2, c), m.dtype)
    for i in range(2):
        s = sums[i]
        torch.add(s[0], s[1], out=tiles[:, :, i, :, 0]).add_(s[2])
        torch.sub(s[1], s[2], out=tiles[:, :, i, :, 1]).sub_(s[3])
    y = tiles.view(n, 2 * th, 2 * tw, c)
    return y if even else y[:, :h, :w].contiguous()


def _grad_output_transform(gy: torch.Tensor, th: int, tw: int) -> torch.Tensor:
    """dL/dY [N, H, W, C] -> dL/dM = A dY A^T per tile, as [16, N*th*tw, C]."""
    n, h, w, c = gy.shape
    if h % 2 or w % 2:
        padded = _workspace.get("gpad", (n, 2 * th, 2 * tw, c), gy.dtype)
        padded.zero_()
        padded[:, :h, :w].copy_(gy)
        gy = padded
    g = gy.view(n, th, 2, tw, 2, c) if gy.is_contiguous() else gy.reshape(n, th, 2, tw, 2, c)
    rows = _workspace.get("grows", (2, n, th, tw, 2, c), gy.dtype)
    g0, g1 = g[:, :, 0], g[:, :, 1]
    torch.add(g0, g1, out=rows[0])
    torch.sub(g0, g1, out=rows[1])
    dm = _workspace.get("dm", (4, 4, n, th, tw, c), gy.dtype)
    for a, e in enumerate((g0, rows[0], rows[1])):
        e0, e1 = e[:, :, :, 0], e[:, :, :, 1]
        dm[a, 0].copy_(e0)
        torch.add(e0, e1, out=dm[a, 1])
        torch.sub(e0, e1, out=dm[a, 2])
        torch.neg(e1, out=dm[a, 3])
    e0, e1 = g1[:, :, :, 0], g1[:, :, :, 1]  # row 3 is -g1
    torch.neg(e0, out=dm[3, 0])
    torch.add(e0, e1, out=dm[3, 1]).neg_()
    torch.sub(e1, e0, out=dm[3, 2])
    dm[3, 3].copy_(e1)
    return dm.view(16, n * th * tw, c)


def _input_grad_transform(dv: torch.Tensor, n: int, h: int, w: int) -> torch.Tensor:
    """dL/dV [16, N*th*tw, C] -> dL/dx [N, H, W, C]: B dV B^T per tile, overlap-added (stride 2)."""
    th, tw, c = (h + 1) // 2, (w + 1) // 2, dv.shape[-1]
    dv = dv.view(4, 4, n, th, tw, c)
    # columns: tile column l of tile j lands on padded column 2j + l
    q = _workspace.get("q", (2, 4, n, th, tw, c), dv.dtype)  # B-adjoint combinations l = 1, 2
    torch.sub(dv[:, 1], dv[:, 2], out=q[0]).add_(dv[:, 3])
    torch.add(dv[:, 1], dv[:, 2], out=q[1]).sub_(dv[:, 0])
    cols = _workspace.get("cols", (4, n, th, 2 * tw + 2, c), dv.dtype)
    even, odd = cols[..., 0::2, :], cols[..., 1::2, :]  # [4, n, th, tw + 1, c] each
    even[..., :tw, :].copy_(dv[:, 0])
    even[..., tw, :].zero_()
    even[..., 1:, :].add_(q[1])
    odd[..., :tw, :].copy_(q[0])
    odd[..., tw, :].zero_()
    odd[..., 1:, :].sub_(dv[:, 3])
    # rows: the same adjoint along H, on the column results of the four tile rows a
    q2 = _workspace.get("q2", (2, n, th, 2 * tw + 2, c), dv.dtype)
    torch.sub(cols[1], cols[2], out=q2[0]).add_(cols[3])
    torch.add(cols[1], cols[2], out=q2[1]).sub_(cols[0])
    dxp = _workspace.get("dxp", (n, 2 * th + 2, 2 * tw + 2, c), dv.dtype)
    even, odd = dxp[:, 0::2], dxp[:, 1::2]  # [n, th + 1, 2tw + 2, c] each
    even[:, :th].copy_(cols[0])
    even[:, th].zero_()
    even[:, 1:].add_(q2[1])
    odd[:, :th].copy_(q2[0])
    odd[:, th].zero_()
    odd[:, 1:].sub_(cols[3])
    return dxp[:, 1 : h + 1, 1 : w + 1].contiguous()


def _channels_minor(x: torch.Tensor) -> torch.Tensor:
    """An NHWC view with unit channel stride, as the C kernels need."""
    return x if x.stride(-1) == 1 else x.contiguous()


NATIVE_TILE = 4  # F(4x4, 3x3) with the C transforms: 4x fewer multiplies than direct convolution


def _tile_size(lib: object) -> int:
    """Output tile size m of F(m x m, 3x3): 4 with the C transforms, 2 as torch ops."""
    return NATIVE_TILE if lib is not None else 2


def winograd_tile() -> int:
    """The tile size training on this machine uses (for reports)."""
    return _tile_size(native_kernels.load())


def _kernel_transform(weight: torch.Tensor, m: int) -> torch.Tensor:
    """[C_out, C_in, 3, 3] -> U = G w G^T as [(m+2)^2, C_in, C_out]."""
    g = torch.tensor(native_kernels.MATRICES[m]["G"], dtype=weight.dtype)
    alpha = m + 2
    return torch.einsum("ak,bl,oikl->abio", g, g, weight).reshape(alpha * alpha, weight.shape[1], weight.shape[0]).contiguous()


class _WinogradConv3x3(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
        xh = x.permute(0, 2, 3, 1)  # NHWC view (contiguous when x is channels_last)
        n, h, w, c_in = xh.shape
        c_out = weight.shape[0]
        lib = native_kernels.load()
        m = _tile_size(lib)
        th, tw = -(-h // m), -(-w // m)
        u = _kernel_transform(weight, m)
        if lib is None:
            v = _input_transform(xh, th, tw)
        else:
            v = _workspace.get("v", (u.shape[0], n * th * tw, c_in), x.dtype)
            native_kernels.input_transform(lib, m, _channels_minor(xh), v, th, tw)
        products = _workspace.get("m", (u.shape[0], v.shape[1], c_out), x.dtype)
        torch.bmm(v, u, out=products)
        if lib is None:
            y = _output_transform(products, bias, n, h, w)
        else:
            y = torch.empty((n, h, w, c_out), dtype=x.dtype)
            native_kernels.output_transform(lib, m, products, None if bias is None else bias.contiguous(), y)
        ctx.save_for_backward(x, u)  # V is recomputed: cheaper than keeping (or allocating) 4x the input
        ctx.has_bias, ctx.lib, ctx.tile = bias is not None, lib, m
        return y.permute(0, 3, 1, 2)

    @staticmethod
    def backward(ctx, grad_output: torch.Tensor):
        x, u = ctx.saved_tensors
        lib, m = ctx.lib, ctx.tile
        xh, gy = x.permute(0, 2, 3, 1), grad_output.permute(0, 2, 3, 1)
        n, h, w, c_in = xh.shape
        th, tw = -(-h // m), -(-w // m)
        tiles = u.shape[0]
        if lib is None:
            dm = _grad_output_transform(gy, th, tw)
        else:
            dm = _workspace.get("dm", (tiles, n * th * tw, gy.shape[-1]), gy.dtype)
            native_kernels.grad_output_transform(lib, m, _channels_minor(gy), dm, th, tw)
        grad_x = grad_w = grad_b = None
        if ctx.needs_input_grad[1]:
            if lib is None:
                v = _input_transform(xh, th, tw)
            else:
                v = _workspace.get("v", (tiles, n * th * tw, c_in), x.dtype)
                native_kernels.input_transform(lib, m, _channels_minor(xh), v, th, tw)
            du = torch.bmm(v.transpose(1, 2), dm).view(m + 2, m + 2, c_in, -1)
            g = torch.tensor(native_kernels.MATRICES[m]["G"], dtype=du.dtype)
            grad_w = torch.einsum("ak,bl,abio->oikl", g, g, du)
        if ctx.has_bias and ctx.needs_input_grad[2]:
            grad_b = gy.sum((0, 1, 2))
        if ctx.needs_input_grad[0]:
            dv = _workspace.get("dv", (tiles, dm.shape[1], c_in), dm.dtype)
            torch.bmm(dm, u.transpose(1, 2), out=dv)
            if lib is None:
                grad_x = _input_grad_transform(dv, n, h, w)
            else:
                grad_x = torch.zeros((n, h, w, c_in), dtype=dv.dtype)
                native_kernels.input_grad_transform(lib, m, dv, grad_x)
            grad_x = grad_x.permute(0, 3, 1, 2)
        return grad_x, grad_w, grad_b


class _WinogradWeightGradConv3x3(torch.autograd.Function):
    """oneDNN forward and input gradient; Winograd only for the weight gradient (narrow layers)."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
        ctx.save_for_backward(x, weight)
        ctx.has_bias = bias is not None
        return F.conv2d(x, weight, bias, padding=1)

    @staticmethod
    def backward(ctx, grad_output: torch.Tensor):
        x, weight = ctx.saved_tensors
        lib, m = native_kernels.load(), NATIVE_TILE
        gy = grad_output.contiguous(memory_format=torch.channels_last)
        grad_x = grad_w = grad_b = None
        if ctx.needs_input_grad[0]:
            grad_x = torch.ops.aten.convolution_backward(
                gy, x, weight, None, [1, 1], [1, 1], [1, 1], False, [0, 0], 1, [True, False, False]
            )[0]
        if ctx.needs_input_grad[1]:
            xh, gyh = _channels_minor(x.permute(0, 2, 3, 1)), gy.permute(0, 2, 3, 1)
            n, h, w, c_in = xh.shape
            th, tw = -(-h // m), -(-w // m)
            tiles = (m + 2) * (m + 2)
            dm = _workspace.get("dm", (tiles, n * th * tw, gyh.shape[-1]), gy.dtype)
            native_kernels.grad_output_transform(lib, m, gyh, dm, th, tw)
            v = _workspace.get("v", (tiles, n * th * tw, c_in), x.dtype)
            native_kernels.input_transform(lib, m, xh, v, th, tw)
            du = torch.bmm(v.transpose(1, 2), dm).view(m + 2, m + 2, c_in, -1)
            g = torch.tensor(native_kernels.MATRICES[m]["G"], dtype=du.dtype)
            grad_w = torch.einsum("ak,bl,abio->oikl", g, g, du)
        if ctx.has_bias and ctx.needs_input_grad[2]:
            grad_b = gy.sum((0, 2, 3))
        return grad_x, grad_w, grad_b


def winograd_weight_grad_conv3x3(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None) -> torch.Tensor:
    """`F.conv2d(x, weight, bias, padding=1)` whose weight gradient uses Winograd F(4x4, 3x3).

    For layers too narrow for a full Winograd pass: on AVX2 oneDNN's weight gradient is slow, the
    rest of its convolution is fast. Needs the native kernels.
    """
    if native_kernels.load() is None:
        return F.conv2d(x, weight, bias, padding=1)
    return _WinogradWeightGradConv3x3.apply(x, weight, bias)


def winograd_conv3x3(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None) -> torch.Tensor:
    """`F.conv2d(x, weight, bias, padding=1)` for a 3x3 kernel (stride 1, no groups) on CPU float32.

    Returns a channels_last tensor.
    """
    return _WinogradConv3x3.apply(x, weight, bias)
