"""RSEdit's scene engine: georeferenced raster editing without QGIS (numpy, rasterio, shapely)."""
from .editor import TileContext, TileEditor
from .engine import EditResult, edit_raster
from .errors import CancelledError, InputError, RSEditError
from .masks import RoiMask
from .output import COMPRESSIONS
from .rois import Roi, RoiFeature, prepare_rois, read_roi_file
from .scene import Scene, open_scene
from .tiling import Tile, plan_tiles

__all__ = [
    "COMPRESSIONS", "CancelledError", "EditResult", "InputError", "RSEditError", "Roi",
    "RoiFeature", "RoiMask", "Scene", "Tile", "TileContext", "TileEditor", "edit_raster",
    "open_scene", "plan_tiles", "prepare_rois", "read_roi_file",
]
