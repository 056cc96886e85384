"""Provenance that other tools read, read back with GDAL itself (as QGIS, gdalinfo and exiftool-
like readers see it): TIFFTAG_SOFTWARE, TIFFTAG_DATETIME, TIFFTAG_IMAGEDESCRIPTION and
AI_GENERATED on an edit, its mask and the files of a before/after pair, beside the RSEDIT_* tags."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from osgeo import gdal
from shapely.geometry import box

from rsedit.core.version import plugin_version

from textured_scene import CRS, TRANSFORM, write_textured_scene

TILING = dict(tile_size=32, overlap=8, margin=4, feather=4, context_size=48)


def _roi(col0: int, row0: int, col1: int, row1: int):
    x0, y0 = TRANSFORM * (col0, row0)
    x1, y1 = TRANSFORM * (col1, row1)
    return box(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))


def _gdal_metadata(path: Path) -> dict[str, str]:
    dataset = gdal.Open(str(path))
    assert dataset is not None, path
    return dataset.GetMetadata() or {}


def _written_just_now(value: str, started: datetime) -> bool:
    written = datetime.strptime(value, "%Y:%m:%d %H:%M:%S").replace(tzinfo=timezone.utc)
    return started - timedelta(seconds=1) <= written <= datetime.now(timezone.utc) + timedelta(seconds=1)


def _assert_synthetic_markers(metadata: dict[str, str], started: datetime) -> None:
    assert metadata.get("TIFFTAG_SOFTWARE") == f"RSEdit {plugin_version()}"
    assert _written_just_now(metadata.get("TIFFTAG_DATETIME", "1970:01:01 00:00:00"), started), metadata
    assert metadata.get("AI_GENERATED") == "TRUE"
    description = metadata.get("TIFFTAG_IMAGEDESCRIPTION", "")
    assert "edit mask is above 0" in description and "synthetic" in description


@pytest.fixture(scope="module")
def scene(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("scene") / "scene.tif"
    write_textured_scene(path, 48)
    # a source written by other software: its own Software/DateTime must not pass for RSEdit's
    dataset = gdal.Open(str(path), gdal.GA_Update)
    dataset.SetMetadata({"TIFFTAG_SOFTWARE": "some camera", "TIFFTAG_DATETIME": "2001:01:01 00:00:00"})
    dataset = None
    return path


def test_an_edit_and_its_mask_carry_the_markers_gdal_reads(scene, tmp_path):
    from rsedit.core.scene_edit import edit_scene

    started = datetime.now(timezone.utc).replace(microsecond=0)
    out, mask = tmp_path / "edited.tif", tmp_path / "edited_mask.tif"
    edit_scene(scene, [_roi(12, 12, 30, 30)], out, rois_crs=CRS, mask_out=mask, mode="regenerate",
               backend="training-free", start_t=60, seed=0, **TILING)
    for path in (out, mask):
        metadata = _gdal_metadata(path)
        _assert_synthetic_markers(metadata, started)
        assert metadata.get("RSEDIT_MODE") == "regenerate"  # the detailed record stays
        assert metadata.get("RSEDIT_VERSION") == plugin_version()


def test_pair_files_carry_the_markers_and_the_pre_chip_is_not_called_ai_made(scene, tmp_path):
    from rsedit.core.before_after_pairs import generate_pairs
    from rsedit.core.settings import RegenerateSettings

    started = datetime.now(timezone.utc).replace(microsecond=0)
    settings = RegenerateSettings(backend="training-free", start_t=60, seed=0, tile_size=32, margin=4, overlap=8,
                                  feather=4, context_size=48)
    folder = tmp_path / "pairs"
    result = generate_pairs(scene, [_roi(12, 12, 30, 30)], folder, settings, rois_crs=CRS)
    pair = result.pairs[0]
    for name in (pair.post_path, pair.mask_path):
        _assert_synthetic_markers(_gdal_metadata(folder / name), started)
    pre = _gdal_metadata(folder / pair.pre_path)
    assert pre.get("TIFFTAG_SOFTWARE") == f"RSEdit {plugin_version()}"
    assert _written_just_now(pre["TIFFTAG_DATETIME"], started)
    assert "AI_GENERATED" not in pre  # source pixels only: RSEdit generated nothing in it
    assert "not changed by RSEdit" in pre.get("TIFFTAG_IMAGEDESCRIPTION", "")
