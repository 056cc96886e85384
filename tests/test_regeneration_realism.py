"""Regenerated small ROIs look like the scene's real texture, where the gap filler QGIS users have
today (GDAL FillNodata) gives a smear: the two-sample classifier test of bench/c2st.py tells
FillNodata's fill from the real pixels more easily than RSEdit's training-free regeneration.

Two scenes: a crop of the sample orthophoto's maize (real texture, which RSEdit must continue), and
a synthetic scene of smooth stripes plus noise, where interpolation is at its best (strict xfail:
RSEdit's copied blocks break the stripes' phase there)."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import rasterio
import torch
from shapely.geometry import box

from textured_scene import write_textured_scene

sys.path.append(str(Path(__file__).resolve().parents[1] / "bench"))  # after site-packages: bench/distributed.py must not shadow dask's distributed
from c2st import c2st_auc  # noqa: E402

SIZE = 128
SIDE, GAP, FIRST = 20, 8, 10  # a 4x4 grid of 20 px ROIs 8 px apart: one edit unit (within two margins)
MARGIN = 0.15  # FillNodata's AUC must exceed RSEdit's by at least this much


@pytest.fixture
def restore_threads():
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


def roi_boxes() -> list[tuple[int, int, int, int]]:
    """(col0, row0, col1, row1) of each ROI."""
    starts = [FIRST + i * (SIDE + GAP) for i in range(4)]
    return [(col, row, col + SIDE, row + SIDE) for row in starts for col in starts]


def fill_nodata(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """GDAL FillNodata as the benchmark runs it (bench/regeneration.py), or a skip without it."""
    gdal = pytest.importorskip("osgeo.gdal", reason="GDAL's Python bindings (osgeo.gdal) are not installed: "
                                                    "FillNodata, the anchor of this test, is unavailable")
    if not hasattr(gdal, "FillNodata"):
        pytest.skip("this GDAL has no FillNodata, the anchor of this test")
    from regeneration import fill_gdal

    return fill_gdal(image, mask)


def roi_crops(image: np.ndarray) -> list[np.ndarray]:
    return [image[:, r0:r1, c0:c1] for c0, r0, c1, r1 in roi_boxes()]


# Measured 2026-12-06 (seed 0): RSEdit 0.96, FillNodata 0.76 (0.93 before the block transfer). The
# stripes are sinusoids: FillNodata's smooth interpolation continues them, RSEdit's blocks of real
# texture come from other phases. The finest-scale quilt (models/patch/quilt.py) cannot help here:
# 16 ROIs 8 px apart leave no context window whose pixels under a block are all outside the ROIs, so
# the block transfer goes on alone. Strict, so a fix shows up here (and the marker must go).
@pytest.mark.xfail(strict=True, raises=AssertionError,
                   reason="issue 22 part 2: on smooth synthetic stripes, interpolation beats copied texture "
                          "(AUC 0.96 against FillNodata's 0.76)")
def test_small_roi_regeneration_is_harder_to_tell_from_real_texture_than_fillnodata(tmp_path, restore_threads):
    from rsedit.core.scene_edit import edit_scene

    scene = write_textured_scene(tmp_path / "scene.tif", SIZE, seed=0)
    with rasterio.open(scene) as dataset:
        original, transform = dataset.read(), dataset.transform
    mask = np.zeros((SIZE, SIZE), dtype=bool)
    for c0, r0, c1, r1 in roi_boxes():
        mask[r0:r1, c0:c1] = True
    anchor = fill_nodata(original, mask)
    polygons = [box(*(transform * (c0, r1)), *(transform * (c1, r0))) for c0, r0, c1, r1 in roi_boxes()]
    edit_scene(scene, polygons, tmp_path / "regenerated.tif", mode="regenerate", backend="training-free", seed=0,
               tile_size=64, context_size=SIZE)
    with rasterio.open(tmp_path / "regenerated.tif") as dataset:
        regenerated = dataset.read()
    assert (regenerated[:, ~mask] == original[:, ~mask]).all()  # only the ROIs changed

    real = roi_crops(original)
    options = dict(patch=16, stride=2, seeds=(0, 1, 2), steps=200)
    torch.set_num_threads(1)  # the classifier's tiny tensors: many times faster on a busy machine
    auc_rsedit = c2st_auc(roi_crops(regenerated), real, **options).auc_mean
    auc_fill = c2st_auc(roi_crops(anchor), real, **options).auc_mean
    assert auc_fill >= auc_rsedit + MARGIN, (auc_rsedit, auc_fill)


MAIZE = (840, 340, 192)  # col, row, side of the orthophoto crop: maize rows, no marks or nodata
REAL_MARGIN = 0.15


# Measured 2026-12-07, edit seeds 0 / 1 / 2: RSEdit 0.853 / 0.744 / 0.727 (mean 0.775), FillNodata 0.988;
# before the first guess weighed the border's colours by how common they are (models/editing/roi_fill.py)
# 0.72 / 0.80 / 0.85. One seed's AUC moves by 0.13 between seeds, so the test takes the mean of three.
# 0.98 with the block transfer alone, before the finest scale was quilted from the context
# (models/patch/quilt.py): its speckled blocks and seams the classifier found. Looked at: the holes
# continue the leaves and are hard to find.
EDIT_SEEDS = (0, 1, 2)


def test_small_roi_regeneration_of_real_texture_is_harder_to_tell_from_it_than_fillnodata(tmp_path, data_dir,
                                                                                           restore_threads):
    from rasterio.windows import Window

    from rsedit.core.scene_edit import edit_scene

    col, row, side = MAIZE
    with rasterio.open(data_dir / "fotomap" / "fotomap_small.tif") as source:
        window = Window(col, row, side, side)
        original = source.read((1, 2, 3), window=window)
        profile = dict(driver="GTiff", width=side, height=side, count=3, dtype="uint8", crs=source.crs,
                       transform=source.window_transform(window))
    scene = tmp_path / "maize.tif"
    with rasterio.open(scene, "w", **profile) as dataset:
        dataset.write(original)
    starts = [40 + i * (SIDE + GAP) for i in range(4)]
    boxes = [(c, r, c + SIDE, r + SIDE) for r in starts for c in starts]
    mask = np.zeros((side, side), dtype=bool)
    for c0, r0, c1, r1 in boxes:
        mask[r0:r1, c0:c1] = True
    transform = profile["transform"]
    polygons = [box(*(transform * (c0, r1)), *(transform * (c1, r0))) for c0, r0, c1, r1 in boxes]
    anchor = fill_nodata(original, mask)

    def crops(image: np.ndarray) -> list[np.ndarray]:
        return [image[:, r0:r1, c0:c1] for c0, r0, c1, r1 in boxes]

    options = dict(patch=16, stride=2, seeds=(0, 1, 2), steps=200)
    aucs = []
    for seed in EDIT_SEEDS:
        out = tmp_path / f"regenerated_{seed}.tif"
        edit_scene(scene, polygons, out, mode="regenerate", backend="training-free", seed=seed)
        with rasterio.open(out) as dataset:
            regenerated = dataset.read()
        assert (regenerated[:, ~mask] == original[:, ~mask]).all()  # only the ROIs changed
        torch.set_num_threads(1)
        aucs.append(c2st_auc(crops(regenerated), crops(original), **options).auc_mean)
    auc_fill = c2st_auc(crops(anchor), crops(original), **options).auc_mean
    assert auc_fill >= float(np.mean(aucs)) + REAL_MARGIN, (aucs, auc_fill)


STRIP = (1000, 300, 1120, 820)  # col0, row0, col1, row1: a 120 x 520 px maize strip; red paint marks lie beside it


def paint_share(pixels: np.ndarray) -> float:
    """Share of [3, ...] uint8 pixels that are the field's saturated red paint."""
    red, green, blue = (pixels[band].astype(int) for band in range(3))
    return float(((red > 150) & (green < 100) & (blue < 100)).mean())


