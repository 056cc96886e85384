"""The real QGIS desktop under Xvfb: the plugin loads, its menu action opens the main dialog, and
Plugins > RSEdit opens the dependency installer."""
from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from qgis_helpers import REPO, VENV_SITE

ARTIFACTS = REPO / "build" / "test-artifacts"


@pytest.mark.skipif(shutil.which("xvfb-run") is None, reason="xvfb-run is installed by `make test`'s bootstrap")
def test_menu_action_opens_the_main_dialog_on_the_selected_polygons(tmp_path, data_dir):
    profiles_root = tmp_path / "qgis"  # --profiles-path takes the folder that holds profiles/
    settings = profiles_root / "profiles" / "default" / "QGIS"
    settings.mkdir(parents=True)
    (settings / "QGIS3.ini").write_text("[PythonPlugins]\nrsedit=true\n\n[qgis]\nshowTips=false\ncheckVersion=false\n")
    out = tmp_path / "shots"
    out.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "QGIS_CUSTOM_CONFIG_PATH")}
    env.update(HOME=str(tmp_path), QGIS_PLUGINPATH=str(REPO / "build" / "plugins"),
               PYTHONPATH=str(VENV_SITE), RSEDIT_SCREENSHOT_DIR=str(out),
               RSEDIT_SAMPLE_RASTER=str(data_dir / "landsat" / "RGB.byte.tif"),
               RSEDIT_SAMPLE_ROIS=str(REPO / "demo" / "landsat_clouds.gpkg"))
    qgis = subprocess.run(["xvfb-run", "-a", "-s", "-screen 0 1280x800x24", "qgis.bin", "--nologo",
                           "--noversioncheck", "--profiles-path", str(profiles_root),
                           "--code", str(REPO / "tests" / "desktop_screenshot.py")],
                          env=env, capture_output=True, text=True, timeout=180)
    log = f"QGIS exited with {qgis.returncode}\n{qgis.stdout[-4000:]}\n{qgis.stderr[-4000:]}"
    assert (out / "result.txt").is_file(), log
    result = (out / "result.txt").read_text()
    assert "rsedit" in result.split("\n")[0]
    assert "dialog=" in result, result
    assert "input=landsat" in result and "rois_selected_only=True" in result, result
    assert "plugin_menu=Install or repair dependencies…|Dependency report" in result, result
    assert "installer=Install or repair dependencies" in result, result
    assert (out / "installer_dialog.png").stat().st_size > 10_000
    # the interpreter the installer would use is QGIS's own: it imports QGIS's bindings
    [python] = [line.split("=", 1)[1] for line in result.splitlines() if line.startswith("installer_python=")]
    imports = subprocess.run([python, "-c", "import qgis.core"], capture_output=True, text=True, timeout=60)
    assert imports.returncode == 0, (python, imports.stderr[-1000:])
    shot = out / "rsedit_dialog.png"
    assert shot.is_file() and shot.stat().st_size > 10_000
    assert qgis.returncode == 0, log  # desktop_screenshot.py quits with 0 only after it found the dialog
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for png in out.glob("*.png"):
        shutil.copy(png, ARTIFACTS / png.name)
