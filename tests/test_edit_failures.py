"""Each mode's known failures reach the caller as an RSEditError (InputError, CancelledError, ...),
through edit_scene and through a Processing algorithm, and nothing is written."""
from __future__ import annotations

import numpy as np
import pytest
import rasterio
from shapely.geometry import box

from rsedit.core.errors import InputError, RSEditError
from rsedit.core.scene_edit import edit_scene
from rsedit.models.sinddm.training_settings import TrainingSettings
from single_thread import one_cpu_thread  # noqa: F401 (autouse fixture)
from textured_scene import CRS, TRANSFORM, write_textured_scene

SMALL = dict(tile_size=64, overlap=8, margin=4, feather=4, context_size=40)


def _pixel_box(col0, row0, col1, row1):
    x0, y0 = TRANSFORM * (col0, row0)
    x1, y1 = TRANSFORM * (col1, row1)
    return box(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))


@pytest.fixture
def scene(tmp_path):
    return write_textured_scene(tmp_path / "scene.tif", 64, nodata=0)


def _truncated(scene, tmp_path):
    """A tiled, uncompressed copy cut in half: the header reads, the pixels do not."""
    with rasterio.open(scene) as src:
        profile = dict(src.profile, tiled=True, blockxsize=16, blockysize=16, compress=None)
        path = tmp_path / "truncated.tif"
        with rasterio.open(path, "w", **profile) as dst:
            dst.write(src.read())
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def test_a_device_that_is_not_there_is_refused_before_any_work(scene, tmp_path):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a CUDA GPU")
    with pytest.raises(RSEditError, match="CUDA was requested but no CUDA GPU"):
        edit_scene(scene, [_pixel_box(10, 10, 40, 40)], tmp_path / "out.tif", rois_crs=CRS, device="cuda",
                   backend="training-free", **SMALL)
    assert not (tmp_path / "out.tif").exists()


def test_a_truncated_raster_is_an_input_error(scene, tmp_path):
    broken = _truncated(scene, tmp_path)
    with pytest.raises(InputError, match="truncated or corrupt"):
        edit_scene(broken, [_pixel_box(10, 10, 60, 60)], tmp_path / "out.tif", rois_crs=CRS,
                   backend="training-free", start_t=60, **SMALL)
    assert not (tmp_path / "out.tif").exists()


def test_an_unwritable_model_cache_costs_the_cache_not_the_edit(scene, tmp_path, caplog):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be")
    tiny = TrainingSettings(name="test", width=8, steps=3, batch_size=1, crop_size=16, lr_milestones=(),
                            ema_start=0, ema_every=1, max_pixels=None)
    out = tmp_path / "out.tif"
    result = edit_scene(scene, [_pixel_box(20, 20, 44, 44)], out, rois_crs=CRS, backend="trained", preset=tiny,
                        cache_dir=str(blocker / "models"), **SMALL)
    assert result.trained_now and out.exists()
    assert "could not be cached" in caplog.text


def test_a_roi_on_nodata_or_too_small_edits_nothing_and_is_an_error(tmp_path):
    scene = write_textured_scene(tmp_path / "scene.tif", 64, nodata=0)
    with rasterio.open(scene, "r+") as dst:
        data = dst.read()
        data[:, :20, :20] = 0
        dst.write(data)
    with pytest.raises(InputError, match="ROI 0 lies entirely on nodata"):
        edit_scene(scene, [_pixel_box(2, 2, 18, 18)], tmp_path / "a.tif", rois_crs=CRS, backend="training-free")
    with pytest.raises(InputError, match="ROI 0 covers only 1.0x1.0 pixels"):
        edit_scene(scene, [_pixel_box(40, 40, 41, 41)], tmp_path / "b.tif", rois_crs=CRS, backend="training-free")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scene.tif"]


