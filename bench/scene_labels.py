"""Patch labels of the two sample scenes, computed from their pixels by simple colour rules, and the
captions that describe each label (several templates x several synonyms, for prompt ensembling).

    from scene_labels import labelled_patches, captions, LABELS
    patches = labelled_patches()        # both scenes, in model units, spatially split
    patches.images, patches.labels, patches.held_back

Per-pixel rules (raw uint8 values; thresholds chosen by looking at the scenes beside the rule maps):

Landsat (RGB.byte.tif, 300 m/px; all-zero pixels are the nodata collar)
- cloud: every band >= 110 (the puffs and the big cumulus are the only near-white pixels);
- sea: blue >= red + 4 (the deep, turquoise and shallow sea), or green >= red + 6 with blue >= red
  (the greenish sea east of the island);
- bare soil: red >= blue + 12 and red >= 60 (the beige sand strips and bare patches on the island);
- land (vegetation): what remains with red >= blue - 1 (the dark green-brown island).
Orthophoto (fotomap_small.tif, 2 cm/px, a maize field beside a ploughed field, with paint strokes)
- marks: saturated paint, max - min >= 110 and one band leading the others by >= 80 (red, blue and
  green strokes and dots);
- crop field: green >= red + 8 and green >= blue + 20 (maize leaves), or dark (mean < 60: the soil
  seen between the rows, which belongs to the field at patch scale);
- ploughed field: grey (max - min < 40) and not dark (the tilled soil left of the maize).
The orthophoto has no region a person would call shadow: the only dark pixels are the gaps between
maize rows, so "shadow" is not a label (a patch-level shadow class would only be a darker crop field).

A patch gets a label when that label's pixels fill at least its `share` of the patch and the scene's
nodata covers none of it; mixed patches get no label and are left out (Label.share).

Held back: a quarter of each scene, in square blocks spread over it (block (i, j) is held back when
(i + 2j + offset) mod 4 == 0; HOLD_BACK_BLOCK, HOLD_BACK_OFFSET). A patch belongs to a side only when it lies wholly in that
side's blocks; patches across a boundary between the sides are left out, so no pixel is in both sets.
(A single strip would hold back almost no cloud: the Landsat clouds sit in the north.)

Images are in the editor's model units: each scene is normalised as a whole by
models/diffusion/normalization.py (band percentiles at +-0.8), which is what CLIP sees when it guides
an edit of that scene. Benchmark code only, not shipped in the plugin.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("RSEDIT_BENCH_DATA") or REPO.parent / "shared" / "data")
SCENES = {
    "landsat": DATA / "landsat" / "RGB.byte.tif",
    "orthophoto": DATA / "fotomap" / "fotomap_small.tif",
}
PATCH = {"landsat": 16, "orthophoto": 48}  # pixels per patch side: about a puff of cloud / a paint stroke
STRIDE = {"landsat": 4, "orthophoto": 12}
HOLD_BACK_BLOCK = {"landsat": 96, "orthophoto": 192}  # side of the hold-back checkerboard's blocks
HOLD_BACK_OFFSET = {"landsat": 2, "orthophoto": 0}  # chosen so that every label has held-back patches


@dataclass(frozen=True)
class Label:
    name: str
    scene: str
    synonyms: tuple[str, ...]  # noun phrases; the first is the label's plain name
    share: float  # minimum share of the patch's pixels


LABELS: tuple[Label, ...] = (
    Label("sea", "landsat", ("the sea", "open water", "the ocean", "sea water", "a calm sea"), 0.9),
    Label("cloud", "landsat", ("clouds", "a white cloud", "thick clouds", "cloud cover", "cumulus clouds"), 0.5),
    Label("vegetation", "landsat", ("vegetation", "vegetated land", "green land", "land covered by plants",
                                    "woodland"), 0.7),
    Label("bare soil", "landsat", ("bare soil", "bare ground", "sand", "barren land", "a sandy beach"), 0.3),
    Label("crop field", "orthophoto", ("a crop field", "a maize field", "rows of green crops", "farmland",
                                       "a field of corn"), 0.95),
    Label("ploughed field", "orthophoto", ("a ploughed field", "tilled soil", "a harrowed field",
                                           "furrows of bare earth", "a fallow field"), 0.9),
    Label("marks", "orthophoto", ("paint marks", "painted marks", "marker paint", "coloured paint strokes",
                                  "a painted line"), 0.35),
)
LABEL_NAMES = tuple(label.name for label in LABELS)
TEMPLATES = (  # the nouns templates of models/clip/prompts.py, so the editor's paraphrases use familiar frames
    "{}",
    "a satellite image of {}",
    "an aerial photograph of {}",
    "a remote sensing image of {}",
    "an overhead view of {}",
    "a high-resolution satellite photo of {}",
)


def label_index(name: str) -> int:
    return LABEL_NAMES.index(name)


def captions(name: str) -> list[str]:
    """Every caption of a label: each template with each synonym."""
    label = LABELS[label_index(name)]
    return [template.format(synonym) for synonym in label.synonyms for template in TEMPLATES]


def read_scene(scene: str) -> tuple[np.ndarray, np.ndarray]:
    """RGB uint8 [3, H, W] and the valid-pixel mask [H, W] of a sample scene."""
    import rasterio

    with rasterio.open(SCENES[scene]) as dataset:
        rgb = dataset.read((1, 2, 3))
        valid = dataset.dataset_mask() > 0
    if scene == "landsat":
        valid &= rgb.sum(axis=0) > 0  # the collar is all zeros
    return rgb, valid


def pixel_labels(scene: str, rgb: np.ndarray) -> np.ndarray:
    """Per-pixel label index [H, W] by the rules of the module docstring; -1 where no rule applies."""
    r, g, b = (band.astype(np.int16) for band in rgb)
    out = np.full(r.shape, -1, dtype=np.int8)
    if scene == "landsat":
        cloud = np.minimum(np.minimum(r, g), b) >= 110
        sea = ~cloud & ((b >= r + 4) | ((g >= r + 6) & (b >= r)))
        bare = ~cloud & ~sea & (r >= b + 12) & (r >= 60)
        land = ~cloud & ~sea & ~bare & (r >= b - 1)
        for name, where in (("sea", sea), ("cloud", cloud), ("bare soil", bare), ("vegetation", land)):
            out[where] = label_index(name)
    else:
        top = np.maximum(np.maximum(r, g), b)
        spread = top - np.minimum(np.minimum(r, g), b)
        marks = (spread >= 110) & ((r - g >= 80) | (b - g >= 80) | ((g - r >= 90) & (g - b >= 90)))
        dark = ~marks & (rgb.mean(axis=0) < 60)
        crop = ~marks & (dark | ((g >= r + 8) & (g >= b + 20)))
        ploughed = ~marks & ~crop & (spread < 40)
        for name, where in (("crop field", crop), ("ploughed field", ploughed), ("marks", marks)):
            out[where] = label_index(name)
    return out


@dataclass(frozen=True)
class Patches:
    images: np.ndarray  # [N, 3, P, P] float32 in model units ([-1, 1]); P differs per scene, see `scene`
    labels: np.ndarray  # [N] label index
    scene: np.ndarray  # [N] scene name
    corner: np.ndarray  # [N, 2] row, col of the patch in its scene
    held_back: np.ndarray  # [N] bool

    def select(self, keep: np.ndarray) -> "Patches":
        return Patches(self.images[keep], self.labels[keep], self.scene[keep], self.corner[keep],
                       self.held_back[keep])


@lru_cache(maxsize=None)
def scene_normalization(scene: str):
    """The editor's normalisation of the whole scene (the percentile stretch CLIP sees)."""
    from bench_scene import plugin_on_path

    plugin_on_path()
    from rsedit.models.diffusion.normalization import BandNormalization

    rgb, valid = read_scene(scene)
    return BandNormalization.fit(rgb, valid)


