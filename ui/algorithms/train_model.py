"""rsedit:trainscenemodel: train a SinDDM on the area around the ROIs and save it for reuse."""
from __future__ import annotations

from typing import Any

from qgis.core import (
    QgsProcessing,
    QgsProcessingException,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterLayer,
)

from ...core.dependencies import MODEL_PACKAGES
from ..feedback import FeedbackBridge
from ..i18n import tr
from ..layers import raster_path, roi_features
from .base import RSEditAlgorithm
from .edit_base import DEVICES, PRESETS, device_labels, preset_labels
from .mask_parameters import add_mask_parameters, mask_help, roi_mask


class TrainSceneModelAlgorithm(RSEditAlgorithm):
    required_modules = tuple(MODEL_PACKAGES)
    group_id = "models"

    def name(self) -> str:
        return "trainscenemodel"

    def displayName(self) -> str:  # noqa: N802
        return tr("Train scene model")

    def shortHelpString(self) -> str:  # noqa: N802
        text = tr(
            "Trains a single-image diffusion model (SinDDM) on the area around the polygons, at the raster's "
            "native resolution, and saves it as a .safetensors file that the editing algorithms reuse "
            "('Trained scene model to reuse'). Editing also trains and caches a model by itself when the "
            "trained backend is chosen; use this algorithm to train once, ahead of many edits or batch runs.\n\n"
            "<b>Preset</b>: fast (minutes on a CPU), standard, or paper (the reference settings, GPU hours).\n"
            "<b>Context</b>: the side of the square window around the polygons the model learns from.\n"
            "<b>Device</b>: auto trains on a GPU when there is one, else on the CPU. <b>Random seed</b>: seeds the "
            "training, for repeatable runs.\n"
            "Cancel stops training within a second or two and writes nothing.\n\n"
            "Example: a drone orthophoto and the field polygon, preset fast, output field_model.safetensors.")
        return text + "\n\n" + mask_help()

    def initAlgorithm(self, config: dict[str, Any] | None = None) -> None:  # noqa: N802
        self.addParameter(QgsProcessingParameterRasterLayer("INPUT", tr("Raster")))
        self.addParameter(QgsProcessingParameterFeatureSource(
            "ROIS", tr("Area to learn (polygons)"), [QgsProcessing.TypeVectorPolygon], optional=True))
        add_mask_parameters(self)
        self.addParameter(QgsProcessingParameterEnum("PRESET", tr("Training preset"), preset_labels(), defaultValue=0))
        self.addParameter(QgsProcessingParameterNumber(
            "CONTEXT_SIZE", tr("Context (pixels)"), QgsProcessingParameterNumber.Integer, 256, False, 32, 4096))
        self.addParameter(QgsProcessingParameterEnum("DEVICE", tr("Device"), device_labels(), defaultValue=0))
        self.addParameter(QgsProcessingParameterNumber(
            "SEED", tr("Random seed"), QgsProcessingParameterNumber.Integer, 0, False, 0))
        self.addParameter(QgsProcessingParameterFileDestination(
            "OUTPUT", tr("Scene model"), tr("Scene model (*.safetensors)")))

    def perform(self, parameters, context, feedback) -> dict[str, Any]:
        from ...core.scene_training import train_scene

        path = raster_path(self.parameterAsRasterLayer(parameters, "INPUT", context), tr("Raster"))
        label = tr("Area to learn (polygons)")
        mask = roi_mask(self, parameters, context, "ROIS", label)
        features, crs_wkt = (mask, None) if mask is not None else roi_features(
            self.parameterAsSource(parameters, "ROIS", context), label)
        out = self.parameterAsFileOutput(parameters, "OUTPUT", context)
        if not out.lower().endswith(".safetensors"):
            raise QgsProcessingException(tr("Scene models are saved as .safetensors files: change the output name."))
        bridge = FeedbackBridge(feedback)
        train_scene(path, features, out, rois_crs=crs_wkt,
                    preset=PRESETS[self.parameterAsEnum(parameters, "PRESET", context)],
                    context_size=self.parameterAsInt(parameters, "CONTEXT_SIZE", context),
                    device=DEVICES[self.parameterAsEnum(parameters, "DEVICE", context)],
                    seed=self.parameterAsInt(parameters, "SEED", context),
                    progress=bridge.progress, is_cancelled=bridge.is_cancelled)
        return {"OUTPUT": out}
