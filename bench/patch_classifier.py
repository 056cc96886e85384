"""An independent judge of text edits: a small CNN that labels patches of the sample scenes (the labels
of bench/scene_labels.py), trained on the same training patches as the small CLIPs but not a CLIP, so
an edit that only moves CLIP embeddings does not raise its probabilities.

    .venv/bin/python bench/patch_classifier.py      # prints one JSON line (held-back accuracy, seconds)

    from patch_classifier import trained_classifier
    classifier = trained_classifier()               # from build/patch_classifier/<hash>/ or trained now
    classifier.probabilities(images)                # [N, 3, H, W] in model units -> [N, 7]

Patches are resized to INPUT px (the Landsat patches are 16 px, the orthophoto's 48 px) and read in
the editor's model units, as CLIP reads them. Training: cross-entropy, balanced batches, the same
flips, quarter turns and brightness/contrast jitter as the CLIPs. Benchmark code only.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

sys.path.append(str(Path(__file__).resolve().parent))  # after site-packages (bench/distributed.py)
import scene_labels  # noqa: E402
from bench_scene import REPO  # noqa: E402
from small_clip import _augment, _stack, _training_tensors, all_patches  # noqa: E402

CACHE = REPO / "build" / "patch_classifier"
FORMAT = 1


@dataclass(frozen=True)
class ClassifierSettings:
    input: int = 32
    width: int = 24
    steps: int = 600
    batch: int = 64
    lr: float = 3e-3
    seed: int = 5

    def key(self) -> str:
        rules = (scene_labels.PATCH, scene_labels.STRIDE, scene_labels.HOLD_BACK_BLOCK, scene_labels.HOLD_BACK_OFFSET,
                 [(label.name, label.share) for label in scene_labels.LABELS])
        text = json.dumps([FORMAT, asdict(self), rules], sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


FULL = ClassifierSettings()
QUICK = ClassifierSettings(width=16, steps=250)  # for tests and text_edit.py --quick: under a minute


class PatchCNN(nn.Module):
    """Three conv blocks (each halving the size), global average pooling, a linear layer."""

    def __init__(self, labels: int, width: int):
        super().__init__()
        layers, channels = [], 3
        for out in (width, 2 * width, 4 * width):
            layers += [nn.Conv2d(channels, out, 3, padding=1), nn.BatchNorm2d(out), nn.ReLU(),
                       nn.Conv2d(out, out, 3, padding=1), nn.BatchNorm2d(out), nn.ReLU(), nn.MaxPool2d(2)]
            channels = out
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(channels, labels)

    def forward(self, x01: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x01 * 2 - 1).mean(dim=(2, 3)))


@dataclass
class TrainedClassifier:
    model: PatchCNN
    settings: ClassifierSettings
    report: dict

    def probabilities(self, images: np.ndarray | torch.Tensor) -> np.ndarray:
        """[N, K] label probabilities of patches [N, 3, H, W] in model units ([-1, 1])."""
        from small_clip import _models

        view_augment = _models()[4]
        x = torch.as_tensor(np.asarray(images, dtype=np.float32))
        x01 = view_augment.resize_image((x + 1) * 0.5, (self.settings.input, self.settings.input)).clamp(0, 1)
        with torch.no_grad():
            return torch.softmax(self.model.eval()(x01), dim=-1).numpy()


def _train(settings: ClassifierSettings, patches: scene_labels.Patches) -> PatchCNN:
    torch.manual_seed(settings.seed)
    generator = torch.Generator().manual_seed(settings.seed)
    images, labels = _training_tensors(patches, settings.input)
    label_ids = sorted(set(labels.tolist()))
    by_label = {k: torch.nonzero(labels == k).flatten() for k in label_ids}
    model = PatchCNN(len(scene_labels.LABELS), settings.width)
    optimizer = torch.optim.AdamW(model.parameters(), lr=settings.lr, weight_decay=1e-4)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, settings.lr, total_steps=settings.steps)
    model.train()
    for _ in range(settings.steps):
        which = torch.tensor(label_ids)[torch.randint(0, len(label_ids), (settings.batch,), generator=generator)]
        rows = torch.stack([by_label[k][torch.randint(0, len(by_label[k]), (1,), generator=generator)][0]
                            for k in which.tolist()])
        loss = nn.functional.cross_entropy(model(_augment(images[rows], generator)), which)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        schedule.step()
    return model.eval()


def held_back_accuracy(classifier: TrainedClassifier, patches: scene_labels.Patches) -> dict:
    predicted = np.empty(len(patches.labels), dtype=np.int64)
    for scene in np.unique(patches.scene):
        rows = np.flatnonzero(patches.scene == scene)
        predicted[rows] = classifier.probabilities(_stack(patches.images[rows])).argmax(axis=1)
    right = predicted == patches.labels
    per_label = {name: float(right[patches.labels == i].mean()) for i, name in enumerate(scene_labels.LABEL_NAMES)
                 if (patches.labels == i).any()}
    return {"accuracy": float(right.mean()), "balanced_accuracy": float(np.mean(list(per_label.values()))),
            "per_label": per_label, "patches": int(len(right))}


def trained_classifier(settings: ClassifierSettings = FULL, *, cache: Path = CACHE,
                       retrain: bool = False) -> TrainedClassifier:
    """The classifier for `settings`, from the cache or trained now (then cached)."""
    from safetensors.torch import load_file, save_file

    folder = cache / settings.key()
    weights, report_path = folder / "patch_cnn.safetensors", folder / "report.json"
    model = PatchCNN(len(scene_labels.LABELS), settings.width)
    if not retrain and weights.is_file() and report_path.is_file():
        model.load_state_dict(load_file(str(weights)))
        return TrainedClassifier(model.eval(), settings, json.loads(report_path.read_text()))
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        patches = all_patches()
        start = time.perf_counter()
        model = _train(settings, patches)
        seconds = time.perf_counter() - start
        classifier = TrainedClassifier(model, settings, {})
        classifier.report = {"seconds": round(seconds, 1), **held_back_accuracy(classifier, patches.select(patches.held_back))}
    finally:
        torch.set_num_threads(threads)
    folder.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(weights))
    report_path.write_text(json.dumps(classifier.report, indent=1))
    return classifier


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--retrain", action="store_true")
    args = parser.parse_args()
    start = time.perf_counter()
    classifier = trained_classifier(retrain=args.retrain)
    print(json.dumps({**classifier.report, "total_seconds": round(time.perf_counter() - start, 1),
                      "path": str(CACHE / classifier.settings.key())}))


if __name__ == "__main__":
    main()