def patch_label_map(scene: str) -> tuple[np.ndarray, np.ndarray]:
    """Patch corners [K, 2] and their label (-1: mixed or touching nodata) on the scene's grid."""
    rgb, valid = read_scene(scene)
    labels = pixel_labels(scene, rgb)
    size, stride = PATCH[scene], STRIDE[scene]
    height, width = labels.shape
    corners, picked = [], []
    for row in range(0, height - size + 1, stride):
        for col in range(0, width - size + 1, stride):
            corners.append((row, col))
            window = labels[row:row + size, col:col + size]
            if not valid[row:row + size, col:col + size].all():
                picked.append(-1)
                continue
            shares = np.bincount(window[window >= 0].ravel(), minlength=len(LABELS)) / window.size
            best = int(np.argmax(shares))
            picked.append(best if LABELS[best].scene == scene and shares[best] >= LABELS[best].share else -1)
    return np.asarray(corners, dtype=np.int64).reshape(-1, 2), np.asarray(picked, dtype=np.int64)


@lru_cache(maxsize=None)
def scene_patches(scene: str) -> Patches:
    """The labelled patches of one scene; mixed patches and patches straddling the hold-back line
    are left out."""
    rgb, _ = read_scene(scene)
    units = scene_normalization(scene).normalize(rgb)
    size = PATCH[scene]
    corners, labels = patch_label_map(scene)
    held = held_back_pixels(corners, scene, size)
    keep = (labels >= 0) & (held >= 0)
    corners, labels, held = corners[keep], labels[keep], held[keep]
    images = np.stack([units[:, r:r + size, c:c + size] for r, c in corners]).astype(np.float32)
    return Patches(images, labels, np.full(len(labels), scene), corners, held == 1)


