"""The scene engine and the models run without QGIS: a core/ edit in a plain Python imports neither
qgis nor PyQt5, and the test session starts QGIS only for the tests that ask for it (conftest.py)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
PLUGINS_DIR = REPO / "build" / "plugins"  # conftest.py links the checkout there as `rsedit`
QT_ROOTS = ("qgis", "PyQt5", "processing")

# what a script prints last: the imported modules of QGIS and Qt (the venv sees Debian's QGIS, so
# nothing but the code under test keeps them out)
REPORT_QT_MODULES = f"""
import json, sys
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in {QT_ROOTS!r})))
"""

CORE_EDIT = """
import sys
from pathlib import Path

sys.path[:0] = [{plugins!r}, {tests!r}]
from shapely.geometry import box

from rsedit.core.scene_edit import edit_scene
from textured_scene import CRS, TRANSFORM, write_textured_scene

folder = Path({folder!r})
scene = write_textured_scene(folder / "scene.tif", 64)
x0, y0 = TRANSFORM * (16, 48)
x1, y1 = TRANSFORM * (44, 16)
edit_scene(scene, [box(x0, y0, x1, y1)], folder / "edited.tif", rois_crs=CRS, mode="regenerate",
           backend="training-free", start_t=20, seed=0, tile_size=64, overlap=16, margin=8, feather=4,
           context_size=64)
assert (folder / "edited.tif").is_file() and "torch" in sys.modules
"""


def _run_python(script: str) -> list[str]:
    """Run `script` in a fresh interpreter (the suite's own); return the QGIS and Qt modules it imported."""
    done = subprocess.run([sys.executable, "-c", script + REPORT_QT_MODULES], cwd=REPO,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_core_edit_imports_neither_qgis_nor_pyqt(tmp_path):
    script = CORE_EDIT.format(plugins=str(PLUGINS_DIR), tests=str(TESTS), folder=str(tmp_path))
    assert _run_python(script) == []


def test_a_core_test_module_alone_starts_no_qgis():
    script = """
import sys
import pytest

code = pytest.main(["tests/test_tiling.py", "-q", "-p", "no:cacheprovider"])
assert code == 0, f"pytest tests/test_tiling.py exited with {code}"
"""
    assert _run_python(script) == []


def test_missing_sample_data_skips_with_the_reason(tmp_path):
    missing = tmp_path / "no-data"
    done = subprocess.run([sys.executable, "-m", "pytest", "tests/test_rois.py", "-q", "-rs", "-p", "no:cacheprovider",
                           "-k", "read_roi_file_gives_fid_properties_and_crs"],
                          cwd=REPO, env={**os.environ, "RSEDIT_TEST_DATA": str(missing)},
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 skipped" in done.stdout, done.stdout
    assert f"the sample data is not at {missing}" in done.stdout, done.stdout
