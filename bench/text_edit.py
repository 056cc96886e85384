"""Text-edit benchmark: does a text edit make the ROI what the prompt asks for, judged by models that
did not guide it? Prints one JSON line and writes a contact sheet.

    .venv/bin/python bench/text_edit.py [--quick] [--sheet PATH] [--cases NAME ...] [--seeds N ...]
        [--no-texture-from-scene]

Models (bench/small_clip.py, bench/patch_classifier.py; cached under build/, trained when missing):
- the guide, a small ViT CLIP trained on the sample scenes, loaded by the user's path (clip_weights=);
- the judge, a small ResNet CLIP with another seed: the seed's CLIP score, 100*max(cos, 0) between the
  ROI's bounding box and the prompt, is read under the judge only;
- an independent CNN patch classifier (not a CLIP): the target label's probability inside the ROI,
  averaged over the label patches that lie wholly in it.
The edits go through the public API (core.scene_edit.edit_scene, mode "text", the training-free
backend) on the whole sample scenes: ROIs are squares where the source label fills most pixels.
Per case: before (the scene), unguided (guidance_strength=0, same seed), guided with the prompt alone
(prompt_ensembling=False), guided with prompt ensembling (the label's captions, templates x synonyms,
as paraphrases), and, to compare CLIP views, the PE edit with whole-tile views (clip_views="tile")
where the others use ROI views (clip_views="roi").

Keys: judge_clip_gain (guided with PE minus unguided, judge score points, mean over cases),
target_prob_before / target_prob_after (classifier, PE edit), pe_gain (judge score with PE minus
without), pe_gain_label (the same against the judge's ensemble of all the label's captions),
auc_target_mean (bench/c2st.py two-sample AUC between the PE-edited ROIs' whole boxes and real patches of the
target label in the same scene; 0.5 = indistinguishable), beside it auc_target_interior_mean (the same test on
each box's interior beyond the feather band, read from the edit mask, over the cases whose interior holds
two patches a side: how much of the AUC is the band where the edit fades in), seconds_per_edit,
outside_roi_identical, judge_gain_roi_views / judge_gain_tile_views (the judge's ROI-box gain with each
view kind, same ROIs, seed and strength), and per-case figures under `cases`.
Images are read in the editor's model units (the scene's percentile stretch), as the CLIPs were trained.
--seeds 0 1 2: every variant with the first seed, the PE and w/o-PE edits also with the others, so each
case reports pe_gain per seed, their mean and spread (pe_gain_seeds, pe_gain_seed_mean, pe_gain_seed_spread;
`pe_gain` stays the first seed's; pe_gain_seed_mean / pe_gain_seed_min_case at the top: the mean and the
lowest of the cases' means).
--cases runs the named pairs only (e.g. --cases "crop field on ploughed field"); --no-texture-from-scene
edits with texture_from_scene=False (CLIP's gradients make the finest detail too), to compare.
--quick: the first prompt pair with one ROI, judged by the quick models of small_clip.py and
patch_classifier.py (QUICK: trained in about a minute when missing), so it takes under 5 minutes.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.append(str(Path(__file__).resolve().parent))  # after site-packages (bench/distributed.py)
import scene_labels  # noqa: E402
from bench_scene import REPO, plugin_on_path  # noqa: E402

SHEET = REPO / "build" / "text_edit" / "contact_sheet.png"
STRENGTH = 0.5  # TextSettings' default; --strength changes it
VIEWS = 8


@dataclass(frozen=True)
class Case:
    name: str
    scene: str
    target: str  # the label the prompt asks for
    source: str  # the label the ROIs hold before the edit
    side: int  # ROI side in pixels
    rois: int
    tile_size: int
    context_size: int

    @property
    def prompt(self) -> str:
        return scene_labels.LABELS[scene_labels.label_index(self.target)].synonyms[0]


CASES = (
    Case("sea on land", "landsat", "sea", "vegetation", 24, 2, 128, 800),
    Case("cloud on sea", "landsat", "cloud", "sea", 24, 2, 128, 800),
    Case("crop field on ploughed field", "orthophoto", "crop field", "ploughed field", 64, 2, 192, 1248),
)


def roi_boxes(case: Case, count: int) -> list[tuple[int, int]]:
    """Top-left corners of `count` ROI squares where the source label's pixels fill the most, apart."""
    from scipy.ndimage import uniform_filter

    rgb, valid = scene_labels.read_scene(case.scene)
    labels = scene_labels.pixel_labels(case.scene, rgb)
    share = uniform_filter((labels == scene_labels.label_index(case.source)).astype(np.float64), case.side,
                           mode="constant")
    all_valid = uniform_filter(valid.astype(np.float64), case.side, mode="constant") > 0.999
    share[~all_valid] = 0
    half = case.side // 2
    share[:half + 8] = share[-half - 8:] = 0  # away from the scene's edges
    share[:, :half + 8] = share[:, -half - 8:] = 0
    picked = []
    for _ in range(count):
        centre = np.unravel_index(int(np.argmax(share)), share.shape)
        picked.append((int(centre[0]) - half, int(centre[1]) - half))
        r, c = centre
        share[max(0, r - 3 * case.side):r + 3 * case.side, max(0, c - 3 * case.side):c + 3 * case.side] = 0
    return picked


