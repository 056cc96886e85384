"""What CLIP guidance looks at: views of each ROI's box plus context (clip_views="roi", the default)
against views of the whole tile ("tile", the earlier guidance), on the same ROIs, seed and model.
Prints one JSON line and writes a contact sheet (clip_views.png, or --sheet).

    .venv/bin/python bench/clip_views.py [--quick] [--clips random|trained] [--seeds N]

A crop of the sample Landsat scene holds two small ROIs, each with its own prompt: a land ROI
towards "the sea" and a sea ROI towards "clouds" (the first two prompt pairs of the text-edit
benchmark). Each is edited in one text edit (prompt_field: one prompt per ROI) with the training-free
backend, three ways: unguided (strength 0, the baseline), whole-tile views and ROI views.

Scores are 100 cos between each ROI's bounding box alone and its prompt's ensemble, in the editor's
units (the scene's percentile stretch): CLIPScore without its clamp at 0, so that a random model's
negative cosines still show movement. `*_gain` is the score after the guided edit minus after the
unguided one, averaged over the ROIs and seeds. `*_cross_gain` is the gain
of each ROI towards the *other* ROI's prompt: guidance about the ROI should raise its own prompt more.
--clips random: a tiny randomly initialised open_clip ViT guides and scores (it knows no semantics:
only "the guiding model's score rises" is measured). --clips trained: the small CLIPs trained on the
sample scenes (bench/small_clip.py): the guide steers, the judge (another architecture and seed)
scores too, and only the judge's gain counts as evidence of an edit.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.append(str(Path(__file__).resolve().parent))  # after site-packages (bench/distributed.py)
from bench_scene import LANDSAT, REPO, crop_scene, plugin_on_path  # noqa: E402

# (col, row, size) of the crop: the island's east coast and the channel beside it
CROP = {"quick": (330, 300, 128), "full": (250, 200, 256)}
# per crop: (row0, col0, row1, col1) of each ROI in the crop's pixels, and its prompt. Picked with the
# colour rules of bench/scene_labels.py: the first lies on land (vegetation), the second on open sea.
ROIS = {
    "quick": [((48, 20, 68, 40), "the sea"), ((16, 84, 36, 104), "clouds")],
    "full": [((48, 52, 72, 76), "the sea"), ((100, 180, 124, 204), "clouds")],
}
TINY_CLIP = {"embed_dim": 64, "vision_cfg": {"image_size": 64, "layers": 2, "width": 64, "head_width": 32,
                                             "patch_size": 8},
             "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 64, "heads": 2, "layers": 2}}


def random_clip(folder: Path) -> tuple[str, str]:
    """A tiny randomly initialised open_clip ViT saved as safetensors: (architecture, path)."""
    import open_clip
    import torch
    from safetensors.torch import save_file

    (folder / "BenchViews-ViT.json").write_text(json.dumps(TINY_CLIP))
    open_clip.add_model_config(folder)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = open_clip.create_model("BenchViews-ViT", pretrained=None)
    path = folder / "BenchViews-ViT.safetensors"
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(path))
    return "BenchViews-ViT", str(path)


def clips_to_use(kind: str, folder: Path, quick: bool) -> dict:
    """{"guide": (architecture, path), "judge": (architecture, path) or None}."""
    if kind == "random":
        return {"guide": random_clip(folder), "judge": None}
    import small_clip

    clips = small_clip.trained_clips(small_clip.QUICK if quick else small_clip.FULL)
    return {"guide": (clips.guide_architecture, str(clips.guide_path)),
            "judge": (clips.judge_architecture, str(clips.judge_path))}


def scene_units():
    """The editor's normalisation of the whole scene: what CLIP is shown."""
    import rasterio

    from rsedit.models.diffusion.normalization import BandNormalization

    with rasterio.open(LANDSAT) as dataset:
        data, valid = dataset.read(), dataset.dataset_mask() > 0
    return BandNormalization.fit(data, valid)


class BoxScorer:
    """CLIP scores of ROI boxes against prompt ensembles, under one model."""

    def __init__(self, architecture: str, path: str, normalization) -> None:
        from rsedit.models.clip.clip_model import GuidanceClip

        self.clip = GuidanceClip.load(architecture, path, device="cpu")
        self.normalization = normalization
        self._texts: dict[str, object] = {}

    def text(self, prompt: str):
        from rsedit.models.clip.prompts import embed_prompts, ensemble_prompts

        if prompt not in self._texts:
            self._texts[prompt] = embed_prompts(self.clip, ensemble_prompts(prompt)).embedding
        return self._texts[prompt]

    def score(self, image: np.ndarray, box: tuple[int, int, int, int], prompt: str) -> float:
        import torch

        row0, col0, row1, col1 = box
        units = torch.from_numpy(self.normalization.normalize(image[:, row0:row1, col0:col1]))[None]
        with torch.no_grad():
            cosine = float(self.clip.image_text_similarity(units, self.text(prompt)))
        return 100.0 * cosine


def pixel_square(transform, box: tuple[int, int, int, int]):
    from shapely.geometry import box as shapely_box

    row0, col0, row1, col1 = box
    x0, y0 = transform * (col0, row0)
    x1, y1 = transform * (col1, row1)
    return shapely_box(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))


