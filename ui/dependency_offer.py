"""When the model packages are missing, the desktop offers the installer in the message bar."""
from __future__ import annotations

from typing import Callable

from qgis.core import Qgis
from qgis.PyQt.QtWidgets import QPushButton

from ..core.dependencies import MODEL_PACKAGES, missing_modules
from .dependencies import INSTALLER_MENU_TEXT
from .i18n import tr


def offer_installer_if_missing(iface, open_installer: Callable[[], None]) -> bool:
    """Show a message with an install button when a model package cannot be imported; True if shown."""
    missing = missing_modules(tuple(MODEL_PACKAGES))
    if not missing:
        return False
    bar = iface.messageBar()
    message = bar.createMessage("RSEdit", tr("The packages {packages} are missing: the model-backed algorithms "
                                             "cannot run.").format(packages=", ".join(missing)))
    button = QPushButton(tr(INSTALLER_MENU_TEXT), message)
    button.clicked.connect(open_installer)
    message.layout().addWidget(button)
    bar.pushWidget(message, Qgis.MessageLevel.Warning)
    return True
