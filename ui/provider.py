"""The `rsedit` Processing provider."""
from __future__ import annotations

from qgis.core import QgsProcessingProvider
from qgis.PyQt.QtGui import QIcon

from .algorithms import ALGORITHMS
from .i18n import tr
from .provider_icon import ICON
from .shipped_models import shipped_models


class RSEditProvider(QgsProcessingProvider):
    def id(self) -> str:
        return "rsedit"

    def name(self) -> str:
        return "RSEdit"

    def longName(self) -> str:  # noqa: N802 (QGIS's name)
        return tr("RSEdit: diffusion-based editing of remote-sensing rasters")

    def icon(self) -> QIcon:
        return QIcon(ICON)

    def svgIconPath(self) -> str:  # noqa: N802
        return ICON

    def loadAlgorithms(self) -> None:  # noqa: N802
        for algorithm_class in ALGORITHMS:
            self.addAlgorithm(algorithm_class())
        for model in shipped_models():
            self.addAlgorithm(model)
