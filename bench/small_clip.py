"""Two small CLIPs that know the sample scenes, trained here in minutes on a CPU: the *guide* (a small
ViT) steers text edits, the *judge* (a small ModifiedResNet, another seed) scores them, so a gain that
only fools the guide does not count.

    .venv/bin/python bench/small_clip.py [--quick]     # prints one JSON line

    from small_clip import trained_clips, QUICK
    clips = trained_clips(QUICK)    # trains when the cache lacks them
    GuidanceClip.load(None, clips.guide_path)   # or TextSettings(clip_weights=clips.guide_path, clip_model=...)

Data: the labelled patches of bench/scene_labels.py (both scenes, seven labels, in the editor's model
units); the held-back blocks are never trained on. Captions: each label's templates x synonyms.

Training is CLIP's contrastive loss, with one change: a batch holds many patches of the same label, so
instead of one caption per image (duplicates would be false negatives) each step draws one caption per
label. Image->text: cross-entropy of each patch over those captions; text->image: each caption's
probability mass on the patches of its label. Batches are balanced over labels (the sea has 100x the
bare soil). Augmentations: flips, quarter turns, and brightness/contrast jitter, because an edited
scene's normalisation and colours drift a little from the scene's.

Output: the checkpoint a RemoteCLIP user has, an open_clip state dict in `<architecture>.safetensors`,
with the open_clip model config beside it as `<architecture>.json` (models/clip/clip_model.py loads
the pair through clip_weights=; the architecture is the stem). Cached under
build/small_clip/<hash of the settings>/, re-used when present.

Zero-shot accuracy: each held-back patch goes to the label whose ensembled caption embedding (all
templates x synonyms, averaged as prompt ensembling does) is nearest; `accuracy` counts patches,
`balanced_accuracy` averages the labels' own accuracies (sea patches outnumber the rest).
Benchmark code only, not shipped in the plugin.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

sys.path.append(str(Path(__file__).resolve().parent))  # after site-packages (bench/distributed.py)
import scene_labels  # noqa: E402
from bench_scene import REPO, plugin_on_path  # noqa: E402

CACHE = REPO / "build" / "small_clip"
FORMAT = 1  # bump when training changes what the same settings learn


def _text_cfg(width: int, layers: int) -> dict:
    # open_clip's vocabulary (its bundled tokenizer works offline); captions are short
    return {"context_length": 24, "vocab_size": 49408, "width": width, "heads": max(1, width // 32), "layers": layers}


@dataclass(frozen=True)
class ClipRecipe:
    name: str  # the architecture's name: the checkpoint's and the config's stem
    config: dict  # open_clip model config
    seed: int
    steps: int
    batch: int = 64
    lr: float = 2e-3


@dataclass(frozen=True)
class ClipSettings:
    guide: ClipRecipe
    judge: ClipRecipe
    labels: tuple = field(default_factory=lambda: tuple(
        (label.name, label.synonyms, label.share) for label in scene_labels.LABELS))
    rules: tuple = field(default_factory=lambda: (scene_labels.PATCH, scene_labels.STRIDE,
                                                  scene_labels.HOLD_BACK_BLOCK, scene_labels.HOLD_BACK_OFFSET,
                                                  scene_labels.TEMPLATES))

    def key(self) -> str:
        text = json.dumps([FORMAT, asdict(self)], sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def vit_config(image: int, patch: int, width: int, layers: int, embed: int, text_width: int = 64) -> dict:
    return {"embed_dim": embed,
            "vision_cfg": {"image_size": image, "layers": layers, "width": width, "head_width": 32,
                           "patch_size": patch},
            "text_cfg": _text_cfg(text_width, 2)}


def resnet_config(image: int, width: int, embed: int, text_width: int = 64) -> dict:
    # open_clip builds a ModifiedResNet when vision_cfg.layers is a list
    return {"embed_dim": embed,
            "vision_cfg": {"image_size": image, "layers": [1, 1, 1, 1], "width": width, "head_width": 32},
            "text_cfg": _text_cfg(text_width, 2)}


FULL = ClipSettings(
    guide=ClipRecipe("RSEditSmall-ViT", vit_config(image=64, patch=8, width=96, layers=3, embed=64), seed=1,
                     steps=700),
    judge=ClipRecipe("RSEditSmall-RN", resnet_config(image=64, width=16, embed=64), seed=2, steps=700),
)
QUICK = ClipSettings(  # for tests and --quick: about a minute each on one thread
    guide=ClipRecipe("RSEditQuick-ViT", vit_config(image=32, patch=8, width=64, layers=2, embed=32), seed=1,
                     steps=300),
    judge=ClipRecipe("RSEditQuick-RN", resnet_config(image=32, width=8, embed=32), seed=2, steps=300),
)


@dataclass(frozen=True)
class SmallClips:
    guide_path: Path  # <architecture>.safetensors, its config beside it as <architecture>.json
    judge_path: Path
    guide_architecture: str
    judge_architecture: str
    report: dict  # accuracies, seconds, label counts (report.json in the cache folder)

    @property
    def folder(self) -> Path:
        return self.guide_path.parent


def _models():
    plugin_on_path()
    import open_clip
    import torch

    from rsedit.models.clip import clip_model, prompts, view_augment

    return open_clip, torch, clip_model, prompts, view_augment


def load_clip(path: Path):
    """The model as a user loads it: GuidanceClip.load through clip_weights= (architecture inferred)."""
    _, _, clip_model, _, _ = _models()
    return clip_model.GuidanceClip.load(None, str(path))


def label_embeddings(clip) -> "torch.Tensor":
    """[K, D] ensembled caption embeddings of every label (prompt ensembling's average)."""
    _, torch, _, prompts, _ = _models()
    with torch.no_grad():
        return torch.stack([prompts.average_text_embeddings(clip.encode_text(scene_labels.captions(name)))
                            for name in scene_labels.LABEL_NAMES])


def label_probabilities(clip, images: np.ndarray, temperature: float = 0.01) -> np.ndarray:
    """[N, K] zero-shot label probabilities of images [N, 3, H, W] in model units."""
    _, torch, _, _, _ = _models()
    text = label_embeddings(clip)
    with torch.no_grad():
        out = []
        for start in range(0, len(images), 256):
            feats = clip.encode_image(torch.from_numpy(np.ascontiguousarray(images[start:start + 256])))
            out.append(torch.softmax(feats @ text.T / temperature, dim=-1))
    return torch.cat(out).numpy()


def zero_shot_accuracy(clip, patches: scene_labels.Patches) -> dict:
    """Accuracy of the nearest label among all seven on `patches` (any mix of patch sizes)."""
    predicted = np.empty(len(patches.labels), dtype=np.int64)
    for scene in np.unique(patches.scene):
        rows = np.flatnonzero(patches.scene == scene)
        predicted[rows] = label_probabilities(clip, _stack(patches.images[rows])).argmax(axis=1)
    right = predicted == patches.labels
    per_label = {name: float(right[patches.labels == i].mean()) for i, name in enumerate(scene_labels.LABEL_NAMES)
                 if (patches.labels == i).any()}
    return {"accuracy": float(right.mean()), "balanced_accuracy": float(np.mean(list(per_label.values()))),
            "per_label": per_label, "patches": int(len(right))}


def all_patches() -> scene_labels.Patches:
    """Both scenes' labelled patches (training and held back)."""
    return _concat([scene_labels.scene_patches(scene) for scene in scene_labels.SCENES])


def _concat(parts: list) -> scene_labels.Patches:
    # patch sizes differ between scenes, so the images stay a list-like object array
    images = np.empty(sum(len(p.labels) for p in parts), dtype=object)
    images[:] = [image for p in parts for image in p.images]
    return scene_labels.Patches(images, np.concatenate([p.labels for p in parts]),
                                np.concatenate([p.scene for p in parts]), np.concatenate([p.corner for p in parts]),
                                np.concatenate([p.held_back for p in parts]))


def _stack(images: np.ndarray) -> np.ndarray:
    return np.stack(list(images)).astype(np.float32)


def _training_tensors(patches: scene_labels.Patches, size: int):
    """Training patches resized to the model's input, in [0, 1], and their labels."""
    _, torch, _, _, view_augment = _models()
    tensors = []
    for scene in scene_labels.SCENES:
        rows = np.flatnonzero((patches.scene == scene) & ~patches.held_back)
        x = torch.from_numpy(_stack(patches.images[rows]))
        tensors.append((view_augment.resize_image((x + 1) * 0.5, (size, size)).clamp(0, 1),
                        torch.from_numpy(patches.labels[rows])))
    return torch.cat([t[0] for t in tensors]), torch.cat([t[1] for t in tensors])


def _augment(x, generator):
    """Flips, quarter turns and brightness/contrast jitter, per image."""
    _, torch, _, _, _ = _models()
    n = x.shape[0]
    turns = torch.randint(0, 4, (n,), generator=generator)
    flips = torch.rand(n, generator=generator) < 0.5
    out = torch.empty_like(x)
    for k in range(4):
        for flip in (False, True):
            rows = (turns == k) & (flips == flip)
            if rows.any():
                y = torch.rot90(x[rows], k, dims=(2, 3))
                out[rows] = torch.flip(y, dims=(3,)) if flip else y
    contrast = 1 + (torch.rand(n, 1, 1, 1, generator=generator) - 0.5) * 0.4
    shift = (torch.rand(n, 1, 1, 1, generator=generator) - 0.5) * 0.12
    tint = (torch.rand(n, 3, 1, 1, generator=generator) - 0.5) * 0.06
    mean = out.mean(dim=(1, 2, 3), keepdim=True)
    return ((out - mean) * contrast + mean + shift + tint).clamp(0, 1)


def train_clip(recipe: ClipRecipe, patches: scene_labels.Patches, folder: Path) -> Path:
    """Train one CLIP on the training patches and write <name>.safetensors + <name>.json."""
    open_clip, torch, clip_model, _, _ = _models()
    from safetensors.torch import save_file

    folder.mkdir(parents=True, exist_ok=True)
    weights = folder / f"{recipe.name}.safetensors"
    weights.with_suffix(".json").write_text(json.dumps(recipe.config, indent=1))
    clip_model.register_config_beside(weights)
    torch.manual_seed(recipe.seed)
    generator = torch.Generator().manual_seed(recipe.seed)
    model = open_clip.create_model(recipe.name, pretrained=None)
    preprocess = open_clip.get_model_preprocess_cfg(model)
    mean = torch.tensor(preprocess["mean"]).view(1, 3, 1, 1)
    std = torch.tensor(preprocess["std"]).view(1, 3, 1, 1)
    size = recipe.config["vision_cfg"]["image_size"]
    images, labels = _training_tensors(patches, size)
    label_ids = sorted(set(labels.tolist()))
    by_label = {k: torch.nonzero(labels == k).flatten() for k in label_ids}
    tokenizer = open_clip.get_tokenizer(recipe.name)
    caption_tokens = [tokenizer(scene_labels.captions(scene_labels.LABEL_NAMES[k])) for k in label_ids]

    optimizer = torch.optim.AdamW(model.parameters(), lr=recipe.lr, weight_decay=0.05)
    warmup = max(1, recipe.steps // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: min(1.0, (s + 1) / warmup) * 0.5 * (
        1 + np.cos(np.pi * min(1.0, s / recipe.steps))))
    model.train()
    for _ in range(recipe.steps):
        which = torch.randint(0, len(label_ids), (recipe.batch,), generator=generator)
        rows = torch.stack([by_label[label_ids[k]][torch.randint(0, len(by_label[label_ids[k]]), (1,),
                                                                 generator=generator)][0] for k in which.tolist()])
        x = (_augment(images[rows], generator) - mean) / std
        picks = torch.cat([t[torch.randint(0, len(t), (1,), generator=generator)] for t in caption_tokens])
        image_features = torch.nn.functional.normalize(model.encode_image(x), dim=-1)
        text_features = torch.nn.functional.normalize(model.encode_text(picks), dim=-1)
        logits = model.logit_scale.exp() * image_features @ text_features.T  # [B, K]
        image_loss = torch.nn.functional.cross_entropy(logits, which)
        per_caption = torch.log_softmax(logits.T, dim=1)  # each caption over the batch's patches
        positive = torch.nn.functional.one_hot(which, len(label_ids)).T.bool()
        present = positive.any(dim=1)
        text_loss = -torch.logsumexp(per_caption.masked_fill(~positive, -1e4), dim=1)[present].mean()
        loss = 0.5 * (image_loss + text_loss)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        schedule.step()
        with torch.no_grad():
            model.logit_scale.clamp_(0, np.log(100))
    model.eval()
    save_file({k: v.detach().contiguous() for k, v in model.state_dict().items()}, str(weights))
    return weights


