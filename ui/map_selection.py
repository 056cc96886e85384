"""The map workflow: the toolbar and menu open an editing dialog already pointed at what the user
is working on, i.e. the raster on the map and the polygons selected on it.

Users select the ROI polygons with QGIS's own selection tools; the dialog then starts with that
polygon layer, "Selected features only" ticked, and the raster layer under it, so a click on Run
edits just those polygons.
"""
from __future__ import annotations

from typing import Any

from qgis.core import (
    QgsMapLayer,
    QgsProcessingFeatureSourceDefinition,
    QgsProject,
    QgsRasterLayer,
    QgsVectorLayer,
    QgsWkbTypes,
)

from .layers import is_gdal_raster


def _is_polygon_layer(layer: QgsMapLayer | None) -> bool:
    return (isinstance(layer, QgsVectorLayer) and layer.isValid()
            and QgsWkbTypes.geometryType(layer.wkbType()) == QgsWkbTypes.PolygonGeometry)


def _is_editable_raster(layer: QgsMapLayer | None) -> bool:
    return is_gdal_raster(layer) and layer.isValid()


def _layers_top_down(project: QgsProject) -> list[QgsMapLayer]:
    """The project's layers in Layers-panel order (top first), visible ones before hidden ones."""
    nodes = project.layerTreeRoot().findLayers()
    ordered = [node.layer() for node in nodes if node.isVisible()] + [node.layer() for node in nodes if not node.isVisible()]
    return [layer for layer in ordered if layer is not None]


def roi_layer(active: QgsMapLayer | None, project: QgsProject) -> QgsVectorLayer | None:
    """The polygon layer to edit: the active one, else the topmost one with selected polygons,
    else the topmost polygon layer."""
    if _is_polygon_layer(active):
        return active
    polygons = [layer for layer in _layers_top_down(project) if _is_polygon_layer(layer)]
    with_selection = [layer for layer in polygons if layer.selectedFeatureCount() > 0]
    return (with_selection or polygons or [None])[0]


def raster_layer(active: QgsMapLayer | None, project: QgsProject) -> QgsRasterLayer | None:
    """The raster to edit: the active layer when it is a GDAL raster, else the topmost such raster."""
    if _is_editable_raster(active):
        return active
    return next((layer for layer in _layers_top_down(project) if _is_editable_raster(layer)), None)


def dialog_parameters(active: QgsMapLayer | None, project: QgsProject) -> dict[str, Any]:
    """INPUT and ROIS for an editing algorithm's dialog, from the map; {} when there is nothing to offer."""
    parameters: dict[str, Any] = {}
    raster = raster_layer(active, project)
    if raster is not None:
        parameters["INPUT"] = raster
    rois = roi_layer(active, project)
    if rois is not None:
        selected = rois.selectedFeatureCount() > 0
        parameters["ROIS"] = QgsProcessingFeatureSourceDefinition(rois.id(), selectedFeaturesOnly=selected)
    return parameters
