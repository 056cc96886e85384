"""rsedit:editpretrained through processing.run in real QGIS, with a tiny random model saved as a
diffusers folder (64-px tiles, 3 steps)."""
from __future__ import annotations

import numpy as np
import pytest
import rasterio

from single_thread import one_cpu_thread  # noqa: F401 (autouse fixture)
from textured_scene import CRS, TRANSFORM, write_textured_scene

pytestmark = pytest.mark.usefixtures("qgis_app")  # QGIS with Processing and the rsedit provider


@pytest.fixture(scope="module")
def model_folder(tmp_path_factory):
    from rsedit.models.latent.latent_pipeline import random_latent_model, save_latent_model

    return save_latent_model(random_latent_model(64, seed=2), tmp_path_factory.mktemp("model") / "tiny-sd")


@pytest.fixture(scope="module")
def raster(tmp_path_factory):
    return write_textured_scene(tmp_path_factory.mktemp("raster") / "scene.tif", 80, seed=5, nodata=0)


def polygon_layer(boxes_px):
    from qgis.core import QgsFeature, QgsGeometry, QgsRectangle, QgsVectorLayer

    layer = QgsVectorLayer(f"Polygon?crs={CRS}", "rois", "memory")
    features = []
    for c0, r0, c1, r1 in boxes_px:
        x0, y0 = TRANSFORM * (c0, r1)
        x1, y1 = TRANSFORM * (c1, r0)
        feature = QgsFeature(layer.fields())
        feature.setGeometry(QgsGeometry.fromRect(QgsRectangle(x0, y0, x1, y1)))
        features.append(feature)
    layer.dataProvider().addFeatures(features)
    return layer


def test_edit_pretrained_changes_only_the_selected_roi(raster, model_folder, tmp_path):
    import processing
    from qgis.core import QgsProcessingFeatureSourceDefinition, QgsProject

    layer = polygon_layer([(24, 24, 44, 44), (60, 60, 76, 76)])
    QgsProject.instance().addMapLayer(layer)
    layer.selectByIds([min(layer.allFeatureIds())])  # only the first polygon
    out, mask = tmp_path / "edited.tif", tmp_path / "mask.tif"
    try:
        result = processing.run("rsedit:editpretrained", {
            "INPUT": str(raster), "ROIS": QgsProcessingFeatureSourceDefinition(layer.id(), selectedFeaturesOnly=True),
            "MODEL": str(model_folder), "SOURCE_PROMPT": "fields", "PROMPT": "a lake", "GAMMA": 1.0, "BETA": 5.0,
            "NGDM_A": 0.1, "NGDM_B": -5.0, "STEPS": 3, "SEED": 1, "DEVICE": 1, "OVERLAP": 8, "MARGIN": 4,
            "FEATHER": 4, "OUTPUT": str(out), "OUTPUT_MASK": str(mask)})
    finally:
        QgsProject.instance().removeMapLayer(layer.id())
    assert result["OUTPUT"] == str(out)
    with rasterio.open(out) as edited, rasterio.open(raster) as source, rasterio.open(mask) as weights:
        assert edited.transform == source.transform and edited.crs == source.crs and edited.nodata == source.nodata
        tags = edited.tags()
        assert tags["RSEDIT_MODE"] == "pretrained" and tags["RSEDIT_BACKEND"] == "pretrained-latent"
        changed = weights.read(1) > 0
        assert changed[34, 34] and not changed[68, 68]  # the unselected polygon is left alone
        before, after = source.read(), edited.read()
    assert np.array_equal(after[:, ~changed], before[:, ~changed])
    assert not np.array_equal(after[:, changed], before[:, changed])


def test_missing_model_folder_is_a_clear_processing_error(raster, tmp_path):
    import processing
    from qgis.core import QgsProcessingException

    with pytest.raises(QgsProcessingException, match="does not exist"):
        processing.run("rsedit:editpretrained", {
            "INPUT": str(raster), "ROIS": polygon_layer([(24, 24, 44, 44)]), "MODEL": str(tmp_path / "no-model"),
            "PROMPT": "a lake", "OUTPUT": str(tmp_path / "out.tif")})
    assert not (tmp_path / "out.tif").exists()
