"""Parameter groups that several algorithms share."""
from __future__ import annotations

from typing import Any

from qgis.core import QgsProcessingContext, QgsProcessingParameterDefinition, QgsProcessingParameterNumber

from ...core import defaults
from ..i18n import tr
from .base import RSEditAlgorithm


def add_tiling_parameters(algorithm: RSEditAlgorithm, advanced: bool,
                          values: tuple[int, int, int] = (defaults.TILE_SIZE, defaults.OVERLAP,
                                                          defaults.MARGIN)) -> None:
    """Tile size, overlap and context margin, shared by every algorithm that walks tiles."""
    specs = [
        ("TILE_SIZE", tr("Tile size (pixels)"), values[0], 64),
        ("OVERLAP", tr("Tile overlap (pixels)"), values[1], 0),
        ("MARGIN", tr("Context margin around ROIs (pixels)"), values[2], 0),
    ]
    for name, label, default, minimum in specs:
        parameter = QgsProcessingParameterNumber(name, label, QgsProcessingParameterNumber.Integer,
                                                 default, False, minimum, defaults.MAX_TILE_SIZE)
        if advanced:
            parameter.setFlags(parameter.flags() | QgsProcessingParameterDefinition.FlagAdvanced)
        algorithm.addParameter(parameter)


def tiling_settings(algorithm: RSEditAlgorithm, parameters: dict[str, Any],
                    context: QgsProcessingContext) -> dict[str, int]:
    return {key.lower(): algorithm.parameterAsInt(parameters, key, context)
            for key in ("TILE_SIZE", "OVERLAP", "MARGIN")}
