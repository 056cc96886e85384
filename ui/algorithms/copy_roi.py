"""rsedit:copyroi: copy the content of a source polygon into target ROIs (eq. 14-15)."""
from __future__ import annotations

from typing import Any

from qgis.core import QgsProcessing, QgsProcessingParameterFeatureSource, QgsProcessingParameterNumber

from ..i18n import tr
from ..layers import roi_features
from .edit_base import SceneEditAlgorithm
from .executor_parameters import executor_help
from .mask_parameters import mask_help


class CopyRoiAlgorithm(SceneEditAlgorithm):
    mode = "copy"
    offers_dask = True

    def rois_label(self) -> str:
        return tr("Target polygons")

    def name(self) -> str:
        return "copyroi"

    def displayName(self) -> str:  # noqa: N802
        return tr("Copy ROI content to target ROIs")

    def shortHelpString(self) -> str:  # noqa: N802
        text = tr(
            "Places the content of a source polygon (oil tanks, PV panels, a wind turbine, a ship) into every "
            "target polygon, resampled to each target's size, and lets the scene model blend it into its new "
            "surroundings. Pixels outside the targets are unchanged.\n\n"
            "<b>Source polygon</b>: a polygon layer; its first feature (or the selected one, with 'Selected "
            "features only') marks the content to copy.\n"
            "<b>Target polygons</b>: where the content goes; each at least 4 pixels across.\n"
            "<b>Copy strength</b>: 0.8 copies closely; lower values keep more of the target's own content.\n\n"
            "Example: a port orthophoto, one polygon around an oil tank as source, five empty lots as targets.")
        return text + "\n\n" + mask_help() + "\n\n" + executor_help()

    def add_mode_parameters(self) -> None:
        self.addParameter(QgsProcessingParameterFeatureSource(
            "SOURCE", tr("Source polygon (content to copy)"), [QgsProcessing.TypeVectorPolygon]))
        self.addParameter(QgsProcessingParameterNumber(
            "COPY_STEP", tr("Copy strength"), QgsProcessingParameterNumber.Double, 0.8, False, 0.05, 1.0))

    def mode_settings(self, parameters, context, features, crs_wkt) -> tuple[dict[str, Any], dict[str, Any]]:
        sources, source_crs = roi_features(self.parameterAsSource(parameters, "SOURCE", context),
                                           tr("Source polygon (content to copy)"))
        return (dict(copy_step=self.parameterAsDouble(parameters, "COPY_STEP", context)),
                dict(copy_source=sources[0], copy_source_crs=source_crs))
