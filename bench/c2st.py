"""A two-sample classifier test (C2ST): how easily a small CNN tells edited patches from real ones.

    from c2st import c2st_auc, noise_like
    result = c2st_auc(edited, original, mask_edited=roi, mask_real=roi, patch=32)
    result.auc_mean   # 0.5: indistinguishable; 1.0: trivially told apart (noise, smears)

Texture statistics (gradients, patch SWD) reward noise; a classifier trained to separate the two
sets does not. Fairness rules (issue 22):
- the train/test split is spatial: each region is cut in two halves across its longer side, one half
  trains and the other tests, and patches straddling the cut are dropped, so overlapping patches never
  leak from training into testing. Regions too small for a patch in each half go whole to one side,
  alternately;
- patches are drawn on a stride grid, only where at least `min_inside` of the patch lies in the mask;
- one normalisation for both sets: the real pixels' per-band mean and std, so a colour shift stays
  visible to the classifier;
- balanced classes, in training and in testing;
- the AUC is rank-based on held-out patches, averaged over classifier seeds (each seed also swaps
  which half trains, so the spread covers the split as well as the initialisation).

Benchmark code only (torch and numpy), not shipped in the plugin.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Optional, Sequence, Union

import numpy as np
import torch
from torch import nn

Images = Union[np.ndarray, Sequence[np.ndarray]]
Masks = Union[None, np.ndarray, Sequence[Optional[np.ndarray]]]


@dataclass(frozen=True)
class C2STResult:
    auc_mean: float
    auc_spread: float  # max - min over the seeds
    per_seed: tuple[float, ...]
    n_train: int  # patches per class used for training (mean over seeds)
    n_test: int  # held-out patches per class (mean over seeds)
    patch: int

    def to_dict(self, digits: int = 3) -> dict:
        values = asdict(self)
        values.update(auc_mean=round(self.auc_mean, digits), auc_spread=round(self.auc_spread, digits),
                      per_seed=[round(auc, digits) for auc in self.per_seed])
        return values


def noise_like(real: np.ndarray, mask: Optional[np.ndarray], rng: np.random.Generator) -> np.ndarray:
    """Gaussian noise with the region's per-band mean and std (a calibration point: AUC near 1),
    clipped and rounded to `real`'s dtype when it is an integer type."""
    inside = _mask_or_all(real, mask)
    values = real[:, inside].astype(np.float64)
    noise = rng.normal(values.mean(axis=1)[:, None, None], values.std(axis=1)[:, None, None], real.shape)
    if np.issubdtype(real.dtype, np.integer):
        limits = np.iinfo(real.dtype)
        noise = np.clip(np.rint(noise), limits.min, limits.max)
    return noise.astype(real.dtype)


