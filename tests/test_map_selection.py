"""The map workflow: the plugin's dialogs start on the map's raster and the polygons selected on it."""
from __future__ import annotations

import pytest

from qgis_helpers import REPO, raster_layer, vector_layer

pytestmark = pytest.mark.usefixtures("qgis_app")  # QGIS with Processing and the rsedit provider


@pytest.fixture()
def project(data_dir):
    from qgis.core import QgsProject, QgsVectorLayer

    project = QgsProject.instance()
    points = QgsVectorLayer("Point?crs=EPSG:32618", "points", "memory")
    clouds = vector_layer(REPO / "demo" / "landsat_clouds.gpkg", "clouds")
    landsat = raster_layer(data_dir / "landsat" / "RGB.byte.tif", "landsat")
    layers = [points, clouds, landsat]
    project.addMapLayers(layers)
    yield project, {layer.name(): layer for layer in layers}
    project.removeMapLayers([layer.id() for layer in layers])


def test_selected_polygons_and_the_raster_fill_the_dialog(project):
    import processing
    from rsedit.ui.map_selection import dialog_parameters

    project, layers = project
    clouds = layers["clouds"]
    chosen = sorted(f.id() for f in clouds.getFeatures())[1]
    clouds.selectByIds([chosen])
    parameters = dialog_parameters(layers["points"], project)  # a point layer is active: not an ROI layer
    assert parameters["INPUT"] is layers["landsat"]
    assert parameters["ROIS"].source.staticValue() == clouds.id()
    assert parameters["ROIS"].selectedFeaturesOnly
    # what the dialog would run: only the selected polygon's tiles
    tiles = processing.run("rsedit:previewtiles", {**parameters, "TILE_SIZE": 128, "OVERLAP": 16, "MARGIN": 0,
                                                   "OUTPUT": "memory:"})["OUTPUT"]
    touched = {roi for feature in tiles.getFeatures() for roi in feature["roi_ids"].split(",")}
    assert touched == {str(chosen)}


def test_without_a_selection_the_whole_polygon_layer_is_offered(project):
    from rsedit.ui.map_selection import dialog_parameters

    project, layers = project
    layers["clouds"].removeSelection()
    parameters = dialog_parameters(layers["landsat"], project)
    assert parameters["INPUT"] is layers["landsat"]
    assert not parameters["ROIS"].selectedFeaturesOnly


def test_an_empty_project_offers_nothing():
    from qgis.core import QgsProject
    from rsedit.ui.map_selection import dialog_parameters

    empty = QgsProject()
    assert dialog_parameters(None, empty) == {}
