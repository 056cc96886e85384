"""Scene texture for text edits: the finest scale of a guided ROI is quilted from the scene's real pixels.

Why. CLIP guidance moves a ROI's colour and coarse layout towards the prompt, but at the finest scale
its gradients paint texture no real surface has: a crop field asked for on a ploughed field became a
mottle of saturated greens with coloured specks, which a two-sample classifier told from the scene's
real maize at AUC 0.98 (docs/benchmarks.md, "Text edits").

What. At the last step of the training-free model's finest scale, CLIP has guided every scale and
the x0 estimate is the guided result. Its layout (its colour and its local contrast, blurred as the
scale GUIDE_SCALES_DOWN coarser sees them: not CLIP's fine detail, but whether the area is mottled or
smooth, which colour alone loses: a green mottle blurs to a ploughed field's pale green) guides a
quilt of the model's own context (quilt.py, as regeneration quilts its finest scale), which becomes
the ROI's result: real texture of whatever in the scene looks like the edit (maize for "crop field",
water for "sea"). Several things differ from regeneration, because a text edit is to change what
the ROI holds:
- the layout dominates a block's cost (GUIDANCE_WEIGHT 0.9 against regeneration's 0.2), and only the
  ROI's pixels of a block's window are held to it, not the pixels around the ROI, which are what the
  edit moves away from (without this the ROI's outer blocks copied the surroundings' stubble);
- the ROI's own pixels are no copy source (the context keeps the ROIs for text edits): the tile is
  found in the context, where its ROI box matches exactly, those pixels are left out, and a window
  over them counts as far from any guide (INVALID_COST);
- no gradient-domain blend: it would pull the ROI's tone back to the pixels around it;
- the layout is read from the ROI's own pixels (a normalised blur), and the blocks agree with one
  another but not with the pixels around the ROI: both made the outer blocks copy a field's edge,
  stubble beside maize;
- every block searches the whole context with a wide tolerance: the local search and the nearest
  windows to CLIP's exaggerated layout gave the darkest or palest maize at the field's edge, not the
  field's typical maize (docs/benchmarks.md, "Scene texture for text edits");
- a guided ROI copies only from the context's pixels typical of its prompt (`typical_sources`): its
  guidance scores every window of the ROI's box size in the context for the prompt, and a pixel is a
  source where the windows holding it score in the upper half of those that show the prompt at all.
  CLIP's layout is exaggerated (a crop field's left third pale, a cloud's lower part grey), and
  under the layout alone the nearest windows anywhere in the context were atypical surfaces: pale
  maize at the field's edge, over stubble, which a two-sample classifier told from the field's
  labelled maize (docs/benchmarks.md, "Scene texture: copied from what the prompt's CLIP finds
  typical"). Each such ROI is quilted on its own, with its own sources;
- the quilt is kept only where it stays close to the guided layout: near each pixel its layout error
  must be below ACCEPT times the edit's change there (the original pixels' error against the guided
  layout), or than the ROI's mean change where the edit moved mostly fine detail. A target the scene
  lacks ("fire" in a field; tested with a colour the scene lacks) finds no such blocks, and the
  guided result stands there;
- that local test is only a stand-in for "does the quilt show what was asked": where it refuses part
  of a ROI, the ROI's own guidance (the guiding CLIP and prompt, on views of the ROI's own pixels)
  compares the whole quilt with that composite, and the ROI takes the whole quilt where it scores at
  least as high. CLIP's guidance paints saturated specks (yellow, magenta, white) at the middle
  scales, which the finest scale makes a white blob in a "sea"; the guide CLIP does not mind small
  white puffs in the sea (the scene's sea has cumulus), the quilt copies water there, and the local
  test then refused a block around the blob, keeping CLIP's turquoise and white pixels over much of
  the ROI (docs/benchmarks.md, "Scene texture: CLIP's blob in the sea").
"""
from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from .quilt import BLOCK, locate_tile, quilt
from .quilt_hook import finest_blurry

if TYPE_CHECKING:
    from ..diffusion.sampling_hooks import StepState

