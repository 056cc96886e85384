"""Chips in QGIS: a raster without georeferencing edited where QGIS draws the polygons on it, and
rsedit:editchipfolder through qgis_process.bin with a mask folder."""
from __future__ import annotations

import csv

import numpy as np
import pytest
import rasterio

from chip_cutter import chip_pixels, cut_chips, write_plain_image
from test_qgis_process import installed_plugins  # noqa: F401 (the plugin as users install it)
from qgis_helpers import qgis_process, qgis_process_json

pytestmark = pytest.mark.usefixtures("qgis_app")

SMALL = {"TILE_SIZE": 64, "MARGIN": 4, "CONTEXT_SIZE": 64, "FEATHER": 2, "BACKEND": 1}


def test_a_raster_without_georeferencing_is_edited_where_qgis_draws_the_rois(tmp_path, data_dir):
    import processing
    from qgis.core import QgsFeature, QgsGeometry, QgsRasterLayer, QgsRectangle, QgsVectorLayer

    chip = write_plain_image(tmp_path / "chip.png", chip_pixels(data_dir / "landsat" / "RGB.byte.tif", 300, 300))
    layer = QgsRasterLayer(str(chip), "chip", "gdal")
    assert not layer.crs().isValid() and layer.extent() == QgsRectangle(0, -160, 160, 0)  # QGIS draws y up
    rois = QgsVectorLayer("Polygon", "rois", "memory")
    feature = QgsFeature()
    feature.setGeometry(QgsGeometry.fromRect(QgsRectangle(20, -70, 60, -30)))  # columns 20-60, rows 30-70
    rois.dataProvider().addFeatures([feature])
    out, mask = tmp_path / "edited.png", tmp_path / "mask.png"
    processing.run("rsedit:regenerate", {"INPUT": layer, "ROIS": rois, "OUTPUT": str(out), "OUTPUT_MASK": str(mask),
                                         **SMALL, "OVERLAP": 0})
    with rasterio.open(mask) as weights, rasterio.open(out) as edited, rasterio.open(chip) as source:
        assert edited.driver == "PNG"
        changed = weights.read(1) > 0
        rows, cols = np.nonzero(changed)
        assert (rows.min(), rows.max(), cols.min(), cols.max()) == (30, 69, 20, 59)
        assert np.array_equal(edited.read()[:, ~changed], source.read()[:, ~changed])


def test_a_raster_with_a_world_file_but_no_crs_is_edited_in_its_map_coordinates(tmp_path, data_dir):
    import processing
    from qgis.core import QgsFeature, QgsGeometry, QgsRasterLayer, QgsRectangle, QgsVectorLayer

    chip = write_plain_image(tmp_path / "chip.png", chip_pixels(data_dir / "landsat" / "RGB.byte.tif", 300, 300))
    (tmp_path / "chip.pgw").write_text("2\n0\n0\n-2\n1001\n499\n")  # 2 m pixels, top-left corner at (1000, 500)
    layer = QgsRasterLayer(str(chip), "chip", "gdal")
    assert not layer.crs().isValid() and layer.extent() == QgsRectangle(1000, 180, 1320, 500)
    rois = QgsVectorLayer("Polygon?crs=EPSG:3857", "rois", "memory")  # a CRS the project gave it: not used
    feature = QgsFeature()
    feature.setGeometry(QgsGeometry.fromRect(QgsRectangle(1040, 360, 1120, 440)))  # columns 20-60, rows 30-70
    rois.dataProvider().addFeatures([feature])
    mask = tmp_path / "mask.tif"
    processing.run("rsedit:regenerate", {"INPUT": layer, "ROIS": rois, "OUTPUT": str(tmp_path / "edited.tif"),
                                         "OUTPUT_MASK": str(mask), **SMALL, "OVERLAP": 0})
    with rasterio.open(mask) as weights:
        rows, cols = np.nonzero(weights.read(1) > 0)
    assert (rows.min(), rows.max(), cols.min(), cols.max()) == (30, 69, 20, 59)


def test_editchipfolder_through_qgis_process_with_a_mask_folder(installed_plugins, tmp_path,  # noqa: F811
                                                                data_dir):
    chips, masks, out = tmp_path / "chips", tmp_path / "masks", tmp_path / "dataset"
    paths = cut_chips(data_dir / "fotomap" / "fotomap_small.tif", chips, 2, size=96)
    masks.mkdir()
    for path in paths:
        mask = np.zeros((1, 96, 96), np.uint8)
        mask[0, 24:60, 30:70] = 1
        write_plain_image(masks / path.name, mask)
    home = tmp_path / "home"
    home.mkdir()
    assert qgis_process(["plugins", "enable", "rsedit"], installed_plugins, home).returncode == 0
    result = qgis_process_json(["run", "rsedit:editchipfolder", "--", f"INPUT_FOLDER={chips}", "PATTERN=*.png",
                                "ROI_SOURCE=1", f"MASK_FOLDER={masks}", "MODE=0", "SCENE_MODEL=0",
                                "SPLIT=0.5,0.5,0", f"OUTPUT_FOLDER={out}",
                                *[f"{k}={v}" for k, v in SMALL.items()]], installed_plugins, home)
    assert result["results"]["PAIRS"] == 2 and result["results"]["UNUSABLE"] == 0
    with open(out / "pairs.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert sorted(row["name"] for row in rows) == [p.name for p in paths]
    for path in paths:
        with rasterio.open(out / "label" / path.name) as label:
            change = label.read(1)
        assert (change[24:60, 30:70] == 255).all() and change.sum() == 255 * 36 * 40
        assert (out / "A" / path.name).is_file() and (out / "B" / path.name).is_file()
    assert sorted((out / "train.txt").read_text().split() + (out / "val.txt").read_text().split()) == \
        [p.name for p in paths]