def trained_clips(settings: ClipSettings = FULL, *, cache: Path = CACHE, retrain: bool = False) -> SmallClips:
    """The guide and the judge for `settings`, from the cache or trained now (then cached)."""
    _, torch, _, _, _ = _models()
    folder = cache / settings.key()
    report_path = folder / "report.json"
    guide = folder / f"{settings.guide.name}.safetensors"
    judge = folder / f"{settings.judge.name}.safetensors"
    if not retrain and report_path.is_file() and guide.is_file() and judge.is_file():
        return SmallClips(guide, judge, settings.guide.name, settings.judge.name, json.loads(report_path.read_text()))
    patches = all_patches()
    held_back = patches.select(patches.held_back)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # fastest on a loaded machine
    report: dict = {"settings_key": settings.key(), "labels": scene_labels.label_counts(patches)}
    try:
        scratch = folder.with_name(folder.name + ".partial")
        for role, recipe in (("guide", settings.guide), ("judge", settings.judge)):
            start = time.perf_counter()
            path = train_clip(recipe, patches, scratch)
            seconds = time.perf_counter() - start
            scores = zero_shot_accuracy(load_clip(path), held_back)
            report[role] = {"architecture": recipe.name, "seconds": round(seconds, 1), **scores}
    finally:
        torch.set_num_threads(threads)
    (scratch / "report.json").write_text(json.dumps(report, indent=1))
    if folder.exists():
        import shutil

        shutil.rmtree(folder)
    scratch.rename(folder)  # whole or not at all: a cache folder always holds both models and the report
    return SmallClips(guide, judge, settings.guide.name, settings.judge.name, report)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="the small settings the tests use")
    parser.add_argument("--retrain", action="store_true", help="train even when the cache has the models")
    args = parser.parse_args()
    start = time.perf_counter()
    clips = trained_clips(QUICK if args.quick else FULL, retrain=args.retrain)
    report = clips.report
    print(json.dumps({
        "guide_accuracy": report["guide"]["accuracy"], "guide_balanced_accuracy": report["guide"]["balanced_accuracy"],
        "judge_accuracy": report["judge"]["accuracy"], "judge_balanced_accuracy": report["judge"]["balanced_accuracy"],
        "guide_per_label": report["guide"]["per_label"], "judge_per_label": report["judge"]["per_label"],
        "held_back_patches": report["guide"]["patches"],
        "train_seconds": {"guide": report["guide"]["seconds"], "judge": report["judge"]["seconds"]},
        "seconds": round(time.perf_counter() - start, 1),
        "guide_path": str(clips.guide_path), "judge_path": str(clips.judge_path),
        "guide_architecture": clips.guide_architecture, "judge_architecture": clips.judge_architecture}))


if __name__ == "__main__":
    main()