GUIDANCE_WEIGHT = 0.9  # the layout's share of a block's cost (quilt.py); the rest is agreement with the pixels around
GUIDE_SCALES_DOWN = 3  # the guide is the edit blurred as the scale this many scales coarser sees it (or the coarsest)
TEXTURE_WEIGHT = 1.0  # weight of the local-contrast channel in the layout the quilt matches
CONTRAST_WINDOW = 5  # px side of the window local contrast is measured over
GUIDE_OUTSIDE = False  # only the ROI's pixels of a block's window are held to the edited layout
BLEND = False  # no gradient-domain solve: it would pull the edit's tone back to the pixels around the ROI
INVALID_COST = 4.0  # an invalid context pixel (the ROI itself) in a window counts as the largest difference
ACCEPT = 0.5  # the quilt is kept where its local layout error (squared) is below this share of the original's
# a block searches the whole context (the surface asked for may lie anywhere in it), not first the area
# around its own place: the local search copied the maize at the field's edge beside the ROI
LOCAL_SEARCH = False
# the overlap term agrees with the blocks placed in the ROI only, not with the known pixels around it: continuing
# them picked windows of a field's edge, stubble beside maize, for the ROI's outer blocks
CONTINUE_KNOWN = False
# windows within this fraction of the best cost are equally eligible: CLIP's layout is exaggerated (saturated,
# dark or pale blotches), and the nearest windows to it are the scene's most extreme; a wide tolerance draws
# from the many windows of the matching surface, mostly typical ones (quilt.py's default is 0.1)
TOLERANCE = 0.5
# a block may take a source an earlier block took: the text edits copy from the few windows typical of their
# prompt, and leaving out repeats made the crop field's interior less like the field's maize (its two-sample
# AUC 0.69 -> 0.90; docs/benchmarks.md, "Sources not shown twice")
AVOID_REPEATS = False


# the copy sources of a guided ROI are the context's pixels in windows typical of its prompt: scoring at
# least this quantile of the windows that show the prompt at all (the upper class of a two-class split of
# the context's window scores). CLIP's layout has pale or dark blotches, and the nearest windows to them
# anywhere in the context were atypical surfaces (pale maize at a field's edge, over stubble)
TYPICAL_QUANTILE = 0.5
WINDOW_STRIDE_SHARE = 0.5  # the windows' grid step, as a share of their side (the ROI's box side)
# at most this many windows are scored per guided ROI (one CLIP image each): a small ROI in a large context
# gets windows larger than its box instead (a 24 px ROI in a 4096 px context would take 116,000)
MAX_WINDOWS = 8192

# a guided ROI's quilt is drawn again, at most this many times in all, where the ROI would not take it (each
# draw its own random pick among the near-best windows): a ROI of one block is a single window drawn at random,
# and where that one lost the prompt check, CLIP's own flat colour stayed, though many other near-best windows
# would have passed it (docs/benchmarks.md, "Scene texture: drawn again")
CANDIDATE_DRAWS = 8


@dataclass(frozen=True)
class GuidedRoi:
    """One ROI of a text edit and what its guidance tells the quilt; either judgement may be absent."""

    mask: torch.Tensor  # [H, W] bool: the ROI's pixels
    # a result's [1, C, H, W] score under the ROI's prompt (ClipTextGuidance.roi_similarity), which decides
    # whether the ROI takes the whole quilt
    score: Callable[[torch.Tensor], float] | None = None
    # the prompt's cosine with each `side` px window of an image [C, H, W] on a `stride` px grid
    # (ClipTextGuidance.window_similarity), which decides what the ROI copies from (`typical_sources`)
    window_similarity: Callable[[torch.Tensor, int, int], torch.Tensor] | None = None


