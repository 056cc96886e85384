"""No clash with other plugins' stacks: a PROJ_DATA/PROJ_LIB that points where there is no PROJ
database (as another plugin's virtual environment leaves it) is repaired when RSEdit loads, and the
QGIS log says so. Each case runs QGIS in a subprocess, so the test session's PROJ stays as it is."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from qgis_helpers import REPO

# QGIS starts with the environment given, loads RSEdit as the desktop does, then looks up CRSs
_SCRIPT = r"""
import json, sys
from qgis.core import QgsApplication, QgsCoordinateReferenceSystem
app = QgsApplication([], False)
QgsApplication.setPrefixPath("/usr", True)
app.initQgis()
messages = []
QgsApplication.messageLog().messageReceived.connect(lambda text, tag, level: messages.append([tag, text]))
import qgis.utils
assert qgis.utils.loadPlugin("rsedit") and qgis.utils.startProcessingPlugin("rsedit")
app.processEvents()
from rasterio.crs import CRS
from osgeo import osr
import os
try:
    rasterio_wkt = CRS.from_epsg(2056).to_wkt()
except Exception as error:
    rasterio_wkt = repr(error)
print(json.dumps({"rasterio": rasterio_wkt, "osr": osr.SpatialReference().ImportFromEPSG(32633),
                  "qgis": QgsCoordinateReferenceSystem("EPSG:3857").isValid(),
                  "proj_data": os.environ.get("PROJ_DATA"), "log": [m for m in messages if m[0] == "RSEdit"]}))
"""


def _load_plugin_with(env_changes: dict[str, str], tmp_path: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("PROJ_DATA", "PROJ_LIB")}
    env.update(QT_QPA_PLATFORM="offscreen", QGIS_CUSTOM_CONFIG_PATH=str(tmp_path / "profile"),
               QGIS_PLUGINPATH=str(REPO / "build" / "plugins"),
               PYTHONPATH=os.pathsep.join([str(REPO / "build" / "plugins"), "/usr/share/qgis/python/plugins"]))
    env.update(env_changes)
    done = subprocess.run([sys.executable, "-c", _SCRIPT], env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_wrong_proj_data_is_repaired_on_load_and_logged(tmp_path):
    empty = tmp_path / "other-plugin-venv" / "share" / "proj"
    empty.mkdir(parents=True)
    result = _load_plugin_with({"PROJ_DATA": str(empty), "PROJ_LIB": str(empty)}, tmp_path)
    assert "CH1903+ / LV95" in result["rasterio"], result  # EPSG:2056 resolved through rasterio
    assert result["osr"] == 0 and result["qgis"] is True
    repaired = Path(result["proj_data"])
    assert repaired != empty and (repaired / "proj.db").is_file()
    assert len(result["log"]) == 1, result["log"]
    text = result["log"][0][1]
    assert str(empty) in text and str(repaired) in text, text  # what was wrong and where it points now


def test_a_working_proj_is_left_alone(tmp_path):
    result = _load_plugin_with({}, tmp_path)
    assert "CH1903+ / LV95" in result["rasterio"], result
    assert result["log"] == [] and result["proj_data"] is None


def test_candidates_skip_the_failing_folder_and_folders_without_a_database(tmp_path, monkeypatch):
    from rsedit.core.proj_paths import proj_data_candidates

    failing, without, good = tmp_path / "failing", tmp_path / "without", tmp_path / "good"
    for folder in (failing, without, good):
        folder.mkdir()
    (failing / "proj.db").write_bytes(b"")  # another stack's database, the one that failed
    (good / "proj.db").write_bytes(b"")
    monkeypatch.setenv("PROJ_DATA", str(failing))
    monkeypatch.delenv("PROJ_LIB", raising=False)
    assert proj_data_candidates([failing, without, good, good]) == [good]
