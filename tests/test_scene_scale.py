"""Scene-scale editing: each ROI edited from a model of its own surroundings, ROIs of any size
sampled as one image across tiles, and the plan (units, groups) behind both."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import rasterio
import torch
from rasterio.transform import from_origin
from shapely.geometry import box

from rsedit.core.edit_units import plan_edit_units
from rsedit.core.roi_groups import GROUP_EXTENT, group_units
from rsedit.core.rois import Roi
from rsedit.core.scene_edit import edit_scene

CRS = "EPSG:32633"
TRANSFORM = from_origin(500000, 5000000, 2, 2)


def _roi(roi_id, col0, row0, col1, row1) -> Roi:
    pixels = box(col0, row0, col1, row1)
    return Roi(roi_id, pixels, pixels)


def _world_box(col0: float, row0: float, col1: float, row1: float):
    x0, y0 = TRANSFORM * (col0, row1)
    x1, y1 = TRANSFORM * (col1, row0)
    return box(x0, y0, x1, y1)


def _tiny_training():
    from rsedit.models.sinddm.training_settings import TrainingSettings

    return TrainingSettings(name="tiny", width=16, steps=30, batch_size=4, crop_size=32, learning_rate=2e-3,
                            lr_milestones=(), ema_start=0, ema_every=1, ema_decay=0.9, max_pixels=None, loss="l2")


def _backend_options(backend: str, tmp_path: Path) -> dict:
    if backend == "trained":
        return dict(backend="trained", preset=_tiny_training(), cache_dir=str(tmp_path / "cache"))
    return dict(backend="training-free")


# --- the plan -----------------------------------------------------------------------------------

def test_units_merge_rois_within_two_margins_and_their_cores_never_overlap():
    rois = [_roi("a", 100, 100, 140, 130), _roi("b", 150, 100, 170, 120),  # 10 px apart: one unit
            _roi("c", 400, 400, 420, 420), _roi("d", 2000, 300, 2900, 900)]
    units = plan_edit_units(3000, 1200, rois, min_size=256, margin=16)
    assert [unit.roi_ids for unit in units] == [("a", "b"), ("d",), ("c",)]
    for i, first in enumerate(units):
        assert first.window.width >= min(256, first.core.width) and first.window.height >= 256
        for second in units[i + 1:]:
            assert not _overlaps(first.core, second.core)
    big = units[1]
    assert (int(big.core.width), int(big.core.height)) == (900 + 32, 600 + 32)  # whole, plus the margins


def _overlaps(a, b) -> bool:
    return (a.col_off < b.col_off + b.width and b.col_off < a.col_off + a.width
            and a.row_off < b.row_off + b.height and b.row_off < a.row_off + a.height)


def test_rois_far_apart_get_groups_of_their_own_and_neighbours_share_one():
    rois = [_roi(0, 100, 100, 140, 140), _roi(1, 300, 120, 330, 150), _roi(2, 2600, 2600, 2640, 2640)]
    units = plan_edit_units(3000, 3000, rois, min_size=256, margin=16)
    groups = group_units(units, surround=48)
    assert sorted(sorted(group.roi_ids) for group in groups) == [[0, 1], [2]]
    for group in groups:
        assert max(group.bounds.width, group.bounds.height) + 96 <= GROUP_EXTENT


def test_a_thousand_rois_plan_into_bounded_groups():
    rng = np.random.default_rng(0)
    corners = rng.integers(0, 49_900, size=(1000, 2))
    rois = [_roi(i, c, r, c + 40, r + 30) for i, (c, r) in enumerate(corners)]
    units = plan_edit_units(50_000, 50_000, rois, min_size=256, margin=16)
    groups = group_units(units, surround=48)
    assert sorted(i for unit in units for i in unit.roi_ids) == list(range(1000))
    assert sorted(i for group in groups for i in group.roi_ids) == list(range(1000))
    assert 1 < len(groups) < len(units) or len(groups) == len(units)
    assert all(max(g.bounds.width, g.bounds.height) + 96 <= GROUP_EXTENT for g in groups)


# --- each ROI from its own surroundings ---------------------------------------------------------

def _two_cover_mosaic(path: Path, data_dir: Path) -> Path:
    """1600 x 400 px: a maize field (orthophoto) on the left, Landsat sea on the right."""
    with rasterio.open(data_dir / "fotomap" / "fotomap_small.tif") as field, \
            rasterio.open(data_dir / "landsat" / "RGB.byte.tif") as landsat:
        left = field.read([1, 2, 3], window=((100, 500), (100, 900)))
        sea = landsat.read(window=((300, 500), (80, 480)))  # open sea south-west of the islands
        right = np.kron(sea, np.ones((1, 2, 2), dtype=np.uint8))  # 400 x 800 at the field's scale
    data = np.concatenate([left, right], axis=2)
    data = np.maximum(data, 1)
    with rasterio.open(path, "w", driver="GTiff", width=1600, height=400, count=3, dtype="uint8", crs=CRS,
                       transform=TRANSFORM, tiled=True, blockxsize=256, blockysize=256) as dst:
        dst.write(data)
    return path


def _colour_gap(out: Path, col0: int, row0: int, col1: int, row1: int, ring: int = 16) -> float:
    with rasterio.open(out) as ds:
        data = ds.read().astype(float)
    inside = data[:, row0:row1, col0:col1]
    around = data[:, row0 - ring:row1 + ring, col0 - ring:col1 + ring].copy()
    keep = np.ones(around.shape[1:], bool)
    keep[ring:-ring, ring:-ring] = False
    return float(np.abs(inside.mean(axis=(1, 2)) - around[:, keep].mean(axis=1)).mean())


@pytest.mark.parametrize("backend", ["training-free", "trained"])
def test_each_roi_is_regenerated_from_its_own_surroundings(backend, tmp_path, data_dir):
    scene = _two_cover_mosaic(tmp_path / "mosaic.tif", data_dir)
    boxes = {"field": (300, 180, 340, 220), "sea": (1250, 180, 1290, 220)}
    options = dict(mode="regenerate", rois_crs=CRS, seed=0, tile_size=64, context_size=64,
                   **_backend_options(backend, tmp_path))
    both = edit_scene(scene, [_world_box(*b) for b in boxes.values()], tmp_path / "both.tif", **options)
    records = json.loads(both.tags[0]["RSEDIT_ROI_MODELS"])
    assert sorted(r["roi_ids"] for r in records) == [[0], [1]]
    assert len({r["fingerprint"] for r in records}) == 2  # two models, one per land cover
    for index, (name, b) in enumerate(boxes.items()):
        edit_scene(scene, [_world_box(*b)], tmp_path / f"{name}.tif", **options)
        combined, alone = _colour_gap(tmp_path / "both.tif", *b), _colour_gap(tmp_path / f"{name}.tif", *b)
        assert combined <= 1.3 * alone + 1.0, (name, combined, alone)


# --- a ROI larger than several tiles ------------------------------------------------------------

def _inner_border_gradient_ratio(data: np.ndarray, col0: int, row0: int, col1: int, row1: int, tile: int) -> float:
    """Mean |gradient| across the tile grid's vertical lines inside the box over the mean inside tiles."""
    image = data.astype(float).mean(axis=0)[row0:row1, col0:col1]
    step = np.abs(np.diff(image, axis=1))  # step[:, j] is between columns j and j + 1 of the box
    across = np.array([(col0 + j + 1) % tile == 0 for j in range(step.shape[1])])
    return float(step[:, across].mean() / step[:, ~across].mean())