def box_polygon(transform, row: int, col: int, side: int):
    from shapely.geometry import Polygon

    corners = [(col, row), (col + side, row), (col + side, row + side), (col, row + side)]
    return Polygon([transform * corner for corner in corners])


def read_rgb(path: Path) -> np.ndarray:
    import rasterio

    with rasterio.open(path) as dataset:
        return dataset.read((1, 2, 3))


class Judges:
    """The judge CLIP's score and the classifier's target probability on ROIs of a scene."""

    def __init__(self, clips, classifier):
        from small_clip import load_clip

        self.judge = load_clip(clips.judge_path)
        self.classifier = classifier

    def units(self, scene: str, rgb: np.ndarray) -> np.ndarray:
        return scene_labels.scene_normalization(scene).normalize(rgb)

    def clip_score(self, case: Case, rgb: np.ndarray, boxes: list, label: bool = False) -> float:
        """Mean over the ROIs of 100*max(cos, 0) between the ROI's box and the prompt, under the judge;
        with `label`, against the judge's ensemble of all the target label's captions instead (the
        label, not one wording of it: the PE edit is guided towards several wordings, the other
        towards exactly the prompt the plain score reads)."""
        import torch
        from small_clip import label_embeddings

        units = self.units(case.scene, rgb)
        if label:
            text = label_embeddings(self.judge)[scene_labels.label_index(case.target)]
        else:
            text = self.judge.encode_text([case.prompt])[0]
        crops = np.stack([units[:, r:r + case.side, c:c + case.side] for r, c in boxes])
        with torch.no_grad():
            return float(self.judge.clip_score(torch.from_numpy(crops), text).mean())

    def target_probability(self, case: Case, rgb: np.ndarray, boxes: list) -> float:
        """The classifier's probability of the target label, over label-sized patches inside the ROIs."""
        units = self.units(case.scene, rgb)
        size = scene_labels.PATCH[case.scene]
        step = max(1, (case.side - size) // 2) if case.side > size else 1
        patches = [units[:, r + dr:r + dr + size, c + dc:c + dc + size] for r, c in boxes
                   for dr in range(0, case.side - size + 1, step) for dc in range(0, case.side - size + 1, step)]
        return float(self.classifier.probabilities(np.stack(patches))[:, scene_labels.label_index(case.target)].mean())


def target_region(case: Case) -> tuple[np.ndarray, np.ndarray]:
    """The scene and a mask of its patches labelled with the target label (real target pixels)."""
    rgb, _ = scene_labels.read_scene(case.scene)
    corners, labels = scene_labels.patch_label_map(case.scene)
    size = scene_labels.PATCH[case.scene]
    mask = np.zeros(rgb.shape[1:], dtype=bool)
    for r, c in corners[labels == scene_labels.label_index(case.target)]:
        mask[r:r + size, c:c + size] = True
    return rgb, mask


def realism_patch(case: Case) -> int:
    return 8 if case.side <= 32 else 16


def realism_auc(case: Case, edited: np.ndarray, boxes: list, inset: int = 0) -> float | None:
    """Two-sample classifier AUC: the edited ROIs against real target-label patches of the scene.
    With `inset`, only each box shrunk by that many pixels on every side (the ROI's interior beyond
    the feather band); None when that interior is too small for a C2ST (under two patches a side)."""
    from c2st import c2st_auc

    patch = realism_patch(case)
    inner = case.side - 2 * inset
    if inner < 2 * patch:
        return None
    real, mask = target_region(case)
    regions = [edited[:, r + inset:r + inset + inner, c + inset:c + inset + inner] for r, c in boxes]
    return c2st_auc(regions, [real], None, [mask], patch=patch, steps=200).auc_mean


def feather_inset(levels: np.ndarray, case: Case, boxes: list) -> int:
    """How many pixels in from the box's edge the edit mask (uint8 levels) first reaches full weight:
    the feather band's width, read from the edit's own mask."""
    inset = 0
    for r, c in boxes:
        full = levels[r:r + case.side, c:c + case.side] == 255
        if not full.any():
            return case.side // 2
        rows, cols = np.nonzero(full)
        inset = max(inset, int(rows.min()), int(cols.min()), case.side - 1 - int(rows.max()),
                    case.side - 1 - int(cols.max()))
    return inset


def edit(case: Case, clips, boxes: list, out: Path, mask_out: Path | None, strength: float = STRENGTH,
         **changes) -> float:
    """One text edit of the case's ROIs through the public API; returns its seconds."""
    import rasterio

    from rsedit.core.scene_edit import edit_scene

    path = scene_labels.SCENES[case.scene]
    with rasterio.open(path) as dataset:
        transform, crs = dataset.transform, dataset.crs
    rois = [box_polygon(transform, r, c, case.side) for r, c in boxes]
    settings = dict(mode="text", prompt=case.prompt, clip_model=clips.guide_architecture,
                    clip_weights=str(clips.guide_path), guidance_strength=strength, guidance_views=VIEWS,
                    backend="training-free", tile_size=case.tile_size, context_size=case.context_size, seed=0,
                    device="cpu", rois_crs=crs)
    settings.update(changes)
    start = time.perf_counter()
    edit_scene(path, rois, out, mask_out=mask_out, **settings)
    return time.perf_counter() - start


VARIANTS = {  # name -> edit_scene settings besides the case's
    "unguided": {"guidance_strength": 0.0},
    "guided_without_pe": {"prompt_ensembling": False},
    "guided_with_pe": {},  # paraphrases added per case
    "guided_with_pe_tile_views": {"clip_views": "tile"},
}
SHEET_COLUMNS = ("before", "unguided", "guided_without_pe", "guided_with_pe", "guided_with_pe_tile_views")


def run_case(case: Case, clips, judges: Judges, folder: Path, rois: int, strength: float,
             texture_from_scene: bool = True, seeds: tuple[int, ...] = (0,)) -> tuple[dict, dict]:
    """Every variant with the first seed; the PE and w/o-PE edits again with each further seed, for
    pe_gain's spread over seeds."""
    import rasterio

    boxes = roi_boxes(case, rois)
    paraphrases = tuple(scene_labels.captions(case.target))
    images = {"before": read_rgb(scene_labels.SCENES[case.scene])}
    seconds = {}

    def run(name: str, seed: int) -> np.ndarray:
        changes = VARIANTS[name]
        if "pe" in name and "without" not in name:
            changes = {**changes, "paraphrases": paraphrases}
        out = folder / f"{case.scene}-{case.target}-{name}-{seed}.tif".replace(" ", "_")
        mask = out.with_name(out.stem + "-mask.tif") if name == "guided_with_pe" and seed == seeds[0] else None
        seconds[name if seed == seeds[0] else f"{name}_seed{seed}"] = edit(
            case, clips, boxes, out, mask, strength, texture_from_scene=texture_from_scene, seed=seed, **changes)
        if mask is not None:
            nonlocal edit_levels
            with rasterio.open(mask) as dataset:
                edit_levels = dataset.read(1)
        return read_rgb(out)

    edit_levels = None
    for name in VARIANTS:
        images[name] = run(name, seeds[0])
    outside = edit_levels == 0
    identical = all(np.array_equal(image[:, outside], images["before"][:, outside]) for image in images.values())
    score = {name: judges.clip_score(case, image, boxes) for name, image in images.items()}
    label_score = {name: judges.clip_score(case, image, boxes, label=True) for name, image in images.items()}
    prob = {name: judges.target_probability(case, image, boxes) for name, image in images.items()}
    # pe_gain again with each further seed (the first seed's is `pe_gain`)
    pe_gains = [score["guided_with_pe"] - score["guided_without_pe"]]
    for seed in seeds[1:]:
        pair = {name: judges.clip_score(case, run(name, seed), boxes)
                for name in ("guided_without_pe", "guided_with_pe")}
        pe_gains.append(pair["guided_with_pe"] - pair["guided_without_pe"])
    inset = feather_inset(edit_levels, case, boxes)
    interior = realism_auc(case, images["guided_with_pe"], boxes, inset)
    result = {
        "prompt": case.prompt, "scene": case.scene, "rois": [list(b) + [case.side] for b in boxes],
        "judge_score": {k: round(v, 2) for k, v in score.items()},
        "judge_clip_gain": round(score["guided_with_pe"] - score["unguided"], 2),
        "judge_clip_gain_without_pe": round(score["guided_without_pe"] - score["unguided"], 2),
        "pe_gain": round(score["guided_with_pe"] - score["guided_without_pe"], 2),
        "judge_label_score": {k: round(v, 2) for k, v in label_score.items()},
        "pe_gain_label": round(label_score["guided_with_pe"] - label_score["guided_without_pe"], 2),
        "judge_gain_roi_views": round(score["guided_with_pe"] - score["unguided"], 2),
        "judge_gain_tile_views": round(score["guided_with_pe_tile_views"] - score["unguided"], 2),
        "target_prob": {k: round(v, 3) for k, v in prob.items()},
        "auc_target": round(realism_auc(case, images["guided_with_pe"], boxes), 3),
        "auc_target_unguided": round(realism_auc(case, images["unguided"], boxes), 3),
        # the same test on each box's interior beyond the feather band (None: too small for a C2ST)
        "auc_target_interior": None if interior is None else round(interior, 3),
        "feather_band_px": inset,
        "pe_gain_seeds": {str(seed): round(gain, 2) for seed, gain in zip(seeds, pe_gains)},
        "pe_gain_seed_mean": round(float(np.mean(pe_gains)), 2),
        "pe_gain_seed_spread": round(float(np.ptp(pe_gains)), 2),
        "outside_roi_identical": identical,
        "seconds": {k: round(v, 1) for k, v in seconds.items()},
    }
    return result, {"images": images, "boxes": boxes}


def contact_sheet(rows: list[tuple[Case, dict, dict]], path: Path) -> Path:
    """One row per case: the first ROI with context in each column, its outline in yellow, scores below."""
    from PIL import Image, ImageDraw

    cell, pad, text_h = 192, 4, 34
    sheet = Image.new("RGB", (len(SHEET_COLUMNS) * (cell + pad) + pad, len(rows) * (cell + text_h + pad) + 18 + pad),
                      "white")
    draw = ImageDraw.Draw(sheet)
    for j, name in enumerate(SHEET_COLUMNS):
        draw.text((pad + j * (cell + pad), 3), name, fill="black")
    for i, (case, result, data) in enumerate(rows):
        r, c = data["boxes"][0]
        margin = case.side  # one ROI side of context on each side
        top = 18 + pad + i * (cell + text_h + pad)
        for j, name in enumerate(SHEET_COLUMNS):
            units = scene_labels.scene_normalization(case.scene).normalize(data["images"][name])
            r0, c0 = max(0, r - margin), max(0, c - margin)
            crop = units[:, r0:r + case.side + margin, c0:c + case.side + margin]
            picture = Image.fromarray(((crop + 1) * 127.5).clip(0, 255).astype(np.uint8).transpose(1, 2, 0))
            scale = cell / max(crop.shape[1:])
            picture = picture.resize((round(crop.shape[2] * scale), round(crop.shape[1] * scale)), Image.NEAREST)
            left = pad + j * (cell + pad)
            sheet.paste(picture, (left, top))
            box = [left + (c - c0) * scale, top + (r - r0) * scale, left + (c - c0 + case.side) * scale - 1,
                   top + (r - r0 + case.side) * scale - 1]
            draw.rectangle(box, outline=(255, 220, 0))
            label = f"judge {result['judge_score'][name]:.1f}  p({case.target}) {result['target_prob'][name]:.2f}"
            draw.text((left, top + cell + 2), label, fill="black")
            if j == 0:
                draw.text((left, top + cell + 16), f"'{case.prompt}' on {case.source}", fill="black")
    path.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(path)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="the first prompt pair, one ROI")
    parser.add_argument("--sheet", type=Path, default=SHEET)
    parser.add_argument("--strength", type=float, default=STRENGTH, help="guidance strength of the guided edits")
    parser.add_argument("--cases", nargs="+", choices=[case.name for case in CASES], help="run these pairs only")
    parser.add_argument("--seeds", nargs="+", type=int, default=[0],
                        help="edit seeds: every variant with the first, PE and w/o PE also with the others "
                             "(pe_gain's spread)")
    parser.add_argument("--no-texture-from-scene", dest="texture_from_scene", action="store_false",
                        help="edit with texture_from_scene=False (to compare)")
    args = parser.parse_args()
    plugin_on_path()
    import torch

    torch.set_num_threads(1)  # fastest on this loaded machine
    import patch_classifier
    import small_clip

    start = time.perf_counter()
    # --quick: the quick models (trained in about a minute when missing), so it stays under 5 minutes
    clips = small_clip.trained_clips(small_clip.QUICK if args.quick else small_clip.FULL)
    classifier = patch_classifier.trained_classifier(patch_classifier.QUICK if args.quick else patch_classifier.FULL)
    judges = Judges(clips, classifier)
    cases = CASES[:1] if args.quick else CASES
    if args.cases:
        cases = tuple(case for case in cases if case.name in args.cases)
    results, rows = {}, []
    with tempfile.TemporaryDirectory() as tmp:
        for case in cases:
            result, data = run_case(case, clips, judges, Path(tmp), 1 if args.quick else case.rois, args.strength,
                                    args.texture_from_scene, tuple(args.seeds))
            results[case.name] = result
            rows.append((case, result, data))
    sheet = contact_sheet(rows, args.sheet)

    def mean(key, sub=None):
        return round(float(np.mean([r[key][sub] if sub else r[key] for r in results.values()])), 3)

    edits = [s for r in results.values() for s in r["seconds"].values()]
    interiors = [r["auc_target_interior"] for r in results.values() if r["auc_target_interior"] is not None]
    print(json.dumps({
        "mode": "quick" if args.quick else "full",
        "judge_clip_gain": mean("judge_clip_gain"),
        "judge_clip_gain_min": round(min(r["judge_clip_gain"] for r in results.values()), 2),
        "target_prob_before": mean("target_prob", "before"),
        "target_prob_after": mean("target_prob", "guided_with_pe"),
        "target_prob_unguided": mean("target_prob", "unguided"),
        "pe_gain": mean("pe_gain"),
        "pe_gain_label": mean("pe_gain_label"),
        "auc_target_mean": mean("auc_target"),
        "auc_target_unguided_mean": mean("auc_target_unguided"),
        # beside the whole box, never instead of it: the boxes' interiors beyond the feather band, over
        # the cases whose interior holds a C2ST (the 24 px Landsat ROIs keep an 8 px interior: none)
        "auc_target_interior_mean": (round(float(np.mean(interiors)), 3) if interiors else None),
        "auc_target_interior_cases": [name for name, r in results.items() if r["auc_target_interior"] is not None],
        "pe_gain_seeds": args.seeds,
        "pe_gain_seed_mean": mean("pe_gain_seed_mean"),
        "pe_gain_seed_min_case": round(min(r["pe_gain_seed_mean"] for r in results.values()), 2),
        "judge_gain_roi_views": mean("judge_gain_roi_views"),
        "judge_gain_tile_views": mean("judge_gain_tile_views"),
        "outside_roi_identical": all(r["outside_roi_identical"] for r in results.values()),
        "seconds_per_edit": round(float(np.mean(edits)), 1),
        "guidance_strength": args.strength, "guidance_views": VIEWS, "backend": "training-free",
        "texture_from_scene": args.texture_from_scene,
        "guide": clips.guide_architecture, "judge": clips.judge_architecture,
        "guide_accuracy": clips.report["guide"]["accuracy"], "judge_accuracy": clips.report["judge"]["accuracy"],
        "classifier_accuracy": classifier.report["accuracy"],
        "cases": results,
        "seconds": round(time.perf_counter() - start, 1),
        "contact_sheet": str(sheet),
    }))


if __name__ == "__main__":
    main()
