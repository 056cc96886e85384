"""Denoising a large image in pieces that give the same answer as denoising it whole.

A ROI larger than a tile must be one coherent sample: its pieces have to be denoised jointly at
every step, not sampled apart and cross-faded. Both denoisers are local: the SinDDM net is fully
convolutional (a receptive field of about 35 px, no normalisation) and the patch denoiser looks
at a patch and its neighbouring tiles' matches. So each step runs the denoiser on overlapping
chunks and keeps every chunk's interior: with a halo at least the denoiser's reach, the result is
the whole-image result (to float rounding; tests/test_chunked_denoiser.py measures it), while
memory stays that of one chunk. This is MultiDiffusion's joint denoising with the overlaps made
wide enough that no averaging is needed.
"""
from __future__ import annotations

import torch

from .denoiser import Denoiser

# The SinDDM net reaches about 17 px each way; the patch denoiser a 15 px patch plus one 8 px tile
# of neighbouring matches each way. 32 px covers both.
DEFAULT_HALO = 32
# Chunk corners sit on multiples of the patch denoiser's 8 px tile grid, so its tiles fall alike.
ALIGN = 8


class ChunkedDenoiser:
    """A Denoiser that runs `inner` on chunks of at most `chunk` px (plus `halo` on each side)."""

    def __init__(self, inner: Denoiser, chunk: int, halo: int = DEFAULT_HALO) -> None:
        self.inner = inner
        self.prediction = inner.prediction
        self.chunk = max(ALIGN, (int(chunk) // ALIGN) * ALIGN)
        self.halo = int(halo)

    def __getattr__(self, name: str):
        return getattr(self.inner, name)  # device, channels, ... of the wrapped denoiser

    def __call__(self, x_t: torch.Tensor, t: torch.Tensor, scale: int) -> torch.Tensor:
        if x_t.shape[0] > 1:  # several drafts (ring_agreement.py): one at a time, in one chunk's memory
            return torch.cat([self(x_t[index:index + 1], t[index:index + 1], scale) for index in range(x_t.shape[0])])
        height, width = x_t.shape[-2:]
        if height <= self.chunk + 2 * self.halo and width <= self.chunk + 2 * self.halo:
            return self.inner(x_t, t, scale)
        out = None
        for top in range(0, height, self.chunk):
            for left in range(0, width, self.chunk):
                bottom, right = min(top + self.chunk, height), min(left + self.chunk, width)
                row0, col0 = max(top - self.halo, 0), max(left - self.halo, 0)
                row1, col1 = min(bottom + self.halo, height), min(right + self.halo, width)
                piece = self.inner(x_t[..., row0:row1, col0:col1], t, scale)
                if out is None:
                    out = torch.empty((*piece.shape[:-2], height, width), dtype=piece.dtype, device=piece.device)
                out[..., top:bottom, left:right] = piece[..., top - row0:bottom - row0, left - col0:right - col0]
        return out
