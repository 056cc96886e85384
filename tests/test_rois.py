"""ROIs: reading, reprojection, repair, clipping and pixel geometry."""
from __future__ import annotations

import numpy as np
import pytest
from affine import Affine
from shapely.geometry import LineString, MultiPolygon, Point, Polygon, box, mapping

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


def _two_layer_file(path, transform=TRANSFORM):
    """A GeoPackage with layers 'fields' (one box) and 'roads' (another box), in EPSG:32633."""
    from osgeo import ogr, osr

    srs = osr.SpatialReference()
    srs.ImportFromEPSG(32633)
    dataset = ogr.GetDriverByName("GPKG").CreateDataSource(str(path))
    for name, (c0, r0, c1, r1) in (("fields", (10, 20, 30, 50)), ("roads", (60, 10, 90, 40))):
        layer = dataset.CreateLayer(name, srs, ogr.wkbPolygon)
        feature = ogr.Feature(layer.GetLayerDefn())
        feature.SetGeometry(ogr.CreateGeometryFromWkb(pixel_box_feature(transform, c0, r0, c1, r1).geometry.wkb))
        layer.CreateFeature(feature)
    del dataset
    return path


def test_a_file_of_several_layers_needs_the_layer_named(tmp_path, small_raster):
    path = _two_layer_file(tmp_path / "rois.gpkg")
    with pytest.raises(InputError, match=r"holds 2 layers: fields, roads\. Say which"):
        read_roi_file(path)
    with open_scene(small_raster) as scene:
        for source, layer, bounds in ((path, "roads", (60, 10, 90, 40)), (f"{path}|layername=roads", None, (60, 10, 90, 40)),
                                      (f"{path}|layerid=0", None, (10, 20, 30, 50)), (path, 0, (10, 20, 30, 50))):
            features, crs = read_roi_file(source, layer)
            [roi] = prepare_rois(features, crs, scene)
            assert roi.pixel_geometry.bounds == pytest.approx(bounds)
    with pytest.raises(InputError, match="names layer 'roads' but rois_layer='fields'"):
        read_roi_file(f"{path}|layername=roads", "fields")
    with pytest.raises(InputError, match="has no layer 'rivers'. Its layers are: fields, roads"):
        read_roi_file(f"{path}|layername=rivers")


def test_rois_without_a_crs_are_read_in_the_rasters_crs_with_a_warning(small_raster, caplog):
    feature = pixel_box_feature(TRANSFORM, 10, 20, 30, 50)
    with open_scene(small_raster) as scene:
        [as_none] = prepare_rois([feature], None, scene)
        with caplog.at_level("WARNING", logger="rsedit.core.rois"):
            [as_empty] = prepare_rois([feature], "", scene)  # what QGIS sends for a layer without a CRS
    assert as_empty.pixel_geometry.equals(as_none.pixel_geometry)
    assert "have no CRS: they are read in the raster's CRS" in caplog.text


def test_long_edges_are_densified_before_reprojection(tmp_path):
    """A 2 degree box in EPSG:4326 is curved in UTM; its edges follow the curve, not the chord."""
    from rasterio.warp import transform as warp_points

    transform = Affine(250.0, 0.0, 300000.0, 0.0, -250.0, 5900000.0)  # 250 m pixels over 300 km
    raster = write_raster(tmp_path / "utm.tif", textured((1, 1200, 1200), "uint8"), transform=transform)
    lon0, lat0, lon1, lat1 = 13.0, 51.0, 15.0, 53.0
    with open_scene(raster) as scene:
        [roi] = prepare_rois([RoiFeature(1, box(lon0, lat0, lon1, lat1), {})], "EPSG:4326", scene)
    # the true boundary: points every 0.01 degree along the bottom edge, projected one by one
    lons = np.linspace(lon0, lon1, 201)
    xs, ys = warp_points("EPSG:4326", "EPSG:32633", lons, np.full_like(lons, lat0))
    cols, rows = ~transform * (np.asarray(xs), np.asarray(ys))
    true_edge = LineString(list(zip(cols, rows)))
    # within a tenth of a pixel of the curve everywhere (the chord alone misses its middle by > 1 px)
    assert max(roi.pixel_geometry.exterior.distance(Point(p)) for p in true_edge.coords) < 0.1
    chord = LineString([true_edge.coords[0], true_edge.coords[-1]])
    assert max(chord.distance(Point(p)) for p in true_edge.coords) > 1.0  # the test can fail without densifying
