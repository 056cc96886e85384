"""Guided image quilting: fill a ROI with real blocks of the context, cut along their best seams and
blended in the gradient domain.

Why. Copying whole blocks of the context along fixed offsets keeps the scene's texture, but every
block border is a visible straight seam: a step in tone and a break in the texture's rows
(docs/benchmarks.md, "Regeneration against the gap fillers"). Letting the diffusion steps smooth the
seams instead re-creates speckle, the fine scales' posterior mean at work.

What. The ROI's bounding box is walked in blocks, from the ROI's border inwards (`fill_order`); each
block's window, with an overlap band around it, is matched against every window of the context by two
masked distances (squared differences without their bias for flat windows,
`ContextSpectra.texture_distance`), computed for all context positions at once with FFT correlations:
- guidance: the sampler's layout for the ROI (x~, the upsampled coarser result) against the
  context's own blurry level, so the coarse scales decide what goes where;
- overlap: the pixels already there (known pixels around the ROI, blocks placed before) against the
  context's sharp pixels, so the new block continues them.
One of the near-best windows is taken (a tolerance, as in image quilting (Efros & Freeman 2001), so
the same source is not repeated everywhere), leaving out those that would show an earlier block's source
at a second place (`not_repeated`); it joins the blocks before it along the minimum-error path through
their overlap. Last, the tone steps that remain at those seams and at the ROI's border are removed by
a Poisson solve that keeps each block's own gradients (gradient-domain compositing, Perez et al. 2003;
Agarwala et al. 2004), with the known pixels around the ROI as its boundary. The
solve is screened: the ROI's broadest tone is held to the layout's, so blocks copied from a darker or
brighter part of the scene keep their texture but not their tone; a smooth fill from the ROI's border
was tried for this and smeared painted marks beside the ROI deep into it (docs/benchmarks.md).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from ..roi_depth import roi_depth

BLOCK = 24  # block side, full-resolution pixels
OVERLAP = 8  # band shared with the neighbouring blocks and the known pixels around them
GUIDANCE_WEIGHT = 0.2  # share of the layout in a block's cost; the rest is agreement with what is already there
TONE_LENGTH = 16.0  # px: wavelengths beyond ~2*pi times this take their tone from the layout (gradient_blend)
TONE_DEPTH_SHARE = 0.75  # a ROI's tone length is at most this share of its depth (tone_lengths): 12 px for a 32 px square
TONE_BLUR = 2.0  # px (Gaussian sigma): the copy is compared with the layout this blurred (tone_agreement)
TONE_AGREEMENT = 3.0  # a copy this many times the median distance from the layout is held at half the weight, 1/17 at twice
TOLERANCE = 0.1  # windows within this fraction of the best cost are equally eligible
# a block's sources lie within this many px of its own place in the context, when the tile is found
# there: a search over the whole context made a 100 px ROI take 56 s with a 2048 px context
SEARCH_RADIUS = 192
SEARCH_STEP = 64  # search areas start on this grid, so neighbouring blocks share one area's FFTs
EXACT = 1e-6  # mean squared difference per value under which the tile's pixels are where the context holds them


@dataclass
class ContextSpectra:
    """FFTs of one context image for masked distance maps against any window (`masked_ssd`,
    `texture_distance`)."""

    image: torch.Tensor  # [C, H, W] float64
    spectrum: torch.Tensor  # rfft2 of the image's channels
    energy_spectrum: torch.Tensor  # rfft2 of the sum of squares over channels

    @classmethod
    def of(cls, image: torch.Tensor) -> "ContextSpectra":
        image = image.double()
        return cls(image, torch.fft.rfft2(image), torch.fft.rfft2((image * image).sum(dim=0)))

    @property
    def size(self) -> tuple[int, int]:
        return int(self.image.shape[-2]), int(self.image.shape[-1])

    def _kernel_spectrum(self, kernel: torch.Tensor) -> torch.Tensor:
        """rfft2 of kernels [..., h, w] zero-padded to the image's size."""
        height, width = self.size
        return torch.fft.rfft2(F.pad(kernel.double(), (0, width - kernel.shape[-1], 0, height - kernel.shape[-2])))

    def _correlate(self, spectra: torch.Tensor, kernel_spectrum: torch.Tensor, rows: int, cols: int) -> torch.Tensor:
        """Correlations of image spectra [..., H, W/2+1] with kernel spectra (`_kernel_spectrum`) of
        [rows, cols] kernels, cropped to the window positions that do not wrap."""
        height, width = self.size
        maps = torch.fft.irfft2(spectra * kernel_spectrum.conj(), s=(height, width))
        return maps[..., :height - rows + 1, :width - cols + 1]

    def masked_energy(self, mask: torch.Tensor) -> torch.Tensor:
        """[H-h+1, W-w+1]: for every window position, the sum over the mask's [h, w] pixels and the
        channels of the window's squares (for a 0/1 image: how many of its ones the mask covers)."""
        rows, cols = mask.shape[-2:]
        return self._correlate(self.energy_spectrum, self._kernel_spectrum(mask), rows, cols).clamp_min(0.0)

    def masked_ssd(self, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """[H-h+1, W-w+1]: for every window position, sum over the mask's pixels and the channels of
        (window - target)^2; `target` [C, h, w], `mask` [h, w] float.

        Circular correlation over the image's own size is exact for windows that do not wrap, and
        only those are returned."""
        rows, cols = target.shape[-2:]
        mask = mask.double()
        cross = self._correlate(self.spectrum, self._kernel_spectrum(target.double() * mask), rows, cols).sum(dim=0)
        energy = self._correlate(self.energy_spectrum, self._kernel_spectrum(mask), rows, cols)
        constant = float((target.double() ** 2 * mask).sum())
        return (energy - 2.0 * cross + constant).clamp_min(0.0)

    def texture_distance(self, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """[H-h+1, W-w+1]: per masked value, how unlike `target` each window is, as the mean squared
        difference with its bias against texture removed.

        The mean squared difference is (mu_a - mu_b)^2 + (sd_a - sd_b)^2 + 2 sd_a sd_b (1 - rho): for
        textures that do not line up (speckle, grass) rho ~ 0 and the last term is smallest for a flat
        window, so plain SSD fills a speckled sea with calm water. Here that term is 2 sd_a^2 (1 - rho):
        a window must match the target's mean and contrast, and is rewarded for lining up with it."""
        rows, cols = target.shape[-2:]
        channels = target.shape[0]
        mask = mask.double()
        count = max(float(mask.sum()), 1.0)
        target = target.double()
        mask_spectrum = self._kernel_spectrum(mask)  # one FFT of the mask serves every channel's sums
        mean_a = (target * mask).sum(dim=(1, 2)) / count  # [C]
        var_a = float(((target - mean_a[:, None, None]) ** 2 * mask).sum()) / count
        mean_b = self._correlate(self.spectrum, mask_spectrum, rows, cols) / count  # [C, h', w']
        var_b = (self._correlate(self.energy_spectrum, mask_spectrum, rows, cols) / count
                 - (mean_b ** 2).sum(dim=0)).clamp_min(0.0)
        cross = self._correlate(self.spectrum, self._kernel_spectrum(target * mask), rows, cols).sum(dim=0) / count
        cov = cross - (mean_a[:, None, None] * mean_b).sum(dim=0)
        sd_a, sd_b = var_a ** 0.5, var_b.sqrt()
        rho = cov / (sd_a * sd_b + 1e-12)
        mean_term = ((mean_a[:, None, None] - mean_b) ** 2).sum(dim=0)
        return (mean_term + (sd_a - sd_b) ** 2 + 2.0 * var_a * (1.0 - rho)) / channels


def seam(errors: np.ndarray) -> np.ndarray:
    """Column of the minimum-error path down `errors` [rows, cols], one per row, moving at most one
    column per row (the boundary cut of image quilting)."""
    rows, cols = errors.shape
    total = errors.astype(np.float64).copy()
    for row in range(1, rows):
        before = total[row - 1]
        left = np.concatenate(([np.inf], before[:-1]))
        right = np.concatenate((before[1:], [np.inf]))
        total[row] += np.minimum(np.minimum(left, before), right)
    path = np.empty(rows, dtype=np.int64)
    path[-1] = int(np.argmin(total[-1]))
    for row in range(rows - 2, -1, -1):
        previous = path[row + 1]
        low, high = max(previous - 1, 0), min(previous + 2, cols)
        path[row] = low + int(np.argmin(total[row, low:high]))
    return path


def quilt(guide: torch.Tensor, known: torch.Tensor, roi: torch.Tensor, context_sharp: torch.Tensor,
          context_blurry: torch.Tensor, context_valid: torch.Tensor, *, generator: torch.Generator,
          block: int = BLOCK, overlap: int = OVERLAP, guidance_weight: float = GUIDANCE_WEIGHT,
          tolerance: float = TOLERANCE, blend: bool = True, invalid_cost: float = 0.0,
          guide_outside: bool = True, continue_known: bool = True, local_search: bool = True,
          avoid_repeats: bool = True) -> torch.Tensor | None:
    """The ROI filled from the context (see the module docstring); [C, H, W] like `known`, equal to it
    outside the ROI. `guide` [C, H, W] is the layout to follow, `known` the tile's pixels (used only
    outside `roi` [H, W] bool), `context_*` [C, Hc, Wc] the sharp and blurry context and [Hc, Wc] its
    usable pixels. None when the context has no window to copy from.

    Without `blend` the blocks are kept as copied, joined along their seams only: the gradient-domain
    solve pulls the ROI's tone to the known pixels around it, right for a regenerated ROI, wrong for an
    edit that is to differ from them (models/patch/scene_texture.py). `invalid_cost` is the squared
    difference per value an invalid context pixel counts with in the guidance cost (0: it reads as 0,
    which rarely wins a regeneration, but wins against a guide near 0, the middle of the model's range).
    Without `guide_outside` only the ROI's pixels of a window are held to the guide (an edit's layout
    there differs from the pixels around, which the overlap term still continues). Without
    `continue_known` the overlap term agrees only with blocks placed before, not with the known pixels
    around the ROI (an edit that replaces a surface need not continue it at its border). Without
    `local_search` every block searches the whole context (what an edit asks for may lie anywhere in
    it), not first the area around its own place. Without `avoid_repeats` a block may show an earlier
    block's source again (`not_repeated`)."""
    side = block + 2 * overlap
    context_valid = context_valid.bool().cpu()
    if min(context_valid.shape) < side or not bool(context_valid.any()):
        return None
    roi_np = roi.cpu().numpy().astype(bool)
    if not roi_np.any():
        return known.clone()
    _, height, width = known.shape
    pad = side
    # the tile padded so every block's window lies inside; padding is neither known nor guided
    canvas = F.pad(known.double().cpu(), (pad,) * 4)
    guide_padded = F.pad(guide.double().cpu(), (pad,) * 4)
    inside = F.pad(torch.ones(height, width, dtype=torch.float64), (pad,) * 4)
    roi_padded = np.pad(roi_np, pad)
    roi_guided = torch.from_numpy(roi_padded).double()
    filled = inside.numpy().astype(bool) & ~roi_padded & continue_known  # pixels with content to agree with
    source = np.full((2, *roi_padded.shape), -1, dtype=np.int64)  # context (y, x) each ROI pixel took
    taken: list[tuple[int, int, int, int]] = []  # (source row, col, window row, col) of the blocks placed
    sources = _Sources(context_sharp.cpu(), context_blurry.cpu(), context_valid)
    sharp_np = sources.raw.numpy()
    # where the tile lies in the context, for the local search only
    offset = sources.locate(known.double().cpu(), roi_np) if local_search else None
    reach = overlap + block
    for top, left in fill_order(roi_np, block, continue_known):
        wy, wx = top + pad - overlap, left + pad - overlap  # window's top-left in the padded tile
        existing = torch.from_numpy(filled[wy:wy + side, wx:wx + side]).double()
        writes = torch.zeros(side, side, dtype=torch.float64)
        writes[:reach, :reach] = torch.from_numpy(roi_padded[wy:wy + reach, wx:wx + reach]).double()
        guided = inside[wy:wy + side, wx:wx + side] if guide_outside else roi_guided[wy:wy + side, wx:wx + side]
        place = None if offset is None else (offset[0] + wy - pad, offset[1] + wx - pad)
        cost = None
        areas = (sources.area_around(place, side), sources.whole()) if local_search else (sources.whole(),)
        for area in dict.fromkeys(areas):  # each area once
            sharp, blurry, invalid = sources.spectra(area)
            # texture_distance, not plain SSD: against a textured layout, SSD prefers a flat window (a
            # calm sea for a field of cumulus, smooth water for cloudy land), which the tone solve then
            # paints in the layout's colours as a smear (docs/benchmarks.md, "Layout distance")
            cost = blurry.texture_distance(guide_padded[:, wy:wy + side, wx:wx + side], guided)
            if invalid_cost > 0:  # each invalid pixel under the window's guided part, at that cost per value
                cost = cost + invalid_cost * invalid.masked_energy(guided) / max(float(guided.sum()), 1.0)
            cost = guidance_weight * cost
            if float(existing.sum()) > 0:
                cost = cost + (1.0 - guidance_weight) * sharp.texture_distance(canvas[:, wy:wy + side, wx:wx + side],
                                                                                existing)
            # invalid context pixels (the ROIs themselves, nodata) are never copied; they read as 0 in
            # the costs, so a window over them serves where the pixels it gives are valid but rarely wins
            cost = cost.masked_fill(invalid.masked_energy(writes) > 0.5, float("inf"))
            if bool(torch.isfinite(cost).any()):
                break
            cost = None  # nothing usable near the block: search the whole context
        if cost is None:
            return None
        best = float(cost.min())
        eligible = torch.nonzero(cost <= best * (1.0 + tolerance) + 1e-12)
        if avoid_repeats:
            eligible = not_repeated(eligible, (area[0], area[2]), (wy, wx), taken, block)
        pick = eligible[int(torch.randint(eligible.shape[0], (1,), generator=generator))]
        sy, sx = int(pick[0]) + area[0], int(pick[1]) + area[2]
        taken.append((sy, sx, wy, wx))
        patch = sharp_np[:, sy:sy + side, sx:sx + side]
        take = _cut(canvas.numpy()[:, wy:wy + side, wx:wx + side], patch,
                    filled[wy:wy + side, wx:wx + side] & roi_padded[wy:wy + side, wx:wx + side], overlap, block)
        take &= roi_padded[wy:wy + side, wx:wx + side]
        rows, cols = np.nonzero(take)
        canvas[:, wy + rows, wx + cols] = torch.from_numpy(patch[:, rows, cols])
        filled[wy + rows, wx + cols] = True
        source[0, wy + rows, wx + cols] = sy + rows
        source[1, wy + rows, wx + cols] = sx + cols
    unpadded = canvas[:, pad:pad + height, pad:pad + width].numpy()
    blended = gradient_blend(unpadded, roi_np, source[:, pad:pad + height, pad:pad + width], sharp_np,
                             tone=guide_padded[:, pad:pad + height, pad:pad + width].numpy()) if blend else unpadded
    out = known.clone()
    out[:, torch.from_numpy(roi_np)] = torch.from_numpy(blended[:, roi_np]).to(known.dtype).to(known.device)
    return out


def fill_order(roi: np.ndarray, block: int, from_border: bool = True) -> list[tuple[int, int]]:
    """(top, left) of the blocks over the ROI's bounding box that hold ROI pixels, in the order they are
    placed: by their depth in the ROI (the fewest px from their core to a pixel outside it), the blocks
    at the border first, then the ring inside them and so on; raster order within a depth, and
    throughout without `from_border`.

    In raster order a block deep inside a large ROI has only the blocks above and to its left to agree
    with, so one copy was continued block after block: a strip of coast 300 px long down a 120 px wide
    ROI of land. Filled from the border inwards, every deep block lies between blocks that continue
    the surroundings on several sides (the fill order of exemplar-based inpainting, Criminisi et al.
    2004). A ROI at most two blocks across (in its narrower direction) is filled in raster order either
    way: each of its blocks meets its border."""
    ys, xs = np.nonzero(roi)
    depth = roi_depth(roi) if from_border else np.zeros(roi.shape)
    blocks = []
    for top in range(int(ys.min()), int(ys.max()) + 1, block):
        for left in range(int(xs.min()), int(xs.max()) + 1, block):
            core = roi[top:top + block, left:left + block]
            if core.any():
                blocks.append((float(depth[top:top + block, left:left + block][core].min()), top, left))
    return [(top, left) for _, top, left in sorted(blocks)]


def not_repeated(eligible: torch.Tensor, origin: tuple[int, int], window: tuple[int, int],
                 taken: list[tuple[int, int, int, int]], block: int) -> torch.Tensor:
    """The eligible source positions [N, 2] (relative to `origin` in the context) for the window at `window`
    that would not show a block taken before at a second place, or all of them where each would.

    A source less than a block from an earlier one repeats it, unless it continues that copy: its offset
    from its window is the earlier one's to within a block. Among equally good windows the draw otherwise
    took the same one again where few were eligible: one row of cumulus puffs twice in `make demo`'s sea.
    Leaving out every source near an earlier one, continuations too, cost the small ROIs realism
    (docs/benchmarks.md, "Sources not shown twice")."""
    if not taken:
        return eligible
    rows, cols = eligible[:, 0] + origin[0], eligible[:, 1] + origin[1]
    repeats = torch.zeros(eligible.shape[0], dtype=torch.bool)
    # one earlier block at a time: over a whole context, a flat surface can make hundreds of thousands of
    # windows eligible
    for sy, sx, wy, wx in taken:
        near = ((rows - sy).abs() < block) & ((cols - sx).abs() < block)
        moved = ((rows - window[0] - (sy - wy)).abs() >= block) | ((cols - window[1] - (sx - wx)).abs() >= block)
        repeats |= near & moved
    fresh = eligible[~repeats]
    return fresh if fresh.shape[0] > 0 else eligible


class _Sources:
    """The context as copy sources: its pixels, the cost images (invalid pixels read as 0) and their
    spectra over search areas (y0, y1, x0, x1), the last area's kept for the next block."""

    def __init__(self, sharp: torch.Tensor, blurry: torch.Tensor, valid: torch.Tensor) -> None:
        usable = valid.double()
        self.raw = sharp.double()
        self.images = (self.raw * usable, blurry.double() * usable, (1.0 - usable)[None])
        self.size = (int(valid.shape[0]), int(valid.shape[1]))
        self._area: tuple[int, int, int, int] | None = None
        self._spectra: tuple[ContextSpectra, ...] = ()

    def whole(self) -> tuple[int, int, int, int]:
        return 0, self.size[0], 0, self.size[1]

    def area_around(self, place: tuple[int, int] | None, side: int) -> tuple[int, int, int, int]:
        """The search area of a block whose window's top-left lies at `place` in the context: the
        window +- SEARCH_RADIUS, from a grid of SEARCH_STEP; a central area where the place is unknown."""
        bounds = []
        for axis, length in enumerate(self.size):
            span = 2 * SEARCH_RADIUS + side + SEARCH_STEP
            if length <= span:
                bounds += [0, length]
                continue
            centre = (length - side) // 2 if place is None else place[axis]
            start = (max(centre - SEARCH_RADIUS, 0) // SEARCH_STEP) * SEARCH_STEP
            start = min(start, length - span)
            bounds += [start, start + span]
        return bounds[0], bounds[1], bounds[2], bounds[3]

    def spectra(self, area: tuple[int, int, int, int]) -> tuple[ContextSpectra, ...]:
        if area != self._area:
            y0, y1, x0, x1 = area
            self._area, self._spectra = area, tuple(ContextSpectra.of(image[:, y0:y1, x0:x1]) for image in self.images)
        return self._spectra

    def locate(self, known: torch.Tensor, roi: np.ndarray) -> tuple[int, int] | None:
        return locate_tile(self.raw, known, roi)


def locate_tile(context: torch.Tensor, known: torch.Tensor, roi: np.ndarray, *, margin: int = 2 * BLOCK,
                with_roi: bool = False) -> tuple[int, int] | None:
    """(row, col) of the tile `known` [C, H, W]'s top-left in `context` [C, Hc, Wc], where the tile's
    pixels in the ROI's bounding box grown by `margin` are found there unchanged: around the ROI
    only, or with its own pixels too (`with_roi`: a text edit's context keeps them). None otherwise
    (a resampled or other context, or a box larger than it)."""
    roi = np.asarray(roi, dtype=bool)
    ys, xs = np.nonzero(roi)
    if ys.size == 0:
        return None
    y0, x0 = max(int(ys.min()) - margin, 0), max(int(xs.min()) - margin, 0)
    y1, x1 = min(int(ys.max()) + 1 + margin, roi.shape[0]), min(int(xs.max()) + 1 + margin, roi.shape[1])
    if y1 - y0 > context.shape[-2] or x1 - x0 > context.shape[-1]:
        return None
    mask = torch.ones(y1 - y0, x1 - x0, dtype=torch.float64) if with_roi else torch.from_numpy(~roi[y0:y1, x0:x1]).double()
    if float(mask.sum()) == 0:
        return None
    errors = ContextSpectra.of(context.double().cpu()).masked_ssd(known[:, y0:y1, x0:x1].double().cpu(), mask)
    best = int(torch.argmin(errors))
    row, col = divmod(best, errors.shape[1])
    if float(errors[row, col]) > EXACT * float(mask.sum()) * known.shape[0]:
        return None
    return row - y0, col - x0


def _cut(existing: np.ndarray, patch: np.ndarray, placed: np.ndarray, overlap: int, block: int) -> np.ndarray:
    """[side, side] bool: the window's pixels the new patch takes: its core and its left/top bands (the
    right/bottom bands are the later blocks'), each band where earlier blocks placed pixels cut along the
    minimum-error path through it. An earlier block can lie on any side (`fill_order`): on the right or
    below it wrote into this block's core, and the path there keeps that block's side."""
    side = patch.shape[-1]
    errors = ((existing - patch) ** 2).sum(axis=0) * placed
    reach = overlap + block  # rows/columns this block may write: its core and the left/top bands
    take = np.zeros((side, side), dtype=bool)
    take[:reach, :reach] = True
    band = np.arange(overlap)
    if placed[:reach, :overlap].any():  # left: the new patch from the path rightwards
        path = seam(errors[:reach, :overlap])
        take[:reach, :overlap] &= band[None, :] >= path[:, None]
    if placed[:overlap, :reach].any():  # top: from the path downwards
        path = seam(errors[:overlap, :reach].T)
        take[:overlap, :reach] &= band[:, None] >= path[None, :]
    # right and below: only a block placed there, not the corner the block above or to the left shares
    if placed[overlap:reach, block:reach].any():  # right: up to the path
        path = seam(errors[:reach, block:reach])
        take[:reach, block:reach] &= band[None, :] <= path[:, None]
    if placed[block:reach, overlap:reach].any():  # below: down to the path
        path = seam(errors[block:reach, :reach].T)
        take[block:reach, :reach] &= band[:, None] <= path[None, :]
    # pixels nothing has been placed on must be taken, whatever the paths say
    take[:reach, :reach] |= ~placed[:reach, :reach]
    return take


def gradient_blend(image: np.ndarray, roi: np.ndarray, source: np.ndarray, context: np.ndarray, *,
                   tone: np.ndarray | None = None, tone_length: float = TONE_LENGTH) -> np.ndarray:
    """`image` [C, H, W] with its ROI pixels re-solved so their differences to each 4-neighbour are the
    gradients of the context pixels they were copied from (`source` [2, H, W], -1 where none), and the
    pixels outside the ROI are a fixed boundary. Across a seam between two copies the target is the
    mean of both sources' gradients. Weighted least squares over all ROI pixels, one sparse solve.

    A known pixel that the copy cannot continue (a bright speck, a cloud's edge beside the ROI) would
    bleed into the ROI as a glow: each edge to the boundary is weighted down by how far the known pixel
    is from the copy's own continuation there, relative to the typical such distance.

    With `tone` [C, H, W] (the coarser scales' layout of the ROI) each ROI pixel is also held to it with
    weight 1/length^2 (`tone_lengths`, at most `tone_length` px): the copy keeps its detail, and at
    wavelengths beyond ~2*pi*length its tone is the layout's, not that of wherever its blocks came from.
    Where the copy holds what the layout lacks (a mark continued from beside the ROI) the hold fades
    (`tone_agreement`). Without `tone`, or with tone_length 0, the copy keeps its broad tone."""
    from scipy.sparse import coo_matrix, diags
    from scipy.sparse.linalg import splu

    height, width = roi.shape
    index = np.full((height, width), -1, dtype=np.int64)
    ys, xs = np.nonzero(roi)
    index[ys, xs] = np.arange(ys.size)
    n = ys.size
    channels = image.shape[0]
    out = image.copy()
    if n == 0:
        return out
    edges = []  # (p, q index or -1, weight-free target [C, E], known value [C, E] or None)
    mismatches = []
    for dy, dx in ((0, 1), (1, 0), (0, -1), (-1, 0)):
        qy, qx = ys + dy, xs + dx
        keep = (qy >= 0) & (qy < height) & (qx >= 0) & (qx < width)
        p = np.nonzero(keep)[0]
        qy, qx = qy[keep], qx[keep]
        target = _source_gradient(image, source, context, ys[p], xs[p], qy, qx)
        q = index[qy, qx]
        known = image[:, qy, qx]
        # the copy's continuation at q is f_p - target; its distance to the known q, for boundary edges
        mismatch = np.sqrt(((image[:, ys[p], xs[p]] - target - known) ** 2).mean(axis=0))
        edges.append((p, q, target, known))
        mismatches.append(mismatch[q < 0])
    boundary = np.concatenate(mismatches)
    scale = 1.5 * float(np.median(boundary)) + 1e-6 if boundary.size else 1.0
    diagonal = np.zeros(n)
    rhs = np.zeros((channels, n))
    rows, cols, values = [np.arange(n)], [np.arange(n)], []
    for (p, q, target, known), mismatch in zip(edges, mismatches):
        inner = q >= 0
        weight = np.ones(p.size)
        weight[~inner] = 1.0 / (1.0 + (mismatch / scale) ** 2)
        diagonal += np.bincount(p, weights=weight, minlength=n)
        for channel in range(channels):
            rhs[channel] += np.bincount(p, weights=weight * target[channel], minlength=n)
            rhs[channel] += np.bincount(p[~inner], weights=weight[~inner] * known[channel, ~inner], minlength=n)
        rows.append(p[inner])
        cols.append(q[inner])
        values.append(-weight[inner])
    matrix = coo_matrix((np.concatenate([diagonal] + values), (np.concatenate(rows), np.concatenate(cols))),
                        shape=(n, n)).tocsc()
    if tone is not None and tone_length:
        pull = tone_agreement(image, tone, ys, xs) / tone_lengths(roi, tone_length)[ys, xs] ** 2
        matrix = (matrix + diags(pull, format="csc")).tocsc()
        rhs = rhs + pull * tone[:, ys, xs]
    solver = splu(matrix)
    for channel in range(channels):
        out[channel, ys, xs] = solver.solve(rhs[channel])
    return out


def tone_lengths(roi: np.ndarray, longest: float) -> np.ndarray:
    """[H, W]: the tone length of each ROI pixel: `longest`, or TONE_DEPTH_SHARE of its ROI's depth (the
    largest distance to its border, per connected ROI) when that is shorter. A ROI narrower than the
    wavelengths the pull acts on (~2*pi*length) would otherwise keep its blocks' tone."""
    from scipy.ndimage import label, maximum

    labels, count = label(roi)
    depth = roi_depth(roi)
    deepest = np.concatenate([[0.0], np.atleast_1d(maximum(depth, labels, np.arange(1, count + 1)))])
    return np.minimum(longest, np.maximum(TONE_DEPTH_SHARE * deepest[labels], 1.0))


def tone_agreement(image: np.ndarray, tone: np.ndarray, ys: np.ndarray, xs: np.ndarray) -> np.ndarray:
    """[N] in (0, 1]: how far each ROI pixel's copy, blurred, agrees with the layout `tone`; near 0 where
    the copy holds something the layout lacks (a painted mark continued from beside the ROI), whose tone
    the pull would wash out and ring around."""
    from scipy.ndimage import gaussian_filter

    blurred = np.stack([gaussian_filter(band, TONE_BLUR) for band in image[:, ys.min():ys.max() + 1,
                                                                          xs.min():xs.max() + 1]])
    distance = np.sqrt(((blurred[:, ys - ys.min(), xs - xs.min()] - tone[:, ys, xs]) ** 2).mean(axis=0))
    scale = TONE_AGREEMENT * float(np.median(distance)) + 1e-9
    return 1.0 / (1.0 + (distance / scale) ** 4)


def _source_gradient(image: np.ndarray, source: np.ndarray, context: np.ndarray, py: np.ndarray, px: np.ndarray,
                     qy: np.ndarray, qx: np.ndarray) -> np.ndarray:
    """[C, E]: target f_p - f_q for edges p -> q: the copied pixels' own difference in the context,
    averaged over p's source and q's source (when q has one and it differs)."""
    context_h, context_w = context.shape[-2:]
    dy, dx = qy - py, qx - px
    total = np.zeros((image.shape[0], py.size))
    count = np.zeros(py.size)
    for sy, sx, sign in ((source[0, py, px], source[1, py, px], 1), (source[0, qy, qx], source[1, qy, qx], -1)):
        # p's source and its neighbour along (dy, dx); or q's source and its neighbour back along it
        ny, nx = sy + sign * dy, sx + sign * dx
        ok = (sy >= 0) & (sx >= 0) & (ny >= 0) & (ny < context_h) & (nx >= 0) & (nx < context_w)
        first = context[:, sy[ok], sx[ok]]
        second = context[:, ny[ok], nx[ok]]
        total[:, ok] += (first - second) * sign
        count[ok] += 1.0
    fallback = image[:, py, px] - image[:, qy, qx]  # no source: keep the composite's own difference
    return np.where(count > 0, total / np.maximum(count, 1.0), fallback)
