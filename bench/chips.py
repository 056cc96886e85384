"""Chip-folder benchmark: chips per minute for 160x160 chips, per scene-model choice, and peak RSS.
Prints one JSON line.

    .venv/bin/python bench/chips.py [--quick]

The chips are cut (never committed) from the sample data: half from the Landsat scene, half from the
orthophoto, RGB, as plain PNGs without georeferencing. Each chip's ROI is a same-named mask (a 64x64
square, as a building footprint would be) and the mode is regenerate on the training-free backend with
a 96 px tile (the least edit unit: the square and a 16 px ring; the default 256 px would sample the
whole chip) and a 160 px context (the whole chip). Each choice runs in a fresh child process on the
same chips into its own folder; its time covers the whole run (the shared model's sample included) and
its peak RSS is the child's; cpu_seconds_per_chip (all threads) holds when other work shares the CPU.
--quick: 6 chips (under 3 minutes); the full run: 24.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import resource
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
CHIP = 160
SQUARE = (48, 112)  # the mask's square, rows and columns
SETTINGS = {"backend": "training-free", "tile_size": 96, "context_size": 160, "seed": 0}


def make_chips(folder: Path, count: int) -> tuple[Path, Path]:
    sys.path.insert(0, str(REPO / "tests"))
    from chip_cutter import cut_chips, write_plain_image

    chips, masks = folder / "chips", folder / "masks"
    half = count // 2
    landsat = cut_chips(DATA / "landsat" / "RGB.byte.tif", chips / "l", half)
    ortho = cut_chips(DATA / "fotomap" / "fotomap_small.tif", chips / "o", count - half)
    masks.mkdir(parents=True)
    for prefix, paths in (("l", landsat), ("o", ortho)):
        for path in paths:
            path.rename(chips / f"{prefix}_{path.name}")
            mask = np.zeros((1, CHIP, CHIP), np.uint8)
            mask[0, SQUARE[0]:SQUARE[1], SQUARE[0]:SQUARE[1]] = 255
            write_plain_image(masks / f"{prefix}_{path.name}", mask)
    return chips, masks


def run_choice(chips: str, masks: str, out: str, scene_model: str, queue: "multiprocessing.Queue") -> None:
    warnings.simplefilter("ignore")
    sys.path.insert(0, str(REPO / "build" / "plugins"))
    from rsedit.core.chip_folder import edit_chip_folder
    from rsedit.core.chip_rois import ChipRois
    from rsedit.core.settings import RegenerateSettings

    settings = RegenerateSettings(**SETTINGS)
    started, cpu = time.perf_counter(), time.process_time()
    result = edit_chip_folder(chips, out, settings, rois=ChipRois("mask", mask_folder=masks),
                              scene_model=scene_model)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    queue.put({"chips": len(result.written), "unusable": len(result.unusable), "seconds": seconds, "cpu": cpu,
               "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="6 chips, under 3 minutes")
    args = parser.parse_args()
    count = 6 if args.quick else 24
    with tempfile.TemporaryDirectory(prefix="rsedit-chips-") as tmp:
        chips, masks = make_chips(Path(tmp), count)
        runs = {}
        spawn = multiprocessing.get_context("spawn")  # a fresh process: its peak RSS is this choice's alone
        for choice in ("per_chip", "shared"):
            queue = spawn.Queue()
            child = spawn.Process(target=run_choice, args=(str(chips), str(masks), f"{tmp}/{choice}", choice, queue))
            child.start()
            runs[choice] = queue.get()
            child.join()
    print(json.dumps({
        "chips_per_minute": {c: round(60 * r["chips"] / r["seconds"], 1) for c, r in runs.items()},
        "peak_rss_mb": round(max(r["peak_rss_mb"] for r in runs.values()), 1),
        "peak_rss_mb_per_choice": {c: round(r["peak_rss_mb"], 1) for c, r in runs.items()},
        "seconds": {c: round(r["seconds"], 1) for c, r in runs.items()},
        # CPU time (all threads) per chip: what the run costs whatever else shares the machine
        "cpu_seconds_per_chip": {c: round(r["cpu"] / max(r["chips"], 1), 2) for c, r in runs.items()},
        "chips": count, "chip_size": CHIP, "roi": f"{SQUARE[1] - SQUARE[0]}x{SQUARE[1] - SQUARE[0]} mask square",
        "settings": SETTINGS, "unusable": {c: r["unusable"] for c, r in runs.items()}, "quick": args.quick,
    }))


if __name__ == "__main__":
    main()