class SceneTexture:
    """x0 hook of a text edit on the training-free model (see the module docstring). `known` [C, H, W]
    is the tile in model units and `roi` [H, W] bool the pixels the edit may change; `guided`: the ROIs
    whose guidance judges the quilt (GuidedRoi). One instance serves one sampling run."""

    def __init__(self, denoiser: Any, known: torch.Tensor, roi: torch.Tensor, *, seed: int = 0,
                 guided: Sequence[GuidedRoi] = ()) -> None:
        data = denoiser.scales_data[-1]
        self.context = data.sharp  # [C, Hc, Wc], model units, the tile's resolution
        self.known, self.roi, self.seed = known, roi.bool(), int(seed)
        self.guided = [replace(one, mask=one.mask.bool().cpu()) for one in guided]
        self.valid = data.pixel_valid & ~own_pixels(self.context, known, self.roi)
        self.context_blurry: torch.Tensor | None = None
        self.accept: torch.Tensor | None = None  # [H, W] bool: ROI pixels that took the quilt
        # each composite's score under each guidance, by the composite's digest: the prompt check scores the
        # taken draw's two composites again where one guided ROI makes them the same (a CLIP pass each)
        self._scores: dict[tuple[Callable[[torch.Tensor], float], bytes], float] = {}

    def applies(self, state: StepState) -> bool:
        # a single-scale pyramid has no coarser level to blur the layout to: its result stands
        return (len(state.sizes) > 1 and state.scale == len(state.sizes) - 1 and state.t == 0
                and state.x0_hat is not None)

    def __call__(self, state: StepState) -> torch.Tensor | None:
        if not self.applies(state) or self.accept is not None:
            return None
        own = self.roi
        guide = self._layout(state.x0_hat[0].float(), state.sizes, own)
        if self.context_blurry is None:
            self.context_blurry = self._layout(self.context.float(), state.sizes)
        original_error = _local_error(self._layout(self.known.float(), state.sizes, own), guide)
        # measured against the edit's change near the pixel, or over the whole ROI where it changed less
        # there: where CLIP moved mostly the fine detail, that is what the quilt is to replace
        change = torch.clamp(original_error, min=float(original_error[self.roi].mean()))

        def layout_test(quilted: torch.Tensor) -> torch.Tensor:
            """[H, W] bool: the ROI pixels where `quilted` stays close to the guided layout."""
            return self.roi & (_local_error(self._layout(quilted.float(), state.sizes, own), guide) <= ACCEPT * change)

        quilted = self._quilt(guide, state.x0_hat, layout_test)
        self.accept = torch.zeros_like(self.roi)
        if quilted is None:  # no context window to copy from: the guided result stands
            return None
        self.accept = layout_test(quilted)
        self._check_with_prompts(state.x0_hat, quilted)
        if not bool(self.accept.any()):
            return None
        return self._composite(state.x0_hat, quilted, self.accept)

    def _quilt(self, guide: torch.Tensor, x0_hat: torch.Tensor,
               layout_test: Callable[[torch.Tensor], torch.Tensor]) -> torch.Tensor | None:
        """The ROI quilted: each guided ROI with `windows` from the context's pixels typical of its
        prompt (`typical_sources`), drawn again where the ROI would not take it (`_taken_draw`), the
        rest of the ROI from the whole context; None when nothing could be copied. A ROI whose typical
        pixels hold no usable window takes the whole context."""
        units, rest = [], self.roi.clone()
        for one in self.guided:
            if one.window_similarity is None:
                continue
            unit = one.mask.to(self.roi.device) & rest
            if bool(unit.any()):
                units.append((unit, self.valid & typical_sources(self.context, unit, one.window_similarity), one.score))
                rest &= ~unit
        if bool(rest.any()):
            units.append((rest, self.valid, None))
        out = None
        for unit, valid, score in units:
            part = self._taken_draw(guide, unit, valid, x0_hat, score, layout_test)
            if part is None and valid is not self.valid:
                part = self._taken_draw(guide, unit, self.valid, x0_hat, score, layout_test)
            if part is None:
                continue
            out = part if out is None else torch.where(unit[None].to(part.device), part, out)
        return out

    def _taken_draw(self, guide: torch.Tensor, unit: torch.Tensor, valid: torch.Tensor, x0_hat: torch.Tensor,
                   score: Callable[[torch.Tensor], float] | None,
                   layout_test: Callable[[torch.Tensor], torch.Tensor]) -> torch.Tensor | None:
        """The unit quilted. With its guidance's `score`, drawn again (each draw its own random stream
        over the near-best windows, at most CANDIDATE_DRAWS) until a draw the unit would take whole:
        the layout test accepts all of it, or the guidance scores the whole quilt at least as high as
        what that test leaves (`_check_with_prompts`). The first draw, the single draw of an unscored
        unit, where none would be taken."""
        first = None
        for draw in range(CANDIDATE_DRAWS if score is not None else 1):
            part = self._quilt_unit(guide, unit, valid, draw_seed(self.seed, draw))
            if part is None:
                return None  # no usable window: no other draw finds one
            if score is None:
                return part
            first = part if first is None else first
            accept = layout_test(part) & unit
            if bool(accept[unit].all()) or self._score(score, self._composite(x0_hat, part, unit)) >= self._score(
                    score, self._composite(x0_hat, part, accept)):
                return part
        return first

    def _quilt_unit(self, guide: torch.Tensor, unit: torch.Tensor, valid: torch.Tensor,
                    seed: int) -> torch.Tensor | None:
        return quilt(guide, self.known.float(), unit, self.context, self.context_blurry, valid,
                     generator=torch.Generator().manual_seed(seed), guidance_weight=GUIDANCE_WEIGHT,
                     tolerance=TOLERANCE, blend=BLEND, invalid_cost=INVALID_COST, guide_outside=GUIDE_OUTSIDE,
                     continue_known=CONTINUE_KNOWN, local_search=LOCAL_SEARCH, avoid_repeats=AVOID_REPEATS)

    @staticmethod
    def _composite(x0_hat: torch.Tensor, quilted: torch.Tensor, accept: torch.Tensor) -> torch.Tensor:
        out = x0_hat.clone()
        out[:, :, accept] = quilted[:, accept].to(out.dtype)[None]
        return out

    def _check_with_prompts(self, x0_hat: torch.Tensor, quilted: torch.Tensor) -> None:
        """Each guided ROI takes the whole quilt where its guidance scores that at least as high as
        the composite the layout test left (quilt where accepted, the guided pixels elsewhere).

        The layout test is local and only a stand-in for "does the quilt still show what was asked":
        a small feature of the guided result that the quilt does not copy (a white blob the finest
        scale made of CLIP's saturated specks in a "sea") refuses the quilt over a block around it,
        and CLIP's own pixels stay there, unreal. The guiding CLIP and prompt judge what was asked, on
        views of the ROI's own pixels (on the guidance's views, which hold context, CLIP's pixels win
        as they were optimised there); where the scene lacks the target the guided pixels score
        higher and stay."""
        for one in self.guided:
            if one.score is None:
                continue
            score, unit = one.score, one.mask.to(self.roi.device) & self.roi
            if not bool((unit & ~self.accept).any()):
                continue
            partial = self._composite(x0_hat, quilted, self.accept)
            whole = self._composite(x0_hat, quilted, self.accept | unit)
            if self._score(score, whole) >= self._score(score, partial):
                self.accept = self.accept | unit

    def _score(self, score: Callable[[torch.Tensor], float], composite: torch.Tensor) -> float:
        """score(composite), computed once per guidance and composite."""
        # the guidance itself in the key, not its id(): a freed callable's id can be handed to a new one
        key = (score, hashlib.blake2b(composite.detach().to("cpu", torch.float32).contiguous().numpy().tobytes(),
                                      digest_size=16).digest())
        if key not in self._scores:
            self._scores[key] = float(score(composite))
        return self._scores[key]

    def accepted_share(self) -> float:
        """The share of the ROI that took the quilt (0 before the last step)."""
        if self.accept is None or not bool(self.roi.any()):
            return 0.0
        return float(self.accept[self.roi].float().mean())

    @staticmethod
    def _layout(image: torch.Tensor, sizes: list[tuple[int, int]], own: torch.Tensor | None = None) -> torch.Tensor:
        """What the quilt matches on, [C + 1, H, W]: `image` and its local contrast, each shrunk as the
        scale GUIDE_SCALES_DOWN scales coarser (or the coarsest) sees it, then enlarged back (finest_blurry's blur at
        that scale's ratio). The contrast channel tells a mottle that blurs to a pale colour (CLIP's
        "crop field") from a smooth surface of that colour (a ploughed field).

        With `own` [H, W] bool (the ROI), both are measured from those pixels only (normalised
        blur): near the ROI's border a plain blur mixes in the pixels around it, which the edit is to
        differ from, and the quilt then copied windows that hold both (a field's edge, stubble
        beside maize) into the ROI's outer band. Outside `own` the values mean nothing."""
        coarse = [sizes[max(len(sizes) - 1 - GUIDE_SCALES_DOWN, 0)], sizes[-1]]
        if own is None:
            contrast = TEXTURE_WEIGHT * local_contrast(image)[None]
            return torch.cat([finest_blurry(image, coarse), finest_blurry(contrast, coarse)])
        weight = own.to(image.device, image.dtype)[None]
        contrast = TEXTURE_WEIGHT * local_contrast(image, own)[None]
        cover = finest_blurry(weight, coarse).clamp_min(0.05)
        return torch.cat([finest_blurry(image * weight, coarse), finest_blurry(contrast * weight, coarse)]) / cover


