"""Regeneration against the gap fillers users have today (issue 22): RSEdit's scene models, GDAL
FillNodata (QGIS's Raster > Analysis > Fill nodata), OpenCV Telea and Navier-Stokes, and
opencv-contrib's xphoto FSR, on the same ROIs. Prints one JSON line and writes a contact sheet.

    .venv/bin/python bench/regeneration.py [--quick] [--out build/bench/regeneration]

Clear-area protocol: the ROIs lie on cloud-free parts of the Landsat sample and the drone
orthophoto, so the original pixels are one real sample of what belongs there. Each method fills
the ROIs; a two-sample classifier test (bench/c2st.py) tells the filled ROIs' patches from the
original ROIs' patches, pooled over all ROIs of one size (16 px patches for small ROIs, 32 px
otherwise; classifier seeds 0-2, spread = max - min). Calibration: `auc_noise` (Gaussian noise
with each ROI's mean and variance) and `auc_real_floor` (the original pixels of half the ROIs of a
size against the other half's, a checkerboard of each cluster: same scenes and covers, different
places, i.e. the lowest AUC to expect).

ROI layout (LAYOUT): per scene, 9 small ROIs (32 px) in a 3x3 cluster and 4 medium ROIs (100 px)
in a 2x2 cluster, 20-24 px apart, so RSEdit samples each cluster as one edit unit (ROIs within two
margins are sampled whole together) and a quick run fits in 5 minutes; 4 large ROIs (420 x 120 px)
apart. Every method fills the same cluster mask at once.

Metrics per method and size: `auc` (C2ST), `colour_gap` (mean over ROIs and bands of |mean inside
- mean of the 16 px ring of original pixels around|; `colour_gap_original` is the original ROI's
own), `edge_visibility` (mean |gradient| on a 2 px band across the ROI borders, filled over
original: 1 is no seam, below 1 smoother), `seconds_per_roi` (wall time of the method's calls for
that size over its ROIs; RSEdit's includes building its scene models, or loading them from the cache).

--quick: the training-free model and the anchors, small and medium ROIs (< 5 minutes on 2 cores).
The full run adds the large ROIs and the trained `fast` model (cached in ~/.cache/rsedit/models
after its first training: minutes per ROI group on a CPU).
--set key=value passes an edit_scene setting to RSEdit's calls (e.g. --set start_t=60), to
measure a candidate against the defaults.
"""
from __future__ import annotations

import argparse
import importlib
import json
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

import numpy as np

from bench_scene import REPO, import_models
from c2st import c2st_auc, noise_like

DATA = REPO.parent / "shared" / "data"
SCENES = {"landsat": DATA / "landsat" / "RGB.byte.tif", "orthophoto": DATA / "fotomap" / "fotomap_small.tif"}
REQUIREMENTS = REPO / "bench" / "requirements.txt"
SIZES = ("small", "medium", "large")
PATCH = {"small": 16, "medium": 32, "large": 32}
RING = 16  # px of original pixels around a ROI for the colour gap
PAD = 32  # px of surroundings the anchors see around a cluster (their fills reach no farther)

Box = tuple[int, int, int, int]  # col0, row0, col1, row1 (pixels, end exclusive)


def grid(col: int, row: int, side: int, gap: int, count: int) -> list[Box]:
    """count x count square ROIs of `side` px, `gap` px apart, from (col, row)."""
    step = side + gap
    return [(col + i * step, row + j * step, col + i * step + side, row + j * step + side)
            for j in range(count) for i in range(count)]


# Clear areas, chosen by eye on the scenes (small clouds are part of this Landsat scene's texture;
# the large clouds, the painted marks of the orthophoto and the nodata collar are avoided)
LAYOUT: dict[str, dict[str, list[Box]]] = {
    "landsat": {
        "small": grid(450, 400, 32, 20, 3),  # east sea
        "medium": grid(410, 250, 100, 24, 2),  # east sea and its coast
        # the scene is too cloudy for four clear 420 px strips of one cover: sea, sea to coast,
        # sea to land, land with its small cumulus
        "large": [(500, 140, 620, 560), (430, 190, 530, 610), (90, 460, 510, 560), (260, 200, 380, 600)],
    },
    "orthophoto": {
        "small": grid(880, 380, 32, 20, 3),  # maize
        "medium": grid(30, 180, 100, 24, 2),  # bare field
        "large": [(890, 40, 1010, 460), (40, 20, 160, 440), (450, 650, 870, 770), (1000, 300, 1120, 820)],
    },
}


