"""The plugin inside real QGIS: provider registration, metadata, previewtiles, bad input."""
from __future__ import annotations

import configparser
import sys
from pathlib import Path

import numpy as np
import pytest

from qgis_helpers import ALGORITHM_IDS, REPO, raster_layer, vector_layer

pytestmark = pytest.mark.usefixtures("qgis_app")  # QGIS with Processing and the rsedit provider


def test_provider_is_registered_with_its_algorithms(provider):
    assert provider.id() == "rsedit"
    ids = {alg.id() for alg in provider.algorithms()}
    assert ids == set(ALGORITHM_IDS)
    for algorithm in provider.algorithms():
        assert algorithm.shortHelpString().strip() and algorithm.group()
    assert Path(provider.svgIconPath()).is_file()


def test_metadata_has_the_fields_the_plugin_repository_requires():
    parser = configparser.ConfigParser()
    parser.read(REPO / "metadata.txt")
    general = parser["general"]
    for key in ("name", "qgisMinimumVersion", "description", "about", "version", "author", "email",
                "repository", "tracker", "tags", "category", "icon"):
        assert general.get(key, "").strip(), f"metadata.txt lacks {key}"
    assert general["qgisMinimumVersion"] == "3.22"
    assert general["hasProcessingProvider"] == "yes"
    assert (REPO / general["icon"]).is_file()


def _union_of_tiles(layer):
    from qgis.core import QgsGeometry

    return QgsGeometry.unaryUnion([f.geometry() for f in layer.getFeatures()])


def test_previewtiles_covers_an_roi_given_in_another_crs(data_dir):
    import processing
    from qgis.core import QgsCoordinateReferenceSystem, QgsCoordinateTransform, QgsProject

    raster = raster_layer(data_dir / "fotomap" / "fotomap_small.tif")
    rois = vector_layer(data_dir / "fotomap" / "fotomap_area_3857.gpkg")
    assert rois.crs().authid() == "EPSG:3857"
    result = processing.run("rsedit:previewtiles", {
        "INPUT": raster, "ROIS": rois, "TILE_SIZE": 256, "OVERLAP": 32, "MARGIN": 0,
        "OUTPUT": "memory:"})
    tiles = result["OUTPUT"]
    assert tiles.crs() == raster.crs()
    assert tiles.featureCount() > 0

    roi = next(rois.getFeatures()).geometry()
    roi.transform(QgsCoordinateTransform(rois.crs(), QgsCoordinateReferenceSystem("EPSG:32633"),
                                         QgsProject.instance()))
    inside_raster = roi.intersection(QgsGeometry_from_extent(raster))
    covered = _union_of_tiles(tiles)
    # every part of the ROI over the raster lies in some tile (up to reprojection rounding)
    assert inside_raster.difference(covered).area() < 1e-6 * inside_raster.area()
    for feature in tiles.getFeatures():  # edit units: at least a tile across, each in a ROI group
        assert feature["width"] >= min(256, raster.width()) and feature["height"] >= min(256, raster.height())
        assert feature["roi_ids"] != "" and feature["group"] >= 0


def QgsGeometry_from_extent(layer):  # noqa: N802
    from qgis.core import QgsGeometry

    return QgsGeometry.fromRect(layer.extent())


def test_selected_features_only_limits_the_units(data_dir):
    import processing
    from qgis.core import QgsProcessingFeatureSourceDefinition, QgsProject

    raster = raster_layer(data_dir / "landsat" / "RGB.byte.tif")
    clouds = vector_layer(REPO / "demo" / "landsat_clouds.gpkg", "clouds")
    QgsProject.instance().addMapLayer(clouds)
    try:
        all_tiles = processing.run("rsedit:previewtiles", {
            "INPUT": raster, "ROIS": clouds, "TILE_SIZE": 128, "OVERLAP": 16, "MARGIN": 0,
            "OUTPUT": "memory:"})["OUTPUT"]
        ids = {str(f.id()) for f in clouds.getFeatures()}
        chosen = sorted(f.id() for f in clouds.getFeatures())[0]
        clouds.selectByIds([chosen])
        selected_tiles = processing.run("rsedit:previewtiles", {
            "INPUT": raster,
            "ROIS": QgsProcessingFeatureSourceDefinition(clouds.id(), selectedFeaturesOnly=True),
            "TILE_SIZE": 128, "OVERLAP": 16, "MARGIN": 0, "OUTPUT": "memory:"})["OUTPUT"]
    finally:
        QgsProject.instance().removeMapLayer(clouds.id())
    touched = {roi for f in selected_tiles.getFeatures() for roi in f["roi_ids"].split(",")}
    assert touched == {str(chosen)} and selected_tiles.featureCount() > 0
    # without the selection the units hold every cloud (the clouds touch: they may be one unit)
    every = {roi for f in all_tiles.getFeatures() for roi in f["roi_ids"].split(",")}
    assert every == ids and len(every) > 1


