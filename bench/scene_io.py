"""Scene I/O benchmark: the engine's streaming overhead against gdal_translate.

Generates a textured, tiled GeoTIFF (8192 x 8192 x 3 uint8 by default) in a temporary folder,
edits ROIs covering about 2% of it with an identity editor (the engine run happens in a child
process, so its peak RSS excludes the data generation), times `gdal_translate -co TILED=YES` of
the same file with the same compression, and prints one JSON line.

    /usr/bin/python3 bench/scene_io.py [--size 8192] [--compress NONE] [--repeat 1]
"""
from __future__ import annotations

import argparse
import importlib
import json
import math
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import types
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BLOCK = 512
CRS = "EPSG:32633"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=8192, help="raster width and height in pixels")
    parser.add_argument("--bands", type=int, default=3)
    parser.add_argument("--compress", default="NONE", choices=["NONE", "LZW", "DEFLATE", "ZSTD"],
                        help="compression of the input and of both outputs (default: NONE)")
    parser.add_argument("--roi-fraction", type=float, default=0.02)
    parser.add_argument("--no-mask", action="store_true", help="do not write the edit-mask output")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each; the fastest counts")
    parser.add_argument("--workdir", default=None, help="where the temporary folder goes")
    parser.add_argument("--child-engine", nargs=2, metavar=("SRC", "OUT"), help=argparse.SUPPRESS)
    parser.add_argument("--child-generate", metavar="PATH", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_engine:
        print(json.dumps(run_engine(*args.child_engine, args)))
        return
    if args.child_generate:
        make_scene(Path(args.child_generate), args.size, args.bands, args.compress)
        return

    # This process stays small (standard library only): a child inherits its parent's peak RSS
    # through fork/exec into ru_maxrss, so generating the data here would inflate the figure.
    with tempfile.TemporaryDirectory(prefix="rsedit-bench-", dir=args.workdir) as folder:
        src = Path(folder) / "scene.tif"
        subprocess.run([sys.executable, __file__, "--child-generate", str(src),
                        "--size", str(args.size), "--bands", str(args.bands),
                        "--compress", args.compress], check=True)
        engine_runs, translate_runs = [], []
        for _ in range(args.repeat):
            translated = Path(folder) / "translated.tif"
            translate_runs.append(run_gdal_translate(src, translated, args.compress))
            engine_runs.append(run_engine_child(src, Path(folder) / "edited.tif", args))
        engine = min(engine_runs, key=lambda r: r["seconds"])
        translate_s = min(translate_runs)
        print(json.dumps({
            "size": args.size,
            "bands": args.bands,
            "compress": args.compress,
            "edit_mask_written": not args.no_mask,
            "roi_fraction": args.roi_fraction,
            "tiles_planned": engine["tiles_planned"],
            "tiles_edited": engine["tiles_edited"],
            "engine_s": round(engine["seconds"], 3),  # open + prepare_rois + edit_raster
            "engine_process_s": round(engine["process_seconds"], 3),  # plus Python start, imports
            "gdal_translate_s": round(translate_s, 3),  # the whole command
            "ratio_vs_gdal_translate": round(engine["seconds"] / translate_s, 3),
            "peak_rss_mb": round(max(r["peak_rss_mb"] for r in engine_runs), 1),
        }))


def make_scene(path: Path, size: int, bands: int, compress: str) -> None:
    """Textured content (waves plus noise), so that compression behaves as on real imagery."""
    import numpy as np
    import rasterio
    from rasterio import Affine
    from rasterio.windows import Window

    profile = dict(driver="GTiff", width=size, height=size, count=bands, dtype="uint8", crs=CRS,
                   transform=Affine(0.5, 0, 600000, 0, -0.5, 5800000), tiled=True,
                   blockxsize=BLOCK, blockysize=BLOCK, interleave="pixel", BIGTIFF="IF_SAFER")
    if compress != "NONE":
        profile["compress"] = compress
    rng = np.random.default_rng(0)
    x = np.arange(size, dtype=np.float32)
    with rasterio.Env(GDAL_CACHEMAX=64 * 2**20), rasterio.open(path, "w", **profile) as dst:
        for row0 in range(0, size, BLOCK):
            height = min(BLOCK, size - row0)
            y = np.arange(row0, row0 + height, dtype=np.float32)[:, None]
            strip = np.empty((bands, height, size), dtype=np.uint8)
            for band in range(bands):
                waves = 60 * np.sin(x / (37 + 5 * band)) * np.cos(y / 53) + 30 * np.sin((x + y) / 211)
                noise = rng.integers(-12, 13, size=(height, size), dtype=np.int16)
                strip[band] = np.clip(120 + waves + noise, 0, 255).astype(np.uint8)
            dst.write(strip, window=Window(0, row0, size, height))


def run_gdal_translate(src: Path, dst: Path, compress: str) -> float:
    command = ["gdal_translate", "-q", "-co", "TILED=YES", "-co", f"BLOCKXSIZE={BLOCK}",
               "-co", f"BLOCKYSIZE={BLOCK}", "-co", f"COMPRESS={compress}",
               "-co", "BIGTIFF=IF_SAFER", str(src), str(dst)]
    started = time.perf_counter()
    subprocess.run(command, check=True)
    seconds = time.perf_counter() - started
    dst.unlink()
    return seconds


def run_engine_child(src: Path, out: Path, args: argparse.Namespace) -> dict:
    command = [sys.executable, __file__, "--child-engine", str(src), str(out),
               "--size", str(args.size), "--compress", args.compress,
               "--roi-fraction", str(args.roi_fraction)] + (["--no-mask"] if args.no_mask else [])
    started = time.perf_counter()
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    process_seconds = time.perf_counter() - started
    for suffix in ("", ".mask.tif"):
        Path(str(out) + suffix).unlink(missing_ok=True)
    return {**json.loads(done.stdout.strip().splitlines()[-1]), "process_seconds": process_seconds}


def run_engine(src: str, out: str, args: argparse.Namespace) -> dict:
    """In the child: prepare ROIs, edit with an identity editor, report time and peak RSS."""
    core = import_core()
    started = time.perf_counter()
    with core.open_scene(src) as scene:
        rois = core.prepare_rois(roi_features(scene, args.roi_fraction, core), None, scene)
    result = core.edit_raster(src, rois, lambda ctx: ctx.data, out,
                              mask_path=None if args.no_mask else out + ".mask.tif",
                              compress=args.compress)
    seconds = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes on Linux
    return {"seconds": seconds, "peak_rss_mb": peak_kb / 1024, "tiles_planned": result.tiles_planned,
            "tiles_edited": result.tiles_edited}


def roi_features(scene, fraction: float, core) -> list:
    """Four discs with `fraction` of the scene's area in total, in map coordinates."""
    from shapely.affinity import affine_transform
    from shapely.geometry import Point

    radius = math.sqrt(fraction * scene.width * scene.height / (4 * math.pi))
    t = scene.transform
    to_map = [t.a, t.b, t.d, t.e, t.c, t.f]
    centres = [(0.25, 0.25), (0.7, 0.3), (0.3, 0.75), (0.75, 0.7)]
    discs = [Point(cx * scene.width, cy * scene.height).buffer(radius) for cx, cy in centres]
    return [core.RoiFeature(i, affine_transform(disc, to_map), {}) for i, disc in enumerate(discs, 1)]


def import_core() -> types.ModuleType:
    """Import the repository as package `rsedit` without running the plugin's __init__ (QGIS)."""
    if "rsedit" not in sys.modules:
        package = types.ModuleType("rsedit")
        package.__path__ = [str(REPO)]
        sys.modules["rsedit"] = package
    return importlib.import_module("rsedit.core")


if __name__ == "__main__":
    if shutil.which("gdal_translate") is None:
        sys.exit("gdal_translate not found: install gdal-bin")
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    main()
