"""The plugin as users install it: the zip from `make package`, driven through qgis_process."""
from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from qgis_helpers import ALGORITHM_IDS, REPO, qgis_process, qgis_process_json

pytestmark = pytest.mark.usefixtures("qgis_app")  # the layer checks below read files with QGIS


@pytest.fixture(scope="module")
def installed_plugins(tmp_path_factory) -> Path:
    dist = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, str(REPO / "scripts" / "package.py"), "--out", str(dist / "rsedit.zip")],
                   check=True, capture_output=True)
    with zipfile.ZipFile(dist / "rsedit.zip") as archive:
        names = archive.namelist()
        assert all(name.startswith("rsedit/") for name in names)
        assert not any(part in name for name in names for part in ("tests/", "bench/", ".venv", "__pycache__"))
        plugins = tmp_path_factory.mktemp("plugins")
        archive.extractall(plugins)
    return plugins


def test_zip_installs_and_runs_previewtiles_through_qgis_process(installed_plugins, tmp_path, data_dir):
    home = tmp_path / "home"
    home.mkdir()
    enabled = qgis_process(["plugins", "enable", "rsedit"], installed_plugins, home)
    assert enabled.returncode == 0, enabled.stderr
    listing = qgis_process_json(["list"], installed_plugins, home)
    assert set(listing["providers"]["rsedit"]["algorithms"]) == set(ALGORITHM_IDS)

    out = tmp_path / "tiles.gpkg"
    result = qgis_process_json(["run", "rsedit:previewtiles", "--",
                                f"INPUT={data_dir / 'landsat' / 'RGB.byte.tif'}",
                                f"ROIS={REPO / 'demo' / 'landsat_clouds.gpkg'}",
                                "TILE_SIZE=256", "OVERLAP=32", "MARGIN=16", f"OUTPUT={out}"],
                               installed_plugins, home)
    assert out.is_file()
    assert Path(result["results"]["OUTPUT"]).resolve().parent == out.parent.resolve()

    from qgis.core import QgsVectorLayer

    tiles = QgsVectorLayer(str(out), "tiles", "ogr")
    assert tiles.isValid() and tiles.featureCount() > 0
    assert tiles.crs().authid() == "EPSG:32618"


def test_plugin_loads_without_the_model_packages(installed_plugins, tmp_path):
    """QGIS's own Python has no torch here: the plugin still loads and lists its algorithms."""
    home = tmp_path / "home"
    home.mkdir()
    assert qgis_process(["plugins", "enable", "rsedit"], installed_plugins, home, with_venv=False).returncode == 0
    probe = subprocess.run(["/usr/bin/python3", "-c", "import torch"], capture_output=True)
    assert probe.returncode != 0, "this check needs a system Python without torch"
    listing = qgis_process_json(["list"], installed_plugins, home, with_venv=False)
    assert set(listing["providers"]["rsedit"]["algorithms"]) == set(ALGORITHM_IDS)
