"""What every RSEdit algorithm shares: translation, icon, dependency checks, error mapping."""
from __future__ import annotations

import logging
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

from ...core.error_boundary import one_line
from ...core.errors import CancelledError, RSEditError
from ..dependencies import require_for_processing
from ..i18n import tr
from ..provider_icon import ICON


log = logging.getLogger(__name__)
PACKAGE_LOG = logging.getLogger(__name__.split(".")[0])  # "rsedit": core/, models/ and ui/ log below it


class QgisLog(logging.Handler):
    """The package's errors (a fault's traceback among them) in QGIS's log panel, where the messages
    of faults point the user; without it they would go to the terminal QGIS was started from, if any."""

    def emit(self, record: logging.LogRecord) -> None:
        QgsMessageLog.logMessage(self.format(record), "RSEdit", Qgis.MessageLevel.Critical)


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
        handler = QgisLog(logging.ERROR)
        PACKAGE_LOG.addHandler(handler)
        try:
            return self.perform(parameters, context, feedback)
        except CancelledError:
            raise QgsProcessingException(tr("Cancelled: no output was written.")) from None
        except RSEditError as error:
            raise QgsProcessingException(str(error)) from None
        except QgsProcessingException:
            raise
        except Exception as error:  # noqa: BLE001 (a fault outside core's boundary: one line here, the traceback in the log)
            log.exception("Unexpected failure in %s", self.name())
            raise QgsProcessingException(tr("{name} failed: {error}. This is a fault in RSEdit; the log has the "
                                            "details, please report them.").format(
                name=self.displayName(), error=one_line(str(error)) or type(error).__name__)) from None
        finally:
            PACKAGE_LOG.removeHandler(handler)

    def perform(self, parameters: dict[str, Any], context: QgsProcessingContext,
            feedback: QgsProcessingFeedback) -> dict[str, Any]:
        raise NotImplementedError