def _memory_layer(kind: str, wkts: list[str], crs: str = "EPSG:32618"):
    from qgis.core import QgsFeature, QgsGeometry, QgsVectorLayer

    layer = QgsVectorLayer(f"{kind}?crs={crs}", "test", "memory")
    features = []
    for wkt in wkts:
        feature = QgsFeature()
        feature.setGeometry(QgsGeometry.fromWkt(wkt))
        features.append(feature)
    layer.dataProvider().addFeatures(features)
    return layer


def test_points_instead_of_polygons_get_a_clear_error(data_dir):
    import processing
    from qgis.core import QgsProcessingException

    raster = raster_layer(data_dir / "landsat" / "RGB.byte.tif")
    points = _memory_layer("Point", ["POINT(200000 2700000)"])
    with pytest.raises(QgsProcessingException, match="(?i)polygon"):
        processing.run("rsedit:previewtiles", {"INPUT": raster, "ROIS": points, "OUTPUT": "memory:"})


def test_an_empty_selection_gets_a_clear_error(data_dir):
    import processing
    from qgis.core import QgsProcessingException, QgsProcessingFeatureSourceDefinition, QgsProject

    raster = raster_layer(data_dir / "landsat" / "RGB.byte.tif")
    polygons = _memory_layer("Polygon", ["POLYGON((200000 2700000, 210000 2700000, 210000 2710000, 200000 2700000))"])
    QgsProject.instance().addMapLayer(polygons)
    try:
        polygons.removeSelection()
        with pytest.raises(QgsProcessingException, match="(?i)select"):
            processing.run("rsedit:previewtiles", {
                "INPUT": raster,
                "ROIS": QgsProcessingFeatureSourceDefinition(polygons.id(), selectedFeaturesOnly=True),
                "OUTPUT": "memory:"})
    finally:
        QgsProject.instance().removeMapLayer(polygons.id())


def test_previewtiles_on_a_raster_without_georeferencing_works_where_qgis_draws_it(tmp_path):
    import processing
    import rasterio

    path = tmp_path / "plain.tif"
    with rasterio.open(path, "w", driver="GTiff", width=300, height=300, count=1, dtype="uint8") as dst:
        dst.write(np.zeros((1, 300, 300), np.uint8))
    # QGIS draws pixel (col, row) at (col, -row): this triangle covers columns 1-30, rows 1-30
    polygons = _memory_layer("Polygon", ["POLYGON((1 -1, 30 -1, 30 -30, 1 -1))"])
    result = processing.run("rsedit:previewtiles", {"INPUT": str(path), "ROIS": polygons, "OUTPUT": "memory:",
                                                    "TILE_SIZE": 64, "MARGIN": 0})
    [tile] = list(result["OUTPUT"].getFeatures())
    assert (tile["col_off"], tile["row_off"], tile["width"], tile["height"]) == (0, 0, 64, 64)
    box = tile.geometry().boundingBox()  # drawn over the raster, as QGIS draws it
    assert (box.xMinimum(), box.yMinimum(), box.xMaximum(), box.yMaximum()) == (0, -64, 64, 0)


def _pin(package: str) -> str:
    """`package`'s line in requirements.txt (what the venv installs), e.g. "torch==2.14.1"."""
    [line] = [line.strip() for line in (REPO / "requirements.txt").read_text().splitlines()
              if line.split("==")[0].strip() == package]
    return line


def test_missing_model_packages_give_the_install_command(monkeypatch):
    from qgis.core import QgsProcessingException

    from rsedit.ui.dependencies import require_for_processing

    monkeypatch.setitem(sys.modules, "torch", None)  # hides the installed torch from importers
    with pytest.raises(QgsProcessingException) as raised:
        require_for_processing(("torch", "safetensors"))
    message = str(raised.value)
    assert _pin("torch") in message and "pip install" in message and "--target" in message
    assert "safetensors" not in message.split("Install")[0]  # only the missing one is named


def test_the_german_translation_is_compiled_and_loaded():
    from rsedit.ui.i18n import install_translator, remove_translator, tr

    assert (REPO / "i18n" / "rsedit_de.qm").is_file(), "make test compiles i18n/*.ts with lrelease"
    try:
        assert install_translator("de").endswith("rsedit_de.qm")
        assert tr("Edit with text prompt in ROIs") == "Mit Textvorgabe in ROIs bearbeiten"
        from qgis.core import QgsApplication

        algorithm = QgsApplication.processingRegistry().createAlgorithmById("rsedit:regenerate")
        assert algorithm.displayName() == "ROIs neu erzeugen (Wolken oder Objekte entfernen)"
    finally:
        remove_translator()
    assert tr("Edit with text prompt in ROIs") == "Edit with text prompt in ROIs"