def contact_sheet(path: Path, rows: list[list[tuple[np.ndarray, str]]], boxes: list) -> None:
    """Rows of (image, title) panels, ROI boxes outlined: per strength, before, unguided, whole-tile
    views, ROI views."""
    from PIL import Image, ImageDraw

    height, width = rows[0][0][0].shape[1:]
    scale = max(1, 320 // width)
    gap = 4
    sheet = Image.new("RGB", (len(rows[0]) * (width * scale + gap), len(rows) * (height * scale + gap)))
    for r, row in enumerate(rows):
        for c, (image, title) in enumerate(row):
            panel = Image.fromarray(np.ascontiguousarray(image[:3].transpose(1, 2, 0))).resize(
                (width * scale, height * scale), Image.NEAREST)
            draw = ImageDraw.Draw(panel)
            for row0, col0, row1, col1 in boxes:
                draw.rectangle([col0 * scale - 1, row0 * scale - 1, col1 * scale, row1 * scale], outline=(255, 200, 0))
            draw.text((4, 4), title, fill=(255, 255, 0))
            sheet.paste(panel, (c * (width * scale + gap), r * (height * scale + gap)))
    sheet.save(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a 128 px crop (the full run: 256 px)")
    parser.add_argument("--clips", choices=("random", "trained"), default="random")
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--strengths", default="0.3,0.5,1.0",
                        help="guidance strengths to compare at (comma-separated; the product default is 0.5)")
    parser.add_argument("--views", type=int, default=8)
    parser.add_argument("--sheet", type=Path, default=REPO / "build" / "clip_views.png")
    args = parser.parse_args()
    plugin_on_path()
    import rasterio
    import torch

    from rsedit.core.rois import RoiFeature
    from rsedit.core.scene_edit import edit_scene

    torch.set_num_threads(1)
    run = "quick" if args.quick else "full"
    col, row, size = CROP[run]
    rois = ROIS[run]
    normalization = scene_units()
    strengths = [float(v) for v in args.strengths.split(",")]
    results: dict[str, dict[str, list[float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        clips = clips_to_use(args.clips, folder, args.quick)
        scene, transform = crop_scene(folder, col, row, size)
        features = [RoiFeature(i, pixel_square(transform, box), {"prompt": prompt})
                    for i, (box, prompt) in enumerate(rois)]
        with rasterio.open(scene) as src:
            source = src.read()
        scorers = {role: BoxScorer(*pair, normalization) for role, pair in clips.items() if pair is not None}
        common = dict(rois_crs="EPSG:32618", mode="text", prompt_field="prompt", backend="training-free",
                      clip_model=clips["guide"][0], clip_weights=clips["guide"][1], guidance_views=args.views,
                      tile_size=size, overlap=16, margin=8, feather=4, context_size=size, device="cpu")
        seconds: dict[str, float] = {}
        identical = True
        shown: dict[str, np.ndarray] = {}
        runs = [("unguided", dict(guidance_strength=0.0))]
        for strength in strengths:
            runs += [(f"tile@{strength:g}", dict(guidance_strength=strength, clip_views="tile")),
                     (f"roi@{strength:g}", dict(guidance_strength=strength, clip_views="roi"))]
        for seed in range(args.seeds):
            edited = {}
            for name, settings in runs:
                out = folder / f"{name}_{seed}.tif"
                started = time.perf_counter()
                edit_scene(scene, features, out, mask_out=folder / "mask.tif", seed=seed, **settings, **common)
                seconds[name] = seconds.get(name, 0.0) + time.perf_counter() - started
                with rasterio.open(out) as dst, rasterio.open(folder / "mask.tif") as mask:
                    edited[name] = dst.read()
                    outside = mask.read(1) == 0
                identical &= bool(np.array_equal(edited[name][:, outside], source[:, outside]))
            if seed == 0:
                shown = edited
            for role, scorer in scorers.items():
                for name, _ in runs[1:]:
                    for index, (box, prompt) in enumerate(rois):
                        other = rois[1 - index][1]
                        gain = scorer.score(edited[name], box, prompt) - scorer.score(edited["unguided"], box, prompt)
                        cross = scorer.score(edited[name], box, other) - scorer.score(edited["unguided"], box, other)
                        results.setdefault(f"{role}_{name}", {}).setdefault("gain", []).append(gain)
                        results[f"{role}_{name}"].setdefault("cross_gain", []).append(cross)
                        results[f"{role}_{name}"].setdefault(f"gain_roi{index}", []).append(gain)
                        results[f"{role}_{name}"].setdefault(f"cross_gain_roi{index}", []).append(cross)
                for index, (box, prompt) in enumerate(rois):
                    results.setdefault(f"{role}_scores", {}).setdefault(f"before_roi{index}", []).append(
                        scorer.score(source, box, prompt))
                    results[f"{role}_scores"].setdefault(f"unguided_roi{index}", []).append(
                        scorer.score(edited["unguided"], box, prompt))
    args.sheet.parent.mkdir(parents=True, exist_ok=True)
    contact_sheet(args.sheet, [[(source, "before"), (shown["unguided"], "unguided")]
                               + [(shown[f"{kind}@{strength:g}"], f"{kind} views, strength {strength:g}")
                                  for kind in ("tile", "roi")] for strength in strengths],
                  [box for box, _ in rois])
    report: dict = {"run": run, "clips": args.clips, "guide": clips["guide"][0],
                    "judge": clips["judge"][0] if clips["judge"] else None, "seeds": args.seeds,
                    "strengths": strengths, "views": args.views, "rois": [[list(b), p] for b, p in rois],
                    "outside_roi_identical": identical}
    for key, values in results.items():
        for name, numbers in values.items():
            report[f"{key}_{name}"] = round(float(np.mean(numbers)), 3)
    report["seconds_per_edit"] = {name: round(value / args.seeds, 1) for name, value in seconds.items()}
    report["sheet"] = str(args.sheet)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
