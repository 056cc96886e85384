"""Posterior-mean denoising of one noisy image against a finite set of clean patches.

For x_t = sqrt(abar) x0 + sqrt(1 - abar) eps with x0's patches drawn from a finite set {p_i}, the
MMSE estimate of a noisy patch y is the posterior mean sum_i w_i p_i with
w_i = softmax_i(-||y - sqrt(abar) p_i||^2 / (2 (1 - abar))). With "center" aggregation each output
pixel is the pixel at its place in the posterior-mean patch of one query patch: the patch centred
on it, or for pixels within p//2 of the border, the nearest patch that fits inside the image (so
an image that is its own dataset is returned unchanged as t -> 0, borders included). "average"
averages the estimates of every patch covering the pixel. Either way outputs are convex
combinations of clean pixels, so they stay within the data range.

Two ways to get the weights:
- `exact_posterior_mean`: every clean patch is a candidate (cost ~ pixels x patches x p^2 C).
- `tiled_posterior_mean`: query patches are grouped in b x b tiles; anchor queries of each tile
  look up their k nearest clean patches (a `search` callable), and each match at position n for an
  anchor at tile offset a proposes the clean window starting at n - a for the whole tile, and, moved
  along, for its 4 neighbouring tiles. Every query of the tile then weighs the patch at its own
  offset in each proposed window. Coherent neighbours (query q + d matching clean patch n + d) are
  what patch-based sampling produces, so the proposals contain each query's best matches; distances
  over a window are box filters of pixel products, far cheaper than comparing whole patches.
  Queries whose every proposal touches nodata are redone exactly (`exact_posterior_pixels`).
Both process a bounded number of queries at a time; chunking does not change the result.
"""
from __future__ import annotations

import math
from typing import Callable, Literal

import torch
import torch.nn.functional as F

from .patch_index import extract_patches, gather_patches, patch_grid

Search = Callable[[torch.Tensor], torch.Tensor]  # noisy query patches [A, D] -> clean positions [A, k]
Aggregation = Literal["center", "average"]
_MAX_CHUNK_PAIRS = 1 << 24  # (query, clean patch) weights held at once by the exact posterior: 64 MB


