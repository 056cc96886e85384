"""The index of a chip dataset (pairs.csv) and its train/val/test lists.

A row is appended (flushed and synced) only after all four files of its pair are renamed into
place, so the index never lists an incomplete pair; a pair whose row is missing (a kill between
the rename and the append) is simply made again by the next run."""
from __future__ import annotations

import csv
import os
import random
from pathlib import Path
from typing import Optional, Sequence

from .errors import InputError
from .leftovers import temporary_path
from .output import commit_renames, fsync_path

INDEX_NAME = "pairs.csv"
FIELDS = ("chip", "name", "variant", "seed", "prompt", "mode", "backend", "model_fingerprint", "roi_source",
          "settings")
LAYOUT = ("A", "B", "label", "label_soft")  # before, after, 0/255 change label, soft (0-255) edit weight
SPLITS = ("train", "val", "test")


def pair_complete(folder: Path, name: str) -> bool:
    return all((folder / part / name).is_file() for part in LAYOUT)


def read_index(folder: Path) -> list[dict[str, str]]:
    """The rows of an existing index whose pair is complete on disk (a torn last line is left out)."""
    path = folder / INDEX_NAME
    if not path.is_file():
        return []
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return [row for row in rows if all(row.get(f) is not None for f in FIELDS) and pair_complete(folder, row["name"])]


def write_rows(folder: Path, rows: Sequence[dict[str, str]], name: str = INDEX_NAME) -> Path:
    """The index with exactly `rows`, written under a temporary name, synced and renamed."""
    target = folder / name
    temporary = temporary_path(target, "part", ".csv")
    try:
        with open(temporary, "w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=FIELDS)
            writer.writeheader()
            writer.writerows(rows)
        fsync_path(temporary)
        commit_renames([(temporary, str(target))])
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise
    return target


def append_row(folder: Path, row: dict[str, str]) -> None:
    """One more complete pair in the index, on disk before the next pair starts."""
    with open(folder / INDEX_NAME, "a", newline="", encoding="utf-8") as handle:
        csv.DictWriter(handle, fieldnames=FIELDS).writerow(row)
        handle.flush()
        os.fsync(handle.fileno())


def check_split(ratios: Optional[Sequence[float]]) -> Optional[tuple[float, float, float]]:
    """(train, val, test) fractions that add up to 1, or None for no split lists."""
    if ratios is None:
        return None
    values = tuple(ratios)
    if len(values) != 3 or not all(isinstance(v, (int, float)) and not isinstance(v, bool) and v >= 0
                                   for v in values) or abs(sum(values) - 1) > 1e-6:
        raise InputError(f"The split is three fractions train, val, test that add up to 1, e.g. (0.7, 0.15, 0.15) "
                         f"(got {ratios!r}).")
    return tuple(float(v) for v in values)  # type: ignore[return-value]


def write_splits(folder: Path, rows: Sequence[dict[str, str]], ratios: tuple[float, float, float],
                 seed: int) -> dict[str, Path]:
    """train.txt, val.txt, test.txt: file names (as in A/, B/, label/), one a line. Split by source chip,
    so the variants and prompts of one chip never land in two splits (no leak from train into test)."""
    chips = sorted({row["chip"] for row in rows})
    random.Random(seed).shuffle(chips)
    cut_train = round(ratios[0] * len(chips))
    cut_val = cut_train + round(ratios[1] * len(chips))
    split_of = {chip: SPLITS[0 if i < cut_train else 1 if i < cut_val else 2] for i, chip in enumerate(chips)}
    written = {}
    for split in SPLITS:
        names = sorted(row["name"] for row in rows if split_of[row["chip"]] == split)
        target = folder / f"{split}.txt"
        temporary = temporary_path(target, "part", ".txt")
        Path(temporary).write_text("".join(f"{name}\n" for name in names), encoding="utf-8")
        fsync_path(temporary)
        commit_renames([(temporary, str(target))])
        written[split] = target
    return written
