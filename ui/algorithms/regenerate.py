"""rsedit:regenerate: re-sample ROIs from the scene model (remove clouds, vehicles, buildings)."""
from __future__ import annotations

from ..i18n import tr
from .edit_base import SceneEditAlgorithm
from .executor_parameters import executor_help
from .mask_parameters import mask_help


class RegenerateAlgorithm(SceneEditAlgorithm):
    mode = "regenerate"
    offers_dask = True

    def name(self) -> str:
        return "regenerate"

    def displayName(self) -> str:  # noqa: N802
        return tr("Regenerate ROIs (remove clouds or objects)")

    def shortHelpString(self) -> str:  # noqa: N802
        text = tr(
            "Replaces the content of each polygon with new content sampled from a model of the scene itself, "
            "made to agree with its surroundings: clouds, their shadows, vehicles or buildings disappear into "
            "the local land cover. Pixels outside the polygons are copied unchanged and nodata stays nodata.\n\n"
            "<b>Raster</b>: any georeferenced GDAL raster (RGB, multispectral, uint8/uint16/float).\n"
            "<b>Regions to edit</b>: polygons in any CRS; tick 'Selected features only' to use the selection.\n"
            "<b>Random seed</b>: the same seed gives the same result; change it for another variant.\n"
            "<b>Scene model</b> (advanced): training-free needs no training and is the default without a GPU; "
            "a trained SinDDM is trained once per scene and cached. <b>Start scale</b> 0 re-creates the ROI from "
            "scratch; higher values keep more of its layout. <b>Soft ROI edges</b> fade the edit in over the "
            "feather width (NGDM).\n\n"
            "Outputs: the edited GeoTIFF (same CRS, grid, data type and nodata as the input, with provenance tags) "
            "and an optional edit mask.\n\n"
            "Example: Landsat scene + three cloud polygons → a cloud-free version of the scene.")
        return text + "\n\n" + mask_help() + "\n\n" + executor_help()