@dataclass
class Filled:
    """One method's result on one cluster: the filled pixels of the window, and its wall time."""
    window: np.ndarray  # [3, H, W]
    seconds: float


def ensure_opencv() -> object:
    """cv2 with xphoto; installs bench/requirements.txt into this interpreter on first use."""
    try:
        import cv2
        if hasattr(cv2, "xphoto"):
            return cv2
    except ImportError:
        pass
    print(f"installing {REQUIREMENTS.read_text().strip()} (benchmark only) ...", file=sys.stderr)
    done = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "-r", str(REQUIREMENTS)])
    importlib.invalidate_caches()
    try:
        import cv2
        if hasattr(cv2, "xphoto"):
            return cv2
    except ImportError:
        pass
    raise SystemExit(f"opencv-contrib-python-headless is needed (pip exit {done.returncode}): run `make bench-deps` "
                     f"or `{sys.executable} -m pip install -r {REQUIREMENTS}`.")


def read_rgb(path: Path) -> tuple[np.ndarray, np.ndarray, object]:
    """(first three bands [3, H, W], valid mask [H, W], transform)."""
    import rasterio

    with rasterio.open(path) as dataset:
        return dataset.read((1, 2, 3)), dataset.dataset_mask() > 0, dataset.transform


def cluster_window(boxes: list[Box], shape: tuple[int, int]) -> Box:
    col0 = max(min(b[0] for b in boxes) - PAD, 0)
    row0 = max(min(b[1] for b in boxes) - PAD, 0)
    return col0, row0, min(max(b[2] for b in boxes) + PAD, shape[1]), min(max(b[3] for b in boxes) + PAD, shape[0])


def box_mask(boxes: list[Box], window: Box) -> np.ndarray:
    mask = np.zeros((window[3] - window[1], window[2] - window[0]), dtype=bool)
    for c0, r0, c1, r1 in boxes:
        mask[r0 - window[1]:r1 - window[1], c0 - window[0]:c1 - window[0]] = True
    return mask


# ---- the anchors: every one fills `mask` (True = to fill) of a uint8 [3, H, W] window ----