def local_contrast(image: torch.Tensor, own: torch.Tensor | None = None) -> torch.Tensor:
    """[H, W]: the standard deviation of `image` [C, H, W] over CONTRAST_WINDOW px around each pixel,
    averaged over channels; with `own` [H, W] bool, over those of the window's pixels that are in it."""
    pixels = image.float()[None]
    pad = CONTRAST_WINDOW // 2
    weight = torch.ones_like(pixels[:, :1]) if own is None else own.to(pixels.device, pixels.dtype)[None, None]
    count = F.avg_pool2d(weight, CONTRAST_WINDOW, stride=1, padding=pad, count_include_pad=False).clamp_min(1e-6)
    mean = F.avg_pool2d(pixels * weight, CONTRAST_WINDOW, stride=1, padding=pad, count_include_pad=False) / count
    square = F.avg_pool2d(pixels * pixels * weight, CONTRAST_WINDOW, stride=1, padding=pad,
                          count_include_pad=False) / count
    return (square - mean * mean).clamp_min(0.0).sqrt()[0].mean(dim=0)


def typical_sources(context: torch.Tensor, unit: torch.Tensor,
                    similarity: Callable[[torch.Tensor, int, int], torch.Tensor]) -> torch.Tensor:
    """[Hc, Wc] bool: the context's pixels typical of a ROI's prompt. The prompt scores every window of
    the ROI's box size in `context` [C, Hc, Wc] (what the ROI's guidance sees); a pixel's score is the
    mean over the windows that hold it. The windows that show the prompt at all are the upper class of
    a two-class split of the scores (Otsu's threshold); a pixel is typical where its score reaches the
    TYPICAL_QUANTILE of that class. Nothing is set per prompt or scene: the split adapts to how much
    of the context is the target, and a context without it still has an upper class (the quilt's
    layout test then decides)."""
    ys, xs = torch.nonzero(unit, as_tuple=True)
    side = int(max(ys.max() - ys.min(), xs.max() - xs.min())) + 1
    bounded = 2.0 * math.sqrt(context.shape[-2] * context.shape[-1] / MAX_WINDOWS)  # side at which a half-side grid holds MAX_WINDOWS
    side = max(min(max(side, math.ceil(bounded)), *context.shape[-2:]), 2)
    stride = max(int(round(side * WINDOW_STRIDE_SHARE)), 1)
    scores = similarity(context.float(), side, stride).float().cpu()  # [ny, nx]
    # each pixel: the mean score of the windows that hold it (pixels past the last window: the nearest)
    rows, cols = scores.shape
    height, width = (rows - 1) * stride + side, (cols - 1) * stride + side
    patches = scores.reshape(1, 1, rows * cols).expand(1, side * side, rows * cols)
    summed = F.fold(patches, (height, width), side, stride=stride)
    count = F.fold(torch.ones_like(patches), (height, width), side, stride=stride)
    pixel = (summed / count.clamp_min(1.0))[0, 0]
    pixel = F.pad(pixel[None, None], (0, context.shape[-1] - width, 0, context.shape[-2] - height),
                  mode="replicate")[0, 0]
    upper = scores[scores > otsu_threshold(scores.flatten())]
    if upper.numel() == 0:
        return torch.ones(context.shape[-2:], dtype=torch.bool)
    return pixel >= float(torch.quantile(upper, TYPICAL_QUANTILE))


