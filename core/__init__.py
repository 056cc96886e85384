"""RSEdit's scene engine: georeferenced raster editing without QGIS (numpy, rasterio, shapely).

The names below load on first use (PEP 562), so importing a submodule such as core.errors imports
neither rasterio nor shapely.
"""
from __future__ import annotations

import importlib

_EXPORTS = {
    "TileContext": "editor", "TileEditor": "editor",
    "EditResult": "engine", "edit_raster": "engine",
    "CancelledError": "errors", "CheckpointError": "errors", "InputError": "errors", "ModelError": "errors",
    "RSEditError": "errors",
    "RoiMask": "masks", "RoiMaskRaster": "mask_rois", "mask_rois": "mask_rois",
    "COMPRESSIONS": "output",
    "Roi": "rois", "RoiFeature": "rois", "prepare_rois": "rois", "read_roi_file": "rois",
    "Scene": "scene", "open_scene": "scene",
    "Tile": "tiling", "plan_tiles": "tiling",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
