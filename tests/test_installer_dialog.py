"""The installer dialog in real QGIS (offscreen): it proposes a torch build, installs a tiny wheel
offline through its worker thread while the log fills, and ends with the import report; Cancel
stops pip and keeps the previous set; the missing-packages error names it."""
from __future__ import annotations

import os
import sys
import time

import pytest

from pip_stand_in import hanging_pip
from tiny_wheel import NAME, build_tiny_wheel

pytestmark = pytest.mark.usefixtures("qgis_app")


def _wait_until(condition, seconds: float = 120) -> None:
    from qgis.PyQt.QtWidgets import QApplication

    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        QApplication.processEvents()
        time.sleep(0.02)
    assert condition(), "timed out"


def test_the_dialog_installs_offline_and_shows_the_log_and_report(tmp_path, monkeypatch):
    from rsedit.core.torch_wheels import CPU
    from rsedit.ui import installer_dialog

    monkeypatch.setattr(installer_dialog, "pinned_modules", lambda with_latent=False: {NAME: f"{NAME}==1.2.3"})
    dialog = installer_dialog.InstallDialog()
    assert dialog.torch_build.currentData() == dialog.choice.variant  # the proposal is preselected
    if sys.platform.startswith("linux") and dialog.choice.driver is None:
        assert dialog.choice.variant == CPU
    dialog.python, dialog.target = sys.executable, tmp_path / "rsedit-packages"
    build_tiny_wheel(tmp_path / "wheels")
    dialog.wheel_folder.setText(str(tmp_path / "wheels"))
    dialog.install_button.click()
    assert not dialog.install_button.isEnabled() and dialog.cancel_button.isEnabled()
    _wait_until(lambda: dialog.result_outcome is not None)
    dialog.worker.wait()
    assert dialog.result_outcome.status == "installed", dialog.log.toPlainText()
    log = dialog.log.toPlainText()
    assert "--find-links" in log and f"{NAME} 1.2.3" in log  # pip's command line, then the report
    assert dialog.progress.value() == 100 and dialog.install_button.isEnabled()
    assert (tmp_path / "rsedit-packages" / NAME / "__init__.py").is_file()
    dialog.close()


def test_the_missing_packages_error_offers_the_installer(monkeypatch):
    from qgis.core import QgsProcessingException

    from rsedit.ui.dependencies import require_for_processing

    monkeypatch.setitem(sys.modules, "torch", None)  # hides the installed torch from importers
    with pytest.raises(QgsProcessingException, match="Plugins > RSEdit > Install or repair dependencies"):
        require_for_processing(("torch",))


@pytest.mark.skipif(os.name == "nt", reason="the stand-in interpreter is a shell script")
def test_cancel_in_the_dialog_stops_pip_and_keeps_the_previous_set(tmp_path):
    from rsedit.ui import installer_dialog

    previous = tmp_path / "rsedit-packages"
    previous.mkdir()
    (previous / "previous_package.py").write_text("")
    dialog = installer_dialog.InstallDialog()
    dialog.python, dialog.target = str(hanging_pip(tmp_path)), previous
    dialog.wheel_folder.setText(str(tmp_path))
    dialog.install_button.click()
    _wait_until(lambda: "Collecting" in dialog.log.toPlainText())
    dialog.cancel_button.click()
    _wait_until(lambda: dialog.result_outcome is not None, seconds=30)
    dialog.worker.wait()
    assert dialog.result_outcome.status == "cancelled"
    assert "unchanged" in dialog.status.text() and dialog.install_button.isEnabled()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []  # no staging left
    assert sorted(p.name for p in previous.iterdir()) == ["previous_package.py"]
    dialog.close()


class _DesktopStandIn:
    """What offer_installer_if_missing uses of QGIS's iface: a real message bar."""

    def __init__(self) -> None:
        from qgis.gui import QgsMessageBar

        self.bar = QgsMessageBar()

    def messageBar(self):  # noqa: N802 (QgisInterface's name)
        return self.bar


def test_missing_packages_are_offered_the_installer_in_the_message_bar(monkeypatch):
    from qgis.PyQt.QtWidgets import QPushButton

    from rsedit.core.dependencies import MODEL_PACKAGES, missing_modules
    from rsedit.ui.dependency_offer import offer_installer_if_missing

    opened: list[bool] = []
    if not missing_modules(tuple(MODEL_PACKAGES)):  # all there: nothing is offered
        assert not offer_installer_if_missing(_DesktopStandIn(), lambda: opened.append(True))
    monkeypatch.setitem(sys.modules, "torch", None)  # hides the installed torch from importers
    desktop = _DesktopStandIn()
    assert offer_installer_if_missing(desktop, lambda: opened.append(True))
    item = desktop.bar.currentItem()
    assert "torch" in item.text()
    [button] = item.findChildren(QPushButton)
    assert button.text() == "Install or repair dependencies…"
    button.click()
    assert opened == [True]