def draw_seed(seed: int, draw: int) -> int:
    """The generator seed of a quilt's `draw`: `seed` itself for the first draw (the single draw of an
    unscored unit), one stream per further draw."""
    if draw == 0:
        return int(seed)
    state = np.random.SeedSequence([int(seed) % 2**63, int(draw)]).generate_state(1, np.uint64)[0]
    return int(state % np.uint64(2**63))


def otsu_threshold(values: torch.Tensor, bins: int = 64) -> float:
    """The threshold that splits `values` into two classes with the largest between-class variance."""
    low, high = float(values.min()), float(values.max())
    if high <= low:
        return low - 1.0  # one value: all of it is the upper class
    counts = torch.histc(values.double(), bins, low, high)
    centres = low + (torch.arange(bins, dtype=torch.float64) + 0.5) * (high - low) / bins
    weight = torch.cumsum(counts, 0)
    mass = torch.cumsum(counts * centres, 0)
    total, total_mass = float(weight[-1]), float(mass[-1])
    below, above = weight[:-1], total - weight[:-1]
    mean_below = mass[:-1] / below.clamp_min(1e-12)
    mean_above = (total_mass - mass[:-1]) / above.clamp_min(1e-12)
    between = below * above * (mean_below - mean_above) ** 2
    split = int(torch.argmax(between))
    return low + (split + 1) * (high - low) / bins


