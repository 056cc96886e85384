"""What the editing algorithms share: raster + ROI inputs (polygons or a raster mask), scene-model
and sampling settings, the edited raster and edit-mask outputs, and the call into rsedit.core.scene_edit."""
from __future__ import annotations

from typing import Any

from qgis.core import (
    QgsProcessing,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingFeedback,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterDefinition,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterFile,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterDestination,
    QgsProcessingParameterRasterLayer,
)

from ...core import defaults
from ...core.dependencies import MODEL_PACKAGES
from ..feedback import FeedbackBridge
from ..i18n import tr
from ..layers import (check_roi_file_names_its_layer, pixel_rois_of_plain_raster, raster_path, roi_features,
                      warn_if_without_crs)
from .base import RSEditAlgorithm
from .executor_parameters import add_executor_parameter, executor_arguments
from .mask_parameters import add_mask_parameters, roi_mask
from .parameters import add_tiling_parameters, tiling_settings

BACKENDS = ["auto", *defaults.BACKENDS]  # the labels below follow this order
PRESETS = list(defaults.PRESETS)
DEVICES = list(defaults.DEVICES)


def backend_labels() -> list[str]:
    return [tr("Automatic (trained with a GPU, training-free without)"), tr("Training-free (no training)"),
            tr("Trained SinDDM (trains once per scene, cached)")]


def preset_labels() -> list[str]:
    return [tr("Fast (CPU-friendly)"), tr("Standard"), tr("Paper (reference settings, GPU hours)")]


def device_labels() -> list[str]:
    """DEVICES as the dialogs list them: "auto" translated, the device names as they are."""
    return [tr("auto")] + DEVICES[1:]


def feather_parameter() -> QgsProcessingParameterNumber:
    return QgsProcessingParameterNumber("FEATHER", tr("Feather width of ROI borders (pixels)"),
                                        QgsProcessingParameterNumber.Integer, defaults.FEATHER, False, 0,
                                        defaults.MAX_FEATHER)


def advanced(parameter: QgsProcessingParameterDefinition) -> QgsProcessingParameterDefinition:
    parameter.setFlags(parameter.flags() | QgsProcessingParameterDefinition.FlagAdvanced)
    return parameter


