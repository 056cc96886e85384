"""edit_raster input and output: data types, band layouts, masks, nodata and georeferencing."""
from __future__ import annotations

import numpy as np
import pytest
import rasterio
from rasterio import Affine
from rasterio.enums import ColorInterp, MaskFlags

from rsedit.core import InputError, edit_raster, open_scene, prepare_rois, read_roi_file
from test_engine_support import (SMALL_GRID, TRANSFORM, file_hash, identity_editor,
                                 offset_editor, pixel_box_feature, read_bands, run_edit,
                                 textured, write_raster)

RGB = [ColorInterp.red, ColorInterp.green, ColorInterp.blue]


def assert_same_georeferencing(src_path, out_path):
    with rasterio.open(src_path) as src, rasterio.open(out_path) as out:
        assert out.crs == src.crs
        assert out.transform == src.transform
        assert out.dtypes == src.dtypes
        assert out.count == src.count
        assert out.nodatavals == src.nodatavals
        assert out.descriptions == src.descriptions
        assert out.colorinterp == src.colorinterp


@pytest.mark.parametrize("dtype, bands, low, high", [
    ("uint8", 3, 0, 200),
    ("uint16", 4, 0, 60000),
    ("int16", 2, -3000, 3000),
    ("float32", 1, -1.0, 1.0),
])
def test_data_types_and_band_counts(tmp_path, dtype, bands, low, high):
    data = textured((bands, 130, 150), dtype, low=low, high=high)
    src = write_raster(tmp_path / "in.tif", data,
                       descriptions=[f"band {i}" for i in range(1, bands + 1)])
    before = file_hash(src)
    delta = (high - low) / 10
    result, out, mask = run_edit(src, [pixel_box_feature(TRANSFORM, 20, 30, 120, 110)],
                                 offset_editor(delta), tmp_path, **SMALL_GRID)
    assert file_hash(src) == before
    assert_same_georeferencing(src, result.out_path)
    assert out.dtype == data.dtype
    assert np.array_equal(out[:, mask == 0], data[:, mask == 0])
    deep = mask == 255
    assert deep.sum() > 1000
    expected = data[:, deep].astype(np.float64) + delta
    if dtype == "float32":
        assert np.allclose(out[:, deep], expected, atol=1e-5)
    else:
        info = np.iinfo(dtype)
        assert np.allclose(out[:, deep], np.clip(expected, info.min, info.max), atol=1)
    assert 0 < result.tiles_edited <= result.tiles_planned


def test_rgba_alpha_passes_through_untouched(tmp_path, data_dir):
    src = data_dir / "fotomap" / "fotomap_small.tif"
    features, crs = read_roi_file(data_dir / "fotomap" / "fotomap_area_3857.gpkg")
    before = file_hash(src)
    seen_bands = []

    def editor(ctx):
        seen_bands.append(ctx.data.shape[0])
        return offset_editor(30)(ctx)

    result, out, mask = run_edit(src, features, editor, tmp_path, crs=crs, tile_size=256,
                                 overlap=32, margin=16, feather=8)
    original = read_bands(src)
    assert set(seen_bands) == {3}  # the alpha band is not handed to the editor
    assert np.array_equal(out[3], original[3])
    assert np.array_equal(out[:, mask == 0], original[:, mask == 0])
    assert (mask == 255).sum() > 10_000
    assert not mask[original[3] == 0].any()  # transparent pixels are never edited
    assert_same_georeferencing(src, result.out_path)
    with rasterio.open(result.out_path) as dst:
        assert MaskFlags.alpha in dst.mask_flag_enums[0]
    assert file_hash(src) == before


def test_landsat_nodata_collar_stays_nodata(tmp_path, data_dir):
    src = data_dir / "landsat" / "RGB.byte.tif"
    with rasterio.open(src) as ds:
        transform = ds.transform
        collar = ~ds.dataset_mask().astype(bool)
    # The top-left corner of the scene is collar; this ROI straddles the collar's edge.
    feature = pixel_box_feature(transform, 0, 0, 300, 250)
    zeros = lambda ctx: np.zeros_like(ctx.data)  # noqa: E731 - edits towards the nodata value
    result, out, mask = run_edit(src, [feature], zeros, tmp_path, tile_size=128, overlap=32,
                                 margin=16, feather=8)
    assert collar[:250, :300].any() and (~collar[:250, :300]).any()
    assert (out[:, collar] == 0).all()
    assert not mask[collar].any()
    edited = mask > 0
    assert edited.sum() > 1000
    # Edited valid pixels were pushed to 0 but must not turn into nodata.
    assert (out[:, edited] >= 1).all() and (out[:, mask == 255] == 1).all()
    assert_same_georeferencing(src, result.out_path)


