"""Raster masks as ROIs: from the scene's own band or another raster in another CRS, by values or a
threshold, dilated; the ROIs rasterised back and the edit mask match the mask pixel for pixel."""
from __future__ import annotations

import numpy as np
import pytest
import rasterio
from rasterio.enums import Resampling
from rasterio.features import rasterize
from rasterio.transform import from_origin
from rasterio.warp import calculate_default_transform, reproject
from scipy import ndimage

from rsedit.core.before_after_pairs import generate_pairs
from rsedit.core.errors import InputError
from rsedit.core.mask_rois import RoiMaskRaster, mask_rois, parse_mask_values
from rsedit.core.scene import open_scene
from rsedit.core.scene_edit import edit_scene
from rsedit.core.settings import RegenerateSettings

from textured_scene import CRS, TRANSFORM, write_textured_scene

SIZE = 160
# training-free and one small tile: seconds per edit
FAST = dict(backend="training-free", context_size=64, start_t=60, tile_size=96, overlap=16, margin=8, feather=4)
CLOUD, CIRRUS, SHADOW = 8, 10, 3  # Sentinel-2 SCL classes


def scl_codes() -> np.ndarray:
    """An SCL-like class band: two clouds (one a cloud and cirrus touching), a shadow, a one-pixel speck."""
    codes = np.full((SIZE, SIZE), 4, dtype=np.uint8)  # 4: vegetation
    codes[20:50, 30:70] = CLOUD
    codes[50:58, 40:60] = CIRRUS
    codes[100:130, 110:140] = CLOUD
    codes[60:75, 120:150] = SHADOW
    codes[140, 20] = CLOUD
    return codes


def write_band(path, band: np.ndarray, crs=CRS, transform=TRANSFORM, nodata=None):
    with rasterio.open(path, "w", driver="GTiff", width=band.shape[1], height=band.shape[0], count=1,
                       dtype=band.dtype.name, crs=crs, transform=transform, nodata=nodata) as dst:
        dst.write(band, 1)
    return path


@pytest.fixture()
def scene_path(tmp_path):
    return write_textured_scene(tmp_path / "scene.tif", SIZE)


@pytest.fixture()
def scene_with_scl(tmp_path):
    """A 4-band scene whose last band is the SCL-like class band."""
    rgb = write_textured_scene(tmp_path / "rgb.tif", SIZE)
    with rasterio.open(rgb) as src:
        profile, data = src.profile, src.read()
    profile.update(count=4)
    path = tmp_path / "scene_scl.tif"
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(np.concatenate([data, scl_codes()[None]]))
    return path


def roi_pixels(rois) -> np.ndarray:
    """The ROIs rasterised back by pixel centre, as the engine rasterises them."""
    return rasterize([(roi.pixel_geometry, 1) for roi in rois], out_shape=(SIZE, SIZE), fill=0,
                     dtype="uint8").astype(bool)


def disk_dilation(marked: np.ndarray, radius: int) -> np.ndarray:
    """The reference: binary dilation with an explicit disk of pixel centres within `radius`."""
    rows, cols = np.mgrid[-radius:radius + 1, -radius:radius + 1]
    return ndimage.binary_dilation(marked, structure=rows ** 2 + cols ** 2 <= radius ** 2)


def rois_of(path, spec: RoiMaskRaster, **options):
    with open_scene(str(path)) as scene:
        return mask_rois(spec, scene, **options)


def test_a_band_of_the_scene_gives_exactly_its_pixels_with_the_listed_values(scene_with_scl):
    codes = scl_codes()
    clouds = rois_of(scene_with_scl, RoiMaskRaster(scene_with_scl, band=4, values=(CLOUD, CIRRUS), dilation=2))
    assert np.array_equal(roi_pixels(clouds), disk_dilation(np.isin(codes, (CLOUD, CIRRUS)), 2))
    # the cloud and its cirrus touch: one ROI; the far cloud and the speck are their own
    assert [roi.id for roi in clouds] == [0, 1, 2]
    assert [roi.properties for roi in clouds] == [{"mask_component": n} for n in range(3)]
    tops = [(roi.pixel_geometry.bounds[1], roi.pixel_geometry.bounds[0]) for roi in clouds]
    assert tops == sorted(tops)  # ids in row-major order of their top-left corners
    # world geometry is the pixel geometry through the scene's transform
    x0, y0 = TRANSFORM * clouds[0].pixel_geometry.bounds[:2]
    assert clouds[0].geometry.bounds[0] == pytest.approx(x0) and clouds[0].geometry.bounds[3] == pytest.approx(y0)

    shadows = rois_of(scene_with_scl, RoiMaskRaster(scene_with_scl, band=4, values=(SHADOW,)))
    assert np.array_equal(roi_pixels(shadows), codes == SHADOW)


