"""Getting torch & co. into QGIS's Python: a plugin-managed package folder on sys.path."""
from __future__ import annotations

import sys
from pathlib import Path

from qgis.core import QgsApplication, QgsProcessingException

from ..core.dependencies import LATENT_PACKAGES, MODEL_PACKAGES, MissingDependencies, require
from ..core.package_install import finish_pending_install
from .i18n import QT_TR_NOOP, tr

# Plugins > RSEdit menu items, tr()'d where shown (the installer's is named in messages too)
INSTALLER_MENU_TEXT = QT_TR_NOOP("Install or repair dependencies…")
REPORT_MENU_TEXT = QT_TR_NOOP("Dependency report")


def dependency_folder() -> Path:
    """Where `pip install --target` puts the packages for this QGIS profile."""
    return Path(QgsApplication.qgisSettingsDirPath()) / "python" / "rsedit-packages"


def pinned_modules(with_latent: bool = False) -> dict[str, str]:
    """Import name -> pinned requirement of what the installer installs and checks."""
    return {**MODEL_PACKAGES, **(LATENT_PACKAGES if with_latent else {})}


def add_dependency_folder_to_path() -> None:
    folder = dependency_folder()
    finish_pending_install(folder)  # an install that waited for this restart, before anything imports from it
    if folder.is_dir() and str(folder) not in sys.path:
        sys.path.append(str(folder))  # appended: packages QGIS already ships take precedence


def require_for_processing(modules: tuple[str, ...]) -> None:
    """Raise a QgsProcessingException that names the missing packages, the install command and the
    installer of the Plugins menu."""
    try:
        require(modules, target_dir=str(dependency_folder()))
    except MissingDependencies as missing:
        raise QgsProcessingException(
            tr("RSEdit needs the Python package(s) {packages}, which QGIS's Python cannot import. "
               "Install them with:\n    {command}\nthen restart QGIS.").format(
                packages=", ".join(missing.requirements), command=missing.install_command())
            + "\n" + tr("Or let RSEdit install them: Plugins > RSEdit > {item}").format(item=tr(INSTALLER_MENU_TEXT))
        ) from None
