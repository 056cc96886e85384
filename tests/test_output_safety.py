"""Nothing lost: a full disk, a kill -9, a SIGTERM or a late cancel never changes what is at the output
path, never leaves a file beside it, and never touches the input.

The full-disk cases write to a tmpfs this test mounts under its own temporary folder (root only;
skipped with the reason elsewhere)."""
from __future__ import annotations

import fcntl
import json
import os
import signal
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
import rasterio

from rsedit.core import edit_raster, prepare_rois
from rsedit.core.errors import CancelledError, RSEditError
from rsedit.core.leftovers import sweep_leftovers, temporary_path
from rsedit.core.output import RUN_ID_TAG, AtomicGeoTIFF, commit_renames, geotiff_profile
from rsedit.core.scene import open_scene
from qgis_helpers import qgis_process
from textured_scene import TRANSFORM as TEXTURED_TRANSFORM, write_textured_scene
from test_engine_support import CRS_UTM, TRANSFORM, file_hash, pixel_box_feature, read_bands, textured, write_raster

TESTS = Path(__file__).resolve().parent
PLUGINS_DIR = TESTS.parent / "build" / "plugins"


@contextmanager
def small_disk(folder: Path, size: str):
    """A tmpfs of `size` at `folder` (e.g. "1m"), unmounted afterwards."""
    folder.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs to fill needs root")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=True)


def write_scene(path: Path, size: int = 1024) -> Path:
    return write_raster(path, textured((3, size, size), "uint8"))


def rois_of(scene_path: Path, *boxes):
    with open_scene(str(scene_path)) as scene:
        return prepare_rois([pixel_box_feature(TRANSFORM, *b, fid=i) for i, b in enumerate(boxes)], CRS_UTM, scene)


def invert(ctx):
    return (255 - ctx.data).astype(ctx.data.dtype)


def write_previous_output(path: Path) -> str:
    """A small valid GeoTIFF standing for the output of an earlier run; returns its sha256."""
    write_raster(path, np.full((3, 64, 64), 7, np.uint8))
    return file_hash(path)


def listing(folder: Path) -> list[str]:
    return sorted(os.listdir(folder))


@pytest.mark.parametrize("size", ["64k", "1m", "3m"])  # full at the first block, midway, at the last blocks
def test_a_full_disk_is_reported_and_keeps_the_previous_output(tmp_path, size):
    source = write_scene(tmp_path / "input.tif")
    source_hash = file_hash(source)
    rois = rois_of(source, (100, 100, 300, 300))
    with small_disk(tmp_path / "disk", size) as disk:
        out = disk / "edited.tif"
        previous = write_previous_output(out)
        with pytest.raises(RSEditError) as failed:
            edit_raster(str(source), rois, invert, str(out), mask_path=str(disk / "mask.tif"), compress="NONE")
        message = str(failed.value)
        assert message.startswith(f"The disk holding {disk} is full: free ") and " MB and run again" in message, message
        needed = int(message.split("free ")[1].split(" MB")[0])
        assert 1 <= needed <= 6, message  # 3.1 MB of image and 1 MB of mask, less what was free
        assert listing(disk) == ["edited.tif"]  # no temporary, no mask, no sidecar
        assert file_hash(out) == previous
    assert file_hash(source) == source_hash
    assert listing(tmp_path) == ["disk", "input.tif"]


