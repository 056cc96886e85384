"""Plugins > RSEdit > Install or repair dependencies…: a thin dialog over core/package_install.py.

pip runs in a worker thread (its output arrives through Qt signals, so the dialog stays live and
Cancel works); everything that decides what is installed, and how, is in core/.
"""
from __future__ import annotations

import sys
import threading
from pathlib import Path
from typing import Optional

from qgis.PyQt.QtCore import QThread, pyqtSignal
from qgis.PyQt.QtWidgets import (QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFileDialog, QFormLayout,
                                 QHBoxLayout, QLabel, QLineEdit, QPlainTextEdit, QProgressBar, QPushButton,
                                 QVBoxLayout, QWidget)

from ..core.package_install import InstallOutcome, InstallPlan, install_packages
from ..core.qgis_python import python_executable
from ..core.torch_wheels import VARIANTS, choose_torch_variant, nvidia_driver_version
from .dependencies import INSTALLER_MENU_TEXT, dependency_folder, pinned_modules
from .i18n import tr

LOG_LINES = 20000  # the log view keeps this many lines


class InstallWorker(QThread):
    """Runs one install; the signals carry pip's lines, the progress and the outcome to the dialog."""

    line = pyqtSignal(str)
    progress = pyqtSignal(float, str)
    outcome = pyqtSignal(object)

    def __init__(self, plan: InstallPlan, parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        self.plan = plan
        self.cancelled = threading.Event()

    def run(self) -> None:  # noqa: D102 (QThread's)
        try:
            result = install_packages(self.plan, self.line.emit, self.progress.emit, self.cancelled.is_set)
        except OSError as error:  # the interpreter or the folder cannot be used at all
            result = InstallOutcome("failed", str(error))
        self.outcome.emit(result)


class InstallDialog(QDialog):
    def __init__(self, parent: Optional[QWidget] = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr(INSTALLER_MENU_TEXT).rstrip("…"))
        self.python = python_executable()
        self.target = dependency_folder()
        self.worker: Optional[InstallWorker] = None
        self.result_outcome: Optional[InstallOutcome] = None
        self.choice = choose_torch_variant(sys.platform, nvidia_driver_version())

        form = QFormLayout()
        form.addRow(tr("QGIS's Python:"), QLabel(self.python))
        form.addRow(tr("Install into:"), QLabel(str(self.target)))
        self.torch_build = QComboBox()
        for variant in VARIANTS:
            self.torch_build.addItem(variant.label, variant)
        self.torch_build.setCurrentIndex(VARIANTS.index(self.choice.variant))
        form.addRow(tr("torch build:"), self.torch_build)
        form.addRow("", QLabel(tr("Proposed: {variant} ({reason}).").format(variant=self.choice.variant.label,
                                                                              reason=self.choice.reason)))
        self.with_latent = QCheckBox(tr("Also the packages of the pretrained-model backend (transformers, lpips)"))
        form.addRow("", self.with_latent)
        self.wheel_folder = QLineEdit()
        self.wheel_folder.setPlaceholderText(tr("empty: download from the package index"))
        browse = QPushButton(tr("Browse…"))
        browse.clicked.connect(self.choose_wheel_folder)
        offline = QHBoxLayout()
        offline.addWidget(self.wheel_folder)
        offline.addWidget(browse)
        form.addRow(tr("Offline, from a folder of wheels:"), offline)

        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.status = QLabel(tr("Ready."))
        self.log = QPlainTextEdit()
        self.log.setReadOnly(True)
        self.log.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.log.setMaximumBlockCount(LOG_LINES)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.install_button = self.buttons.addButton(tr("Install"), QDialogButtonBox.ButtonRole.ActionRole)
        self.cancel_button = self.buttons.addButton(tr("Cancel install"), QDialogButtonBox.ButtonRole.ActionRole)
        self.cancel_button.setEnabled(False)
        self.install_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.cancel)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.log, 1)
        layout.addWidget(self.buttons)
        self.resize(760, 520)

    def choose_wheel_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, tr("Folder of wheels"), self.wheel_folder.text())
        if folder:
            self.wheel_folder.setText(folder)

    def plan(self) -> InstallPlan:
        variant = self.torch_build.currentData()
        wheels = self.wheel_folder.text().strip()
        return InstallPlan(self.python, self.target, pinned_modules(self.with_latent.isChecked()),
                           torch_index=variant.index_url, wheel_folder=Path(wheels) if wheels else None,
                           driver=self.choice.driver)

    def start(self) -> None:
        self.log.clear()
        self.result_outcome = None
        self.worker = InstallWorker(self.plan(), self)
        self.worker.line.connect(self.log.appendPlainText)
        self.worker.progress.connect(self.show_progress)
        self.worker.outcome.connect(self.finish)
        self._running(True)
        self.worker.start()

    def cancel(self) -> None:
        if self.worker is not None:
            self.status.setText(tr("Cancelling…"))
            self.worker.cancelled.set()

    def show_progress(self, fraction: float, phase: str) -> None:
        self.progress.setValue(int(round(100 * fraction)))
        self.status.setText(phase)  # core/ reports its phases in English

    def finish(self, outcome: InstallOutcome) -> None:
        self.result_outcome = outcome
        self._running(False)
        self.status.setText(outcome.message)
        if outcome.report is not None:
            self.log.appendPlainText("\n" + outcome.report.text())

    def _running(self, running: bool) -> None:
        self.install_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)
        self.buttons.button(QDialogButtonBox.StandardButton.Close).setEnabled(not running)

    def reject(self) -> None:  # closing (or unloading the plugin) while pip runs: cancel it first
        if self.worker is not None and self.worker.isRunning():
            self.cancel()
            self.worker.wait()  # pip stops within seconds of the cancel (SIGTERM, then SIGKILL)
        super().reject()
