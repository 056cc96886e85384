"""A raster mask (cloud, shadow or probability mask) as the ROIs, instead of a polygon layer: the
parameters every algorithm that takes ROIs shares, and reading them into core's RoiMaskRaster."""
from __future__ import annotations

from typing import Any, Optional

from qgis.core import (
    QgsProcessingContext,
    QgsProcessingParameterBand,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterLayer,
    QgsProcessingParameterString,
)

from ...core import defaults
from ...core.errors import InputError
from ...core.mask_rois import RoiMaskRaster, parse_mask_values
from ..i18n import tr
from ..layers import raster_path
from .base import RSEditAlgorithm

MASK, MASK_BAND, MASK_VALUES, MASK_THRESHOLD, MASK_DILATION = (
    "ROI_MASK", "ROI_MASK_BAND", "ROI_MASK_VALUES", "ROI_MASK_THRESHOLD", "ROI_MASK_DILATION")


def mask_label() -> str:
    return tr("ROI mask raster (instead of polygons)")


def mask_help() -> str:
    """The help paragraph on the mask parameters, the same in every algorithm that takes ROIs."""
    return tr(
        "<b>ROI mask raster</b> (instead of the polygons): a cloud or shadow mask (Sentinel-2 SCL, Fmask, "
        "s2cloudless probabilities) or a band of the raster itself, on any grid and in any CRS (resampled to the "
        "raster's grid by nearest neighbour, read block by block). <b>ROI mask values</b> mark the ROI pixels, e.g. "
        "8,9,10 for SCL's clouds and cirrus; <b>ROI mask threshold</b> instead takes the pixels at or above it "
        "(probability masks). <b>Dilate the mask by</b> grows the mask by that many pixels (a disk), since cloud "
        "edges and shadows spill past masks. Nearby pieces of the mask are one region; nodata is never one.")


def add_mask_parameters(algorithm: RSEditAlgorithm) -> None:
    """The mask raster, its band, the values or threshold that mark ROI pixels, and the dilation."""
    algorithm.addParameter(QgsProcessingParameterRasterLayer(MASK, mask_label(), optional=True))
    algorithm.addParameter(QgsProcessingParameterBand(MASK_BAND, tr("ROI mask band"), 1, MASK, optional=True))
    algorithm.addParameter(QgsProcessingParameterString(
        MASK_VALUES, tr("ROI mask values (comma-separated, e.g. 8,9,10 for Sentinel-2 SCL clouds)"), optional=True))
    algorithm.addParameter(QgsProcessingParameterNumber(
        MASK_THRESHOLD, tr("ROI mask threshold (pixels >= threshold, for probability masks)"),
        QgsProcessingParameterNumber.Double, None, True))
    algorithm.addParameter(QgsProcessingParameterNumber(
        MASK_DILATION, tr("Dilate the mask by (pixels)"), QgsProcessingParameterNumber.Integer, 0, False, 0,
        defaults.MAX_MASK_DILATION))


def roi_mask(algorithm: RSEditAlgorithm, parameters: dict[str, Any], context: QgsProcessingContext,
             rois_name: str, rois_label: str) -> Optional[RoiMaskRaster]:
    """The raster mask when it gives the ROIs; None when the polygon layer `rois_name` does.
    Exactly one of the two must be given, and mask settings without a mask are refused."""
    layer = algorithm.parameterAsRasterLayer(parameters, MASK, context)
    polygons = parameters.get(rois_name) not in (None, "")
    if layer is None:
        if not polygons:
            raise InputError(tr("Give the regions of interest: a polygon layer for '{rois}', or a raster for '{mask}'.")
                             .format(rois=rois_label, mask=mask_label()))
        stray = [name for name in (MASK_VALUES, MASK_THRESHOLD) if _given(parameters, name)]
        stray += [MASK_DILATION] if algorithm.parameterAsInt(parameters, MASK_DILATION, context) else []
        if stray:
            raise InputError(tr("'{settings}' apply only to a ROI mask raster: choose '{mask}', or clear them.").format(
                settings="', '".join(algorithm.parameterDefinition(name).description() for name in stray),
                mask=mask_label()))
        return None
    if polygons:
        raise InputError(tr("Give either a polygon layer for '{rois}' or a raster for '{mask}', not both.")
                         .format(rois=rois_label, mask=mask_label()))
    text = algorithm.parameterAsString(parameters, MASK_VALUES, context).strip()
    has_threshold = _given(parameters, MASK_THRESHOLD)
    if bool(text) == has_threshold:
        raise InputError(tr("Give the ROI mask values (e.g. 8,9,10 for Sentinel-2 SCL clouds) or a ROI mask "
                            "threshold (for probability masks), not both and not neither."))
    return RoiMaskRaster(
        raster_path(layer, mask_label()), band=algorithm.parameterAsInt(parameters, MASK_BAND, context) or 1,
        values=parse_mask_values(text) if text else None,
        threshold=algorithm.parameterAsDouble(parameters, MASK_THRESHOLD, context) if has_threshold else None,
        dilation=algorithm.parameterAsInt(parameters, MASK_DILATION, context))


def _given(parameters: dict[str, Any], name: str) -> bool:
    """Whether the user set an optional setting that has no default."""
    return parameters.get(name) not in (None, "")
