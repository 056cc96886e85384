"""Plugins > RSEdit > Dependency report: what QGIS's Python imports and the torch device, to copy
into a bug report (core/dependency_report.py does the checking)."""
from __future__ import annotations

from typing import Optional

from qgis.PyQt.QtCore import Qt
from qgis.PyQt.QtWidgets import QApplication, QDialog, QDialogButtonBox, QPlainTextEdit, QVBoxLayout, QWidget

from ..core.dependency_report import dependency_report
from ..core.qgis_python import python_executable
from ..core.torch_wheels import nvidia_driver_version
from .dependencies import REPORT_MENU_TEXT, dependency_folder, pinned_modules
from .i18n import tr


def current_report_text() -> str:
    """The report of QGIS's interpreter with the profile's package folder (takes a few seconds:
    torch is imported in a child process)."""
    report = dependency_report(python_executable(), dependency_folder(), pinned_modules(with_latent=True),
                               nvidia_driver_version())
    return report.text() if report is not None else ""


class DependencyReportDialog(QDialog):
    def __init__(self, text: str, parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr(REPORT_MENU_TEXT))
        view = QPlainTextEdit(text)
        view.setReadOnly(True)
        view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        copy = buttons.addButton(tr("Copy"), QDialogButtonBox.ButtonRole.ActionRole)
        copy.clicked.connect(lambda: QApplication.clipboard().setText(text))
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(view)
        layout.addWidget(buttons)
        self.resize(760, 360)


def dependency_report_dialog(parent: Optional[QWidget] = None) -> DependencyReportDialog:
    """The report's dialog, with a wait cursor while the report is made."""
    QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
    try:
        text = current_report_text()
    finally:
        QApplication.restoreOverrideCursor()
    return DependencyReportDialog(text, parent)