def is_held_back(rows: np.ndarray, cols: np.ndarray, scene: str) -> np.ndarray:
    """Whether pixels lie in held-back blocks of the scene's checkerboard."""
    block = HOLD_BACK_BLOCK[scene]
    return ((rows // block) + 2 * (cols // block) + HOLD_BACK_OFFSET[scene]) % 4 == 0


def held_back_pixels(corners: np.ndarray, scene: str, size: int) -> np.ndarray:
    """Per patch: 1 held back, 0 training, -1 across a boundary between the two."""
    first = is_held_back(corners[:, 0], corners[:, 1], scene)
    same = np.ones(len(corners), dtype=bool)
    for dr, dc in ((0, size - 1), (size - 1, 0), (size - 1, size - 1)):
        same &= is_held_back(corners[:, 0] + dr, corners[:, 1] + dc, scene) == first
    # a patch is smaller than a block, so its four corners decide
    return np.where(same, first.astype(np.int64), -1)


def label_counts(patches: Patches) -> dict[str, dict[str, int]]:
    """Patches per label, in training and held back."""
    return {name: {"train": int(((patches.labels == i) & ~patches.held_back).sum()),
                   "held_back": int(((patches.labels == i) & patches.held_back).sum())}
            for i, name in enumerate(LABEL_NAMES)}


def label_map_png(scene: str, out: Path) -> Path:
    """The scene (stretched) beside its per-pixel labels, to check the rules by eye."""
    from PIL import Image

    rgb, valid = read_scene(scene)
    labels = pixel_labels(scene, rgb)
    colours = {"sea": (30, 80, 220), "cloud": (255, 255, 255), "vegetation": (30, 150, 40),
               "bare soil": (210, 150, 70), "crop field": (60, 200, 60), "ploughed field": (200, 180, 140),
               "marks": (255, 0, 0)}
    painted = np.full(labels.shape + (3,), (255, 0, 255), dtype=np.uint8)
    for name, colour in colours.items():
        painted[labels == label_index(name)] = colour
    painted[~valid] = 0
    shown = ((scene_normalization(scene).normalize(rgb) + 1) * 127.5).astype(np.uint8).transpose(1, 2, 0)
    canvas = Image.new("RGB", (rgb.shape[2] * 2, rgb.shape[1]))
    canvas.paste(Image.fromarray(shown), (0, 0))
    canvas.paste(Image.fromarray(painted), (rgb.shape[2], 0))
    canvas.save(out)
    return out


if __name__ == "__main__":
    import json
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    out = REPO / "build" / "scene_labels"
    out.mkdir(parents=True, exist_ok=True)
    counts = {}
    for name in SCENES:
        label_map_png(name, out / f"{name}_labels.png")
        counts[name] = {k: v for k, v in label_counts(scene_patches(name)).items()
                        if LABELS[label_index(k)].scene == name}
    print(json.dumps({"patches": counts, "maps": str(out)}))