class SceneEditAlgorithm(RSEditAlgorithm):
    """Subclasses add their mode's parameters and return its settings from `mode_settings`."""

    INPUT, ROIS, OUTPUT, OUTPUT_MASK = "INPUT", "ROIS", "OUTPUT", "OUTPUT_MASK"
    required_modules = tuple(MODEL_PACKAGES)
    group_id = "edit"
    mode = "regenerate"
    offers_dask = False  # the algorithms whose edits a Dask cluster can run (core.scene_edit.DASK_MODES)

    def rois_label(self) -> str:
        """Name of the ROI parameter in this algorithm's dialog."""
        return tr("Regions to edit (polygons)")

    def initAlgorithm(self, config: dict[str, Any] | None = None) -> None:  # noqa: N802
        self.addParameter(QgsProcessingParameterRasterLayer(self.INPUT, tr("Raster")))
        self.addParameter(QgsProcessingParameterFeatureSource(
            self.ROIS, self.rois_label(), [QgsProcessing.TypeVectorPolygon], optional=True))
        add_mask_parameters(self)
        self.add_mode_parameters()
        self.addParameter(QgsProcessingParameterNumber(
            "SEED", tr("Random seed (same seed, same edit)"), QgsProcessingParameterNumber.Integer, 0, False, 0))
        self.add_model_parameters()
        self.addParameter(QgsProcessingParameterRasterDestination(self.OUTPUT, tr("Edited raster")))
        self.addParameter(QgsProcessingParameterRasterDestination(
            self.OUTPUT_MASK, tr("Edit mask (0 = original pixel, 255 = fully synthetic)"), optional=True))

    def add_mode_parameters(self) -> None:
        """The mode's own parameters (prompt, copy source, ...)."""

    def add_model_parameters(self) -> None:
        self.addParameter(advanced(QgsProcessingParameterEnum(
            "BACKEND", tr("Scene model"), backend_labels(), defaultValue=0)))
        self.addParameter(advanced(QgsProcessingParameterEnum(
            "PRESET", tr("Training preset (trained scene model)"), preset_labels(), defaultValue=0)))
        self.addParameter(advanced(QgsProcessingParameterFile(
            "CHECKPOINT", tr("Trained scene model to reuse (.safetensors)"), extension="safetensors", optional=True)))
        self.addParameter(advanced(QgsProcessingParameterNumber(
            "START_SCALE", tr("Start scale (0 = re-create the ROI from scratch; higher keeps more of the layout)"),
            QgsProcessingParameterNumber.Integer, -1, False, -1, 10)))
        self.addParameter(advanced(QgsProcessingParameterNumber(
            "START_STEP", tr("Start step at the start scale (0-99; -1 = the mode's default)"),
            QgsProcessingParameterNumber.Integer, -1, False, -1, 99)))
        self.addParameter(advanced(QgsProcessingParameterBoolean(
            "SOFT_MASK", tr("Soft ROI edges (NGDM); untick for a hard mask"), True)))
        self.addParameter(advanced(QgsProcessingParameterNumber(
            "CONTEXT_SIZE", tr("Context the scene model learns from (pixels around the ROIs)"),
            QgsProcessingParameterNumber.Integer, defaults.CONTEXT_SIZE, False, defaults.MIN_CONTEXT_SIZE,
            defaults.MAX_CONTEXT_SIZE)))
        self.addParameter(advanced(feather_parameter()))
        self.addParameter(advanced(QgsProcessingParameterEnum("DEVICE", tr("Device"), device_labels(), defaultValue=0)))
        add_tiling_parameters(self, advanced=True)
        if self.offers_dask:
            add_executor_parameter(self)

    def mode_settings(self, parameters: dict[str, Any], context: QgsProcessingContext,
                      features: list, crs_wkt: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """(the mode's settings fields, extra edit_scene arguments): see core/settings.py."""
        return {}, {}

    def read_inputs(self, parameters: dict[str, Any], context: QgsProcessingContext,
                    feedback: QgsProcessingFeedback) -> tuple[str, Any, str | None]:
        """(raster path, ROI features, their CRS WKT), with QGIS's selected-features-only honoured;
        (raster path, RoiMaskRaster, None) when a raster mask gives the ROIs."""
        path = raster_path(self.parameterAsRasterLayer(parameters, self.INPUT, context), tr("Raster"))
        mask = roi_mask(self, parameters, context, self.ROIS, self.rois_label())
        if mask is not None:
            return path, mask, None
        check_roi_file_names_its_layer(parameters.get(self.ROIS))
        features, crs_wkt = roi_features(self.parameterAsSource(parameters, self.ROIS, context), self.rois_label())
        features, crs_wkt = pixel_rois_of_plain_raster(path, features, crs_wkt, feedback)
        if crs_wkt is not None:
            warn_if_without_crs(crs_wkt, self.rois_label(), feedback)
        return path, features, crs_wkt

    def read_outputs(self, parameters: dict[str, Any], context: QgsProcessingContext) -> tuple[str, str | None]:
        """(edited raster path, edit mask path or None); GeoTIFF, or PNG for a raster without georeferencing."""
        out = self.parameterAsOutputLayer(parameters, self.OUTPUT, context)
        mask_out = self.parameterAsOutputLayer(parameters, self.OUTPUT_MASK, context) or None
        if out and not out.lower().endswith((".tif", ".tiff", ".png")):
            raise QgsProcessingException(tr("RSEdit writes GeoTIFF (or PNG, for a raster without georeferencing): "
                                            "give the edited raster a .tif or .png file name."))
        return out, mask_out

    def scene_model_settings(self, parameters: dict[str, Any], context: QgsProcessingContext) -> dict[str, Any]:
        """The settings fields of add_model_parameters' parameters."""
        backend = BACKENDS[self.parameterAsEnum(parameters, "BACKEND", context)]
        start_scale = self.parameterAsInt(parameters, "START_SCALE", context)
        start_step = self.parameterAsInt(parameters, "START_STEP", context)
        return dict(
            seed=self.parameterAsInt(parameters, "SEED", context),
            backend=None if backend == "auto" else backend,
            preset=PRESETS[self.parameterAsEnum(parameters, "PRESET", context)],
            checkpoint=self.parameterAsFile(parameters, "CHECKPOINT", context) or None,
            start_scale=None if start_scale < 0 else start_scale,
            start_t=None if start_step < 0 else start_step,
            soft_mask=self.parameterAsBool(parameters, "SOFT_MASK", context),
            context_size=self.parameterAsInt(parameters, "CONTEXT_SIZE", context),
            feather=self.parameterAsInt(parameters, "FEATHER", context),
            device=DEVICES[self.parameterAsEnum(parameters, "DEVICE", context)],
        )

    def perform(self, parameters: dict[str, Any], context: QgsProcessingContext,
                feedback: QgsProcessingFeedback) -> dict[str, Any]:
        from ...core.scene_edit import edit_scene

        path, features, crs_wkt = self.read_inputs(parameters, context, feedback)
        out, mask_out = self.read_outputs(parameters, context)
        settings, extra = self.mode_settings(parameters, context, features, crs_wkt)
        settings.update(mode=self.mode, **self.scene_model_settings(parameters, context),
                        **tiling_settings(self, parameters, context))
        if self.offers_dask:
            extra.update(executor_arguments(self, parameters, context))
        bridge = FeedbackBridge(feedback)
        result = edit_scene(path, features, out, rois_crs=crs_wkt, mask_out=mask_out,
                            progress=bridge.progress, is_cancelled=bridge.is_cancelled, **extra, **settings)
        for prompt, used in result.prompts.items():
            feedback.pushInfo(tr("Prompts used for '{prompt}': {used}").format(prompt=prompt, used="; ".join(used)))
        feedback.pushInfo(tr("Scene model: {model}").format(model=result.model.get("backend")))
        outputs = {self.OUTPUT: result.outputs[0].out_path}
        if mask_out:
            outputs[self.OUTPUT_MASK] = result.outputs[0].mask_path
        return outputs
