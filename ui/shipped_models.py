"""Graphical-modeler models shipped with the plugin (ui/processing_models/*.model3, built by
scripts/build_processing_models.py) and offered by the provider like its other algorithms."""
from __future__ import annotations

from pathlib import Path

from qgis.core import Qgis, QgsMessageLog, QgsProcessingModelAlgorithm
from qgis.PyQt.QtGui import QIcon

from .i18n import tr
from .provider_icon import ICON

MODELS_DIR = Path(__file__).resolve().parent / "processing_models"


def model_texts() -> dict[str, tuple[str, str]]:
    """Model name -> (display name, help), translated; the .model3 files hold the wiring only."""
    return {
        "bufferregenerateclip": (
            tr("Buffer ROIs, regenerate them and clip to their extent"),
            tr("A graphical-modeler model (open it in the modeler to adapt it): it buffers the polygons "
               "(native:buffer), regenerates the buffered polygons with 'Regenerate ROIs' (rsedit:regenerate, "
               "default settings: the automatic scene model) and clips the edited raster to the buffered "
               "polygons' extent (gdal:cliprasterbyextent), giving a small raster of just the edited area.\n\n"
               "<b>Raster</b>: any georeferenced GDAL raster. <b>Regions to edit</b>: polygons around clouds or "
               "objects; 'Selected features only' is honoured. <b>Buffer</b>: the distance added around each "
               "polygon, in the polygon layer's units, so that edges of clouds and their halos are included. "
               "<b>Random seed</b>: the same seed gives the same result.\n"
               "Output: the edited raster clipped to the buffered polygons, with the provenance tags of the "
               "edit.\n\n"
               "Example: a Landsat scene, cloud polygons, buffer 60 m → a cloud-free cut-out of the cloudy area.")),
    }


def model_parameter_labels() -> dict[str, str]:
    """Parameter and output descriptions as the .model3 files hold them (English) -> translated."""
    return {
        "Raster": tr("Raster"),
        "Regions to edit (polygons)": tr("Regions to edit (polygons)"),
        "Buffer around each polygon": tr("Buffer around each polygon"),
        "Random seed": tr("Random seed"),
        "Edited raster, clipped to the buffered polygons": tr("Edited raster, clipped to the buffered polygons"),
    }


class ShippedModel(QgsProcessingModelAlgorithm):
    """A .model3 file with a translated name and help, in the RSEdit 'Workflows' group."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path
        if not self.fromFile(str(path)):
            raise ValueError(tr("cannot read the model {path}").format(path=path))
        labels = model_parameter_labels()
        for definition in [*self.parameterDefinitions(), *self.outputDefinitions()]:
            definition.setDescription(labels.get(definition.description(), definition.description()))

    def createInstance(self):  # noqa: N802 (QGIS's name)
        return ShippedModel(self.path)

    def displayName(self) -> str:  # noqa: N802
        return model_texts().get(self.name(), (self.name(), ""))[0]

    def shortHelpString(self) -> str:  # noqa: N802
        return model_texts().get(self.name(), ("", super().shortHelpString()))[1]

    def groupId(self) -> str:  # noqa: N802
        return "workflows"

    def group(self) -> str:
        return tr("Workflows")

    def icon(self) -> QIcon:
        return QIcon(ICON)

    def svgIconPath(self) -> str:  # noqa: N802
        return ICON


def shipped_models() -> list[ShippedModel]:
    models = []
    for path in sorted(MODELS_DIR.glob("*.model3")):
        try:
            models.append(ShippedModel(path))
        except ValueError as error:  # one broken file must not take the provider down
            QgsMessageLog.logMessage(str(error), "RSEdit", Qgis.MessageLevel.Warning)
    return models