def test_a_roi_three_tiles_wide_is_one_sample_without_tile_seams(tmp_path, data_dir):
    from textured_scene import write_textured_scene

    scene = write_textured_scene(tmp_path / "scene.tif", 360, seed=3)
    from textured_scene import CRS as SCENE_CRS, TRANSFORM as SCENE_TRANSFORM

    x0, y0 = SCENE_TRANSFORM * (30, 200)
    x1, y1 = SCENE_TRANSFORM * (330, 140)
    out = tmp_path / "out.tif"
    edit_scene(scene, [box(x0, y0, x1, y1)], out, rois_crs=SCENE_CRS, mode="regenerate", backend="training-free",
               tile_size=96, context_size=96, seed=1)
    with rasterio.open(scene) as a, rasterio.open(out) as b:
        before, after = a.read(), b.read()
    outside = np.ones(before.shape[1:], bool)
    outside[140:200, 30:330] = False
    assert np.array_equal(before[:, outside], after[:, outside])
    assert not np.array_equal(before[:, 150:190, 40:320], after[:, 150:190, 40:320])
    # borders of the 96 px grid inside the ROI (feather excluded) are no sharper than the rest
    assert _inner_border_gradient_ratio(after, 40, 150, 320, 190, 96) <= 1.1


def test_chunked_denoising_equals_denoising_the_whole_image():
    from rsedit.models.diffusion.chunked_denoiser import ChunkedDenoiser
    from rsedit.models.diffusion.denoiser import NetDenoiser
    from rsedit.models.sinddm.denoiser_net import SinDDMNet, SinDDMNetConfig

    torch.manual_seed(0)
    net = SinDDMNet(SinDDMNetConfig(channels=3, width=16))
    whole = NetDenoiser(net, torch.device("cpu"), use_autocast=False)
    chunked = ChunkedDenoiser(whole, chunk=48)
    x = torch.randn(1, 3, 150, 170)
    t = torch.tensor([40])
    expected, got = whole(x, t, 1), chunked(x, t, 1)
    assert got.shape == expected.shape
    assert float((got - expected).abs().max()) < 1e-4
    # a halo narrower than the net's reach is not the same: the check can fail
    assert float((ChunkedDenoiser(whole, chunk=48, halo=2)(x, t, 1) - expected).abs().max()) > 1e-3


