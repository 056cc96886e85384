"""Regions of interest: user polygons brought into the raster's CRS and pixel grid."""
from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Optional, Sequence, Union

import shapely.wkb
from rasterio.crs import CRS
from rasterio.errors import CRSError
from rasterio.warp import transform_geom
from shapely.affinity import affine_transform
from shapely.geometry import GeometryCollection, MultiPolygon, Polygon, box, mapping, shape
from shapely.geometry.base import BaseGeometry
from shapely.ops import unary_union
from shapely.validation import make_valid

from .errors import InputError
from .scene import Scene

CrsLike = Union[str, int, CRS, None]

LOG = logging.getLogger(__name__)

# Straight edges in one CRS are curves in another: a polygon's edges are cut into this many pieces
# per side of its bounding box before it is reprojected (a 2 degree box in EPSG:4326 missed by a pixel).
DENSIFY_PIECES = 128


@dataclass(frozen=True)
class RoiFeature:
    """A user polygon in some CRS (given next to the features, see prepare_rois)."""

    id: Any
    geometry: Union[BaseGeometry, Mapping[str, Any]]
    properties: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Roi:
    """A repaired polygon clipped to the raster, in the raster's CRS and in pixels (x=col, y=row)."""

    id: Any
    geometry: BaseGeometry
    pixel_geometry: BaseGeometry
    properties: dict = field(default_factory=dict)


def prepare_rois(features: Iterable[RoiFeature], crs: CrsLike, scene: Scene) -> list[Roi]:
    """Reproject, repair and clip ROIs to `scene`. `crs` None means the raster's own CRS."""
    features = list(features)
    if not features:
        raise InputError("No ROI was given. Draw or select at least one polygon to edit.")
    source_crs = _parse_crs(crs)
    target_crs = scene.crs
    if source_crs is not None and target_crs is None:
        raise InputError("The raster has no CRS, so ROIs in another CRS cannot be placed on it. "
                         "Give the ROIs in the raster's own coordinates (crs=None).")
    reproject = source_crs is not None and source_crs != target_crs

    to_pixels = _shapely_affine(~scene.transform)
    to_world = _shapely_affine(scene.transform)
    raster_pixels = box(0, 0, scene.width, scene.height)
    rois: list[Roi] = []
    outside_bounds: list[tuple[float, ...]] = []
    for feature in features:
        geometry = _polygonal_input(feature)
        if geometry.is_empty:
            continue
        if reproject:
            geometry = shape(transform_geom(source_crs, target_crs, mapping(_densified(geometry))))
        geometry = _polygonal_part(make_valid(geometry))
        if geometry.is_empty:
            continue
        # Clip in pixel space, where the raster is an axis-aligned box even for rotated grids.
        pixel_geometry = _polygonal_part(affine_transform(geometry, to_pixels).intersection(raster_pixels))
        if pixel_geometry.is_empty or pixel_geometry.area == 0:
            outside_bounds.append(geometry.bounds)
            continue
        rois.append(Roi(id=feature.id, geometry=affine_transform(pixel_geometry, to_world),
                        pixel_geometry=pixel_geometry, properties=dict(feature.properties or {})))

    if not rois:
        if not outside_bounds:
            raise InputError("Every ROI geometry is empty. Draw or select at least one non-empty "
                             "polygon.")
        xs = [b[0] for b in outside_bounds] + [b[2] for b in outside_bounds]
        ys = [b[1] for b in outside_bounds] + [b[3] for b in outside_bounds]
        left, bottom, right, top = scene.dataset.bounds
        raise InputError(
            f"No ROI overlaps the raster. In the raster's CRS the ROIs span x {min(xs):.6g}..{max(xs):.6g}, "
            f"y {min(ys):.6g}..{max(ys):.6g}, but the raster covers x {left:.6g}..{right:.6g}, "
            f"y {bottom:.6g}..{top:.6g}. Check that the ROI layer's CRS is set correctly and that "
            "the ROIs are drawn over this raster.")
    return rois


def read_roi_file(path: str, layer: Union[str, int, None] = None) -> tuple[list[RoiFeature], Optional[str]]:
    """Read the features of a vector file (FID as id, attributes as properties) and its CRS WKT."""
    from osgeo import ogr

    path, layer = _split_layer_source(str(path), layer)
    try:
        dataset = ogr.Open(path, 0)
    except RuntimeError as exc:  # when osgeo exceptions are enabled
        dataset = None
        reason = f": {exc}"
    else:
        reason = ""
    if dataset is None:
        raise InputError(f"Cannot open the ROI file {path!r}{reason}. Check that it exists and is a "
                         "vector format GDAL/OGR can read (GeoPackage, Shapefile, GeoJSON...).")
    names = [dataset.GetLayerByIndex(i).GetName() for i in range(dataset.GetLayerCount())]
    if layer is None:
        check_one_layer(path, names)
        ogr_layer = dataset.GetLayerByIndex(0) if names else None
    elif isinstance(layer, int):
        ogr_layer = dataset.GetLayerByIndex(layer) if 0 <= layer < len(names) else None
    else:
        ogr_layer = dataset.GetLayerByName(layer) if layer in names else None
    if ogr_layer is None:
        raise InputError(f"The ROI file {path!r} has no layer {layer!r}. Its layers are: "
                         f"{', '.join(names) or 'none'}.")

    srs = ogr_layer.GetSpatialRef()
    crs_wkt = srs.ExportToWkt(["FORMAT=WKT2_2018"]) if srs is not None else None
    features: list[RoiFeature] = []
    ogr_layer.ResetReading()
    for ogr_feature in ogr_layer:
        ogr_geometry = ogr_feature.GetGeometryRef()
        if ogr_geometry is None:
            continue  # an attribute-only row carries no region
        ogr_geometry = ogr_geometry.Clone()
        if ogr_geometry.HasCurveGeometry():
            ogr_geometry = ogr_geometry.GetLinearGeometry()
        ogr_geometry.FlattenTo2D()
        geometry = shapely.wkb.loads(bytes(ogr_geometry.ExportToWkb()))
        features.append(RoiFeature(id=ogr_feature.GetFID(), geometry=geometry,
                                   properties=ogr_feature.items()))
    del dataset
    return features, crs_wkt