def test_the_sample_orthophoto_regenerated_training_free_gives_a_message_not_a_traceback(data_dir, tmp_path):
    """The sample orthophoto with its own ROI layer: an RSEditError (or an edit), never another type."""
    out = tmp_path / "out.tif"
    try:
        edit_scene(data_dir / "fotomap" / "fotomap_small.tif", data_dir / "fotomap" / "fotomap_area.gpkg", out,
                   backend="training-free", tile_size=256, overlap=8, margin=4, context_size=64, start_t=90)
    except RSEditError as error:
        assert str(error) and not out.exists()
    else:
        assert out.exists()


@pytest.mark.usefixtures("qgis_app")
def test_failures_reach_processing_as_messages(scene, tmp_path):
    import processing
    from qgis.core import QgsProcessingException

    from qgis_helpers import box_polygons

    broken = _truncated(scene, tmp_path)
    with pytest.raises(QgsProcessingException, match="truncated or corrupt"):
        processing.run("rsedit:regenerate", {"INPUT": str(broken), "ROIS": box_polygons([(10, 10, 60, 60)]),
                                             "OUTPUT": str(tmp_path / "out.tif"), "BACKEND": 1, "TILE_SIZE": 64,
                                             "OVERLAP": 8, "MARGIN": 4, "CONTEXT_SIZE": 40})
    assert not (tmp_path / "out.tif").exists()


@pytest.mark.usefixtures("qgis_app")
def test_a_roi_layer_without_a_crs_is_read_in_the_rasters_crs_with_a_warning(scene, tmp_path):
    import processing
    import rasterio
    from qgis.core import QgsCoordinateReferenceSystem

    from qgis_helpers import box_polygons, warning_feedback


    outputs = {}
    for name, has_crs in (("with_crs", True), ("without_crs", False)):
        log = warning_feedback()
        rois = box_polygons([(10, 10, 40, 40)])  # coordinates of the raster's CRS
        if not has_crs:
            rois.setCrs(QgsCoordinateReferenceSystem())
        assert rois.crs().isValid() == has_crs
        out = tmp_path / f"{name}.tif"
        processing.run("rsedit:regenerate", {"INPUT": str(scene), "ROIS": rois, "OUTPUT": str(out), "BACKEND": 1,
                                             "TILE_SIZE": 64, "OVERLAP": 8, "MARGIN": 4, "CONTEXT_SIZE": 40},
                       feedback=log)
        with rasterio.open(out) as dataset:
            outputs[name] = dataset.read()
        assert any("has no CRS" in line for line in log.warnings) == (not has_crs), log.warnings
    # the same pixels: a CRS-less layer lands where the same coordinates in the raster's CRS land
    assert np.array_equal(outputs["with_crs"], outputs["without_crs"])


@pytest.mark.usefixtures("qgis_app")
def test_a_roi_file_of_several_layers_given_as_a_bare_path_is_refused_in_qgis(scene, tmp_path):
    """QGIS would open its first layer; the algorithm asks for the layer instead, and edits the one named."""
    import processing
    from qgis.core import QgsProcessingException

    from test_rois import _two_layer_file
    from textured_scene import TRANSFORM

    rois = _two_layer_file(tmp_path / "rois.gpkg", TRANSFORM)
    options = {"INPUT": str(scene), "BACKEND": 1, "TILE_SIZE": 64, "OVERLAP": 8, "MARGIN": 4, "CONTEXT_SIZE": 40}
    with pytest.raises(QgsProcessingException, match=r"holds 2 layers: fields, roads\..*layername=fields"):
        processing.run("rsedit:regenerate", {**options, "ROIS": str(rois), "OUTPUT": str(tmp_path / "refused.tif")})
    assert not (tmp_path / "refused.tif").exists()
    processing.run("rsedit:regenerate", {**options, "ROIS": f"{rois}|layername=fields", "OUTPUT": str(tmp_path / "out.tif")})
    assert (tmp_path / "out.tif").is_file()