def test_chunked_denoising_takes_drafts_one_at_a_time():
    """Drafts of a large ROI (ring_agreement.py) come as a batch: each is denoised as alone, and the net
    never sees more than one, so memory stays that of one chunk."""
    from rsedit.models.diffusion.chunked_denoiser import ChunkedDenoiser
    from rsedit.models.diffusion.denoiser import NetDenoiser
    from rsedit.models.sinddm.denoiser_net import SinDDMNet, SinDDMNetConfig

    torch.manual_seed(0)
    whole = NetDenoiser(SinDDMNet(SinDDMNetConfig(channels=3, width=16)), torch.device("cpu"), use_autocast=False)
    batches = []

    def counting(x_t, t, scale):
        batches.append(x_t.shape[0])
        return whole(x_t, t, scale)

    counting.prediction = whole.prediction
    x = torch.randn(3, 3, 150, 170)
    t = torch.tensor([40, 40, 40])
    got = ChunkedDenoiser(counting, chunk=48)(x, t, 1)
    assert got.shape == x.shape and set(batches) == {1}
    for index in range(3):
        assert float((got[index] - whole(x[index:index + 1], t[:1], 1)[0]).abs().max()) < 1e-4


@pytest.mark.parametrize("backend", ["training-free", "trained"])
def test_a_540_by_240_hole_is_regenerated_with_structure(backend, tmp_path, data_dir):
    source = data_dir / "fotomap" / "fotomap_small.tif"
    with rasterio.open(source) as ds:
        transform = ds.transform
        before = ds.read([1, 2, 3])
    col0, row0, col1, row1 = 350, 300, 890, 540
    x0, y0 = transform * (col0, row1)
    x1, y1 = transform * (col1, row0)
    out = tmp_path / "out.tif"
    edit_scene(source, [box(x0, y0, x1, y1)], out, mode="regenerate", seed=0,
               **_backend_options(backend, tmp_path))
    with rasterio.open(out) as ds:
        after = ds.read([1, 2, 3])
    outside = np.ones(before.shape[1:], bool)
    outside[row0:row1, col0:col1] = False
    assert np.array_equal(before[:, outside], after[:, outside])
    inner = after[:, row0 + 16:row1 - 16, col0 + 16:col1 - 16].astype(float).mean(axis=0)
    ring = before[:, row0 - 40:row0, col0:col1].astype(float).mean(axis=0)
    texture = np.abs(np.diff(inner, axis=1)).mean() / np.abs(np.diff(ring, axis=1)).mean()
    assert texture > 0.4, texture  # not a flat fill


def test_a_chain_of_touching_rois_does_not_grow_into_one_unit_as_large_as_the_scene():
    rois = [_roi(i, 40 * i, 100, 40 * i + 30, 130) for i in range(500)]  # 10 px gaps: each touches the next
    units = plan_edit_units(20_000, 400, rois, min_size=256, margin=16, max_merged=1024)
    assert len(units) > 1
    assert all(unit.core.width <= 1024 for unit in units)
    assert sorted(i for unit in units for i in unit.roi_ids) == list(range(500))


def test_each_pixel_is_written_by_the_unit_of_its_own_roi_where_unit_cores_overlap(tmp_path):
    """Two ROIs whose boxes overlap but which are too large together for one unit: each keeps its
    own unit's pixels, and the pixel they share goes to the first unit."""
    from shapely.geometry import Polygon

    from rsedit.core.engine import edit_raster
    from rsedit.core.scene import open_scene

    width, height = 2200, 120
    path = tmp_path / "flat.tif"
    with rasterio.open(path, "w", driver="GTiff", width=width, height=height, count=1, dtype="uint8", crs=CRS,
                       transform=TRANSFORM) as dst:
        dst.write(np.full((1, height, width), 100, np.uint8))
    # an L along the top and down the right end, and a box inside the L's bounding box below it
    ell = Polygon([(10, 10), (2150, 10), (2150, 100), (2100, 100), (2100, 40), (10, 40)])
    inner = box(1990, 60, 2080, 100)
    rois = [Roi("ell", ell, ell), Roi("box", inner, inner)]

    def editor(ctx):  # each unit paints its window's column offset, so the writer can be told apart
        return np.full_like(ctx.data, 1 + int(ctx.window.col_off) % 250)

    with open_scene(str(path)) as scene:
        edit_raster(scene, rois, editor, str(tmp_path / "out.tif"), tile_size=256, margin=16, feather=0,
                    whole_rois=True)
    units = plan_edit_units(width, height, rois, 256, 16)
    assert len(units) == 2  # too wide together (2048 px at most) to be one
    with rasterio.open(tmp_path / "out.tif") as ds:
        out = ds.read(1)
    value = {unit.roi_ids[0]: 1 + int(unit.window.col_off) % 250 for unit in units}
    assert value["ell"] != value["box"]
    assert (out[20, 100:2100] == value["ell"]).all() and (out[70, 2120:2140] == value["ell"]).all()
    assert (out[65:95, 2000:2075] == value["box"]).all()
    assert (out[50, 100:1900] == 100).all()  # between the two: no ROI, untouched