def test_a_block_missing_from_the_file_is_caught_before_the_rename(tmp_path):
    """What a full disk at flush leaves (rasterio 1.3 only logs it): blocks that point past the end."""
    out = tmp_path / "edited.tif"
    previous = write_previous_output(out)
    output = AtomicGeoTIFF(str(out), geotiff_profile(256, 256, 3, "uint8", CRS_UTM, TRANSFORM, None, 64, "NONE"))
    output.open().write(np.ones((3, 256, 256), np.uint8))
    output.dataset.close()
    with open(output.temp_path, "r+b") as handle:
        handle.truncate(os.path.getsize(output.temp_path) // 2)
    with pytest.raises(RSEditError, match="block .* is missing from the file"):
        output.commit()
    assert listing(tmp_path) == ["edited.tif"] and file_hash(out) == previous


def test_the_output_and_its_mask_carry_the_same_run_id(tmp_path):
    source = write_scene(tmp_path / "input.tif", 256)
    out, mask = tmp_path / "edited.tif", tmp_path / "mask.tif"
    ids = []
    for _ in range(2):
        edit_raster(str(source), rois_of(source, (50, 50, 120, 120)), invert, str(out), mask_path=str(mask))
        with rasterio.open(out) as image, rasterio.open(mask) as weights:
            assert image.tags()[RUN_ID_TAG] == weights.tags()[RUN_ID_TAG]
            ids.append(image.tags()[RUN_ID_TAG])
    assert ids[0] != ids[1]


def test_commits_in_one_folder_wait_for_each_other(tmp_path):
    """A commit renames under the folder's lock: while another writer holds it, nothing is renamed."""
    staged = tmp_path / ".staged.tif"
    staged.write_bytes(b"new")
    held = os.open(tmp_path, os.O_RDONLY)
    fcntl.flock(held, fcntl.LOCK_EX)
    committer = threading.Thread(target=commit_renames, args=([(str(staged), str(tmp_path / "out.tif"))],))
    committer.start()
    time.sleep(0.5)
    assert not (tmp_path / "out.tif").exists() and committer.is_alive()
    os.close(held)
    committer.join(10)
    assert (tmp_path / "out.tif").read_bytes() == b"new"


def test_a_cancel_at_the_last_check_keeps_the_previous_output(tmp_path):
    source = write_scene(tmp_path / "input.tif", 256)
    rois = rois_of(source, (20, 20, 90, 90), (150, 150, 230, 230))
    out, mask = tmp_path / "edited.tif", tmp_path / "mask.tif"
    checks = []
    edit_raster(str(source), rois, invert, str(out), mask_path=str(mask), tile_size=96, overlap=16,
                is_cancelled=lambda: checks.append(1) and False)
    previous = {path.name: file_hash(path) for path in (out, mask)}
    calls = []

    def cancel_at_the_last_check() -> bool:
        calls.append(1)
        return len(calls) == len(checks)

    with pytest.raises(CancelledError):
        edit_raster(str(source), rois, offset_by(1), str(out), mask_path=str(mask), tile_size=96, overlap=16,
                    is_cancelled=cancel_at_the_last_check)
    assert len(calls) == len(checks) > 2
    assert {path.name: file_hash(path) for path in (out, mask)} == previous
    assert listing(tmp_path) == ["edited.tif", "input.tif", "mask.tif"]


def offset_by(delta: int):
    def edit(ctx):
        return np.clip(ctx.data.astype(np.int16) + delta, 0, 255).astype(np.uint8)
    return edit


SLOW_EDIT = """
import sys, time
sys.path[:0] = [{plugins!r}]
from pathlib import Path
from rsedit.core import edit_raster, prepare_rois
from rsedit.core.errors import CancelledError
from rsedit.core.rois import RoiFeature
from rsedit.core.scene import open_scene
from shapely.geometry import box

def slow_invert(ctx):
    Path({started!r}).write_text("editing")
    time.sleep(0.2)
    return (255 - ctx.data).astype(ctx.data.dtype)

with open_scene({source!r}) as scene:
    left, top = scene.transform * (20, 20)
    right, bottom = scene.transform * (230, 230)
    rois = prepare_rois([RoiFeature(0, box(left, bottom, right, top))], scene.crs, scene)
try:
    edit_raster({source!r}, rois, slow_invert, {out!r}, mask_path={mask!r}, tile_size=64, overlap=8)
except CancelledError as stopped:
    print("CANCELLED:", stopped)
    sys.exit(3)
"""


def start_slow_edit(tmp_path: Path, source: Path, out: Path, mask: Path) -> subprocess.Popen:
    started = tmp_path / "started"
    script = SLOW_EDIT.format(plugins=str(PLUGINS_DIR), started=str(started), source=str(source), out=str(out),
                              mask=str(mask))
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    deadline = time.monotonic() + 60
    while not started.exists():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the edit did not start"
        time.sleep(0.05)
    return process


def test_a_killed_run_leaves_a_temporary_that_the_next_run_removes(tmp_path):
    source = write_scene(tmp_path / "input.tif", 256)
    source_hash = file_hash(source)
    results = tmp_path / "results"
    results.mkdir()
    out, mask = results / "edited.tif", results / "mask.tif"
    previous = write_previous_output(out)
    process = start_slow_edit(tmp_path, source, out, mask)
    leftovers = [name for name in listing(results) if name.startswith(".")]
    process.kill()  # kill -9: no handler runs
    process.wait(30)
    assert leftovers and all(f".{process.pid}." in name for name in leftovers), leftovers
    assert all(name in listing(results) for name in leftovers)  # nothing removed them
    assert file_hash(out) == previous

    edit_raster(str(source), rois_of(source, (20, 20, 230, 230)), invert, str(out), mask_path=str(mask),
                tile_size=64, overlap=8)
    assert listing(results) == ["edited.tif", "mask.tif"]  # the dead run's temporaries are gone
    edited, original = read_bands(out), read_bands(source)
    weights = read_bands(mask)[0]
    assert np.array_equal(edited[:, weights == 255], 255 - original[:, weights == 255])
    assert np.array_equal(edited[:, weights == 0], original[:, weights == 0])
    assert file_hash(source) == source_hash


def test_sigterm_cancels_and_leaves_nothing(tmp_path):
    source = write_scene(tmp_path / "input.tif", 256)
    results = tmp_path / "results"
    results.mkdir()
    out, mask = results / "edited.tif", results / "mask.tif"
    previous = write_previous_output(out)
    process = start_slow_edit(tmp_path, source, out, mask)
    process.send_signal(signal.SIGTERM)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 3, (stdout, stderr)
    assert "termination request (SIGTERM)" in stdout and "Traceback" not in stderr
    assert listing(results) == ["edited.tif"] and file_hash(out) == previous


def test_a_sweep_keeps_the_temporaries_of_live_writers(tmp_path):
    """Only temporaries whose writer is gone are removed: a run still going, or a foreign file, stays."""
    mine = Path(temporary_path(tmp_path / "a.tif"))
    mine.write_bytes(b"live")  # this process's own: alive
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        live = tmp_path / f".b.tif.rsedit.{Path(temporary_path(tmp_path / 'b.tif')).name.split('.')[4]}." \
                          f"{sleeper.pid}.0123456789ab.part.tif"
        live.write_bytes(b"other process, alive")
        dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                              text=True).stdout.strip()
        gone = tmp_path / live.name.replace(f".{sleeper.pid}.", f".{dead}.")
        gone.write_bytes(b"dead writer")
        (tmp_path / ".notes.txt").write_text("not ours")
        swept = sweep_leftovers(tmp_path)
        assert swept.removed == [str(gone)] and swept.bytes == len(b"dead writer")
        assert sorted(p.name for p in tmp_path.iterdir()) == sorted([mine.name, live.name, ".notes.txt"])
    finally:
        sleeper.kill()
        sleeper.wait()