def rank_auc(positive: np.ndarray, negative: np.ndarray) -> float:
    """P(score of a positive > score of a negative), ties counted half (Mann-Whitney U / n1 n2)."""
    scores = np.concatenate([positive, negative]).astype(np.float64)
    _, inverse, counts = np.unique(scores, return_inverse=True, return_counts=True)
    ends = np.cumsum(counts)
    ranks = ((ends - counts + 1 + ends) / 2.0)[inverse]  # 1-based, tied scores share their mean rank
    n_pos, n_neg = len(positive), len(negative)
    return float((ranks[:n_pos].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def patch_positions(mask: np.ndarray, patch: int, stride: int, min_inside: float) -> np.ndarray:
    """[n, 2] (row, col) of the stride-grid patches with at least `min_inside` of their pixels in `mask`."""
    height, width = mask.shape
    if height < patch or width < patch:
        return np.zeros((0, 2), dtype=int)
    # inside fraction of every patch from an integral image: one pass, any region size
    integral = np.zeros((height + 1, width + 1), dtype=np.int64)
    integral[1:, 1:] = mask.astype(np.int64).cumsum(0).cumsum(1)
    rows = np.arange(0, height - patch + 1, stride)
    cols = np.arange(0, width - patch + 1, stride)
    r, c = np.meshgrid(rows, cols, indexing="ij")
    inside = integral[r + patch, c + patch] - integral[r, c + patch] - integral[r + patch, c] + integral[r, c]
    keep = inside >= min_inside * patch * patch
    return np.stack([r[keep], c[keep]], axis=1)


def split_positions(mask: np.ndarray, positions: np.ndarray, patch: int) -> Optional[tuple[np.ndarray, np.ndarray]]:
    """The positions of each half of the region, cut across its longer side at the median mask pixel;
    patches that straddle the cut are left out. None when either half holds no patch."""
    rows, cols = np.nonzero(mask)
    axis = 0 if np.ptp(rows) >= np.ptp(cols) else 1
    cut = int(np.median(rows if axis == 0 else cols))
    start = positions[:, axis]
    first, second = positions[start + patch <= cut], positions[start >= cut]
    return (first, second) if len(first) and len(second) else None


def _mask_or_all(image: np.ndarray, mask: Optional[np.ndarray]) -> np.ndarray:
    return np.ones(image.shape[-2:], dtype=bool) if mask is None else np.asarray(mask, dtype=bool)


def _as_regions(images: Images, masks: Masks) -> list[tuple[np.ndarray, np.ndarray]]:
    """One image and its mask, or aligned lists of them (pooled regions, e.g. all small ROIs)."""
    if isinstance(images, np.ndarray):
        images, masks = [images], [masks]
    elif masks is None:
        masks = [None] * len(images)
    return [(image, _mask_or_all(image, mask)) for image, mask in zip(images, masks)]


def _split_regions(regions: list[tuple[np.ndarray, np.ndarray]], patch: int, stride: int, min_inside: float,
                   fold: int) -> tuple[list, list]:
    """(train, test): lists of (region index, positions); `fold` chooses which half trains."""
    train, test, whole = [], [], 0
    for index, (_, mask) in enumerate(regions):
        positions = patch_positions(mask, patch, stride, min_inside)
        if not len(positions):
            continue
        halves = split_positions(mask, positions, patch)
        if halves is not None:
            train.append((index, halves[fold]))
            test.append((index, halves[1 - fold]))
        else:  # too small to cut: the whole region goes to one side, alternately
            (train if (whole + fold) % 2 == 0 else test).append((index, positions))
            whole += 1
    return train, test


def _gather(regions: list[tuple[np.ndarray, np.ndarray]], picks: list, patch: int, count: int,
            rng: np.random.Generator, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    """`count` patches drawn at random from `picks`, normalised: [count, bands, patch, patch] float32."""
    flat = [(index, row, col) for index, positions in picks for row, col in positions]
    chosen = rng.choice(len(flat), size=count, replace=False)
    out = np.empty((count, regions[0][0].shape[0], patch, patch), dtype=np.float32)
    for slot, which in enumerate(chosen):
        index, row, col = flat[which]
        out[slot] = regions[index][0][:, row:row + patch, col:col + patch]
    return (out - mean[None, :, None, None]) / std[None, :, None, None]


def _count(picks: list) -> int:
    return sum(len(positions) for _, positions in picks)


class PatchClassifier(nn.Module):
    """Three 3x3 conv layers (16-32 channels), global average pooling, one logit."""

    def __init__(self, bands: int, width: int = 32) -> None:
        super().__init__()
        half = width // 2
        self.features = nn.Sequential(
            nn.Conv2d(bands, half, 3, padding=1), nn.LeakyReLU(0.2),
            nn.Conv2d(half, width, 3, stride=2, padding=1), nn.LeakyReLU(0.2),
            nn.Conv2d(width, width, 3, stride=2, padding=1), nn.LeakyReLU(0.2),
        )
        self.head = nn.Linear(width, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x).mean(dim=(2, 3))).squeeze(1)


def _train_and_score(a_train: np.ndarray, b_train: np.ndarray, a_test: np.ndarray, b_test: np.ndarray,
                     seed: int, steps: int, batch: int, lr: float) -> float:
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    inputs = torch.from_numpy(np.concatenate([a_train, b_train]))
    labels = torch.cat([torch.ones(len(a_train)), torch.zeros(len(b_train))])
    model = PatchClassifier(inputs.shape[1])
    optimiser = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.BCEWithLogitsLoss()
    model.train()
    for _ in range(steps):
        pick = torch.randint(len(inputs), (min(batch, len(inputs)),), generator=generator)
        x = inputs[pick]
        # flips only, the same for both classes: more views of few patches, row directions kept
        if torch.rand((), generator=generator) < 0.5:
            x = x.flip(-1)
        if torch.rand((), generator=generator) < 0.5:
            x = x.flip(-2)
        optimiser.zero_grad()
        loss_fn(model(x), labels[pick]).backward()
        optimiser.step()
    model.eval()
    with torch.no_grad():
        score_a = torch.cat([model(chunk) for chunk in torch.from_numpy(a_test).split(512)]).numpy()
        score_b = torch.cat([model(chunk) for chunk in torch.from_numpy(b_test).split(512)]).numpy()
    return rank_auc(score_a, score_b)


def c2st_auc(edited: Images, real: Images, mask_edited: Masks = None, mask_real: Masks = None, *,
             patch: int = 32, stride: Optional[int] = None, min_inside: float = 0.75,
             seeds: Sequence[int] = (0, 1, 2), steps: int = 300, batch: int = 32, lr: float = 2e-3,
             max_train: int = 4096, max_test: int = 2048) -> C2STResult:
    """The AUC of a CNN told to separate `edited` patches (class 1) from `real` ones (class 0) on
    held-out patches. Each of `edited`/`real` is one [bands, H, W] array or a list of them (pooled
    regions, e.g. every small ROI), with masks of the region (None: all of it). Patches are `patch`
    px squares on a `stride` grid (default patch // 4). Raises ValueError when a side has no patch."""
    stride = stride or max(1, patch // 4)
    a_regions, b_regions = _as_regions(edited, mask_edited), _as_regions(real, mask_real)
    # one normalisation for both sets, from the real pixels
    real_values = np.concatenate([image[:, mask].astype(np.float64) for image, mask in b_regions], axis=1)
    mean = real_values.mean(axis=1).astype(np.float32)
    std = np.maximum(real_values.std(axis=1), 1e-6).astype(np.float32)
    aucs, n_train, n_test = [], [], []
    for seed in seeds:
        rng = np.random.default_rng(seed)
        a_train, a_test = _split_regions(a_regions, patch, stride, min_inside, seed % 2)
        b_train, b_test = _split_regions(b_regions, patch, stride, min_inside, seed % 2)
        train_count = min(_count(a_train), _count(b_train), max_train)
        test_count = min(_count(a_test), _count(b_test), max_test)
        if train_count == 0 or test_count == 0:
            raise ValueError(f"Too few {patch} px patches for a C2ST (train {train_count}, test {test_count} per "
                             "class): pool more regions or use smaller patches.")
        sets = [_gather(regions, picks, patch, count, rng, mean, std)
                for regions, picks, count in ((a_regions, a_train, train_count), (b_regions, b_train, train_count),
                                              (a_regions, a_test, test_count), (b_regions, b_test, test_count))]
        aucs.append(_train_and_score(*sets, seed=seed, steps=steps, batch=batch, lr=lr))
        n_train.append(train_count)
        n_test.append(test_count)
    return C2STResult(auc_mean=float(np.mean(aucs)), auc_spread=float(np.ptp(aucs)), per_seed=tuple(aucs),
                      n_train=int(np.mean(n_train)), n_test=int(np.mean(n_test)), patch=patch)
