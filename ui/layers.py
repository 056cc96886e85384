"""Turning Processing inputs (raster layers, ROI feature sources) into what rsedit.core reads."""
from __future__ import annotations

import os
from typing import Any

from qgis.core import (
    QgsFeatureSource,
    QgsProcessingException,
    QgsRasterLayer,
    QgsWkbTypes,
)
from qgis.PyQt.QtCore import QVariant
from rasterio import Affine

from ..core.rois import RoiFeature, check_one_layer, vector_layer_names
from ..core.scene import georeferencing
from .i18n import tr


def is_gdal_raster(layer: object) -> bool:
    """Whether `layer` is a raster RSEdit can edit: only GDAL-readable files are."""
    return isinstance(layer, QgsRasterLayer) and layer.providerType() == "gdal"


def raster_path(layer: QgsRasterLayer | None, parameter_name: str) -> str:
    """The GDAL dataset name behind a raster layer; only GDAL-readable rasters can be edited."""
    if layer is None:
        raise QgsProcessingException(tr("Choose a raster layer for '{name}'.").format(name=parameter_name))
    if not is_gdal_raster(layer):
        raise QgsProcessingException(
            tr("The raster '{layer}' comes from the '{provider}' provider. RSEdit reads rasters through GDAL "
               "files only: export it first (right-click ▸ Export ▸ Save As… GeoTIFF).").format(
                layer=layer.name(), provider=layer.providerType()))
    return layer.source()


def _plain(value: Any) -> Any:
    if isinstance(value, QVariant):
        return None if value.isNull() else value.value()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def roi_features(source: QgsFeatureSource | None, parameter_name: str) -> tuple[list[RoiFeature], str]:
    """Polygons (selected ones only, when the user asked for that) as RoiFeatures, plus their CRS WKT."""
    if source is None:
        raise QgsProcessingException(tr("Choose a polygon layer for '{name}'.").format(name=parameter_name))
    geometry_type = QgsWkbTypes.geometryType(source.wkbType())
    if geometry_type != QgsWkbTypes.PolygonGeometry:
        kind = QgsWkbTypes.geometryDisplayString(geometry_type)
        # {kind_name} keeps the capital a translation may need (German nouns: "Punkt"); English lower-cases it
        raise QgsProcessingException(
            tr("'{name}' must be a polygon layer, but it holds {kind} geometries. Draw polygons around the "
               "areas to edit, or buffer the {kind} features first (Vector geometry ▸ Buffer).").format(
                name=parameter_name, kind=kind.lower(), kind_name=kind))
    import shapely.wkb

    names = source.fields().names()
    features: list[RoiFeature] = []
    for feature in source.getFeatures():
        geometry = feature.geometry()
        if geometry.isNull() or geometry.isEmpty():
            continue
        # curves and Z/M values have no place in a pixel mask
        flat = geometry.constGet().segmentize()
        flat.dropZValue()
        flat.dropMValue()
        properties = {name: _plain(value) for name, value in zip(names, feature.attributes())}
        features.append(RoiFeature(feature.id(), shapely.wkb.loads(bytes(flat.asWkb())), properties))
    if not features:
        raise QgsProcessingException(
            tr("'{name}' has no polygons to use. If 'Selected features only' is ticked, select at least one "
               "polygon on the map first.").format(name=parameter_name))
    return features, source.sourceCrs().toWkt()


# How QGIS draws a raster with no geotransform: y up, pixel (col, row) at map (col, -row).
QGIS_PIXEL_TRANSFORM = Affine(1.0, 0.0, 0.0, 0.0, -1.0, 0.0)


def pixel_rois_of_plain_raster(path: str, features: list[RoiFeature], crs_wkt: str | None,
                               feedback: Any) -> tuple[list[RoiFeature], str | None]:
    """ROIs drawn over a raster without a CRS, in the coordinates QGIS draws it in: its geotransform's
    (a world file), or with none, its pixels with y up, pixel (col, row) at map (col, -row), which
    are flipped to x = column, y = row. The polygons' layer CRS (whatever the project gave it) is not
    used. A raster with a CRS: unchanged."""
    has_crs, has_geotransform = georeferencing(path)
    if has_crs:
        return features, crs_wkt
    if has_geotransform:
        return features, None
    from shapely.affinity import affine_transform

    feedback.pushInfo(tr("The raster has no georeferencing: the polygons are placed on its pixels as QGIS draws "
                         "it (x = column, y = -row)."))
    to_pixels = ~QGIS_PIXEL_TRANSFORM
    matrix = [to_pixels.a, to_pixels.b, to_pixels.d, to_pixels.e, to_pixels.c, to_pixels.f]
    flipped = [RoiFeature(f.id, affine_transform(f.geometry, matrix), f.properties) for f in features]
    return flipped, None


def warn_if_without_crs(crs_wkt: str, parameter_name: str, feedback: Any) -> None:
    """A ROI layer without a CRS is read in the raster's CRS (as the Python API does): say so."""
    if not crs_wkt:
        feedback.pushWarning(tr("'{name}' has no CRS: its polygons are read in the raster's CRS. Set the layer's "
                                "CRS (Layer Properties ▸ Source) if they land in the wrong place.").format(
                                    name=parameter_name))


def check_roi_file_names_its_layer(value: Any) -> None:
    """QGIS opens the first layer of a file given as a bare path; for ROIs that silently edits the
    wrong areas, so a file of several layers must be given as 'path|layername=...'."""
    if isinstance(value, str) and "|" not in value and os.path.isfile(value):
        check_one_layer(value, vector_layer_names(value))