def test_dilation_is_exact_across_block_borders(scene_with_scl):
    spec = RoiMaskRaster(scene_with_scl, band=4, values=(CLOUD, CIRRUS, SHADOW), dilation=5)
    expected = disk_dilation(np.isin(scl_codes(), (CLOUD, CIRRUS, SHADOW)), 5)
    whole = rois_of(scene_with_scl, spec)
    # 24-px blocks: every cloud crosses block borders, and the dilation reaches across them
    blocked = rois_of(scene_with_scl, spec, block_size=24)
    assert np.array_equal(roi_pixels(whole), expected)
    assert np.array_equal(roi_pixels(blocked), expected)
    assert len(whole) == len(blocked) == 4  # two clouds, the shadow, the speck
    assert all(roi.pixel_geometry.equals(other.pixel_geometry) for roi, other in zip(whole, blocked))


def test_a_threshold_on_a_probability_mask_skips_its_nodata(scene_path, tmp_path):
    rows, cols = np.mgrid[0:SIZE, 0:SIZE]
    probability = np.clip(1.0 - np.hypot(rows - 80, cols - 60) / 40.0, 0, 1).astype(np.float32)
    probability[75:85, 55:65] = np.nan  # nodata inside the cloud: never a ROI pixel
    mask = write_band(tmp_path / "probability.tif", probability, nodata=np.nan)
    [roi] = rois_of(scene_path, RoiMaskRaster(mask, threshold=0.5))
    expected = (probability >= np.float32(0.5)) & ~np.isnan(probability)
    assert np.array_equal(roi_pixels([roi]), expected)
    assert not roi_pixels([roi])[80, 60]


def test_a_mask_in_another_crs_and_grid_is_resampled_by_nearest_neighbour(scene_path, tmp_path):
    codes = scl_codes()
    native = write_band(tmp_path / "scl_utm.tif", codes)
    # the same mask in EPSG:4326, at finer pixels, as another product would deliver it
    with rasterio.open(native) as src:
        transform, width, height = calculate_default_transform(src.crs, "EPSG:4326", SIZE, SIZE, *src.bounds,
                                                               resolution=(4e-5, 4e-5))
        geographic = np.zeros((height, width), dtype=np.uint8)
        reproject(codes, geographic, src_transform=src.transform, src_crs=src.crs, dst_transform=transform,
                  dst_crs="EPSG:4326", resampling=Resampling.nearest)
    mask = write_band(tmp_path / "scl_4326.tif", geographic, crs="EPSG:4326", transform=transform)

    rois = rois_of(scene_path, RoiMaskRaster(mask, values=(CLOUD,), dilation=2))
    back = np.zeros((SIZE, SIZE), dtype=np.uint8)
    reproject(geographic, back, src_transform=transform, src_crs="EPSG:4326", dst_transform=TRANSFORM, dst_crs=CRS,
              resampling=Resampling.nearest)
    assert np.array_equal(roi_pixels(rois), disk_dilation(back == CLOUD, 2))
    # the round trip through EPSG:4326 moves at most the clouds' edge pixels
    differs = (back == CLOUD) != (codes == CLOUD)
    assert differs.sum() < 0.1 * (codes == CLOUD).sum()
    edges = disk_dilation(codes == CLOUD, 1) & ~ndimage.binary_erosion(codes == CLOUD)
    assert not (differs & ~edges).any()


def test_edit_scene_edits_exactly_the_mask_and_records_it(scene_path, tmp_path):
    codes = scl_codes()
    codes[140, 20] = 4  # no speck: see the narrow-region test
    mask = write_band(tmp_path / "scl.tif", codes)
    spec = RoiMaskRaster(mask, values=(CLOUD, CIRRUS), dilation=1)
    out, mask_out = tmp_path / "edited.tif", tmp_path / "edit_mask.tif"
    edit_scene(scene_path, spec, out, mask_out=mask_out, mode="regenerate", seed=2, **FAST)
    with rasterio.open(scene_path) as source, rasterio.open(out) as edited, rasterio.open(mask_out) as weights:
        before, after, levels, tags = source.read(), edited.read(), weights.read(1), edited.tags()
    expected = disk_dilation(np.isin(codes, (CLOUD, CIRRUS)), 1)
    assert np.array_equal(levels > 0, expected)
    assert np.array_equal(after[:, ~expected], before[:, ~expected])  # bit-identical outside the mask
    assert np.abs(after[:, expected].astype(int) - before[:, expected]).mean() > 3
    assert tags["RSEDIT_ROI_SOURCE"] == spec.describe()
    assert str(mask) in tags["RSEDIT_ROI_SOURCE"] and "values 8, 10" in tags["RSEDIT_ROI_SOURCE"]
    assert "dilated by 1 px" in tags["RSEDIT_ROI_SOURCE"]