def test_clearcache_removes_the_temporaries_of_killed_runs(qgis_app, tmp_path, monkeypatch):
    import processing

    monkeypatch.setenv("RSEDIT_CACHE_DIR", str(tmp_path / "models"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    source = write_scene(tmp_path / "input.tif", 256)
    results = tmp_path / "results"
    results.mkdir()
    edit_raster(str(source), rois_of(source, (20, 20, 60, 60)), invert, str(results / "edited.tif"))
    other = tmp_path / "elsewhere"
    other.mkdir()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True).stdout.strip()
    planted = []
    for folder in (results, other):
        name = Path(temporary_path(folder / "edited.tif")).name.replace(f".{os.getpid()}.", f".{dead}.")
        (folder / name).write_bytes(b"x" * 100)
        planted.append(folder / name)
    result = processing.run("rsedit:clearcache", {"FOLDER": str(other)})
    assert result["LEFTOVERS_REMOVED"] == 2 and result["BYTES_FREED"] == 200
    assert not any(path.exists() for path in planted)
    assert listing(results) == ["edited.tif"]


def test_qgis_process_on_a_full_disk_fails_and_keeps_the_previous_output(qgis_app, tmp_path):
    source = write_textured_scene(tmp_path / "input.tif", 768)
    source_hash = file_hash(source)
    rois = tmp_path / "rois.geojson"
    left, top = TEXTURED_TRANSFORM * (300, 300)
    right, bottom = TEXTURED_TRANSFORM * (340, 340)
    rois.write_text(json.dumps({"type": "FeatureCollection", "crs": {"type": "name", "properties": {
        "name": "urn:ogc:def:crs:EPSG::32633"}}, "features": [{"type": "Feature", "properties": {}, "geometry": {
            "type": "Polygon", "coordinates": [[[left, top], [right, top], [right, bottom], [left, bottom],
                                                [left, top]]]}}]}))
    home = tmp_path / "home"
    home.mkdir()
    assert qgis_process(["plugins", "enable", "rsedit"], PLUGINS_DIR, home).returncode == 0
    with small_disk(tmp_path / "disk", "1m") as disk:
        out = disk / "edited.tif"
        previous = write_previous_output(out)
        done = qgis_process(["run", "rsedit:regenerate", "--", f"INPUT={source}", f"ROIS={rois}", f"OUTPUT={out}",
                             "BACKEND=1", "TILE_SIZE=64", "OVERLAP=8", "MARGIN=4", "CONTEXT_SIZE=64", "FEATHER=4",
                             "START_STEP=60"], PLUGINS_DIR, home)
        assert done.returncode != 0, done.stdout
        assert f"The disk holding {disk} is full: free" in done.stdout + done.stderr, done.stdout + done.stderr
        assert "Traceback" not in done.stdout + done.stderr
        assert listing(disk) == ["edited.tif"] and file_hash(out) == previous
    assert file_hash(source) == source_hash
    assert sorted(os.listdir(tmp_path)) == ["disk", "home", "input.tif", "rois.geojson"]

