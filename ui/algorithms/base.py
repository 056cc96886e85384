"""What every RSEdit algorithm shares: translation, icon, dependency checks, error mapping."""
from __future__ import annotations

import traceback
from typing import Any

from qgis.core import (
    Qgis,
    QgsMessageLog,
    QgsProcessingAlgorithm,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingFeedback,
)
from qgis.PyQt.QtGui import QIcon

from ...core.errors import CancelledError, RSEditError
from ..dependencies import require_for_processing
from ..i18n import tr
from ..provider_icon import ICON


def group_names() -> dict[str, str]:
    """Toolbox groups, by task."""
    return {
        "tools": tr("Tools"),
        "models": tr("Scene models"),
        "edit": tr("Edit rasters"),
        "datasets": tr("Training data"),
    }


class RSEditAlgorithm(QgsProcessingAlgorithm):
    """Subclasses implement `perform`; core errors become QgsProcessingExceptions users can act on."""

    #: modules imported by `perform`; checked before it starts so a missing torch is a clear message
    required_modules: tuple[str, ...] = ()

    def createInstance(self):  # noqa: N802 (QGIS's name)
        return type(self)()

    def icon(self) -> QIcon:
        return QIcon(ICON)

    #: one of group_names()
    group_id = "tools"

    def groupId(self) -> str:  # noqa: N802
        return self.group_id

    def group(self) -> str:
        return group_names()[self.group_id]

    def processAlgorithm(self, parameters: dict[str, Any], context: QgsProcessingContext,
                         feedback: QgsProcessingFeedback) -> dict[str, Any]:  # noqa: N802
        require_for_processing(self.required_modules)
        try:
            return self.perform(parameters, context, feedback)
        except CancelledError:
            raise QgsProcessingException(tr("Cancelled: no output was written.")) from None
        except RSEditError as error:
            raise QgsProcessingException(str(error)) from None
        except QgsProcessingException:
            raise
        except Exception as error:  # noqa: BLE001 (a fault outside core's boundary: one line here, the traceback in the log)
            QgsMessageLog.logMessage(traceback.format_exc(), "RSEdit", Qgis.Critical)
            raise QgsProcessingException(tr("{name} failed: {error}. This is a fault in RSEdit; the log has the "
                                            "details, please report them.").format(
                name=self.displayName(), error=" ".join(str(error).split()) or type(error).__name__)) from None

    def perform(self, parameters: dict[str, Any], context: QgsProcessingContext,
            feedback: QgsProcessingFeedback) -> dict[str, Any]:
        raise NotImplementedError
