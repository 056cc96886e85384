"""train_scene: a trained scene model (SinDDM) of the area around ROIs, saved for reuse by edits.

    from rsedit.core.scene_training import train_scene
    train_scene("scene.tif", "fields.gpkg", "fields.safetensors", preset="fast")
"""
from __future__ import annotations

import os
from typing import Any, Optional, Union

from . import defaults
from .error_boundary import scene_model_errors, user_errors
from .progress import CancelCheck, ProgressCallback
from .scene import open_scene
from .scene_edit import RoiInput, check_device, scene_rois
from .scene_models import SceneModel, save_scene_model, train_scene_model


def train_scene(raster: Union[str, os.PathLike], rois: RoiInput, out: Union[str, os.PathLike], *,
                rois_crs: Any = None, rois_layer: Optional[str] = None, preset: Any = "fast",
                context_size: int = defaults.CONTEXT_SIZE, device: str = "auto", seed: int = 0,
                progress: Optional[ProgressCallback] = None,
                is_cancelled: Optional[CancelCheck] = None) -> SceneModel:
    """Train a scene model on the context around `rois` (as edit_scene reads them) and save it to `out`
    (.safetensors); no cache is read or written. Every failure is an RSEditError, as in edit_scene."""
    with user_errors("training the scene model"):
        check_device(device)
        with open_scene(str(raster), allow_ungeoreferenced=True) as scene:  # see scene_edit.check_rois_crs_fits
            roi_list = scene_rois(rois, rois_crs, scene, rois_layer)
            with scene_model_errors(roi_list, "trained", context_size):
                model, _ = train_scene_model(scene, roi_list, preset=preset, context_size=context_size,
                                             use_cache=False, device=device, seed=seed, progress=progress,
                                             is_cancelled=is_cancelled)
        save_scene_model(model, out)
    return model