def check_one_layer(path: str, names: Sequence[str]) -> None:
    """A file of several layers must have its ROI layer named: taking the first would edit the wrong areas."""
    if len(names) > 1:
        raise InputError(f"The ROI file {path!r} holds {len(names)} layers: {', '.join(names)}. Say which "
                         f"one holds the ROIs (rois_layer='{names[0]}', or '{path}|layername={names[0]}').")


def vector_layer_names(path: str) -> list[str]:
    """The layer names of a vector file GDAL/OGR can open; [] where it cannot."""
    from osgeo import ogr

    try:
        dataset = ogr.Open(str(path), 0)
    except RuntimeError:  # when osgeo exceptions are enabled
        return []
    if dataset is None:
        return []
    return [dataset.GetLayerByIndex(i).GetName() for i in range(dataset.GetLayerCount())]


def _split_layer_source(path: str, layer: Union[str, int, None]) -> tuple[str, Union[str, int, None]]:
    """'file.gpkg|layername=roads' and 'file.gpkg|layerid=2', as QGIS writes layer sources."""
    if "|" not in path:
        return path, layer
    path, *options = path.split("|")
    for option in options:
        key, _, value = option.partition("=")
        key = key.strip().lower()
        if key == "layername":
            named: Union[str, int] = value
        elif key == "layerid":
            try:
                named = int(value)
            except ValueError:
                raise InputError(f"layerid={value!r} in the ROI source is not a layer number.") from None
        else:
            continue  # subset strings and geometry types do not choose the layer
        if layer is not None and layer != named:
            raise InputError(f"The ROI source names layer {named!r} but rois_layer={layer!r} was given too.")
        layer = named
    return path, layer


def _densified(geometry: BaseGeometry) -> BaseGeometry:
    """The polygon(s) with no edge longer than 1/DENSIFY_PIECES of the longer side of its bounds."""
    minx, miny, maxx, maxy = geometry.bounds
    step = max(maxx - minx, maxy - miny) / DENSIFY_PIECES
    if step <= 0:
        return geometry

    def ring(coords: Any) -> list[tuple[float, float]]:
        points = list(coords)
        out: list[tuple[float, float]] = []
        for (x0, y0), (x1, y1) in zip(points[:-1], points[1:]):
            pieces = max(1, math.ceil(math.hypot(x1 - x0, y1 - y0) / step))
            out.extend((x0 + (x1 - x0) * i / pieces, y0 + (y1 - y0) * i / pieces) for i in range(pieces))
        return out + points[-1:]

    def polygon(part: Polygon) -> Polygon:
        return Polygon(ring(part.exterior.coords), [ring(hole.coords) for hole in part.interiors])

    if isinstance(geometry, Polygon):
        return polygon(geometry)
    if isinstance(geometry, MultiPolygon):
        return MultiPolygon([polygon(part) for part in geometry.geoms])
    return geometry


def _parse_crs(crs: CrsLike) -> Optional[CRS]:
    if isinstance(crs, str) and not crs.strip():
        # QGIS sends "" for a layer without a CRS; a CRS-less ROI is read in the raster's coordinates
        LOG.warning("The ROIs have no CRS: they are read in the raster's CRS.")
        return None
    if crs is None or isinstance(crs, CRS):
        return crs
    try:
        return CRS.from_epsg(crs) if isinstance(crs, int) else CRS.from_user_input(crs)
    except CRSError as exc:
        raise InputError(f"The ROI CRS {crs!r} is not understood ({exc}). Give an EPSG code "
                         "(e.g. 'EPSG:4326'), a WKT string or None for the raster's CRS.") from exc


def _polygonal_input(feature: RoiFeature) -> BaseGeometry:
    """The feature's geometry as shapely, refusing points and lines."""
    geometry = feature.geometry
    if not isinstance(geometry, BaseGeometry):
        try:
            geometry = shape(geometry)
        except Exception as exc:
            raise InputError(f"ROI {feature.id!r} has a geometry that cannot be read ({exc}).") from exc
    if geometry.has_z:
        geometry = shapely.wkb.loads(shapely.wkb.dumps(geometry, output_dimension=2))
    is_polygonal = isinstance(geometry, (Polygon, MultiPolygon)) or (
        isinstance(geometry, GeometryCollection) and not _polygonal_part(geometry).is_empty)
    if not is_polygonal and not geometry.is_empty:
        raise InputError(f"ROI {feature.id!r} is a {geometry.geom_type}, but ROIs must be polygons. "
                         "Use a polygon layer, or buffer points/lines into polygons first.")
    return geometry


def _polygonal_part(geometry: BaseGeometry) -> BaseGeometry:
    """Only the areas of a geometry (make_valid may return slivers as lines or points)."""
    if isinstance(geometry, (Polygon, MultiPolygon)):
        return geometry
    if isinstance(geometry, GeometryCollection):
        parts = [_polygonal_part(part) for part in geometry.geoms]
        parts = [part for part in parts if not part.is_empty]
        if parts:
            return unary_union(parts)
    return Polygon()


def _shapely_affine(transform: Any) -> list[float]:
    """rasterio Affine -> shapely affine_transform parameters [a, b, d, e, xoff, yoff]."""
    return [transform.a, transform.b, transform.d, transform.e, transform.c, transform.f]
