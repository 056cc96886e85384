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
from ...core.tiling import plan_tiles
from ..feedback import FeedbackBridge
from ..field_types import INT, STRING
from ..layers import raster_path, roi_features
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
            "Shows which tiles of the raster an edit would read and rewrite for the given regions of "
            "interest, without editing anything. Use it to choose the tile size, overlap and margin "
            "before a long run.\n\n"
            "<b>Raster</b>: any GDAL raster with georeferencing.\n"
            "<b>ROI polygons</b>: the regions to edit; in another CRS they are reprojected. Tick "
            "'Selected features only' to use only the polygons selected on the map.\n"
            "<b>Tile size / overlap</b>: tiles are tile size pixels square and overlap by this many pixels; "
            "overlaps are blended so tile borders leave no seam.\n"
            "<b>Context margin</b>: tiles within this many pixels of an ROI are processed too, so edits "
            "see their surroundings.\n\n"
            "Output: one polygon per tile with its grid row and column, the ids of the ROIs it touches "
            "and its pixel window.\n\n"
            "Example: a 791×718 Landsat scene with one cloud polygon, tile size 256, overlap 32, margin 16 "
            "gives the two to four tiles around the cloud.")

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
        bridge = FeedbackBridge(feedback)

        with open_scene(path) as scene:
            rois = prepare_rois(features, crs_wkt, scene)
            tiles = plan_tiles(scene.width, scene.height, rois, **tiling_settings(self, parameters, context))
            transform = scene.transform

        fields = QgsFields()
        for name in ("row", "col"):
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
            feature.setAttributes([tile.row, tile.col, ",".join(str(i) for i in tile.roi_ids),
                                   int(w.col_off), int(w.row_off), int(w.width), int(w.height)])
            sink.addFeature(feature, QgsFeatureSink.FastInsert)
            bridge.progress((index + 1) / len(tiles))
        feedback.pushInfo(tr("{count} tiles intersect the ROIs.").format(count=len(tiles)))
        return {self.OUTPUT: dest_id}