def _local_error(image: torch.Tensor, guide: torch.Tensor) -> torch.Tensor:
    """[H, W]: mean squared difference over channels, averaged over a block around each pixel."""
    error = ((image - guide.to(image.device)) ** 2).mean(dim=0)[None, None]
    side = BLOCK + 1  # odd, so the window is centred
    return F.avg_pool2d(error, side, stride=1, padding=side // 2, count_include_pad=False)[0, 0]


def own_pixels(context: torch.Tensor, known: torch.Tensor, roi: torch.Tensor) -> torch.Tensor:
    """[Hc, Wc] bool: the ROI's pixels where `context` [C, Hc, Wc] holds the tile `known` [C, H, W];
    all False when the ROI's bounding box is not found there exactly (the tile reaches beyond it)."""
    mask = torch.zeros(context.shape[-2:], dtype=torch.bool)
    roi_np = roi.cpu().numpy().astype(bool)
    place = locate_tile(context, known, roi_np, margin=0, with_roi=True)
    if place is None:
        return mask
    ys, xs = torch.nonzero(roi, as_tuple=True)
    top, left, bottom, right = int(ys.min()), int(xs.min()), int(ys.max()) + 1, int(xs.max()) + 1
    row, col = place[0] + top, place[1] + left
    mask[row:row + bottom - top, col:col + right - left] = roi[top:bottom, left:right].cpu()
    return mask


def scene_texture(denoiser: Any, known: torch.Tensor, roi: torch.Tensor, *, seed: int = 0,
                  guided: Sequence[GuidedRoi] = ()) -> SceneTexture | None:
    """The hook for a training-free denoiser (possibly chunked), or None for other models (the trained
    one holds no context) and ROI-less tiles. `guided`: see SceneTexture."""
    from .patch_denoiser import patch_denoiser_of

    inner = patch_denoiser_of(denoiser)
    if inner is None or not bool(roi.any()):
        return None
    return SceneTexture(inner, known, roi, seed=seed, guided=guided)
