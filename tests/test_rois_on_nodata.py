"""ROI pixels that are the raster's nodata stay nodata, and the edit says so, naming the ROI and the
count (a cloud shadow that reads as nodata would otherwise be an unexplained dark hole)."""
from __future__ import annotations

import numpy as np
import rasterio
from shapely.geometry import box

from textured_scene import TRANSFORM, write_textured_scene

from rsedit.core.before_after_pairs import generate_pairs
from rsedit.core.chip_folder import edit_chip_folder
from rsedit.core.chip_rois import ChipRois
from rsedit.core.rois_on_nodata import nodata_notice
from rsedit.core.scene import open_scene
from rsedit.core.scene_edit import check_rois_editable, edit_scene, scene_rois
from rsedit.core.settings import RegenerateSettings


def _pixel_box(col0: int, row0: int, col1: int, row1: int):
    x0, y0 = TRANSFORM * (col0, row1)
    x1, y1 = TRANSFORM * (col1, row0)
    return box(x0, y0, x1, y1)


def _scene_with_a_shadow(path):
    write_textured_scene(path, 64, nodata=0)
    with rasterio.open(path, "r+") as dataset:
        data = dataset.read()
        data[:, 20:26, 20:30] = 0  # 60 px of "shadow" that read as nodata
        dataset.write(data)
    return path


def test_the_notice_names_each_roi_with_nodata_and_its_count(tmp_path):
    scene_path = _scene_with_a_shadow(tmp_path / "scene.tif")
    with open_scene(str(scene_path)) as scene:
        rois = scene_rois([_pixel_box(16, 16, 40, 40), _pixel_box(44, 44, 60, 60)], None, scene, None)
        counts = check_rois_editable(rois, scene)
        notice = nodata_notice(rois, counts, scene.nodata)
        assert notice is not None
        assert "ROI 0: 60 of 576 pixels" in notice and "ROI 1" not in notice
        assert "(value 0)" in notice and "nodata" in notice
        assert nodata_notice(rois[1:], counts[1:], scene.nodata) is None  # a ROI on valid pixels only: nothing to say


def test_an_edit_reports_the_notice_and_keeps_those_pixels_nodata(tmp_path):
    scene_path = _scene_with_a_shadow(tmp_path / "scene.tif")
    messages = []
    edit_scene(scene_path, [_pixel_box(16, 16, 40, 40)], tmp_path / "out.tif", mode="regenerate",
               backend="training-free", seed=0, tile_size=64, context_size=64,
               progress=lambda fraction, message: messages.append(message))
    assert any("ROI 0: 60 of 576 pixels" in message for message in messages)
    with rasterio.open(tmp_path / "out.tif") as out:
        assert (out.read()[:, 20:26, 20:30] == 0).all()


def test_pairs_and_chip_folders_report_the_notice_too(tmp_path):
    """The dataset flows (before/after pairs, a chip folder) read the same ROIs, so they say the same."""
    chips = tmp_path / "chips"
    chips.mkdir()
    scene_path = _scene_with_a_shadow(chips / "scene.tif")
    settings = RegenerateSettings(backend="training-free", tile_size=64, context_size=64, margin=8, seed=0)

    pair_messages = []
    generate_pairs(scene_path, [_pixel_box(16, 16, 40, 40)], tmp_path / "pairs", settings,
                   progress=lambda fraction, message: pair_messages.append(message))
    assert any("ROI 0: 60 of 576 pixels" in message for message in pair_messages)

    chip_messages = []
    edit_chip_folder(chips, tmp_path / "dataset", settings, pattern="*.tif", rois=ChipRois("box", box=(16, 16, 40, 40)),
                     progress=lambda fraction, message: chip_messages.append(message))
    assert any(message.endswith("pixels. If they are image content (a dark shadow, black water), the raster's nodata "
                                "value marks them as missing: give the raster another nodata value, or none "
                                "(e.g. gdal_translate -a_nodata none), to have them edited.") and
               message.startswith("Chip 1 of 1 (scene.tif): Some ROI pixels are the raster's nodata (value 0)") and "60 of 576" in message
               for message in chip_messages), chip_messages
