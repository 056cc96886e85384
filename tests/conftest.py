"""Fixtures of the test session: the sample data, and one real QGIS application, started only for
the tests that ask for it (`qgis_app`, directly, through `provider`, or with a module-level
`pytestmark = pytest.mark.usefixtures("qgis_app")`), so that core/ and models/ tests run without QGIS.
The application has Processing initialised and the rsedit provider registered the way the desktop
registers it (through the plugin's initProcessing)."""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("RSEDIT_TEST_DATA") or REPO.parent / "shared" / "data")  # the sample data
PLUGINS_DIR = REPO / "build" / "plugins"

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# a throw-away QGIS profile, so tests never touch the user's settings
os.environ.setdefault("QGIS_CUSTOM_CONFIG_PATH", tempfile.mkdtemp(prefix="rsedit-qgis-profile-"))


def _ensure_plugin_link() -> None:
    """Expose the repository as the package `rsedit`, as QGIS sees the installed plugin."""
    PLUGINS_DIR.mkdir(parents=True, exist_ok=True)
    link = PLUGINS_DIR / "rsedit"
    if not link.exists():
        link.symlink_to(Path("..", ".."), target_is_directory=True)
    if str(PLUGINS_DIR) not in sys.path:
        sys.path.insert(0, str(PLUGINS_DIR))


_ensure_plugin_link()


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The sample rasters and ROI layers (../shared/data, next to the checkout)."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"the sample data is not at {SHARED_DATA}: this test reads the sample rasters of "
                    "../shared/data (or of the folder RSEDIT_TEST_DATA names)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def qgis_app():
    """QGIS started once, on first request, with Processing and the rsedit provider."""
    from qgis.core import QgsApplication

    app = QgsApplication([], False)
    QgsApplication.setPrefixPath("/usr", True)
    app.initQgis()
    sys.path.append("/usr/share/qgis/python/plugins")
    from processing.core.Processing import Processing

    Processing.initialize()

    # register the plugin exactly as QGIS does for a Processing plugin
    import qgis.utils

    assert qgis.utils.loadPlugin("rsedit"), "the rsedit plugin failed to import"
    assert qgis.utils.startProcessingPlugin("rsedit"), "rsedit's initProcessing failed"
    yield app


@pytest.fixture(scope="session")
def provider(qgis_app):
    from qgis.core import QgsApplication

    found = QgsApplication.processingRegistry().providerById("rsedit")
    assert found is not None, "the rsedit provider is not registered"
    return found


@pytest.fixture(scope="session")
def small_clips(data_dir):
    """The quick guide and judge CLIPs of bench/small_clip.py: from build/small_clip/ when a run left
    them there, else trained now on the sample scenes (about half a minute on one thread)."""
    import torch

    sys.path.append(str(REPO / "bench"))  # after site-packages: bench/distributed.py must not shadow dask's distributed
    from small_clip import QUICK, trained_clips

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return trained_clips(QUICK)
    finally:
        torch.set_num_threads(before)
