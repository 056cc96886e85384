"""Scene-scale benchmark (issue 21): many ROIs of every size over a large mosaic, regenerated in one
run per backend through the public API, each ROI measured against the same ROI regenerated alone.

    .venv/bin/python bench/scene_scale.py [--quick] [--backend training-free|trained|both]
                                          [--out-dir build/bench/scene_scale] [--seed 0]

The mosaic (8192 x 8192 px, 3 bands, tiled DEFLATE GeoTIFF, written into a temporary folder under
--out-dir and deleted afterwards) is four blocks, each the mirror-tiling of one crop of the sample
data: the Landsat scene (sea, coast, islands, clouds), the orthophoto's maize, its bare soil, and the
whole orthophoto (the field edge, painted marks and all). ROIs (rectangles, ellipses, rotated
rectangles, 16 to 1,500 px across, 3 or more larger than two 256 px tiles) are drawn at random inside
one block each, only where the ROI and its ring are clear (no nodata or paint, <= 1% cloud): the original
pixels are then one real sample of what belongs there (the clear-area protocol of issue 22).

Per ROI and backend:
- colour_gap: mean over bands of |ROI mean - ring mean|, ring = the pixels within 16 px outside it;
  colour_gap_own: the same ROI regenerated in a run of its own; colour_gap_ratio = combined / own
  (goal <= 1.2). colour_gap_source is the original's gap, what the scene itself shows there.
- c2st_auc: bench/c2st.py's classifier AUC of the edited ROI against the original ROI (0.5: told
  apart no better than chance). 16 px patches below 128 px across, 32 px above; ROIs under 64 px
  across are pooled into one test (c2st.pooled: true) to have patches enough.
- tile_border_coherence: mean |difference| across the 256 px grid lines (between pixel 255 and 256,
  ...) inside the ROI over the mean |difference| between other neighbours in the ROI (goal <= 1.1);
  None for a ROI that crosses no grid line; *_source: the same on the original pixels. (The sampled
  modes denoise a whole ROI jointly in tile-sized pieces, so no tile border should show here.)
Summary per backend: the largest colour_gap_ratio and tile_border_coherence, auc_mean (over the ROIs;
pooled ROIs each count their pool's AUC), seconds per ROI of the combined run and its peak RSS (VmHWM
of the child process that runs it). The full run also edits a 16384 x 16384 px mosaic with the same
ROIs (same block offsets, so the same pixels) with the training-free backend: its peak RSS should not
grow (rss_at_double_size, peak_rss_ratio: 16384 px run / 8192 px run).

--quick: the training-free backend only, a 4096 px mosaic and 4 ROIs of 16 to 64 px, the own runs
of the smallest and the largest (the JSON says which); under 5 minutes on a 2-core CPU. The full run edits ~200 tiles
per run (hours on a CPU), and the trained backend trains one model per run (the combined run and
every own run): it is meant for a GPU (--device cuda).
Prints one JSON line; writes the contact sheet (before | after, per backend, every ROI enlarged to
the same cell) to --out-dir and prints its path in the JSON.
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import numpy as np

from bench_scene import LANDSAT, REPO, plugin_on_path

DATA = LANDSAT.parents[1]  # the sample data folder (RSEDIT_BENCH_LANDSAT moves it)
CRS = "EPSG:32633"
PIXEL = 10.0  # m; the mosaic mixes ground sampling distances, so any plausible one will do
TILE = 256
RING = 16  # px of surroundings that a ROI's colour is compared with
GAP = 24  # px between a ROI's ring and any other ROI's or a block edge: no ROI sees another's edit
BLOCK_ROWS = 512  # rows written at a time
# Landsat's sea is sprinkled with one-pixel cumulus: a ROI and its ring may hold 1% of cloud pixels
# (none of nodata or paint); asking for none leaves no place wider than ~40 px on the Landsat block
CLEAR_SHARE = 0.99
NODATA, CLOUD, CLEAR = 0, 1, 2  # the codes of a cover's clear map
FULL_SIZES = (16, 16, 20, 24, 24, 32, 40, 48, 64, 80, 96, 128, 160, 200, 256, 320, 400, 480,
              560, 640, 800, 1000, 1200, 1500)
# --quick: a tile costs 15-30 s on 2 CPU cores (more with the combined run's wider context), and a
# ROI of 64 px already meets 1-6 overlapping tiles, so the quick set is 4 ROIs of 5-6 tiles in all
QUICK_SIZES = (16, 24, 40, 64)
SHAPES = ("rectangle", "ellipse", "rotated")
POOLED_BELOW = 64  # px across: C2ST pools these ROIs
SMALL_PATCH_BELOW = 128  # px across: C2ST uses 16 px patches below, 32 px above


@dataclass(frozen=True)
class Cover:
    """One land cover: a crop of a sample raster, mirror-tiled over a block of the mosaic."""

    name: str
    path: str  # under the sample data folder
    rows: tuple[int, int]
    cols: tuple[int, int]
    clouds: bool  # bright pixels are clouds (satellite) or ground (bare soil in the orthophoto)


COVERS = (
    Cover("landsat sea and coast", "landsat/RGB.byte.tif", (0, 718), (0, 791), True),  # with its nodata collar
    Cover("maize", "fotomap/fotomap_small.tif", (0, 570), (815, 1120), False),  # right of the painted marks
    Cover("bare soil", "fotomap/fotomap_small.tif", (0, 500), (0, 240), False),  # left of them
    Cover("field edge", "fotomap/fotomap_small.tif", (0, 841), (0, 1243), False),  # the whole orthophoto
)


def read_cover(cover: Cover) -> tuple[np.ndarray, np.ndarray]:
    """(RGB pixels, clear map) of the cover's crop: NODATA where invalid or painted (saturated
    colour, grown for its halo), CLOUD where all bands are bright (where the cover has clouds, grown
    by 2 px for edges), else CLEAR."""
    import rasterio
    from scipy.ndimage import binary_dilation

    with rasterio.open(DATA / cover.path) as dataset:
        data = dataset.read((1, 2, 3))
        valid = dataset.dataset_mask() > 0
    (r0, r1), (c0, c1) = cover.rows, cover.cols
    data, valid = data[:, r0:r1, c0:c1], valid[r0:r1, c0:c1]
    data = np.where(valid, np.maximum(data, 1), 0)  # 0 is the mosaic's nodata: only where the source has none
    wide = data.astype(np.int16)
    cloud = binary_dilation(wide.min(axis=0) > 110, iterations=2) if cover.clouds else False
    paint = binary_dilation(wide.max(axis=0) - wide.min(axis=0) > 150, iterations=6)
    usable = valid & (data > 0).all(axis=0) & ~paint
    return data, np.where(usable, np.where(cloud, CLOUD, CLEAR), NODATA).astype(np.uint8)


def mirror(index: np.ndarray, length: int) -> np.ndarray:
    """Mirror tiling: 0..n-1, n-1..0, 0..n-1, ... so that blocks meet without seams."""
    index = index % (2 * length)
    return np.where(index < length, index, 2 * length - 1 - index)


@dataclass
class Block:
    cover: Cover
    row0: int
    col0: int
    height: int
    width: int
    data: np.ndarray
    clear: np.ndarray


class Mosaic:
    """A size x size mosaic of the covers in a 2 x 2 layout, computed window by window."""

    def __init__(self, size: int, sources: list[tuple[Cover, np.ndarray, np.ndarray]]) -> None:
        half = size // 2
        corners = ((0, 0), (0, half), (half, 0), (half, half))
        self.size = size
        self.blocks = [Block(cover, row0, col0, half, half, data, clear)
                       for (cover, data, clear), (row0, col0) in zip(sources, corners)]

    def window(self, row: int, col: int, height: int, width: int,
               step: int = 1) -> tuple[np.ndarray, np.ndarray]:
        """(pixels [3, h, w], clear map [h, w]) of a window inside the mosaic; every `step`-th pixel."""
        data = np.zeros((3, -(-height // step), -(-width // step)), dtype=np.uint8)
        clear = np.full(data.shape[1:], NODATA, dtype=np.uint8)
        for block in self.blocks:
            rows = np.arange(row, row + height, step)
            cols = np.arange(col, col + width, step)
            in_rows = (rows >= block.row0) & (rows < block.row0 + block.height)
            in_cols = (cols >= block.col0) & (cols < block.col0 + block.width)
            if not in_rows.any() or not in_cols.any():
                continue
            src_rows = mirror(rows[in_rows] - block.row0, block.data.shape[1])[:, None]
            src_cols = mirror(cols[in_cols] - block.col0, block.data.shape[2])[None, :]
            place = np.ix_(in_rows, in_cols)
            data[(slice(None), *place)] = block.data[:, src_rows, src_cols]
            clear[place] = block.clear[src_rows, src_cols]
        return data, clear

    @property
    def transform(self):
        from rasterio.transform import from_origin

        return from_origin(500000.0, 5000000.0, PIXEL, PIXEL)

    def write(self, path: Path) -> None:
        import rasterio
        from rasterio.windows import Window

        profile = dict(driver="GTiff", width=self.size, height=self.size, count=3, dtype="uint8", crs=CRS, nodata=0,
                       transform=self.transform, tiled=True, blockxsize=TILE, blockysize=TILE,
                       compress="DEFLATE", interleave="pixel", BIGTIFF="IF_SAFER")
        with rasterio.open(path, "w", **profile) as dst:
            for row in range(0, self.size, BLOCK_ROWS):
                height = min(BLOCK_ROWS, self.size - row)
                dst.write(self.window(row, 0, height, self.size)[0], window=Window(0, row, self.size, height))


@dataclass(frozen=True)
class RoiSpec:
    """A ROI as an offset inside one block, so a larger mosaic of the same layout holds it on the
    same pixels (mirror tiling restarts at every block's corner)."""

    id: int
    block: int
    row: int  # of its bounding box, from the block's corner
    col: int
    height: int
    width: int
    shape: str

    @property
    def across(self) -> int:
        return max(self.height, self.width)

    def origin(self, mosaic: Mosaic) -> tuple[int, int]:
        block = mosaic.blocks[self.block]
        return block.row0 + self.row, block.col0 + self.col

    def geometry(self, mosaic: Mosaic):
        """The polygon in mosaic pixel coordinates (x = column, y = row)."""
        from shapely import affinity
        from shapely.geometry import Point, box

        row, col = self.origin(mosaic)
        if self.shape == "ellipse":
            unit = Point(0, 0).buffer(1.0, 32)
            shape = affinity.scale(unit, self.width / 2, self.height / 2, origin=(0, 0))
        elif self.shape == "rotated":  # a rectangle turned by 30 degrees, scaled back into the box
            shape = affinity.rotate(box(0, 0, 1.0, 0.55), 30, origin=(0, 0))
            minx, miny, maxx, maxy = shape.bounds
            shape = affinity.scale(shape, self.width / (maxx - minx), self.height / (maxy - miny), origin=(0, 0))
        else:
            shape = box(0, 0, self.width, self.height)
        minx, miny, _, _ = shape.bounds
        return affinity.translate(shape, col - minx, row - miny)

    def window(self, mosaic: Mosaic, pad: int = RING + 1) -> tuple[int, int, int, int]:
        """(row, col, height, width) of the ROI's box grown by `pad`."""
        row, col = self.origin(mosaic)
        return row - pad, col - pad, self.height + 2 * pad, self.width + 2 * pad


def plan_rois(mosaic: Mosaic, sizes: tuple[int, ...], rng: np.random.Generator, attempts: int = 400) -> list[RoiSpec]:
    """ROIs of the given sizes (px across), each in the block holding the fewest ROIs that has room
    for it, placed at random where its box and ring are clear, GAP px away from any other ROI's ring
    and from the block's edge."""
    taken: list[tuple[int, int, int, int]] = []  # grown boxes in mosaic pixels
    rois: list[RoiSpec] = []
    count = len(mosaic.blocks)
    for index, size in enumerate(sorted(sizes, reverse=True)):  # the large first, while there is room
        shape = SHAPES[index % len(SHAPES)]
        aspect = 1.0 if size <= 24 else float(rng.uniform(0.5, 1.0))
        height, width = (size, max(16, round(size * aspect)))[::1 if index % 2 else -1]
        held = [sum(roi.block == b for roi in rois) for b in range(count)]
        order = sorted(range(count), key=lambda b: (held[b], (b - index) % count))
        spec = None
        for attempt in range(attempts * count):
            block_index = order[attempt // attempts]
            block = mosaic.blocks[block_index]
            room = RING + GAP
            if block.height - height - 2 * room <= 0 or block.width - width - 2 * room <= 0:
                continue
            candidate = RoiSpec(index, block_index, int(rng.integers(room, block.height - height - room)),
                                int(rng.integers(room, block.width - width - room)), height, width, shape)
            grown, seen = candidate.window(mosaic, room), candidate.window(mosaic)
            if any(_overlap(grown, other) for other in taken) or not is_clear(mosaic.window(*seen, step=8)[1]):
                continue  # the sparse look first: most places fail it, at 1/64 of the cost
            if not is_clear(mosaic.window(*seen)[1]):
                continue
            spec = candidate
            break
        if spec is None:
            raise SystemExit(f"no clear place for a {size} px ROI in the mosaic: use a larger --size")
        taken.append(spec.window(mosaic, RING + GAP))
        rois.append(spec)
    return sorted(rois, key=lambda roi: roi.id)


def is_clear(codes: np.ndarray) -> bool:
    return bool((codes != NODATA).all() and (codes == CLEAR).mean() >= CLEAR_SHARE)


def _overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


# -- the edits, in child processes so that each run's peak RSS is its own ---------------------------

def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM): unlike ru_maxrss it excludes the parent's
    memory inherited through fork and exec."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def child_edit(spec_path: str) -> None:
    """In the child: run the spec's edits one after the other, print one JSON line."""
    plugin_on_path()
    from rsedit.core.scene_edit import edit_scene
    from shapely import wkt

    spec = json.loads(Path(spec_path).read_text())
    options = dict(mode="regenerate", backend=spec["backend"], seed=spec["seed"], tile_size=TILE,
                   device=spec["device"], rois_crs=CRS, cache_dir=spec["cache_dir"])  # never the user's cache
    jobs = []
    for number, job in enumerate(spec["jobs"], 1):
        started = time.perf_counter()

        def progress(fraction: float, message: str) -> None:
            if message.startswith("Edited tile"):
                print(f"[{Path(spec_path).stem} {number}/{len(spec['jobs'])} {time.perf_counter() - started:.0f} s] "
                      f"{message}", file=sys.stderr, flush=True)

        try:
            result = edit_scene(spec["raster"], [wkt.loads(text) for text in job["rois"]], job["out"],
                                mask_out=job["mask"], progress=progress, **options)
            jobs.append({"seconds": time.perf_counter() - started, "tiles": result.outputs[0].tiles_edited,
                         "error": None})
        except Exception as error:  # reported per run: one failing ROI must not hide the others' figures
            jobs.append({"seconds": time.perf_counter() - started, "tiles": None,
                         "error": f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"})
    print(json.dumps({"jobs": jobs, "peak_rss_mb": peak_rss_mb()}))


def run_edits(folder: Path, name: str, raster: Path, jobs: list[dict], args: argparse.Namespace,
              backend: str) -> dict:
    spec = folder / f"{name}.json"
    spec.write_text(json.dumps({"raster": str(raster), "jobs": jobs, "backend": backend, "seed": args.seed,
                                "device": args.device, "cache_dir": str(folder / "model-cache")}))
    # stderr passes through: the child reports each edited tile there
    done = subprocess.run([sys.executable, __file__, "--child-edit", str(spec)], stdout=subprocess.PIPE, text=True)
    if done.returncode != 0:
        raise SystemExit(f"the {name} edit process failed (exit status {done.returncode}): see its messages above")
    return json.loads(done.stdout.strip().splitlines()[-1])


def map_wkt(roi: RoiSpec, mosaic: Mosaic) -> str:
    from shapely.affinity import affine_transform

    t = mosaic.transform
    return affine_transform(roi.geometry(mosaic), [t.a, t.b, t.d, t.e, t.c, t.f]).wkt


# -- measures ----------------------------------------------------------------------------------------

def roi_mask(roi: RoiSpec, mosaic: Mosaic) -> np.ndarray:
    """The ROI's pixels (centres inside the polygon) in its padded window."""
    from rasterio.features import rasterize
    from shapely.affinity import translate

    row, col, height, width = roi.window(mosaic)
    return rasterize([(translate(roi.geometry(mosaic), -col, -row), 1)], out_shape=(height, width),
                     fill=0, dtype="uint8").astype(bool)


def ring_mask(mask: np.ndarray, width: int = RING) -> np.ndarray:
    from scipy.ndimage import distance_transform_edt

    return ~mask & (distance_transform_edt(~mask) <= width)


def colour_gap(image: np.ndarray, mask: np.ndarray, ring: np.ndarray) -> float:
    values = image.astype(np.float64)
    return float(np.mean([abs(band[mask].mean() - band[ring].mean()) for band in values]))


def tile_border_coherence(image: np.ndarray, mask: np.ndarray, row0: int, col0: int,
                          tile: int = TILE) -> Optional[float]:
    """Mean |difference| across the tile grid lines inside the ROI over that between the other
    neighbouring pixels of the ROI; None when the ROI crosses no grid line."""
    values = image.astype(np.float32)
    across, inside = [], []
    for axis, offset in ((2, col0), (1, row0)):
        step = np.abs(np.diff(values, axis=axis)).mean(axis=0)  # [h, w-1] or [h-1, w], over bands
        pair = mask[:, 1:] & mask[:, :-1] if axis == 2 else mask[1:] & mask[:-1]
        # the pair (i, i+1) straddles a grid line where i + 1 (in raster pixels) is a multiple of `tile`
        line = (offset + np.arange(1, step.shape[axis - 1] + 1)) % tile == 0
        line = line[None, :] if axis == 2 else line[:, None]
        across.append(step[pair & line])
        inside.append(step[pair & ~line])
    across_all, inside_all = np.concatenate(across), np.concatenate(inside)
    if not across_all.size or not inside_all.size or inside_all.mean() == 0:
        return None
    return float(across_all.mean() / inside_all.mean())


def read_window(path: Path, window: tuple[int, int, int, int]) -> np.ndarray:
    import rasterio
    from rasterio.windows import Window

    row, col, height, width = window
    with rasterio.open(path) as dataset:
        return dataset.read(window=Window(col, row, width, height))


def c2st_per_roi(edited: list[np.ndarray], original: list[np.ndarray], masks: list[np.ndarray],
                 rois: list[RoiSpec]) -> list[dict]:
    """Each ROI's C2ST; the ROIs under POOLED_BELOW px across share one pooled test."""
    from c2st import c2st_auc

    def test(indices: list[int], patch: int) -> dict:
        try:
            result = c2st_auc([edited[i] for i in indices], [original[i] for i in indices],
                              [masks[i] for i in indices], [masks[i] for i in indices], patch=patch)
            return result.to_dict() | {"error": None}
        except ValueError as error:  # too few patches: reported, not fatal
            return {"auc_mean": None, "error": str(error), "patch": patch}

    pooled = [i for i, roi in enumerate(rois) if roi.across < POOLED_BELOW]
    results: list[dict] = [{} for _ in rois]
    if pooled:
        shared = test(pooled, 16) | {"pooled": True, "pooled_rois": len(pooled)}
        for i in pooled:
            results[i] = shared
    for i, roi in enumerate(rois):
        if i not in pooled:
            results[i] = test([i], 16 if roi.across < SMALL_PATCH_BELOW else 32) | {"pooled": False}
    return results


def measure_backend(mosaic: Mosaic, rois: list[RoiSpec], combined: Path, own: dict[int, Path],
                    masks: list[np.ndarray], originals: list[np.ndarray]) -> list[dict]:
    """Per ROI: colour gap (combined run, own run, ratio), tile-border coherence and C2ST AUC."""
    edited = [read_window(combined, roi.window(mosaic)) for roi in rois]
    aucs = c2st_per_roi(edited, originals, masks, rois)
    figures = []
    for roi, image, mask, auc in zip(rois, edited, masks, aucs):
        ring = ring_mask(mask)
        row, col, _, _ = roi.window(mosaic)
        gap = colour_gap(image, mask, ring)
        gap_own = colour_gap(read_window(own[roi.id], roi.window(mosaic)), mask, ring) if roi.id in own else None
        figures.append({
            "colour_gap": round(gap, 2),
            "colour_gap_own": None if gap_own is None else round(gap_own, 2),
            "colour_gap_ratio": None if not gap_own else round(gap / gap_own, 3),
            "c2st_auc": auc["auc_mean"],
            "c2st": auc,
            "tile_border_coherence": _rounded(tile_border_coherence(image, mask, row, col)),
        })
    return figures


def _rounded(value: Optional[float], digits: int = 3) -> Optional[float]:
    return None if value is None else round(value, digits)


def summary(figures: list[dict], combined: dict, rois: list[RoiSpec]) -> dict:
    def largest(key: str) -> Optional[float]:
        values = [f[key] for f in figures if f[key] is not None]
        return max(values) if values else None

    aucs = [f["c2st_auc"] for f in figures if f["c2st_auc"] is not None]
    return {
        "colour_gap_ratio_max": largest("colour_gap_ratio"),
        "tile_border_coherence_max": largest("tile_border_coherence"),
        "auc_mean": round(float(np.mean(aucs)), 3) if aucs else None,
        "seconds_per_roi": round(combined["seconds"] / len(rois), 2),
        "peak_rss_mb": round(combined["peak_rss_mb"], 1),
        "edit_seconds": round(combined["seconds"], 1),
        "tiles_edited": combined["tiles"],
        "colour_gap_ratio_rois": sum(f["colour_gap_ratio"] is not None for f in figures),
    }


# -- contact sheet -----------------------------------------------------------------------------------

def contact_sheet(path: Path, rois: list[RoiSpec], originals: list[np.ndarray], masks: list[np.ndarray],
                  edited: dict[str, list[np.ndarray]], titles: list[str], captions: dict[str, list[str]],
                  cell: int = 160) -> Path:
    """Per ROI (`titles`): the original and each backend's edit of its padded window, enlarged
    (nearest, so small ROIs keep their pixels) or reduced to `cell` px, each under its caption
    (`captions` by column: "before" and the backends); the ROI outline drawn on the original."""
    from PIL import Image, ImageDraw
    from scipy.ndimage import binary_erosion

    columns = ["before"] + list(edited)
    per_row = 2 if len(columns) > 2 else 3
    text_h, pad = 38, 8  # a title line, then two caption lines
    group_w = len(columns) * (cell + 2) + pad
    rows = -(-len(rois) // per_row)
    sheet = Image.new("RGB", (per_row * group_w + pad, rows * (cell + text_h + pad) + pad), "white")
    draw = ImageDraw.Draw(sheet)
    for index, roi in enumerate(rois):
        x0 = pad + (index % per_row) * group_w
        y0 = pad + (index // per_row) * (cell + text_h + pad)
        draw.text((x0, y0), titles[index], fill="black")
        outline = masks[index] & ~binary_erosion(masks[index])
        for column, name in enumerate(columns):
            image = originals[index] if name == "before" else edited[name][index]
            if image is None:
                continue
            rgb = np.moveaxis(image[:3], 0, -1).copy()
            if name == "before":
                rgb[outline] = (255, 255, 0)
            picture = Image.fromarray(rgb)
            scale = cell / max(picture.size)
            picture = picture.resize((max(1, round(picture.width * scale)), max(1, round(picture.height * scale))),
                                     Image.NEAREST if scale >= 1 else Image.BOX)
            sheet.paste(picture, (x0 + column * (cell + 2), y0 + text_h))
            draw.text((x0 + column * (cell + 2), y0 + 12), captions[name][index], fill="gray")
    path.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(path)
    return path


# -- the run -----------------------------------------------------------------------------------------

def edit_backend(folder: Path, raster: Path, mosaic: Mosaic, rois: list[RoiSpec], own_ids: list[int],
                 args: argparse.Namespace, backend: str) -> tuple[dict, Path, dict[int, Path]]:
    """The combined run (one child, its RSS) and the own runs (one child, one after the other)."""
    combined_out = folder / f"{backend}_all.tif"
    combined = run_edits(folder, f"{backend}_all", raster, [{
        "rois": [map_wkt(roi, mosaic) for roi in rois], "out": str(combined_out),
        "mask": str(folder / f"{backend}_all_mask.tif")}], args, backend)
    own_jobs = [{"rois": [map_wkt(rois[i], mosaic)], "out": str(folder / f"{backend}_own{i}.tif"), "mask": None}
                for i in own_ids]
    own = run_edits(folder, f"{backend}_own", raster, own_jobs, args, backend)["jobs"] if own_jobs else []
    job = combined["jobs"][0] | {"peak_rss_mb": combined["peak_rss_mb"]}
    job["own"] = {i: result for i, result in zip(own_ids, own)}
    return job, combined_out, {i: Path(j["out"]) for i, j, result in zip(own_ids, own_jobs, own)
                               if result["error"] is None}


def rss_at_double_size(folder: Path, sources: list, rois: list[RoiSpec], size: int,
                       args: argparse.Namespace) -> dict:
    """The training-free combined run on a mosaic twice as wide, the ROIs on the same pixels."""
    large = Mosaic(size, sources)
    raster = folder / f"mosaic_{size}.tif"
    large.write(raster)
    out = folder / f"training-free_all_{size}.tif"
    result = run_edits(folder, f"training-free_all_{size}", raster, [{
        "rois": [map_wkt(roi, large) for roi in rois], "out": str(out), "mask": None}], args, "training-free")
    for path in (raster, out):  # 2 GB that the main run no longer needs
        path.unlink(missing_ok=True)
    job = result["jobs"][0]
    return {"size": size, "peak_rss_mb": round(result["peak_rss_mb"], 1), "edit_seconds": round(job["seconds"], 1),
            "error": job["error"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--backend", choices=("training-free", "trained", "both"), default=None,
                        help="default: both; --quick: training-free")
    parser.add_argument("--out-dir", type=Path, default=REPO / "build" / "bench" / "scene_scale")
    parser.add_argument("--seed", type=int, default=0, help="ROI placement and edit seed")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--size", type=int, default=None, help="mosaic side in px (default 8192, --quick 4096)")
    parser.add_argument("--rois", type=lambda text: tuple(int(v) for v in text.split(",")), default=None,
                        help="ROI sizes in px across, comma-separated, instead of the mode's set")
    parser.add_argument("--keep", action="store_true", help="keep the mosaic and the edited rasters")
    parser.add_argument("--child-edit", metavar="SPEC", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_edit:
        child_edit(args.child_edit)
        return

    started = time.perf_counter()
    backends = {"both": ["training-free", "trained"], None: ["training-free"] if args.quick else
                ["training-free", "trained"]}.get(args.backend, [args.backend])
    size = args.size or (4096 if args.quick else 8192)
    sizes = args.rois or (QUICK_SIZES if args.quick else FULL_SIZES)
    sources = [(cover, *read_cover(cover)) for cover in COVERS]
    mosaic = Mosaic(size, sources)
    rois = plan_rois(mosaic, sizes, np.random.default_rng(args.seed))
    # --quick: the own runs of the smallest and the largest ROI only
    own_ids = sorted({min(rois, key=lambda r: r.across).id, max(rois, key=lambda r: r.across).id}
                     if args.quick else [roi.id for roi in rois])
    args.out_dir.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="scene-scale-", dir=args.out_dir))
    raster = folder / "mosaic.tif"
    mosaic.write(raster)

    masks = [roi_mask(roi, mosaic) for roi in rois]
    originals = [mosaic.window(*roi.window(mosaic))[0] for roi in rois]
    per_roi: list[dict[str, Any]] = [{
        "id": roi.id, "cover": mosaic.blocks[roi.block].cover.name, "across_px": roi.across,
        "height_px": roi.height, "width_px": roi.width, "shape": roi.shape, "row": roi.origin(mosaic)[0],
        "col": roi.origin(mosaic)[1],
        "colour_gap_source": round(colour_gap(image, mask, ring_mask(mask)), 2),
        "tile_border_coherence_source": _rounded(tile_border_coherence(image, mask, *roi.window(mosaic)[:2])),
    } for roi, image, mask in zip(rois, originals, masks)]
    report: dict[str, Any] = {}
    shown: dict[str, list] = {}
    for backend in backends:
        job, combined_out, own = edit_backend(folder, raster, mosaic, rois, own_ids, args, backend)
        own_errors = {str(i): result["error"] for i, result in job["own"].items() if result["error"]}
        if job["error"]:
            report[backend] = {"error": job["error"], "peak_rss_mb": round(job["peak_rss_mb"], 1),
                               "own_run_errors": own_errors}
            continue
        figures = measure_backend(mosaic, rois, combined_out, own, masks, originals)
        for entry, figure in zip(per_roi, figures):
            entry[backend] = figure
        report[backend] = summary(figures, job, rois) | {
            "own_runs": len(own_ids), "own_run_errors": own_errors,
            "own_run_seconds": {str(i): round(result["seconds"], 1) for i, result in job["own"].items()}}
        shown[backend] = [read_window(combined_out, roi.window(mosaic)) for roi in rois]
    if not args.quick and "training-free" in backends:
        double = rss_at_double_size(folder, sources, rois, 2 * size, args)
        base = report["training-free"].get("peak_rss_mb")
        report["training-free"]["rss_at_double_size"] = double | {
            "peak_rss_ratio": round(double["peak_rss_mb"] / base, 3) if base else None}

    titles = [f"#{roi.id} {roi.across} px {roi.shape}, {entry['cover']}" for roi, entry in zip(rois, per_roi)]
    captions = {"before": [f"before\ngap {entry['colour_gap_source']}" for entry in per_roi]}
    captions.update({backend: [f"{backend}\ngap {entry[backend]['colour_gap']} auc {entry[backend]['c2st_auc']}"
                               for entry in per_roi] for backend in shown})
    sheet = contact_sheet(args.out_dir / f"contact_sheet{'_quick' if args.quick else ''}.png", rois, originals,
                          masks, shown, titles, captions)
    if not args.keep:
        shutil.rmtree(folder)  # the rasters and the trained models' cache
    print(json.dumps({
        "mode": "quick" if args.quick else "full",
        # what --quick leaves out, said where the figures are
        "quick_reduced": (f"{' and '.join(backends)} only, a {size} px mosaic, {len(rois)} ROIs of "
                          f"{min(sizes)}-{max(sizes)} px, own runs for {len(own_ids)}, no run at twice the size"
                          ) if args.quick else None,
        "mosaic_px": size,
        "covers": [cover.name for cover in COVERS],
        "rois": len(rois),
        "roi_across_px": [roi.across for roi in rois],
        "rois_larger_than_two_tiles": sum(roi.across > 2 * TILE for roi in rois),
        "tile_size": TILE,
        "own_runs_for": "all ROIs" if not args.quick else f"ROIs {own_ids} only (--quick)",
        "seed": args.seed,
        **{backend: report[backend] for backend in backends},
        "per_roi": per_roi,
        "contact_sheet": str(sheet),
        "kept": str(folder) if args.keep else None,
        "seconds_total": round(time.perf_counter() - started, 1),
    }))


if __name__ == "__main__":
    main()
