"""Coherent detail for regenerated ROIs: copy the scene's own fine texture along block correspondences.

Why. At every scale finer than the first, the sampler starts from the upsampled coarser result
(x~), which holds the ROI's layout but none of its detail. The posterior-mean denoiser compares such
a query with the scene's patches, and detail-free queries sit nearest to the scene's smoothest
patches: inside a regenerated ROI each finer scale drifts towards flat cover (bare soil squares in a
maize field, calm water in a reef), and averaging the many patches that match equally well leaves
no coherent texture (docs/benchmarks.md, "Regeneration against the gap fillers").

What. At the first step of the first scale this hook works on, the ROI is cut into blocks; each
block, with a margin of known or coarse pixels around it, is matched against the training context
at that scale by its blurry content only (query x~ against the context's own blurry level, so
neither side has detail the other lacks; by squared distance, or by the texture distance where the
window lies wholly inside the ROI: `texture_matches`), and the match's offset is kept. At the first
step of that scale and of every finer one, the ROI's x0 estimate becomes the context's sharp pixels
along those offsets (rescaled to the scale): the block's real texture, at its own scale, in one piece.
The denoising steps that follow at each scale then harmonise the block seams with the surroundings.
This is the coarse-to-fine correspondence idea of patch-based image completion (Wexler et al.;
PatchMatch), applied inside the diffusion sampler.

The finest scale is quilted instead when the tile's own pixels are given (quilt_hook.py): cut seams
and a gradient-domain blend join real blocks there, where these fixed blocks left straight seams.

Offsets are kept at full resolution, so the tile (whose pyramid sizes differ a little from the
context's) and the context stay in register at every scale. Sources that fall on invalid context
pixels (the ROI itself, nodata) leave x0 as the denoiser made it.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import torch
import torch.nn.functional as F

from ..diffusion.resample import area_resize
from .patch_denoiser import PatchDenoiser, patch_denoiser_of
from .patch_index import ScalePatches, gather_patches
from .quilt_hook import FinestScaleQuilt

if TYPE_CHECKING:
    from ..diffusion.sampling_hooks import StepState

# the first scale that takes the transfer: by scale 2 (~110 px for a 256 px tile) the coarse scales
# have laid the ROI out, and blocks of 8 px there still hold a few px of detail (docs/benchmarks.md)
TRANSFER_FROM_SCALE = 2
BLOCK = 8  # block side at the matching scale, in that scale's pixels
MARGIN = 4  # pixels around a block that take part in its match
MAX_CANDIDATES = 1 << 16  # context positions compared per block; sparser strides beyond
EXACT_BUDGET = 1 << 31  # query x candidate x dimension products searched exactly
REDUCED_DIM = 32
REDUCED_SHORTLIST = 16


class BlockTransfer:
    """The regeneration x0 hook of the training-free model (see the module docstring).

    `roi` [H, W] bool at the sampled image's full size marks the pixels to regenerate; `from_scale` is the
    scale whose first step matches the blocks (every scale from there on receives the transfer);
    `seed` draws the sample a large search reduces its dimensions from. One instance serves one
    sampling run (the sampler's tile)."""

    def __init__(self, denoiser: PatchDenoiser, roi: torch.Tensor, *, from_scale: int, seed: int = 0,
                 block: int = BLOCK, margin: int = MARGIN, known: torch.Tensor | None = None) -> None:
        self.denoiser = denoiser
        self.roi = roi.bool()
        self.full_size = tuple(roi.shape)  # the sampled image at its finest scale
        self.context_size = tuple(denoiser.scales_data[-1].sharp.shape[-2:])  # the context, likewise
        self.from_scale = int(from_scale)
        self.block, self.margin = int(block), int(margin)
        self.seed = int(seed)
        self.offsets: torch.Tensor | None = None  # [2, H, W] full-resolution (dy, dx) to the source, NaN = none
        self.started: set[int] = set()
        self.finest: FinestScaleQuilt | None = None  # with `known` (the tile in model units), the finest scale's quilt
        if known is not None:
            data = denoiser.scales_data[-1]
            self.finest = FinestScaleQuilt(data.sharp, data.pixel_valid, known, self.roi,
                                           seed=seed, context_blurry=data.blurry)

    def __call__(self, state: StepState) -> torch.Tensor | None:
        scale = state.scale
        if scale < self.from_scale or scale in self.started or state.blurry is None:
            return None
        if self.finest is not None and self.finest.applies(state):
            quilted = self.finest(state)
            if quilted is not None:
                return quilted
        self.started.add(scale)  # only the first step of each scale: its later steps harmonise the seams
        if self.offsets is None:
            self.offsets = self._match(state.blurry[0], scale)
        return self._transfer(state.x0_hat, scale)

    # ------------------------------------------------------------------ matching
    def _match(self, blurry: torch.Tensor, scale: int) -> torch.Tensor:
        """Full-resolution offsets from block matches of x~ (the tile's blurry level) against the
        context's blurry level at `scale`."""
        data = self.denoiser.scales_data[scale]
        context = data.blurry if data.blurry is not None else data.sharp
        height, width = blurry.shape[-2:]
        roi = _resize_mask(self.roi, (height, width))
        side = self.block + 2 * self.margin
        valid = _window_valid(data, side)
        rows, cols = torch.nonzero(valid, as_tuple=True)
        if rows.numel() == 0:
            return torch.full((2, *self.full_size), float("nan"))
        stride = max(1, math.ceil(math.sqrt(rows.numel() / MAX_CANDIDATES)))
        keep = (rows % stride == 0) & (cols % stride == 0)
        rows, cols = rows[keep], cols[keep]
        candidates = gather_patches(context, rows, cols, side)  # [N, D]
        offsets = torch.full((2, *self.full_size), float("nan"))
        scale_y, scale_x = self.full_size[0] / height, self.full_size[1] / width
        context_scale_y = self.context_size[0] / context.shape[-2]
        context_scale_x = self.context_size[1] / context.shape[-1]
        padded = F.pad(blurry[None], (self.margin,) * 4, mode="replicate")[0]
        blocks = [(top, left) for top in range(0, height, self.block) for left in range(0, width, self.block)
                  if bool(roi[top:top + self.block, left:left + self.block].any())]
        if not blocks:
            return offsets
        # the window around each block, in the padded image (always side x side: blocks at the image's
        # far edges are shifted inwards)
        tops = torch.tensor([min(top, height - self.block) for top, _ in blocks])
        lefts = torch.tensor([min(left, width - self.block) for _, left in blocks])
        queries = gather_patches(padded, tops, lefts, side)
        best = _best_matches(queries, candidates, torch.Generator().manual_seed(self.seed))
        # blocks whose window holds no known pixel: by the texture distance (see texture_matches)
        roi_padded = F.pad(roi.float()[None], (self.margin,) * 4, mode="replicate")
        deep = gather_patches(roi_padded, tops, lefts, side).min(dim=1).values > 0.5
        if bool(deep.any()):
            best[deep] = texture_matches(queries[deep], candidates, blurry.shape[0])
        for index, (top, left) in enumerate(blocks):
            bottom, right = min(top + self.block, height), min(left + self.block, width)
            # source of the block's top-left pixel at this scale in the context, then full resolution
            source_y = float(rows[best[index]]) + self.margin + (top - int(tops[index]))
            source_x = float(cols[best[index]]) + self.margin + (left - int(lefts[index]))
            full_top, full_left = round(top * scale_y), round(left * scale_x)
            full_bottom, full_right = round(bottom * scale_y), round(right * scale_x)
            offsets[0, full_top:full_bottom, full_left:full_right] = (source_y + 0.5) * context_scale_y - (top + 0.5) * scale_y
            offsets[1, full_top:full_bottom, full_left:full_right] = (source_x + 0.5) * context_scale_x - (left + 0.5) * scale_x
        return offsets

    # ------------------------------------------------------------------ copying
    def _transfer(self, x0: torch.Tensor, scale: int) -> torch.Tensor | None:
        data = self.denoiser.scales_data[scale]
        sharp = data.sharp
        height, width = x0.shape[-2:]
        roi = _resize_mask(self.roi, (height, width))
        if not bool(roi.any()):
            return None
        ys, xs = torch.nonzero(roi, as_tuple=True)
        scale_y, scale_x = self.full_size[0] / height, self.full_size[1] / width
        full_y = ((ys.float() + 0.5) * scale_y - 0.5).round().long().clamp(0, self.full_size[0] - 1)
        full_x = ((xs.float() + 0.5) * scale_x - 0.5).round().long().clamp(0, self.full_size[1] - 1)
        dy, dx = self.offsets[0, full_y, full_x], self.offsets[1, full_y, full_x]
        known = ~(torch.isnan(dy) | torch.isnan(dx))
        context_y = ((ys.float() + 0.5) * scale_y + dy) * sharp.shape[-2] / self.context_size[0] - 0.5
        context_x = ((xs.float() + 0.5) * scale_x + dx) * sharp.shape[-1] / self.context_size[1] - 0.5
        cy = torch.nan_to_num(context_y).round().long()
        cx = torch.nan_to_num(context_x).round().long()
        inside = known & (cy >= 0) & (cy < sharp.shape[-2]) & (cx >= 0) & (cx < sharp.shape[-1])
        cy, cx = cy.clamp(0, sharp.shape[-2] - 1), cx.clamp(0, sharp.shape[-1] - 1)
        usable = inside & data.pixel_valid[cy, cx]
        if not bool(usable.any()):
            return None
        out = x0.clone()
        out[:, :, ys[usable], xs[usable]] = sharp[:, cy[usable], cx[usable]].to(out.dtype)[None]
        return out


def _best_matches(queries: torch.Tensor, candidates: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Index of the nearest candidate [N, D] to each query [Q, D] by squared distance. Large problems
    shortlist REDUCED_SHORTLIST candidates per query in a PCA-reduced space first, then rank those exactly."""
    energy = (candidates * candidates).sum(dim=1)
    if queries.shape[0] * candidates.shape[0] * candidates.shape[1] <= EXACT_BUDGET:
        return _chunked_argmax(queries, candidates, energy)
    sample = candidates[torch.randperm(candidates.shape[0], generator=generator)[:4096]]
    _, vectors = torch.linalg.eigh(sample.T.double() @ sample.double())
    basis = vectors[:, -REDUCED_DIM:].to(candidates.dtype)
    reduced_candidates = candidates @ basis
    reduced_queries = queries @ basis
    reduced_energy = (reduced_candidates * reduced_candidates).sum(dim=1)
    best = torch.empty(queries.shape[0], dtype=torch.long)
    for start in range(0, queries.shape[0], 256):
        stop = min(start + 256, queries.shape[0])
        scores = 2.0 * reduced_queries[start:stop] @ reduced_candidates.T - reduced_energy
        shortlist = scores.topk(min(REDUCED_SHORTLIST, scores.shape[1]), dim=1).indices  # [q, s]
        exact = 2.0 * torch.einsum("qd,qsd->qs", queries[start:stop], candidates[shortlist]) - energy[shortlist]
        best[start:stop] = shortlist.gather(1, exact.argmax(dim=1, keepdim=True))[:, 0]
    return best


def texture_matches(queries: torch.Tensor, candidates: torch.Tensor, channels: int) -> torch.Tensor:
    """Index of the nearest candidate [N, D] to each query [Q, D] (D = `channels` x pixels, channel by
    channel) by the texture distance of quilt.ContextSpectra.texture_distance: per value, the squared
    difference of the channel means and of the standard deviations, and 2 var_q (1 - rho).

    Why. A block whose window lies wholly inside the ROI holds only x~ there, the coarser scales' posterior
    mean, smoother than any real surface at this scale. By squared distance the flattest blocks of about
    its colour were nearest: across a strip over a band of land with its cumulus, every deep block took
    open water or calm shelf sea, and the land was gone from the layout the finest scale then quilted
    (docs/benchmarks.md, "Filled from the border inwards"). The texture distance is the squared
    distance less 2 sd_q (sd_c - sd_q) (1 - rho): a textured block is no longer held against the query
    for texture that does not line up. Blocks that see known pixels keep the squared distance: with it
    all the small ROIs (none of which has a deep block) stayed as they were, and with the texture
    distance for every block their colour gap rose over its goal."""
    def centred(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Channel means [n, C], the centred values scaled to unit norm [n, D], the standard deviation [n]."""
        shaped = x.reshape(x.shape[0], channels, -1)
        mean = shaped.mean(dim=2)
        values = (shaped - mean[:, :, None]).reshape(x.shape[0], -1)
        sd = values.pow(2).mean(dim=1).sqrt()
        return mean, values / (sd[:, None] * values.shape[1] ** 0.5 + 1e-12), sd

    c_mean, c_unit, c_sd = centred(candidates)
    c_energy = c_mean.pow(2).sum(dim=1)
    best = torch.empty(queries.shape[0], dtype=torch.long)
    for start in range(0, queries.shape[0], 64):
        q_mean, q_unit, q_sd = centred(queries[start:start + 64])
        rho = q_unit @ c_unit.T
        mean_term = (q_mean.pow(2).sum(dim=1)[:, None] - 2.0 * q_mean @ c_mean.T + c_energy[None]) / channels
        cost = mean_term + (q_sd[:, None] - c_sd[None]) ** 2 + 2.0 * q_sd[:, None] ** 2 * (1.0 - rho)
        best[start:start + 64] = cost.argmin(dim=1)
    return best


def _chunked_argmax(queries: torch.Tensor, candidates: torch.Tensor, energy: torch.Tensor) -> torch.Tensor:
    best = torch.empty(queries.shape[0], dtype=torch.long)
    for start in range(0, queries.shape[0], 256):
        stop = min(start + 256, queries.shape[0])
        best[start:stop] = (2.0 * queries[start:stop] @ candidates.T - energy).argmax(dim=1)
    return best


def _resize_mask(mask: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """The bool mask at a pyramid level's `size`: pixels at least half inside."""
    return area_resize(mask.float()[None, None], size)[0, 0] > 0.5


def _window_valid(data: ScalePatches, side: int) -> torch.Tensor:
    """[H-side+1, W-side+1] bool: side x side windows whose pixels are all valid."""
    shape = data.sharp.shape[-2:]
    rows, cols = shape[0] - side + 1, shape[1] - side + 1
    if rows < 1 or cols < 1:
        return torch.zeros(max(rows, 0), max(cols, 0), dtype=torch.bool)
    pixels = data.pixel_valid.float()[None, None]
    return (-F.max_pool2d(-pixels, side, stride=1))[0, 0] > 0.5


def block_transfer(denoiser: Any, roi: torch.Tensor, *, seed: int = 0,
                   known: torch.Tensor | None = None) -> BlockTransfer | None:
    """The transfer hook for a training-free denoiser (possibly chunked), or None for other models.
    With `known` (the tile in model units, [C, H, W]) the finest scale is quilted (quilt.py)."""
    inner = patch_denoiser_of(denoiser)
    if inner is None or not bool(roi.any()):
        return None
    from_scale = min(TRANSFER_FROM_SCALE, len(inner.scales_data) - 1)
    return BlockTransfer(inner, roi, from_scale=from_scale, seed=seed, known=known)
