"""ROIs: reading, reprojection, repair, clipping and pixel geometry."""
from __future__ import annotations

import numpy as np
import pytest
from shapely.geometry import LineString, MultiPolygon, Point, Polygon, mapping

from rsedit.core import InputError, RoiFeature, open_scene, prepare_rois, read_roi_file
from test_engine_support import (SMALL_GRID, TRANSFORM, offset_editor, pixel_box_feature,
                                 read_bands, run_edit, textured, write_raster)


@pytest.fixture()
def small_raster(tmp_path):
    return write_raster(tmp_path / "in.tif", textured((3, 100, 120), "uint8"))


def test_read_roi_file_gives_fid_properties_and_crs(data_dir):
    features, crs_wkt = read_roi_file(data_dir / "fotomap" / "fotomap_area.gpkg")
    assert len(features) == 1
    assert isinstance(features[0].id, int)
    assert isinstance(features[0].properties, dict)
    assert features[0].geometry.geom_type == "MultiPolygon"
    assert "32633" in crs_wkt


def test_read_roi_file_errors_are_clear(tmp_path, data_dir):
    with pytest.raises(InputError, match="Cannot open the ROI file"):
        read_roi_file(tmp_path / "missing.gpkg")
    with pytest.raises(InputError, match="has no layer 'nope'.*dummy_fotomap_area"):
        read_roi_file(data_dir / "fotomap" / "fotomap_area.gpkg", layer="nope")


def test_roi_in_another_crs_matches_the_native_one(data_dir):
    native, native_crs = read_roi_file(data_dir / "fotomap" / "fotomap_area.gpkg")
    mercator, mercator_crs = read_roi_file(data_dir / "fotomap" / "fotomap_area_3857.gpkg")
    with open_scene(data_dir / "fotomap" / "fotomap_small.tif") as scene:
        [a] = prepare_rois(native, native_crs, scene)
        [b] = prepare_rois(mercator, mercator_crs, scene)
    assert a.geometry.symmetric_difference(b.geometry).area < 1e-3 * a.geometry.area
    # Within a tenth of a pixel (2 cm pixels) everywhere.
    assert np.allclose(a.pixel_geometry.bounds, b.pixel_geometry.bounds, atol=0.1)
    assert a.pixel_geometry.hausdorff_distance(b.pixel_geometry) < 0.1


def test_pixel_geometry_uses_the_inverse_geotransform(small_raster):
    feature = pixel_box_feature(TRANSFORM, 10, 20, 30, 50)
    with open_scene(small_raster) as scene:
        [roi] = prepare_rois([feature], "EPSG:32633", scene)
    assert roi.pixel_geometry.bounds == pytest.approx((10, 20, 30, 50))
    assert roi.geometry.equals_exact(feature.geometry, 1e-6) or roi.geometry.equals(feature.geometry)


def test_crs_forms_none_epsg_int_and_geojson_mapping(small_raster):
    feature = pixel_box_feature(TRANSFORM, 10, 20, 30, 50)
    as_mapping = RoiFeature(7, mapping(feature.geometry), {"name": "a"})
    with open_scene(small_raster) as scene:
        for crs in (None, 32633, "EPSG:32633"):
            [roi] = prepare_rois([as_mapping], crs, scene)
            assert roi.id == 7 and roi.properties == {"name": "a"}
            assert roi.pixel_geometry.area == pytest.approx(600)
        with pytest.raises(InputError, match="not understood"):
            prepare_rois([feature], "EPSG:nonsense", scene)


def test_roi_partly_outside_is_clipped(small_raster):
    feature = pixel_box_feature(TRANSFORM, 100, -30, 200, 40)  # raster is 120 x 100
    with open_scene(small_raster) as scene:
        [roi] = prepare_rois([feature], None, scene)
    assert roi.pixel_geometry.bounds == pytest.approx((100, 0, 120, 40))
    assert roi.pixel_geometry.area == pytest.approx(20 * 40)


def test_roi_entirely_outside_raises_a_clear_error(small_raster):
    feature = pixel_box_feature(TRANSFORM, 500, 500, 600, 600)
    with open_scene(small_raster) as scene:
        with pytest.raises(InputError, match="No ROI overlaps the raster.*CRS"):
            prepare_rois([feature], None, scene)
        # Reading the right numbers in the wrong CRS is the usual cause.
        with pytest.raises(InputError, match="No ROI overlaps the raster"):
            prepare_rois([pixel_box_feature(TRANSFORM, 10, 10, 20, 20)], "EPSG:3857", scene)


def test_outside_and_empty_rois_are_dropped_when_others_remain(small_raster):
    features = [pixel_box_feature(TRANSFORM, 500, 500, 600, 600, fid=1),
                RoiFeature(2, Polygon(), {}),
                pixel_box_feature(TRANSFORM, 10, 10, 20, 20, fid=3)]
    with open_scene(small_raster) as scene:
        rois = prepare_rois(features, None, scene)
        assert [roi.id for roi in rois] == [3]
        with pytest.raises(InputError, match="No ROI was given"):
            prepare_rois([], None, scene)
        with pytest.raises(InputError, match="empty"):
            prepare_rois([RoiFeature(1, Polygon(), {})], None, scene)


def test_points_and_lines_are_refused(small_raster):
    x, y = TRANSFORM * (10, 10)
    with open_scene(small_raster) as scene:
        with pytest.raises(InputError, match="ROI 'p' is a Point.*polygons"):
            prepare_rois([RoiFeature("p", Point(x, y), {})], None, scene)
        with pytest.raises(InputError, match="LineString.*polygons"):
            prepare_rois([RoiFeature(1, LineString([(x, y), (x + 50, y - 50)]), {})], None, scene)


def _bow_tie_feature() -> RoiFeature:
    # Pixel corners (20, 20) -> (80, 80) -> (80, 20) -> (20, 80): two triangles meeting at (50, 50).
    corners = [TRANSFORM * (c, r) for c, r in [(20, 20), (80, 80), (80, 20), (20, 80)]]
    return RoiFeature(1, Polygon(corners), {})


def test_self_intersecting_polygon_is_repaired(small_raster):
    feature = _bow_tie_feature()
    assert not feature.geometry.is_valid
    with open_scene(small_raster) as scene:
        [roi] = prepare_rois([feature], None, scene)
    assert roi.geometry.is_valid and roi.pixel_geometry.is_valid
    assert isinstance(roi.pixel_geometry, MultiPolygon)
    assert roi.pixel_geometry.area == pytest.approx(2 * 0.5 * 60 * 30)


def test_repaired_bow_tie_is_edited_in_both_lobes(small_raster, tmp_path):
    grid = dict(SMALL_GRID, feather=0)
    _, out, mask = run_edit(small_raster, [_bow_tie_feature()], offset_editor(40), tmp_path, **grid)
    assert mask[50, 30] == 255 and mask[50, 70] == 255  # left and right lobes (row 50)
    assert mask[25, 50] == 0 and mask[75, 50] == 0      # above and below the crossing
    original = read_bands(small_raster).astype(int)
    assert np.array_equal(out[:, 50, 30], np.minimum(original[:, 50, 30] + 40, 255))
    assert np.array_equal(out[:, 25, 50], original[:, 25, 50])