def test_generate_pairs_takes_a_mask(scene_path, tmp_path):
    codes = np.zeros((SIZE, SIZE), dtype=np.uint8)
    codes[30:50, 40:64] = 1
    mask = write_band(tmp_path / "mask.tif", codes)
    settings = RegenerateSettings(backend="training-free", start_t=60, tile_size=64, margin=4, overlap=8,
                                  feather=4, context_size=64)
    result = generate_pairs(scene_path, RoiMaskRaster(mask, values=(1,)), tmp_path / "pairs", settings)
    [pair] = result.pairs
    col, row, width, height = pair.window
    with rasterio.open(tmp_path / "pairs" / pair.mask_path) as chip_mask:
        assert np.array_equal(chip_mask.read(1) > 0, codes[row:row + height, col:col + width] == 1)
    with rasterio.open(tmp_path / "pairs" / pair.post_path) as post:
        assert post.tags()["RSEDIT_ROI_SOURCE"].startswith(f"raster mask {mask} band 1, values 1")


def test_values_parse_as_a_dialog_types_them():
    assert parse_mask_values("8, 9,10") == (8, 9, 10)
    assert parse_mask_values("0.5") == (0.5,)
    with pytest.raises(InputError, match="separated by commas.*'nine'"):
        parse_mask_values("8,nine")


@pytest.mark.parametrize("fields, message", [
    (dict(), "either the values.*or a threshold"),
    (dict(values=(8,), threshold=0.5), "not both"),
    (dict(values=()), "one or more numbers"),
    (dict(values=("8",)), "one or more numbers"),
    (dict(threshold=float("nan")), "finite number"),
    (dict(values=(8,), band=0), "band number from 1"),
    (dict(values=(8,), dilation=-1), "dilation is a whole number of pixels from 0"),
    (dict(values=(8,), dilation=1.5), "dilation is a whole number"),
])
def test_bad_settings_are_refused_when_built(fields, message):
    with pytest.raises(InputError, match=message):
        RoiMaskRaster("mask.tif", **fields)


def test_bad_masks_are_refused_before_any_edit(scene_path, tmp_path):
    codes = scl_codes()
    mask = write_band(tmp_path / "scl.tif", codes)
    elsewhere = write_band(tmp_path / "far.tif", codes, transform=from_origin(100000, 1000000, 10, 10))
    coarser_without_crs = write_band(tmp_path / "no_crs.tif", codes[::2, ::2], crs=None,
                                     transform=from_origin(500000, 5000000, 20, 20))

    def refused(spec, message, **options):
        with pytest.raises(InputError, match=message):
            edit_scene(scene_path, spec, tmp_path / "out.tif", mode="regenerate", **FAST, **options)

    refused(RoiMaskRaster(tmp_path / "missing.tif", values=(8,)), "Cannot open the ROI mask raster")
    refused(RoiMaskRaster(mask, band=2, values=(8,)), "has 1 band.*band 2 does not exist")
    refused(RoiMaskRaster(mask, values=(8.5,)), "whole numbers \\(uint8\\).*8.5 never match")
    refused(RoiMaskRaster(mask, values=(7,)), "scl.tif' \\(band 1, values 7\\) marks no pixel")
    refused(RoiMaskRaster(mask, threshold=200), "pixels >= 200\\) marks no pixel")
    refused(RoiMaskRaster(elsewhere, values=(8,)), "does not overlap the raster")
    refused(RoiMaskRaster(coarser_without_crs, values=(8,)), "on another grid than the raster and has no CRS")
    # the one-pixel speck cannot be edited; the message says the dilation that makes it wide enough
    refused(RoiMaskRaster(mask, values=(8,)), "1 region\\(s\\) narrower than 4 pixels.*column 20, row 140.*at least 2")
    refused(RoiMaskRaster(mask, values=(8,), dilation=2), "rois_crs and rois_layer describe polygons", rois_crs=CRS)
    assert not (tmp_path / "out.tif").exists()


# QGIS: the mask parameters of the editing algorithms (training-free, one 64-px tile: seconds per run)
SMALL = {"TILE_SIZE": 64, "OVERLAP": 8, "MARGIN": 4, "CONTEXT_SIZE": 64, "FEATHER": 4, "BACKEND": 1, "START_STEP": 60}


