"""The CLIP parameters of the text-guided algorithms (edit with text prompt, before/after pairs)."""
from __future__ import annotations

from typing import Any

from qgis.core import (
    QgsProcessingContext,
    QgsProcessingParameterFile,
    QgsProcessingParameterNumber,
    QgsProcessingParameterString,
)

from ..i18n import tr
from .base import RSEditAlgorithm
from .edit_base import advanced


def add_clip_parameters(algorithm: RSEditAlgorithm) -> None:
    """CLIP architecture, weights file (or pretrained tag) and guidance strength."""
    algorithm.addParameter(QgsProcessingParameterString("CLIP_MODEL", tr("CLIP architecture"), "ViT-B-32"))
    algorithm.addParameter(QgsProcessingParameterFile(
        "CLIP_WEIGHTS", tr("CLIP weights file (e.g. RemoteCLIP-ViT-B-32.pt)"), optional=True))
    algorithm.addParameter(advanced(QgsProcessingParameterString(
        "CLIP_PRETRAINED", tr("…or an open_clip pretrained tag (downloads once)"), optional=True)))
    algorithm.addParameter(QgsProcessingParameterNumber(
        "GUIDANCE_STRENGTH", tr("Guidance strength"), QgsProcessingParameterNumber.Double, 0.5, False, 0.0, 5.0))


def clip_settings(algorithm: RSEditAlgorithm, parameters: dict[str, Any],
                  context: QgsProcessingContext) -> dict[str, Any]:
    """The EditSettings fields of add_clip_parameters' parameters."""
    weights = algorithm.parameterAsFile(parameters, "CLIP_WEIGHTS", context) or \
        algorithm.parameterAsString(parameters, "CLIP_PRETRAINED", context).strip() or None
    return dict(clip_model=algorithm.parameterAsString(parameters, "CLIP_MODEL", context).strip() or "ViT-B-32",
                clip_weights=weights,
                guidance_strength=algorithm.parameterAsDouble(parameters, "GUIDANCE_STRENGTH", context))
