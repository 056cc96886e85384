"""The editing algorithms through processing.run in real QGIS, with small, fast settings."""
from __future__ import annotations

import sys

import numpy as np
import pytest
import rasterio

from qgis_helpers import box_polygons, cancel_on_progress
from textured_scene import CRS, write_textured_scene

pytestmark = pytest.mark.usefixtures("qgis_app")  # QGIS with Processing and the rsedit provider

# training-free, one 64-px tile, a 40-px context and 61 sampling steps: seconds per run
SMALL = {"TILE_SIZE": 64, "OVERLAP": 8, "MARGIN": 4, "CONTEXT_SIZE": 40, "FEATHER": 4, "BACKEND": 1,
         "START_STEP": 60}


@pytest.fixture(scope="module")
def raster(tmp_path_factory):
    return write_textured_scene(tmp_path_factory.mktemp("raster") / "scene.tif", 64, seed=3)


def test_regenerate_writes_a_georeferenced_edit_with_provenance(raster, tmp_path):
    import processing
    from qgis.core import QgsRasterLayer

    out, mask = tmp_path / "edited.tif", tmp_path / "mask.tif"
    result = processing.run("rsedit:regenerate", {"INPUT": str(raster), "ROIS": box_polygons([(22, 22, 40, 38)]),
                                                  "OUTPUT": str(out), "OUTPUT_MASK": str(mask), **SMALL})
    layer = QgsRasterLayer(result["OUTPUT"], "edited")
    assert layer.isValid() and layer.crs().authid() == CRS
    with rasterio.open(out) as edited, rasterio.open(raster) as source, rasterio.open(mask) as weights:
        assert edited.transform == source.transform
        tags = edited.tags()
        assert tags["RSEDIT_MODE"] == "regenerate" and tags["RSEDIT_VERSION"]
        changed = weights.read(1) > 0
        assert np.array_equal(edited.read()[:, ~changed], source.read()[:, ~changed])
        assert changed.any() and not np.array_equal(edited.read()[:, changed], source.read()[:, changed])


def test_cancelling_during_sampling_leaves_no_output(raster, tmp_path):
    import processing
    from qgis.core import QgsProcessingException

    import time

    out = tmp_path / "cancelled.tif"
    # Cancel pressed part-way through sampling the tile (a timer would race the machine's speed)
    feedback = cancel_on_progress(above=20.0)
    started = time.monotonic()
    with pytest.raises(QgsProcessingException, match="(?i)cancel"):
        processing.run("rsedit:regenerate", {"INPUT": str(raster), "ROIS": box_polygons([(16, 16, 48, 48)]),
                                             "OUTPUT": str(out), **SMALL, "CONTEXT_SIZE": 64, "START_STEP": -1},
                       feedback=feedback)
    assert time.monotonic() - started < 30
    assert list(tmp_path.iterdir()) == []


def test_missing_torch_names_the_packages_to_install(raster, tmp_path, monkeypatch):
    import processing
    from qgis.core import QgsProcessingException

    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(QgsProcessingException, match="pip install"):
        processing.run("rsedit:regenerate", {"INPUT": str(raster), "ROIS": box_polygons([(22, 22, 40, 38)]),
                                             "OUTPUT": str(tmp_path / "x.tif"), **SMALL})


def test_an_unwritable_output_gets_a_clear_error(raster, tmp_path):
    import processing
    from qgis.core import QgsProcessingException

    with pytest.raises(QgsProcessingException, match="(?i)writ|folder|director"):
        processing.run("rsedit:regenerate", {"INPUT": str(raster), "ROIS": box_polygons([(22, 22, 40, 38)]),
                                             "OUTPUT": "/proc/rsedit/edited.tif", **SMALL})