def test_regenerate_in_qgis_edits_exactly_the_mask(qgis_app, scene_path, tmp_path):
    import processing

    codes = scl_codes()
    mask = write_band(tmp_path / "scl.tif", codes)
    out, mask_out = tmp_path / "edited.tif", tmp_path / "edit_mask.tif"
    processing.run("rsedit:regenerate", {
        "INPUT": str(scene_path), "ROI_MASK": str(mask), "ROI_MASK_BAND": 1, "ROI_MASK_VALUES": "8, 10",
        "ROI_MASK_DILATION": 2, "OUTPUT": str(out), "OUTPUT_MASK": str(mask_out), **SMALL})
    expected = disk_dilation(np.isin(codes, (CLOUD, CIRRUS)), 2)
    with rasterio.open(scene_path) as source, rasterio.open(out) as edited, rasterio.open(mask_out) as weights:
        assert np.array_equal(weights.read(1) > 0, expected)
        assert np.array_equal(edited.read()[:, ~expected], source.read()[:, ~expected])
        assert not np.array_equal(edited.read()[:, expected], source.read()[:, expected])
        assert edited.tags()["RSEDIT_ROI_SOURCE"] == RoiMaskRaster(str(mask), values=(8, 10), dilation=2).describe()


@pytest.mark.parametrize("algorithm", ["rsedit:regenerate", "rsedit:edittext", "rsedit:copyroi",
                                       "rsedit:editpretrained", "rsedit:beforeafterpairs", "rsedit:trainscenemodel"])
def test_every_algorithm_takes_polygons_or_a_mask_but_not_both(qgis_app, algorithm, scene_path, tmp_path):
    import processing
    from qgis.core import QgsProcessingException

    from qgis_helpers import box_polygons

    mask = str(write_band(tmp_path / "scl.tif", scl_codes()))
    outputs = {"OUTPUT": str(tmp_path / ("model.safetensors" if algorithm.endswith("model") else "out.tif")),
               "OUTPUT_FOLDER": str(tmp_path / "pairs")}
    required = {"rsedit:copyroi": {"SOURCE": box_polygons([(50, 50, 60, 60)])},
                "rsedit:editpretrained": {"MODEL": str(tmp_path / "no-model"), "PROMPT": "a lake"}}.get(algorithm, {})
    cases = [
        ({}, "Give the regions of interest: a polygon layer for '.*', or a raster"),
        ({"ROIS": box_polygons([(10, 10, 40, 40)]), "ROI_MASK": mask, "ROI_MASK_VALUES": "8"}, "not both"),
        ({"ROIS": box_polygons([(10, 10, 40, 40)]), "ROI_MASK_DILATION": 3}, "'Dilate the mask by \\(pixels\\)' apply "
                                                                              "only to a ROI mask raster"),
        ({"ROI_MASK": mask}, "ROI mask values .* or a ROI mask threshold"),
        ({"ROI_MASK": mask, "ROI_MASK_VALUES": "8", "ROI_MASK_THRESHOLD": 0.0}, "not both and not neither"),
        ({"ROI_MASK": mask, "ROI_MASK_VALUES": "8,x"}, "'x' is not a number"),
    ]
    for rois, message in cases:
        with pytest.raises(QgsProcessingException, match=message):
            processing.run(algorithm, {"INPUT": str(scene_path), **required, **rois, **outputs})
    assert not (tmp_path / "out.tif").exists() and not (tmp_path / "pairs").exists()


def test_beforeafterpairs_and_trainscenemodel_in_qgis_take_a_mask(qgis_app, scene_path, tmp_path, monkeypatch):
    import processing

    from test_qgis_workflow_algorithms import read_index, tiny_preset

    codes = np.zeros((SIZE, SIZE), dtype=np.uint8)
    codes[30:50, 40:64] = 1
    mask = write_band(tmp_path / "mask.tif", codes)
    result = processing.run("rsedit:beforeafterpairs", {
        "INPUT": str(scene_path), "ROI_MASK": str(mask), "ROI_MASK_VALUES": "1", "MODE": 1, "VARIANTS": 1,
        "OUTPUT_FOLDER": str(tmp_path / "pairs"), **SMALL})
    [row] = read_index(result["INDEX"])
    assert row["roi_id"] == "0"
    with rasterio.open(tmp_path / "pairs" / row["mask_path"]) as chip_mask, \
            rasterio.open(tmp_path / "pairs" / row["post_path"]) as post:
        window = codes[row["row_off"]:row["row_off"] + row["height"], row["col_off"]:row["col_off"] + row["width"]]
        assert np.array_equal(chip_mask.read(1) > 0, window == 1)
        assert post.tags()["RSEDIT_ROI_SOURCE"] == RoiMaskRaster(str(mask), values=(1,)).describe()

    tiny_preset(monkeypatch)
    monkeypatch.setenv("RSEDIT_CACHE_DIR", str(tmp_path / "cache"))  # never the user's real cache
    model = tmp_path / "scene_model.safetensors"
    processing.run("rsedit:trainscenemodel", {"INPUT": str(scene_path), "ROI_MASK": str(mask), "ROI_MASK_VALUES": "1",
                                              "CONTEXT_SIZE": 32, "DEVICE": 1, "OUTPUT": str(model)})
    assert model.is_file()