def fill_gdal(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """GDAL FillNodata as QGIS's Fill nodata runs it (smoothing 0), searching far enough to reach
    across the widest hole."""
    from osgeo import gdal

    height, width = mask.shape
    out = np.empty_like(image)
    for band in range(image.shape[0]):
        dataset = gdal.GetDriverByName("MEM").Create("", width, height, 2, gdal.GDT_Byte)
        dataset.GetRasterBand(1).WriteArray(image[band])
        dataset.GetRasterBand(2).WriteArray((~mask).astype(np.uint8))  # 0 = fill
        gdal.FillNodata(dataset.GetRasterBand(1), dataset.GetRasterBand(2), max(height, width), 0)
        out[band] = dataset.GetRasterBand(1).ReadAsArray()
    return out


def opencv_inpaint(flag_name: str) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    def fill(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
        cv2 = ensure_opencv()
        hwc = np.ascontiguousarray(image.transpose(1, 2, 0))
        return cv2.inpaint(hwc, mask.astype(np.uint8), 3, getattr(cv2, flag_name)).transpose(2, 0, 1)
    return fill


def fill_fsr(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    cv2 = ensure_opencv()
    hwc = np.ascontiguousarray(image.transpose(1, 2, 0))
    out = np.zeros_like(hwc)
    cv2.xphoto.inpaint(hwc, (~mask).astype(np.uint8), out, cv2.xphoto.INPAINT_FSR_FAST)  # non-zero = valid
    return out.transpose(2, 0, 1)


ANCHORS: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "gdal_fillnodata": fill_gdal, "opencv_telea": opencv_inpaint("INPAINT_TELEA"),
    "opencv_ns": opencv_inpaint("INPAINT_NS"), "xphoto_fsr": fill_fsr,
}


def rsedit_fill(scene_path: Path, transform: object, boxes: list[Box], window: Box, backend: str, folder: Path,
                options: dict) -> np.ndarray:
    """RSEdit's regeneration of every box in one edit_scene call, read back over `window`."""
    import rasterio
    from shapely.geometry import Polygon

    from rsedit.core.scene_edit import edit_scene

    polygons = [Polygon([transform * (c0, r0), transform * (c1, r0), transform * (c1, r1), transform * (c0, r1)])
                for c0, r0, c1, r1 in boxes]
    out = folder / f"{scene_path.stem}_{backend}.tif"
    edit_scene(str(scene_path), polygons, str(out), mode="regenerate", backend=backend,
               **{"seed": 0, "preset": "fast", **options})
    with rasterio.open(out) as dataset:
        from rasterio.windows import Window
        return dataset.read((1, 2, 3), window=Window(window[0], window[1], window[2] - window[0],
                                                     window[3] - window[1]))


# ---- metrics ----

def crops(image: np.ndarray, boxes: list[Box], window: Box) -> list[np.ndarray]:
    return [image[:, r0 - window[1]:r1 - window[1], c0 - window[0]:c1 - window[0]] for c0, r0, c1, r1 in boxes]


def colour_gap(filled: np.ndarray, original: np.ndarray, box: Box, window: Box) -> float:
    """|mean inside the box of `filled` - mean of the ring of `original` around it|, over bands."""
    c0, r0, c1, r1 = (box[0] - window[0], box[1] - window[1], box[2] - window[0], box[3] - window[1])
    around = original[:, max(r0 - RING, 0):r1 + RING, max(c0 - RING, 0):c1 + RING].astype(np.float64)
    keep = np.ones(around.shape[1:], dtype=bool)
    keep[r0 - max(r0 - RING, 0):r0 - max(r0 - RING, 0) + r1 - r0, c0 - max(c0 - RING, 0):c0 - max(c0 - RING, 0) + c1 - c0] = False
    inside = filled[:, r0:r1, c0:c1].astype(np.float64).mean(axis=(1, 2))
    return float(np.abs(inside - around[:, keep].mean(axis=1)).mean())


def border_band(mask: np.ndarray) -> np.ndarray:
    from scipy.ndimage import binary_dilation, binary_erosion

    return binary_dilation(mask, iterations=2) & ~binary_erosion(mask, iterations=2)


def gradient_sum(image: np.ndarray, band: np.ndarray) -> float:
    gy, gx = np.gradient(image.astype(np.float64).mean(axis=0))
    return float(np.hypot(gx, gy)[band].sum())


@dataclass
class Cluster:
    scene: str
    size: str
    boxes: list[Box]
    window: Box
    original: np.ndarray  # [3, H, W] window of the scene
    mask: np.ndarray


def build_clusters(sizes: tuple[str, ...]) -> tuple[list[Cluster], dict]:
    from scipy.ndimage import binary_fill_holes

    clusters, scenes = [], {}
    for scene, path in SCENES.items():
        image, valid, transform = read_rgb(path)
        footprint = binary_fill_holes(valid)  # black sea pixels read as nodata inside the Landsat footprint
        scenes[scene] = (path, transform)
        for size in sizes:
            # the large ROIs lie apart: each is a cluster (and an RSEdit call) of its own
            groups = [[box] for box in LAYOUT[scene][size]] if size == "large" else [LAYOUT[scene][size]]
            for boxes in groups:
                window = cluster_window(boxes, image.shape[1:])
                if not footprint[window[1]:window[3], window[0]:window[2]].all():
                    raise SystemExit(f"{scene} {size} ROIs {window} reach the nodata collar: move them")
                clusters.append(Cluster(scene, size, boxes, window,
                                        image[:, window[1]:window[3], window[0]:window[2]].copy(),
                                        box_mask(boxes, window)))
    return clusters, scenes


def checkerboard(boxes: list[Box]) -> list[int]:
    """0 or 1 per box of a grid, alternating along rows and columns, so both colours sample every
    part of the cluster (a cluster's sides can differ in cover: the coast, a field's edge)."""
    cols, rows = sorted({b[0] for b in boxes}), sorted({b[1] for b in boxes})
    return [(cols.index(b[0]) + rows.index(b[1])) % 2 for b in boxes]


def real_floor_sets(clusters: list[Cluster]) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The real floor's two sets: original pixels of ROIs against those of other ROIs of the same
    size and scene (a checkerboard of each cluster; single ROIs alternately). The sets share no
    pixel: with one ROI in both, the classifier would learn that ROI's pixels as one class in
    training and meet them as the other in testing (AUC far below 0.5)."""
    sets: tuple[list[np.ndarray], list[np.ndarray]] = ([], [])
    single = 0
    for cluster in clusters:
        originals = crops(cluster.original, cluster.boxes, cluster.window)
        if len(cluster.boxes) > 1:
            colours = checkerboard(cluster.boxes)
        else:
            colours, single = [single % 2], single + 1
        for crop, colour in zip(originals, colours):
            sets[colour].append(crop)
    return sets


def c2st(edited: list[np.ndarray], real: list[np.ndarray], size: str) -> dict:
    return c2st_auc(edited, real, patch=PATCH[size]).to_dict()


def size_figures(method: str, clusters: list[Cluster], results: dict, size: str) -> dict:
    """The metrics of one method over every ROI of one size (results: cluster index -> Filled)."""
    edited, real, gaps, gaps_original = [], [], [], []
    ring_filled = ring_original = 0.0
    seconds = 0.0
    for index, cluster in enumerate(clusters):
        filled = results[index]
        edited += crops(filled.window, cluster.boxes, cluster.window)
        real += crops(cluster.original, cluster.boxes, cluster.window)
        gaps += [colour_gap(filled.window, cluster.original, box, cluster.window) for box in cluster.boxes]
        gaps_original += [colour_gap(cluster.original, cluster.original, box, cluster.window) for box in cluster.boxes]
        band = border_band(cluster.mask)
        ring_filled += gradient_sum(filled.window, band)
        ring_original += gradient_sum(cluster.original, band)
        seconds += filled.seconds
    rois = sum(len(c.boxes) for c in clusters)
    return {"auc": c2st(edited, real, size), "colour_gap": round(float(np.mean(gaps)), 2),
            "colour_gap_original": round(float(np.mean(gaps_original)), 2),
            "edge_visibility": round(ring_filled / max(ring_original, 1e-9), 3),
            "seconds_per_roi": round(seconds / rois, 2), "rois": rois}


# ---- the contact sheet ----

def contact_sheet(clusters: list[Cluster], filled: dict[str, dict[int, Filled]], path: Path, cell: int = 144) -> None:
    """One row per ROI, one column per method (the original first), each cell the ROI with a
    quarter of its size around it, stretched as the row's original. Crops are enlarged to at least
    `cell` px and never shrunk: a large ROI at a third of its size hides the texture to be judged."""
    from PIL import Image, ImageDraw

    methods = ["original"] + list(filled)
    label_w, head_h, gap = 150, 18, 4
    rows = []  # (cluster index, box index, ROI number within its size, crop, scale)
    numbers: dict[str, int] = {}
    for index, cluster in enumerate(clusters):
        for box_index, (c0, r0, c1, r1) in enumerate(cluster.boxes):
            numbers[cluster.size] = numbers.get(cluster.size, 0) + 1
            margin = max((c1 - c0), (r1 - r0)) // 4
            wc0, wr0 = max(c0 - margin - cluster.window[0], 0), max(r0 - margin - cluster.window[1], 0)
            wc1 = min(c1 + margin - cluster.window[0], cluster.original.shape[2])
            wr1 = min(r1 + margin - cluster.window[1], cluster.original.shape[1])
            scale = max(cell / max(wr1 - wr0, wc1 - wc0), 1.0)
            rows.append((index, box_index, numbers[cluster.size], (wc0, wr0, wc1, wr1), scale))
    # a row is at least 48 px tall, for its label's four lines
    heights = [max(round((wr1 - wr0) * scale), 48) for *_, (wc0, wr0, wc1, wr1), scale in rows]
    column_w = max([cell] + [round((wc1 - wc0) * scale) for *_, (wc0, wr0, wc1, wr1), scale in rows])
    sheet = Image.new("RGB", (label_w + len(methods) * (column_w + gap), head_h + sum(h + gap for h in heights)),
                      "white")
    draw = ImageDraw.Draw(sheet)
    for column, method in enumerate(methods):
        draw.text((label_w + column * (column_w + gap) + 2, 3), method, fill="black")
    top = head_h
    for (index, box_index, number, (wc0, wr0, wc1, wr1), scale), height in zip(rows, heights):
        cluster = clusters[index]
        c0, r0, c1, r1 = cluster.boxes[box_index]
        low, high = np.percentile(cluster.original[:, wr0:wr1, wc0:wc1].astype(np.float64), (1, 99))
        draw.text((2, top + 2), f"{cluster.scene}\n{cluster.size} #{number}\n{c1 - c0}x{r1 - r0} px\n"
                  f"shown {scale:.1f}x", fill="black")
        for column, method in enumerate(methods):
            pixels = cluster.original if method == "original" else filled[method][index].window
            crop = np.clip((pixels[:, wr0:wr1, wc0:wc1] - low) / max(high - low, 1e-9), 0, 1)
            tile = Image.fromarray((crop * 255).astype(np.uint8).transpose(1, 2, 0))
            tile = tile.resize((max(1, round(tile.width * scale)), max(1, round(tile.height * scale))), Image.NEAREST)
            left = label_w + column * (column_w + gap)
            sheet.paste(tile, (left, top))
            # the ROI's outline, one pixel outside it, so the border itself stays visible
            box = [(c0 - cluster.window[0] - wc0) * scale - 1, (r0 - cluster.window[1] - wr0) * scale - 1,
                   (c1 - cluster.window[0] - wc0) * scale, (r1 - cluster.window[1] - wr0) * scale]
            draw.rectangle([left + box[0], top + box[1], left + box[2], top + box[3]], outline=(255, 0, 255))
        top += height + gap
    sheet.save(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", type=Path, default=REPO / "build" / "bench" / "regeneration")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="an edit_scene setting for RSEdit's calls (JSON value), e.g. start_t=60")
    parser.add_argument("--only", choices=("rsedit", "anchors", "training-free", "trained"),
                        help="run RSEdit's models, the anchors, or one of RSEdit's models only")
    parser.add_argument("--sizes", help="comma-separated sizes to run (default: small,medium with --quick, else all)")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    ensure_opencv()
    models = import_models()
    models.set_cpu_threads(args.threads)
    options = {key: json.loads(value) for key, value in (item.split("=", 1) for item in args.set)}
    sizes = tuple(args.sizes.split(",")) if args.sizes else ("small", "medium") if args.quick else SIZES
    backends = [] if args.only == "anchors" else ["training-free"] if args.quick else ["training-free", "trained"]
    if args.only in ("training-free", "trained"):
        backends = [args.only]
    anchors = ANCHORS if args.only in (None, "anchors") else {}
    args.out.mkdir(parents=True, exist_ok=True)
    started = time.time()
    clusters, scenes = build_clusters(sizes)
    filled: dict[str, dict[int, Filled]] = {f"rsedit_{b.replace('-', '_')}": {} for b in backends}
    filled.update({name: {} for name in anchors})
    with tempfile.TemporaryDirectory() as folder:
        for index, cluster in enumerate(clusters):
            path, transform = scenes[cluster.scene]
            for backend in backends:
                began = time.time()
                window = rsedit_fill(path, transform, cluster.boxes, cluster.window, backend, Path(folder), options)
                filled[f"rsedit_{backend.replace('-', '_')}"][index] = Filled(window, time.time() - began)
            for name, fill in anchors.items():
                began = time.time()
                window = fill(cluster.original, cluster.mask)
                filled[name][index] = Filled(window, time.time() - began)
            print(f"{cluster.scene} {cluster.size}: filled ({time.time() - started:.0f} s)", file=sys.stderr)
    # the classifier's tiny tensors: one thread is ~16x faster than two on a busy 2-core machine
    # (4 s against 68 s for one C2ST of the small ROIs), where two threads stall at every barrier
    import torch
    torch.set_num_threads(1)
    figures: dict[str, dict[str, dict]] = {method: {} for method in filled}
    auc_noise, auc_floor = {}, {}
    rng = np.random.default_rng(0)
    for size in sizes:
        picked = [i for i, c in enumerate(clusters) if c.size == size]
        chosen = [clusters[i] for i in picked]
        for method, results in filled.items():
            figures[method][size] = size_figures(method, chosen, {k: results[i] for k, i in enumerate(picked)}, size)
        real = [crop for c in chosen for crop in crops(c.original, c.boxes, c.window)]
        auc_noise[size] = c2st([noise_like(crop, None, rng) for crop in real], real, size)["auc_mean"]
        auc_floor[size] = c2st(*real_floor_sets(chosen), size)["auc_mean"]
        print(f"{size}: scored ({time.time() - started:.0f} s)", file=sys.stderr)
    sheet = args.out / ("contact_sheet_quick.png" if args.quick else "contact_sheet.png")
    contact_sheet(clusters, filled, sheet)

    def best(rsedit: bool) -> Optional[dict]:
        chosen = [m for m in figures if m.startswith("rsedit") == rsedit]
        return {size: min(figures[m][size]["auc"]["auc_mean"] for m in chosen) for size in sizes} if chosen else None

    line = {"bench": "regeneration", "quick": args.quick, "settings": options, "methods": figures,
            "auc_rsedit_best": best(True), "auc_anchor_best": best(False), "auc_noise": auc_noise,
            "auc_real_floor": auc_floor, "contact_sheet": str(sheet), "seconds": round(time.time() - started, 1)}
    text = json.dumps(line)
    (args.out / ("result_quick.json" if args.quick else "result.json")).write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
