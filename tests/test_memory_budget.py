"""Memory that cannot blow up silently: an edit whose estimate exceeds the limit is refused before any
work starts, with the estimate, the limit and a setting that fits; and the scene engine streams a
striped 6000 x 6000 raster in well under 500 MB."""
from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin
from shapely.geometry import box

from rsedit.core.errors import InputError
from rsedit.core.memory_budget import estimate_edit_memory, memory_limit
from rsedit.core.scene_edit import edit_scene
from rsedit.core.settings import RegenerateSettings
from textured_scene import CRS, TRANSFORM, write_textured_scene

TESTS = Path(__file__).resolve().parent
PLUGINS_DIR = TESTS.parent / "build" / "plugins"


def _roi(col0, row0, col1, row1):
    x0, y0 = TRANSFORM * (col0, row1)
    x1, y1 = TRANSFORM * (col1, row0)
    return box(x0, y0, x1, y1)


def test_a_tile_too_large_for_the_memory_is_refused_before_any_work(tmp_path, monkeypatch):
    monkeypatch.setenv("RSEDIT_MEMORY_LIMIT_MB", "2000")
    scene = write_textured_scene(tmp_path / "scene.tif", 1024)
    reports = []
    with pytest.raises(InputError) as refused:
        edit_scene(scene, [_roi(100, 100, 300, 300)], tmp_path / "edited.tif", rois_crs=CRS, mode="regenerate",
                   backend="training-free", tile_size=1024, cache_dir=str(tmp_path / "cache"),
                   progress=lambda fraction, message: reports.append(message))
    message = str(refused.value)
    assert "GB of memory, mostly for the 1024 px tiles" in message and "the limit is 2.0 GB" in message, message
    assert "RSEDIT_MEMORY_LIMIT_MB" in message
    suggested = int(message.split("tile size of at most ")[1].split(" px")[0])
    settings = RegenerateSettings(backend="training-free", tile_size=suggested)
    assert estimate_edit_memory(settings, 1024, 1024, 3).total <= 2000 * 2**20  # the advice does fit
    assert estimate_edit_memory(dataclasses.replace(settings, tile_size=suggested + 16), 1024, 1024, 3).total > \
        2000 * 2**20  # and is the largest that does
    assert reports == []  # refused before reading, training or sampling
    assert sorted(path.name for path in tmp_path.iterdir()) == ["scene.tif"]


def test_an_edit_within_the_limit_runs(tmp_path, monkeypatch):
    monkeypatch.setenv("RSEDIT_MEMORY_LIMIT_MB", "2000")
    scene = write_textured_scene(tmp_path / "scene.tif", 128)
    result = edit_scene(scene, [_roi(40, 40, 80, 80)], tmp_path / "edited.tif", rois_crs=CRS, mode="regenerate",
                        backend="training-free", tile_size=128, overlap=16, context_size=64, start_t=20)
    assert result.outputs[0].tiles_edited == 1 and (tmp_path / "edited.tif").is_file()


def test_the_estimate_grows_with_what_is_held_at_once():
    small = RegenerateSettings(backend="trained", tile_size=256)
    large = dataclasses.replace(small, tile_size=1024)
    assert estimate_edit_memory(large, 6000, 6000, 3).total > 10 * estimate_edit_memory(small, 6000, 6000, 3).parts[
        "the 256 px tiles"]
    wide = dataclasses.replace(small, feather=512)
    assert estimate_edit_memory(wide, 6000, 6000, 3).parts["the 512 px feather"] > \
        estimate_edit_memory(small, 6000, 6000, 3).parts["the 8 px feather"]


def test_a_bad_memory_limit_is_an_input_error(monkeypatch):
    monkeypatch.setenv("RSEDIT_MEMORY_LIMIT_MB", "lots")
    with pytest.raises(InputError, match="RSEDIT_MEMORY_LIMIT_MB must be a number of megabytes"):
        memory_limit()


STRIPED_EDIT = """
import json, sys
sys.path[:0] = [{plugins!r}]
from shapely.geometry import box
from rsedit.core.engine import edit_raster
from rsedit.core.rois import RoiFeature, prepare_rois
from rsedit.core.scene import open_scene


def peak_mb():
    # VmHWM belongs to this program's memory map; ru_maxrss would carry over the parent's peak across exec
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM")) / 1024


with open_scene({path!r}) as scene:
    striped = scene.dataset.block_shapes[0][1] == scene.width
    transform = scene.transform
    polygons = [box(*(transform * (c, r + 300)), *(transform * (c + 300, r)))
                for r in range(200, 5800, 1100) for c in range(200, 5800, 1100)]
    rois = prepare_rois([RoiFeature(i, p) for i, p in enumerate(polygons)], "EPSG:32618", scene)
    result = edit_raster(scene, rois, lambda tile: 255 - tile.data, {folder!r} + "/out.tif",
                         mask_path={folder!r} + "/mask.tif")
print(json.dumps({{"striped": striped, "tiles": result.tiles_edited, "torch": "torch" in sys.modules,
                  "peak_mb": peak_mb()}}))
"""


def _write_striped_scene(path: Path, size: int = 6000) -> None:
    # Written here, not in the measured process: GDAL's write cache would count towards its peak.
    with rasterio.Env(GDAL_CACHEMAX=64 * 2**20), rasterio.open(
            path, "w", driver="GTiff", width=size, height=size, count=3, dtype="uint8", crs="EPSG:32618",
            transform=from_origin(500000, 4000000, 10, 10)) as dataset:  # no tiling: one row per strip
        rng = np.random.default_rng(0)
        for row in range(0, size, 500):
            dataset.write(rng.integers(0, 255, (3, 500, size), dtype=np.uint8), window=((row, row + 500), (0, size)))


def test_a_striped_6000_px_scene_streams_under_500_mb(tmp_path):
    _write_striped_scene(tmp_path / "striped.tif")
    script = STRIPED_EDIT.format(plugins=str(PLUGINS_DIR), path=str(tmp_path / "striped.tif"), folder=str(tmp_path))
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-4000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["striped"] and report["tiles"] >= 25 and not report["torch"], report
    assert report["peak_mb"] < 500, report
