"""The one place where an edit mode becomes an editor: each settings class has a builder that
turns the scene, its ROIs and the scene model into that mode's editor (models/editing/)."""
from __future__ import annotations

from typing import Any, Callable, Optional, Sequence

import numpy as np
from rasterio.windows import Window

from .errors import InputError
from .pretrained import normalization_context, rgb_band_indices, scene_scale
from .rois import Roi, RoiFeature, prepare_rois
from .scene import Scene
from .settings import (CopySettings, EditSettings, PretrainedSettings, RegenerateSettings, SampledEditSettings,
                       TextSettings)
from . import defaults


def rgb_bands(scene: Scene) -> Optional[list[int]]:
    """0-based data-band indices of red, green, blue by colour interpretation; None: the first three."""
    names = [scene.colorinterp[band - 1].name for band in scene.data_bands]
    if all(c in names for c in ("red", "green", "blue")):
        return [names.index(c) for c in ("red", "green", "blue")]
    return None


def roi_prompts(rois: Sequence[Roi], settings: TextSettings) -> dict[Any, str]:
    """Each ROI's prompt: its `prompt_field` value when it has one, else the settings' prompt."""
    prompts = {}
    for roi in rois:
        prompt = settings.prompt
        if settings.prompt_field:
            value = roi.properties.get(settings.prompt_field)
            prompt = str(value) if value not in (None, "") else settings.prompt
        if not prompt or not prompt.strip():
            raise InputError(f"ROI {roi.id} has no prompt: fill its '{settings.prompt_field}' field or give a "
                             "default prompt.")
        prompts[roi.id] = prompt.strip()
    return prompts


def copy_source_patch(scene: Scene, source: Any, source_crs: Any) -> np.ndarray:
    """The data bands inside the source polygon's bounding box, as the patch to copy."""
    if source is None:
        raise InputError("Copy edits need a source polygon: the area whose content is copied into the ROIs.")
    feature = source if isinstance(source, RoiFeature) else RoiFeature("source", source, {})
    try:
        (roi,) = prepare_rois([feature], source_crs, scene)
    except InputError as error:
        raise InputError(f"The copy source polygon cannot be used: {error}") from None
    minx, miny, maxx, maxy = roi.pixel_geometry.bounds
    col0, row0 = max(int(np.floor(minx)), 0), max(int(np.floor(miny)), 0)
    col1, row1 = min(int(np.ceil(maxx)), scene.width), min(int(np.ceil(maxy)), scene.height)
    least = defaults.MIN_TARGET_PIXELS
    if col1 - col0 < least or row1 - row0 < least:
        raise InputError(f"The copy source covers only {col1 - col0}x{row1 - row0} pixels: draw it at least "
                         f"{least} pixels across.")
    data, valid = scene.read(Window(col0, row0, col1 - col0, row1 - row0))
    if valid.mean() < 0.5:
        raise InputError("The copy source lies mostly on nodata pixels: draw it over valid image content.")
    return data


def _sampling(settings: SampledEditSettings) -> dict[str, Any]:
    return dict(device=settings.device, start_scale=settings.start_scale, start_t=settings.start_t,
                fill_roi=settings.fill_roi, soft_mask=settings.soft_mask, chunk_size=settings.tile_size)


def _regenerate(settings: RegenerateSettings, scene: Optional[Scene], rois: Sequence[Roi], model: Any,
                quilt_pixels: Optional[tuple[np.ndarray, np.ndarray]] = None, **_: Any):
    from ..models.editing.regenerate import RegenerateEditor
    from .scene_models import quilt_context

    if quilt_pixels is None and scene is not None and getattr(model, "backend", None) == "trained":
        quilt_pixels = quilt_context(scene, rois, context_size=settings.context_size)
    return RegenerateEditor(model, context=quilt_pixels, **_sampling(settings))


def _text(settings: TextSettings, scene: Scene, rois: Sequence[Roi], model: Any, clip: Any = None, **_: Any):
    return text_editor(settings, model, roi_prompts(rois, settings), rgb_bands(scene), clip=clip)


def text_editor(settings: TextSettings, model: Any, prompts: dict[Any, str], rgb: Optional[list[int]], *,
                clip: Any = None, ensembles: Optional[dict[str, Any]] = None) -> Any:
    """The text editor from what it needs of the scene and ROIs (each ROI's prompt, the RGB bands): a
    Dask worker builds it from these and the caller's CLIP and prompt ensembles (core/dask_units.py)."""
    from ..models.editing.text import TextEditor

    return TextEditor(model, prompts, clip=clip, clip_model=settings.clip_model,
                      clip_weights=settings.clip_weights, paraphrases=settings.paraphrases,
                      paraphrase_command=settings.paraphrase_command, guidance_strength=settings.guidance_strength,
                      guidance_views=settings.guidance_views, weight_map=settings.weight_map,
                      view_focus=settings.clip_views, prompt_ensembling=settings.prompt_ensembling,
                      texture_from_scene=settings.texture_from_scene,
                      rgb_bands=rgb, ensembles=ensembles, **_sampling(settings))


def _copy(settings: CopySettings, scene: Scene, rois: Sequence[Roi], model: Any, copy_patch: Any = None, **_: Any):
    from ..models.editing.copy import CopyEditor

    return CopyEditor(model, copy_patch, copy_step=settings.copy_step, **_sampling(settings))


def _pretrained(settings: PretrainedSettings, scene: Scene, rois: Sequence[Roi], model: Any, **_: Any):
    from ..models.editing.latent import LatentEditor

    options = settings.pretrained
    bands = rgb_band_indices(scene)
    scale = scene_scale(scene, options)
    return LatentEditor(options, settings.prompt, bands=bands, scale=scale,
                        context=normalization_context(scene, rois), device=settings.device)


BUILDERS: dict[type, Callable[..., Any]] = {
    RegenerateSettings: _regenerate, TextSettings: _text, CopySettings: _copy, PretrainedSettings: _pretrained}


def build_editor(settings: EditSettings, scene: Optional[Scene], rois: Sequence[Roi], model: Any = None, *,
                 clip: Any = None, copy_patch: Optional[np.ndarray] = None,
                 quilt_pixels: Optional[tuple[np.ndarray, np.ndarray]] = None) -> Any:
    """The editor of `settings`' mode for this scene; `model` is the scene model (None in pretrained mode).
    A Dask worker has no scene: it passes what the caller read for it (`copy_patch`, `quilt_pixels`)."""
    return BUILDERS[type(settings)](settings, scene, rois, model, clip=clip, copy_patch=copy_patch,
                                    quilt_pixels=quilt_pixels)