def test_internal_mask_is_the_validity_and_passes_through(tmp_path):
    data = textured((3, 120, 140), "uint8")
    valid = np.ones((120, 140), dtype=bool)
    valid[40:80, 50:90] = False
    src = write_raster(tmp_path / "in.tif", data, mask=valid)
    result, out, mask = run_edit(src, [pixel_box_feature(TRANSFORM, 20, 20, 120, 100)],
                                 offset_editor(25), tmp_path, **SMALL_GRID)
    assert not mask[~valid].any()
    assert np.array_equal(out[:, ~valid], data[:, ~valid])
    with rasterio.open(result.out_path) as dst:
        assert dst.mask_flag_enums[0] == [MaskFlags.per_dataset]
        assert np.array_equal(dst.dataset_mask() > 0, valid)


def test_float_nodata_and_values_equal_to_nodata(tmp_path):
    data = textured((2, 100, 100), "float32", low=-1, high=1)
    data[:, :10, :] = -9999.0
    src = write_raster(tmp_path / "in.tif", data, nodata=-9999.0)
    to_nodata = lambda ctx: np.full_like(ctx.data, -9999.0)  # noqa: E731
    _, out, mask = run_edit(src, [pixel_box_feature(TRANSFORM, 0, 0, 100, 60)], to_nodata,
                            tmp_path, **SMALL_GRID)
    assert (out[:, :10, :] == -9999.0).all()
    assert (out[:, mask > 0] != -9999.0).all()


def test_output_options_tags_compression_and_overviews(tmp_path):
    data = textured((3, 600, 560), "uint8")
    src = write_raster(tmp_path / "in.tif", data, colorinterp=RGB, descriptions=["r", "g", "b"])
    with open_scene(src) as scene:
        rois = prepare_rois([pixel_box_feature(TRANSFORM, 100, 100, 300, 200)], None, scene)
    out = tmp_path / "out.tif"
    edit_raster(str(src), rois, identity_editor, str(out), compress="zstd", overviews=True,
                tags={"RSEDIT_MODEL": "test-model", "RSEDIT_SEED": 42})
    with rasterio.open(out) as dst:
        assert dst.profile["tiled"] and dst.block_shapes[0] == (512, 512)
        assert dst.compression.name.lower() == "zstd"
        assert dst.overviews(1) == [2]
        assert dst.tags()["RSEDIT_MODEL"] == "test-model" and dst.tags()["RSEDIT_SEED"] == "42"
        assert dst.tags()["AREA_OR_POINT"] == "Area"
    assert_same_georeferencing(src, out)
    assert np.array_equal(read_bands(out), data)  # identity editor: nothing changes


def test_ungeoreferenced_raster_needs_the_opt_in(tmp_path):
    data = textured((1, 90, 110), "uint16", high=4000)
    src = write_raster(tmp_path / "in.tif", data, crs=None, transform=Affine.identity())
    with pytest.raises(InputError, match="not georeferenced.*allow_ungeoreferenced=True"):
        open_scene(src)
    # With the opt-in, ROIs are in the raster's own (pixel) coordinates.
    feature = pixel_box_feature(Affine.identity(), 10, 10, 80, 70)
    result, out, mask = run_edit(src, [feature], offset_editor(100), tmp_path,
                                 allow_ungeoreferenced=True, **SMALL_GRID)
    assert mask[40, 40] == 255 and mask[80, 100] == 0
    assert out[0, 40, 40] == data[0, 40, 40] + 100
    with rasterio.open(result.out_path) as dst:
        assert dst.crs is None
    with open_scene(src, allow_ungeoreferenced=True) as scene:
        with pytest.raises(InputError, match="no CRS"):
            prepare_rois([feature], "EPSG:4326", scene)
        rois = prepare_rois([feature], None, scene)
    with pytest.raises(InputError, match="not georeferenced"):
        edit_raster(str(src), rois, identity_editor, str(tmp_path / "x.tif"))


def test_tile_context_describes_the_tile(tmp_path):
    data = textured((3, 150, 170), "uint8")
    src = write_raster(tmp_path / "in.tif", data)
    contexts = []

    def editor(ctx):
        contexts.append(ctx)
        return ctx.data

    features = [pixel_box_feature(TRANSFORM, 10, 10, 60, 60, fid="a"),
                pixel_box_feature(TRANSFORM, 100, 90, 160, 140, fid="b")]
    run_edit(src, features, editor, tmp_path, **SMALL_GRID)
    assert contexts
    for ctx in contexts:
        rows, cols = ctx.window.toslices()
        assert np.array_equal(ctx.data, data[:, rows, cols])
        assert ctx.roi_mask.dtype == np.float32 and ctx.roi_mask.shape == ctx.data.shape[1:]
        assert 0 <= ctx.roi_mask.min() and ctx.roi_mask.max() <= 1 and ctx.roi_mask.max() > 0
        assert ctx.valid.dtype == bool and ctx.valid.all()
        assert ctx.transform == TRANSFORM * Affine.translation(ctx.window.col_off, ctx.window.row_off)
        assert ctx.crs == rasterio.crs.CRS.from_epsg(32633)
        assert ctx.tile.window == ctx.window and set(ctx.roi_ids) <= {"a", "b"}
    assert {roi_id for ctx in contexts for roi_id in ctx.roi_ids} == {"a", "b"}