# Measured 2026-12-07 (seed 0): 7.8 % of the strip was a red blob when the training-free model drew a
# large ROI's coarsest scale from pure noise (a paint mark of the field, drawn into the maize); 0 % from
# the surroundings filled in and noised to step 35 (docs/benchmarks.md, "Start step of large ROIs").
def test_a_large_maize_strip_is_regenerated_as_maize_without_the_fields_paint(tmp_path, data_dir):
    from rsedit.core.scene_edit import edit_scene

    source = data_dir / "fotomap" / "fotomap_small.tif"
    col0, row0, col1, row1 = STRIP
    with rasterio.open(source) as dataset:
        transform = dataset.transform
        before = dataset.read((1, 2, 3))
    assert paint_share(before[:, row0:row1, col0:col1]) == 0.0  # the strip itself holds no paint
    assert paint_share(before[:, row0 - 40:row1 + 40, col0 - 40:col1 + 40]) > 0.002  # but marks lie beside it
    edit_scene(source, [box(*(transform * (col0, row1)), *(transform * (col1, row0)))], tmp_path / "out.tif",
               mode="regenerate", backend="training-free", seed=0)
    with rasterio.open(tmp_path / "out.tif") as dataset:
        after = dataset.read((1, 2, 3))
    assert paint_share(after[:, row0:row1, col0:col1]) < 0.001
    inner = after[:, row0 + 16:row1 - 16, col0 + 16:col1 - 16].astype(float).mean(axis=0)
    real = before[:, row0:row1, col0:col1].astype(float).mean(axis=0)
    texture = np.abs(np.diff(inner, axis=1)).mean() / np.abs(np.diff(real, axis=1)).mean()
    assert texture > 0.6, texture  # maize leaves, not a smooth fill