def query_positions(size: int, patch_size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Along one axis: for each pixel, the start of its query patch and its offset inside it."""
    pixels = torch.arange(size)
    starts = (pixels - patch_size // 2).clamp(0, size - patch_size)
    return starts, pixels - starts


def exact_posterior_mean(
    noisy: torch.Tensor,
    clean: torch.Tensor,
    patch_size: int,
    sqrt_abar: float,
    noise_variance: float,
    *,
    patch_valid: torch.Tensor | None = None,
    chunk_size: int = 4096,
    aggregation: Aggregation = "center",
) -> torch.Tensor:
    """Posterior mean over all clean patches: noisy [C, H, W], clean [C, Hc, Wc] -> [C, H, W]."""
    channels, height, width = noisy.shape
    patches = extract_patches(clean, patch_size)  # [N, D]
    if patch_valid is not None:
        patches = patches[patch_valid.reshape(-1)]
    bias = -(sqrt_abar**2) * (patches * patches).sum(dim=1)
    queries = extract_patches(noisy, patch_size)  # [Q, D]
    averaging = aggregation == "average"
    # "center" needs whole estimated patches only for the queries at the image border
    border = torch.ones(queries.shape[0], dtype=torch.bool, device=queries.device) if averaging else _border_queries(height, width, patch_size, queries.device)
    half = patch_size // 2
    centre = patches.reshape(-1, channels, patch_size, patch_size)[:, :, half, half]  # [N, C]
    means = torch.zeros_like(queries)
    step = _exact_chunk(chunk_size, patches.shape[0])
    for start in range(0, queries.shape[0], step):
        stop = min(start + step, queries.shape[0])
        # -||y - s p||^2 up to the per-query constant ||y||^2, which softmax ignores
        logits = torch.addmm(bias, queries[start:stop], patches.T, alpha=2.0 * sqrt_abar) / (2.0 * noise_variance)
        weights = torch.softmax(logits, dim=1)
        whole = border[start:stop]
        if not averaging:
            part = means[start:stop].view(stop - start, channels, patch_size, patch_size)
            part[:, :, half, half] = weights @ centre
        if bool(whole.any()):
            means[start:stop][whole] = weights[whole] @ patches
    if averaging:
        coverage = F.fold(torch.ones_like(means).T[None], (height, width), patch_size)
        return (F.fold(means.T[None], (height, width), patch_size) / coverage)[0]
    return _patch_pixels(means, channels, height, width, patch_size)


def exact_posterior_pixels(
    noisy: torch.Tensor,
    clean: torch.Tensor,
    patch_size: int,
    sqrt_abar: float,
    noise_variance: float,
    rows: torch.Tensor,
    cols: torch.Tensor,
    *,
    patch_valid: torch.Tensor | None = None,
    chunk_size: int = 4096,
) -> torch.Tensor:
    """exact_posterior_mean ("center") at the pixels (rows, cols) [M] only: [C, M]."""
    channels, height, width = noisy.shape
    patches = extract_patches(clean, patch_size)
    if patch_valid is not None:
        patches = patches[patch_valid.reshape(-1)]
    bias = -(sqrt_abar**2) * (patches * patches).sum(dim=1)
    start_r, offset_r = (t.to(noisy.device) for t in query_positions(height, patch_size))
    start_c, offset_c = (t.to(noisy.device) for t in query_positions(width, patch_size))
    out = torch.empty(channels, rows.numel(), dtype=noisy.dtype, device=noisy.device)
    step = _exact_chunk(chunk_size, patches.shape[0])
    channel_start = patch_size * patch_size * torch.arange(channels, device=noisy.device)
    for first in range(0, rows.numel(), step):
        r, c = rows[first : first + step], cols[first : first + step]
        queries = gather_patches(noisy, start_r[r], start_c[c], patch_size)
        logits = torch.addmm(bias, queries, patches.T, alpha=2.0 * sqrt_abar) / (2.0 * noise_variance)
        means = torch.softmax(logits, dim=1) @ patches  # [m, D]
        # the pixel's column in the flattened (channel, row, column) patch, for every channel
        column = (offset_r[r] * patch_size + offset_c[c])[:, None] + channel_start[None, :]
        out[:, first : first + step] = means.gather(1, column).T
    return out


def _exact_chunk(chunk_size: int, num_patches: int) -> int:
    """Queries per chunk of an exact posterior: at most chunk_size, and at most _MAX_CHUNK_PAIRS weights."""
    return max(1, min(chunk_size, _MAX_CHUNK_PAIRS // max(1, num_patches)))


def _border_queries(height: int, width: int, patch_size: int, device: torch.device) -> torch.Tensor:
    """[Q] True for query patches on the image border, whose off-centre pixels are used too."""
    rows, cols = patch_grid(height, width, patch_size)
    edge_r = torch.zeros(rows, dtype=torch.bool, device=device)
    edge_c = torch.zeros(cols, dtype=torch.bool, device=device)
    edge_r[[0, -1]] = True
    edge_c[[0, -1]] = True
    return (edge_r[:, None] | edge_c[None, :]).reshape(-1)


def _patch_pixels(means: torch.Tensor, channels: int, height: int, width: int, patch_size: int) -> torch.Tensor:
    """Each pixel's value from its query patch's estimate: means [Q, C*p*p] -> [C, H, W]."""
    query_cols = width - patch_size + 1
    row_start, row_offset = query_positions(height, patch_size)
    col_start, col_offset = query_positions(width, patch_size)
    device = means.device
    query = (row_start[:, None] * query_cols + col_start[None, :]).to(device)
    patches = means.reshape(-1, channels, patch_size, patch_size)
    values = patches[query, :, row_offset[:, None].to(device), col_offset[None, :].to(device)]  # [H, W, C]
    return values.permute(2, 0, 1).contiguous()


def anchor_offsets(tile: int, anchors_per_side: int) -> torch.Tensor:
    """In-tile (row, col) offsets of the anchor queries: an even grid, [A, 2]."""
    side = min(max(1, anchors_per_side), tile)
    steps = [min(tile - 1, int(math.floor((i + 0.5) * tile / side))) for i in range(side)]
    return torch.tensor([(r, c) for r in steps for c in steps], dtype=torch.long)


def _tile_starts(positions: int, tile: int) -> torch.Tensor:
    """Tile origins along one axis; the last tile is pulled back so it fits (and overlaps its neighbour)."""
    count = math.ceil(positions / tile)
    return torch.tensor([min(i * tile, positions - tile) for i in range(count)], dtype=torch.long)


def _window_indices(
    starts_r: torch.Tensor, starts_c: torch.Tensor, size: int, width: int
) -> torch.Tensor:
    """Flat indices [..., size, size] of square windows with top-left corners (starts_r, starts_c) [...]."""
    steps = torch.arange(size, device=starts_r.device)
    return (starts_r[..., None, None] + steps[:, None]) * width + (starts_c[..., None, None] + steps[None, :])


def tiled_posterior_mean(
    noisy: torch.Tensor,
    clean: torch.Tensor,
    patch_size: int,
    sqrt_abar: float,
    noise_variance: float,
    search: Search,
    *,
    patch_valid: torch.Tensor | None = None,
    tile: int = 8,
    anchors_per_side: int = 2,
    chunk_size: int = 4096,
    aggregation: Aggregation = "center",
    propagate: bool = True,
) -> torch.Tensor:
    """Posterior mean over the clean patches proposed by each tile's anchors (see module doc)."""
    channels, height, width = noisy.shape
    device = noisy.device
    query_rows, query_cols = patch_grid(height, width, patch_size)
    clean_rows, clean_cols = patch_grid(clean.shape[-2], clean.shape[-1], patch_size)
    tile = max(1, min(tile, query_rows, query_cols, clean_rows, clean_cols))
    window = tile + patch_size - 1
    tops, lefts = _tile_starts(query_rows, tile).to(device), _tile_starts(query_cols, tile).to(device)
    tile_r = tops[:, None].expand(-1, lefts.numel()).reshape(-1)
    tile_c = lefts[None, :].expand(tops.numel(), -1).reshape(-1)
    num_tiles = tile_r.numel()

    # candidate windows: each anchor's nearest clean patches, shifted back by the anchor's offset
    anchors = anchor_offsets(tile, anchors_per_side).to(device)
    anchor_r = (tile_r[:, None] + anchors[None, :, 0]).reshape(-1)
    anchor_c = (tile_c[:, None] + anchors[None, :, 1]).reshape(-1)
    found = search(gather_patches(noisy, anchor_r, anchor_c, patch_size))  # [T * A, k]
    found = found.reshape(num_tiles, anchors.shape[0], -1)
    win_r = (found // clean_cols - anchors[None, :, 0, None]).reshape(num_tiles, -1)
    win_c = (found % clean_cols - anchors[None, :, 1, None]).reshape(num_tiles, -1)
    if propagate:
        win_r, win_c = _with_neighbour_proposals(win_r, win_c, tops, lefts)
    win_r, win_c = win_r.clamp(0, clean_rows - tile), win_c.clamp(0, clean_cols - tile)
    # two anchors of one coherent region propose the same window: count it once
    key, order = (win_r * clean_cols + win_c).sort(dim=1)
    win_r, win_c = win_r.gather(1, order), win_c.gather(1, order)
    repeated_penalty = torch.zeros(key.shape, dtype=noisy.dtype, device=device)
    repeated_penalty[:, 1:].masked_fill_(key[:, 1:] == key[:, :-1], float("-inf"))
    candidates = key.shape[1]

    clean_flat = clean.reshape(channels, -1)
    noisy_flat = noisy.reshape(channels, -1)
    # ||s p||^2 of every clean patch (||y||^2 is the same for all of a query's candidates: dropped)
    patch_energy = F.avg_pool2d((clean * clean).sum(dim=0)[None, None], patch_size, stride=1)[0, 0]
    patch_energy = (patch_energy * (patch_size**2 * sqrt_abar**2)).reshape(-1)
    valid_flat = None if patch_valid is None else patch_valid.reshape(-1)
    half = patch_size // 2
    pad = (half, patch_size - 1 - half, half, patch_size - 1 - half)
    averaging = aggregation == "average"
    if averaging:
        owned = _owned_positions(tops, lefts, tile)  # [T, 1, b, b]
        total = torch.zeros(channels, height * width, dtype=noisy.dtype, device=device)
        coverage = torch.zeros(height * width, dtype=noisy.dtype, device=device)
    else:
        blended = torch.empty(num_tiles, channels, window, window, dtype=noisy.dtype, device=device)
    hopeless = torch.zeros(num_tiles, tile, tile, dtype=torch.bool, device=device)
    tiles_per_chunk = max(1, chunk_size // (tile * tile))
    for start in range(0, num_tiles, tiles_per_chunk):
        part = slice(start, min(start + tiles_per_chunk, num_tiles))
        count = part.stop - part.start
        windows = clean_flat[:, _window_indices(win_r[part], win_c[part], window, clean.shape[-1])]  # [C, n, K, w, w]
        query = noisy_flat[:, _window_indices(tile_r[part], tile_c[part], window, width)]  # [C, n, w, w]
        # <y, p> for every query position and proposal: p x p box sums of the pixel products
        products = torch.einsum("cnkij,cnij->nkij", windows, query).reshape(-1, 1, window, window)
        correlation = F.avg_pool2d(products, patch_size, stride=1).reshape(count, candidates, tile, tile)
        proposed = _window_indices(win_r[part], win_c[part], tile, clean_cols)  # [n, K, b, b] clean patches
        logits = (correlation * (2.0 * sqrt_abar * patch_size**2) - patch_energy[proposed]) / (2.0 * noise_variance)
        logits = logits + repeated_penalty[part, :, None, None]
        used = owned[part] if averaging else None
        if valid_flat is not None:
            unusable = ~valid_flat[proposed]
            # queries whose every proposal touches nodata are redone over all valid patches below
            hopeless[part] = unusable.all(dim=1)
            logits = logits.masked_fill(unusable & ~hopeless[part, None], float("-inf"))
            if averaging:
                used = used * (~hopeless[part, None]).to(used.dtype)
        weights = torch.softmax(logits, dim=1)  # [n, K, b, b]
        if averaging:
            # a proposal's pixel is the same in every patch of its window that covers it, so the
            # average over covering patches weighs it by the p x p box sum of its weights
            weights = weights * used
            spread = F.avg_pool2d(F.pad(weights, (patch_size - 1,) * 4), patch_size, stride=1) * patch_size**2
            covered = F.avg_pool2d(F.pad(used, (patch_size - 1,) * 4), patch_size, stride=1) * patch_size**2
            where = _window_indices(tile_r[part], tile_c[part], window, width).reshape(-1)
            total.index_add_(1, where, torch.einsum("cnkij,nkij->cnij", windows, spread).reshape(channels, -1))
            coverage.index_add_(0, where, covered.reshape(-1))
            continue
        # a pixel takes the weights of its query patch: pad the b x b weights out to the window
        weights = F.pad(weights, pad, mode="replicate")
        blended[part] = torch.einsum("cnkij,nkij->ncij", windows, weights)

    exact = dict(patch_valid=patch_valid, chunk_size=chunk_size)
    if averaging:
        result = (total / coverage.clamp_min(1e-12)).reshape(channels, height, width)
        redo = (coverage == 0).reshape(height, width)
        if bool(redo.any()):
            rows, cols = redo.nonzero(as_tuple=True)
            result[:, rows, cols] = exact_posterior_pixels(noisy, clean, patch_size, sqrt_abar, noise_variance, rows, cols, **exact)
        return result

    # pixel -> the tile that owns its query patch, and its place in that tile's window
    out_r = _owner_map(height, patch_size, tile, tops.cpu())
    out_c = _owner_map(width, patch_size, tile, lefts.cpu())
    tile_index = (out_r[0][:, None] * lefts.numel() + out_c[0][None, :]).to(device)
    place_r, place_c = out_r[1].to(device), out_c[1].to(device)
    result = blended[tile_index, :, place_r[:, None], place_c[None, :]].permute(2, 0, 1).contiguous()  # [C, H, W]
    if patch_valid is not None:
        query_r, query_c = (place_r - half).clamp(0, tile - 1), (place_c - half).clamp(0, tile - 1)
        redo = hopeless[tile_index, query_r[:, None], query_c[None, :]]
        if bool(redo.any()):
            rows, cols = redo.nonzero(as_tuple=True)
            result[:, rows, cols] = exact_posterior_pixels(noisy, clean, patch_size, sqrt_abar, noise_variance, rows, cols, **exact)
    return result


def _with_neighbour_proposals(
    win_r: torch.Tensor, win_c: torch.Tensor, tops: torch.Tensor, lefts: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Add to each tile the windows of its 4 neighbours, continued into it ([T, K] -> [T, 5K]).

    Without them a tile only sees its own anchors' matches, and two neighbours that chose
    different clean regions meet at a hard seam; with them the patch that continues the
    neighbour's region is always among the candidates, as in PatchMatch's propagation."""
    rows, cols = tops.numel(), lefts.numel()
    grid_r = win_r.reshape(rows, cols, -1)
    grid_c = win_c.reshape(rows, cols, -1)
    index_r = torch.arange(rows, device=tops.device)
    index_c = torch.arange(cols, device=lefts.device)
    parts_r, parts_c = [grid_r], [grid_c]
    for step in (-1, 1):
        source = (index_r + step).clamp(0, rows - 1)  # the tile above / below (itself at the border)
        parts_r.append(grid_r[source] + (tops - tops[source])[:, None, None])
        parts_c.append(grid_c[source])
        source = (index_c + step).clamp(0, cols - 1)  # the tile left / right
        parts_r.append(grid_r[:, source])
        parts_c.append(grid_c[:, source] + (lefts - lefts[source])[None, :, None])
    return torch.cat(parts_r, dim=2).reshape(rows * cols, -1), torch.cat(parts_c, dim=2).reshape(rows * cols, -1)


def _owned_positions(tops: torch.Tensor, lefts: torch.Tensor, tile: int) -> torch.Tensor:
    """[T, 1, b, b] 1 where a tile's query position is its own (the pulled-back last tiles share some)."""
    steps = torch.arange(tile, device=tops.device)

    def along(starts: torch.Tensor) -> torch.Tensor:
        owner = ((starts[:, None] + steps[None, :]) // tile).clamp(max=starts.numel() - 1)
        return owner == torch.arange(starts.numel(), device=starts.device)[:, None]

    owned = along(tops)[:, None, :, None] & along(lefts)[None, :, None, :]  # [R, C, b, b]
    return owned.reshape(-1, 1, tile, tile).to(torch.float32)


def _owner_map(size: int, patch_size: int, tile: int, starts: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Along one axis: for each pixel, the index of the tile owning its query patch and the pixel's
    place in that tile's window. The last tile owns what the one before it does not reach."""
    query_start, _ = query_positions(size, patch_size)
    owner = (query_start // tile).clamp(max=starts.numel() - 1)
    return owner, torch.arange(size) - starts[owner]
