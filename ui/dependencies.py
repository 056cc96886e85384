"""Getting torch & co. into QGIS's Python: a plugin-managed package folder on sys.path."""
from __future__ import annotations

import sys
from pathlib import Path

from qgis.core import QgsApplication, QgsProcessingException

from ..core.dependencies import MissingDependencies, require
from .i18n import tr


def dependency_folder() -> Path:
    """Where `pip install --target` puts the packages for this QGIS profile."""
    return Path(QgsApplication.qgisSettingsDirPath()) / "python" / "rsedit-packages"


def add_dependency_folder_to_path() -> None:
    folder = str(dependency_folder())
    if Path(folder).is_dir() and folder not in sys.path:
        sys.path.append(folder)  # appended: packages QGIS already ships take precedence


def require_for_processing(modules: tuple[str, ...]) -> None:
    """Raise a QgsProcessingException that names the missing packages and the install command."""
    try:
        require(modules, target_dir=str(dependency_folder()))
    except MissingDependencies as missing:
        raise QgsProcessingException(
            tr("RSEdit needs the Python package(s) {packages}, which QGIS's Python cannot import. "
               "Install them with:\n    {command}\nthen restart QGIS.").format(
                packages=", ".join(missing.requirements), command=missing.install_command())
        ) from None
