"""rsedit:previewtiles: the tiles an edit would read and rewrite, as a polygon layer."""
from __future__ import annotations

from typing import Any

from qgis.core import (
    QgsFeature,
    QgsFeatureSink,
    QgsField,
    QgsFields,
    QgsGeometry,
    QgsPointXY,
    QgsProcessing,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterRasterLayer,
    QgsWkbTypes,
)

from ...core.rois import prepare_rois
from ...core.scene import open_scene
from ...core.edit_units import plan_edit_units
from ...core.roi_groups import group_units
from ...core.scene_models import SURROUND
from ..feedback import FeedbackBridge
from ..field_types import INT, STRING
from ..layers import QGIS_PIXEL_TRANSFORM, pixel_rois_of_plain_raster, raster_path, roi_features
from ..i18n import tr
from .base import RSEditAlgorithm
from .parameters import add_tiling_parameters, tiling_settings


class PreviewTilesAlgorithm(RSEditAlgorithm):
    INPUT = "INPUT"
    ROIS = "ROIS"
    OUTPUT = "OUTPUT"

    def name(self) -> str:
        return "previewtiles"

    def displayName(self) -> str:  # noqa: N802 (QGIS's name)
        return tr("Preview tiles")

    def shortHelpString(self) -> str:  # noqa: N802
        return tr(
            "Shows what an edit would read and rewrite for the given regions of interest, without "
            "editing anything: one polygon per edit unit. A unit is a ROI, or ROIs close together, "
            "sampled as one image however large, widened to at least the tile size for context; units "
            "of one group share a scene model learnt from their own surroundings. Use it to check the "
            "plan of a large run.\n\n"
            "<b>Raster</b>: any GDAL raster with georeferencing.\n"
            "<b>ROI polygons</b>: the regions to edit; in another CRS they are reprojected. Tick "
            "'Selected features only' to use only the polygons selected on the map.\n"
            "<b>Tile size</b>: the least width of a unit, and the pieces the model denoises it in.\n"
            "<b>Tile overlap</b>: used by the pretrained (Stable Diffusion) mode, whose tiles are blended.\n"
            "<b>Context margin</b>: ROIs within two margins of each other are one unit.\n\n"
            "Output: one polygon per unit with its index, its ROI group, the ids of its ROIs and its "
            "pixel window.\n\n"
            "Example: a 791×718 Landsat scene with four cloud polygons, tile size 256, margin 16 gives "
            "one unit per cloud, or fewer where clouds lie close together.")

    def initAlgorithm(self, config: dict[str, Any] | None = None) -> None:  # noqa: N802
        self.addParameter(QgsProcessingParameterRasterLayer(self.INPUT, tr("Raster")))
        self.addParameter(QgsProcessingParameterFeatureSource(
            self.ROIS, tr("ROI polygons"), [QgsProcessing.TypeVectorPolygon]))
        add_tiling_parameters(self, advanced=False)
        self.addParameter(QgsProcessingParameterFeatureSink(
            self.OUTPUT, tr("Tiles"), QgsProcessing.TypeVectorPolygon))

    def perform(self, parameters, context, feedback) -> dict[str, Any]:
        layer = self.parameterAsRasterLayer(parameters, self.INPUT, context)
        path = raster_path(layer, tr("Raster"))
        features, crs_wkt = roi_features(self.parameterAsSource(parameters, self.ROIS, context), tr("ROI polygons"))
        features, crs_wkt = pixel_rois_of_plain_raster(path, features, crs_wkt, feedback)
        bridge = FeedbackBridge(feedback)

        with open_scene(path, allow_ungeoreferenced=True) as scene:  # without georeferencing: pixels, as drawn
            rois = prepare_rois(features, crs_wkt, scene)
            tiling = tiling_settings(self, parameters, context)
            tiles = plan_edit_units(scene.width, scene.height, rois, tiling["tile_size"], tiling["margin"])
            group_of = {unit: group.index for group in group_units(tiles, SURROUND) for unit in group.units}
            transform = scene.transform if scene.georeferenced or not scene.transform.is_identity \
                else QGIS_PIXEL_TRANSFORM  # the units where QGIS draws them

        fields = QgsFields()
        for name in ("unit", "group"):
            fields.append(QgsField(name, INT))
        fields.append(QgsField("roi_ids", STRING))
        for name in ("col_off", "row_off", "width", "height"):
            fields.append(QgsField(name, INT))
        sink, dest_id = self.parameterAsSink(parameters, self.OUTPUT, context, fields,
                                             QgsWkbTypes.Polygon, layer.crs())

        for index, tile in enumerate(tiles):
            if bridge.is_cancelled():
                break
            w = tile.window
            corners = [(w.col_off, w.row_off), (w.col_off + w.width, w.row_off),
                       (w.col_off + w.width, w.row_off + w.height), (w.col_off, w.row_off + w.height)]
            ring = [QgsPointXY(*(transform * corner)) for corner in corners]  # exact for rotated grids too
            feature = QgsFeature(fields)
            feature.setGeometry(QgsGeometry.fromPolygonXY([ring]))
            feature.setAttributes([tile.index, group_of[tile.index], ",".join(str(i) for i in tile.roi_ids),
                                   int(w.col_off), int(w.row_off), int(w.width), int(w.height)])
            sink.addFeature(feature, QgsFeatureSink.FastInsert)
            bridge.progress((index + 1) / len(tiles))
        feedback.pushInfo(tr("{count} edit units in {groups} ROI groups.").format(
            count=len(tiles), groups=len(set(group_of.values()))))
        return {self.OUTPUT: dest_id}
