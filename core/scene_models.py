"""The scene model an edit samples from: a SinDDM trained on the scene (cached), or the
training-free patch model built from it in seconds.

Both learn from a context window around the ROIs at the raster's native resolution, so the
edited content has the scene's own texture, colours and ground sampling distance. torch is
imported only when a model is needed, so the scene engine runs without it.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional, Sequence

import numpy as np
from rasterio.windows import Window

from . import defaults
from .error_boundary import scene_model_errors
from .errors import CancelledError, InputError, ModelError, RSEditError, TrainingDataError
from .roi_groups import GROUP_EXTENT
from .rois import Roi
from .scene import Scene

log = logging.getLogger(__name__)

BACKENDS = defaults.BACKENDS
DEFAULT_CONTEXT_SIZE = defaults.CONTEXT_SIZE
SURROUND = 48  # pixels of surroundings kept on each side when the ROIs themselves are left out
# Part of the cache key: bump it when training changes what a model learns from the same scene and
# settings (2: band percentiles at +-0.8), so no run reuses a model trained the old way.
CACHE_FORMAT = 2


@dataclass
class SceneModel:
    """What the editing modes need: a sampler factory plus the band normalisation."""

    backend: str
    model: Any  # models.sinddm.model.SinDDMModel or models.patch.patch_denoiser scene model
    description: dict = field(default_factory=dict)  # provenance: backend, preset, fingerprint, file

    def sampler(self, device: str = "auto"):
        return self.model.sampler(device)

    def to_model_units(self, data: np.ndarray):
        return self.model.to_model_units(data)

    def to_raster(self, values) -> np.ndarray:
        return self.model.to_raster(values)


def default_backend() -> str:
    """Trained when a GPU makes training quick; otherwise the training-free model."""
    import torch

    return "trained" if torch.cuda.is_available() else "training-free"


def default_cache_dir() -> Path:
    if os.environ.get("RSEDIT_CACHE_DIR"):
        return Path(os.environ["RSEDIT_CACHE_DIR"])
    base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return base / "rsedit" / "models"


@dataclass(frozen=True)
class CacheCleared:
    folder: str
    models: int  # scene model files removed
    bytes: int  # bytes freed, leftovers of interrupted saves included


def clear_model_cache_report(cache_dir: Optional[os.PathLike] = None) -> CacheCleared:
    """Delete every cached scene model (and leftovers of interrupted saves); other files in the
    folder are left alone, since $RSEDIT_CACHE_DIR may point at a folder that holds more."""
    folder = Path(cache_dir) if cache_dir else default_cache_dir()
    if not folder.is_dir():
        return CacheCleared(str(folder), 0, 0)
    models = list(folder.glob("*.safetensors"))
    leftovers = list(folder.glob("*.safetensors*.tmp"))
    freed = 0
    for path in models + leftovers:
        try:
            size = path.stat().st_size
            path.unlink()
        except FileNotFoundError:
            continue  # removed meanwhile by another process
        except OSError as error:
            raise RSEditError(f"Cannot delete the cached scene model {path}: {error.strerror}. Check the "
                              "folder's permissions.") from None
        freed += size
    if not any(folder.iterdir()):
        folder.rmdir()
    return CacheCleared(str(folder), len(models), freed)


def clear_model_cache(cache_dir: Optional[os.PathLike] = None) -> int:
    """Delete every cached scene model; returns how many models were removed."""
    return clear_model_cache_report(cache_dir).models


def context_window(scene: Scene, rois: Sequence[Roi], size: int = DEFAULT_CONTEXT_SIZE,
                   surround: int = 0) -> Window:
    """A window centred on the ROIs' bounding box: `size` pixels square, or larger where the box
    plus `surround` pixels on each side needs it, within the raster. With `surround` (the ROIs are
    left out of what the model learns) the ring grows with the box until the box fills at most half
    of the window and the ring is at least half the box's short side, so that a ROI larger than the
    context still has its own surroundings to learn from (a side then never exceeds
    defaults.MAX_CONTEXT_SIZE); without, a side never exceeds GROUP_EXTENT unless `size` does."""
    if size < 32:
        raise InputError(f"The training context must be at least 32 pixels across (got {size}).")
    bounds = np.array([roi.pixel_geometry.bounds for roi in rois], dtype=float)
    col_c = (bounds[:, 0].min() + bounds[:, 2].max()) / 2
    row_c = (bounds[:, 1].min() + bounds[:, 3].max()) / 2
    box_w, box_h = bounds[:, 2].max() - bounds[:, 0].min(), bounds[:, 3].max() - bounds[:, 1].min()
    # a ring as wide as half the box's short side keeps a coarse scale's patches of the ring whole
    ring = max(surround, half_area_ring(box_w, box_h), 0.5 * min(box_w, box_h)) if surround else 0
    # a context that keeps the ROIs (text edits) needs no more than the largest shared one; one that
    # leaves a large ROI out must reach its surroundings
    cap = max(size, defaults.MAX_CONTEXT_SIZE if surround else GROUP_EXTENT)
    width = min(max(size, min(int(np.ceil(box_w + 2 * ring)), cap)), scene.width)
    height = min(max(size, min(int(np.ceil(box_h + 2 * ring)), cap)), scene.height)
    col = int(np.clip(round(col_c - width / 2), 0, scene.width - width))
    row = int(np.clip(round(row_c - height / 2), 0, scene.height - height))
    return Window(col, row, width, height)


def half_area_ring(width: float, height: float) -> float:
    """The ring r around a width x height box for which the box is half of the grown box:
    (w + 2r)(h + 2r) = 2wh."""
    return (-(width + height) + float(np.sqrt((width + height) ** 2 + 4 * width * height))) / 4


def window_fingerprint(scene: Scene, window: Window, data: np.ndarray, valid: np.ndarray) -> dict:
    """Identifies the training pixels by content, so a renamed copy of a scene still hits the cache."""
    digest = hashlib.sha256()
    digest.update(np.ascontiguousarray(data).tobytes())
    digest.update(np.packbits(valid).tobytes())
    return {
        "file": Path(scene.path).name,
        "window": [int(window.col_off), int(window.row_off), int(window.width), int(window.height)],
        "bands": int(data.shape[0]),
        "dtype": str(data.dtype),
        "sha256": digest.hexdigest(),
    }


def _learning_context(scene: Scene, rois: Sequence[Roi], context_size: int,
                      leave_out_rois: bool) -> tuple[Window, np.ndarray, np.ndarray]:
    """The window a scene model learns from around `rois`, its pixels and their validity. Left-out
    ROIs count as invalid, and the window grows to hold a ring of their surroundings."""
    window = context_window(scene, rois, context_size, SURROUND if leave_out_rois else 0)
    return (window, *_read_context(scene, window, rois if leave_out_rois else ()))


def _read_context(scene: Scene, window: Window, leave_out: Sequence[Roi] = ()) -> tuple[np.ndarray, np.ndarray]:
    """The context pixels; those inside `leave_out` count as invalid, so a model that must replace
    them (clouds, objects) never learns them."""
    data, valid = scene.read(window)
    if leave_out:
        from rasterio.features import rasterize
        from shapely.affinity import translate

        shapes = [(translate(roi.pixel_geometry, -window.col_off, -window.row_off), 1) for roi in leave_out]
        inside = rasterize(shapes, out_shape=valid.shape, fill=0, dtype="uint8", all_touched=True).astype(bool)
        valid = valid & ~inside
    if valid.mean() < 0.25:
        raise InputError("Less than a quarter of the area around the ROIs holds usable pixels (the rest is nodata "
                         "or the ROIs themselves): move the ROIs into the scene or enlarge the training context.")
    return data, valid


def load_trained_model(path: os.PathLike, bands: int) -> SceneModel:
    from ..models.sinddm.checkpoint import load_checkpoint

    if not Path(path).is_file():
        raise InputError(f"The scene model file {path} does not exist: train one first "
                         "(rsedit:trainscenemodel) or leave the checkpoint empty to train or reuse a cached one.")
    try:
        model = load_checkpoint(path).model
        model.check_compatible(bands, source=f"The scene model {path}")
    except ModelError as error:
        raise InputError(str(error)) from None
    return SceneModel("trained", model, {"backend": "trained", "checkpoint": str(path),
                                         "preset": model.settings.name, "fingerprint": model.fingerprint})


def train_scene_model(scene: Scene, rois: Sequence[Roi], *, preset: Any = "fast", context_size: int = DEFAULT_CONTEXT_SIZE,
                      cache_dir: Optional[os.PathLike] = None, use_cache: bool = True, device: str = "auto",
                      seed: int = 0, leave_out_rois: bool = False,
                      progress: Optional[Callable[[float, str], None]] = None,
                      is_cancelled: Optional[Callable[[], bool]] = None) -> tuple[SceneModel, bool]:
    """A SinDDM for the context window around `rois`: from the cache when one was trained on the same
    pixels with the same settings, else trained now and cached. Returns (model, came_from_cache).
    `preset` is a preset name (models/sinddm/presets.py) or a models.sinddm.training_settings.TrainingSettings.
    `leave_out_rois` trains on the surroundings only (for removing what the ROIs contain)."""
    from ..models.sinddm.checkpoint import save_checkpoint

    plan = training_plan(scene, rois, preset=preset, context_size=context_size, cache_dir=cache_dir, seed=seed,
                         leave_out_rois=leave_out_rois)
    cached = cached_scene_model(plan) if use_cache else None
    if cached is not None:
        return cached, True
    model = train_planned(plan.data, plan.valid, plan.settings, plan.fingerprint, device, progress, is_cancelled)
    description = plan.description()
    if use_cache and not store_trained(plan, lambda path: save_checkpoint(path, model)):
        description["checkpoint"] = ""
    return SceneModel("trained", model, description), False


@dataclass
class TrainingPlan:
    """What a group's SinDDM learns from (its context pixels), how, and where it is cached: a local
    edit trains from it here, a Dask edit on a worker (core/dask_training.py), with the same result."""

    data: np.ndarray
    valid: np.ndarray
    fingerprint: dict
    settings: Any  # models.sinddm.training_settings.TrainingSettings, seeded
    cached: Path  # the cache file of this model (named by fingerprint and settings)

    def description(self) -> dict:
        return {"backend": "trained", "preset": self.settings.name, "fingerprint": self.fingerprint,
                "checkpoint": str(self.cached)}


def training_plan(scene: Scene, rois: Sequence[Roi], *, preset: Any = "fast", context_size: int = DEFAULT_CONTEXT_SIZE,
                  cache_dir: Optional[os.PathLike] = None, seed: int = 0, leave_out_rois: bool = False) -> TrainingPlan:
    from ..models.sinddm.presets import get_preset

    window, data, valid = _learning_context(scene, rois, context_size, leave_out_rois)
    fingerprint = window_fingerprint(scene, window, data, valid)
    try:
        settings = (get_preset(preset) if isinstance(preset, str) else preset).with_changes(seed=seed)
    except ModelError as error:
        raise InputError(str(error)) from None
    identity = {"format": CACHE_FORMAT, "fingerprint": fingerprint, "settings": settings.to_dict()}
    key = hashlib.sha256(json.dumps(identity, sort_keys=True, default=str).encode()).hexdigest()[:32]
    cached = (Path(cache_dir) if cache_dir else default_cache_dir()) / f"{key}.safetensors"
    return TrainingPlan(data, valid, fingerprint, settings, cached)


def cached_scene_model(plan: TrainingPlan) -> Optional[SceneModel]:
    """The plan's model from the cache, or None (not there, or unreadable: trained again)."""
    from ..models.sinddm.checkpoint import load_checkpoint

    if not plan.cached.is_file():
        return None
    try:
        model = load_checkpoint(plan.cached).model
    except ModelError:
        log.warning("The cached scene model %s is unreadable; training a new one.", plan.cached)
        return None
    log.info("Reusing the scene model cached in %s: no training needed.", plan.cached)
    return SceneModel("trained", model, plan.description())


def train_planned(data: np.ndarray, valid: np.ndarray, settings: Any, fingerprint: dict, device: str = "auto",
                  progress: Optional[Callable[[float, str], None]] = None,
                  is_cancelled: Optional[Callable[[], bool]] = None) -> Any:
    """The trained SinDDMModel, with training's errors as the edit reports them."""
    from ..models.sinddm.trainer import train_sinddm

    try:
        return train_sinddm(data, valid=valid, settings=settings, device=device, fingerprint=fingerprint,
                            progress=progress, is_cancelled=is_cancelled).model
    except CancelledError:
        raise CancelledError("Training was cancelled.") from None
    except TrainingDataError:
        raise  # the caller names the ROIs and the setting to change (error_boundary.scene_model_errors)
    except ModelError as error:
        raise RSEditError(str(error)) from None


def store_trained(plan: TrainingPlan, write: Callable[[Path], Any]) -> bool:
    """Cache a trained model with `write(path)` (atomic); False, with a warning, where it cannot be."""
    try:
        plan.cached.parent.mkdir(parents=True, exist_ok=True)
        write(plan.cached)
        return True
    except (OSError, ModelError) as error:
        # the trained model is in memory and the edit goes on; only its reuse is lost
        log.warning("The scene model could not be cached in %s (%s): the next edit will train again. "
                    "Set RSEDIT_CACHE_DIR to a writable folder.", plan.cached.parent, error)
        return False


def build_training_free_model(scene: Scene, rois: Sequence[Roi], *, context_size: int = DEFAULT_CONTEXT_SIZE,
                              device: str = "auto", leave_out_rois: bool = False) -> SceneModel:
    """The closed-form patch model of the context window: no training, ready in seconds."""
    return training_free_model(*training_free_context(scene, rois, context_size=context_size,
                                                      leave_out_rois=leave_out_rois))


def training_free_context(scene: Scene, rois: Sequence[Roi], *, context_size: int = DEFAULT_CONTEXT_SIZE,
                          leave_out_rois: bool = False) -> tuple[np.ndarray, np.ndarray, dict]:
    """What the training-free model is built from: the context pixels, their validity and fingerprint
    (a Dask worker builds the model from these, core/dask_units.py)."""
    window, data, valid = _learning_context(scene, rois, context_size, leave_out_rois)
    return data, valid, {**window_fingerprint(scene, window, data, valid), "rois_left_out": bool(leave_out_rois)}


def quilt_context(scene: Scene, rois: Sequence[Roi], *,
                  context_size: int = DEFAULT_CONTEXT_SIZE) -> Optional[tuple[np.ndarray, np.ndarray]]:
    """The pixels (and validity) a trained model's regeneration quilts its finest scale from: the
    context around the ROIs, the ROIs left out, as the model learnt it (the training-free model
    holds its own). None where too little of it is usable: the model's own result then stands."""
    try:
        _, data, valid = _learning_context(scene, rois, context_size, True)
    except InputError:
        return None
    return data, valid


def training_free_model(data: np.ndarray, valid: np.ndarray, fingerprint: dict) -> SceneModel:
    """The patch model of a context. One whose ROIs are left out (regeneration) copies fine patches at
    every scale: the coarse scales' large patches fit only far from the holes, so a hole in a field
    punctured by several ROIs filled with the maize beyond the field (docs/benchmarks.md,
    "Regeneration against the gap fillers")."""
    from ..models.patch.patch_denoiser import FINE_PATCH_SIZE
    from ..models.patch.patch_scene_model import PatchSceneModel

    patch_size = FINE_PATCH_SIZE if fingerprint.get("rois_left_out") else None
    model = PatchSceneModel.from_image(data, valid=valid, fingerprint=fingerprint, patch_size=patch_size)
    return SceneModel("training-free", model, training_free_description(fingerprint))


def training_free_description(fingerprint: dict) -> dict:
    return {"backend": "training-free", "fingerprint": fingerprint}


def save_scene_model(model: SceneModel, path: os.PathLike) -> Path:
    """Write a trained scene model as safetensors + JSON config (written atomically)."""
    from ..models.sinddm.checkpoint import save_checkpoint

    if model.backend != "trained":
        raise InputError("Only trained scene models can be saved; the training-free model is rebuilt in seconds.")
    return save_checkpoint(path, model.model)


def obtain_scene_model(scene: Scene, rois: Sequence[Roi], settings: Any,
                       progress: Optional[Callable[[float, str], None]] = None,
                       is_cancelled: Optional[Callable[[], bool]] = None) -> tuple[SceneModel, bool]:
    """The scene model of a sampled edit (core.settings.SampledEditSettings), and whether it was trained
    in this call: the given checkpoint, else the chosen (or default) backend on the context around the
    ROIs, which the model does not see when the mode must not learn them (settings.learns_rois).
    Pixels the model cannot learn from are an InputError naming the ROIs and the setting to change."""
    if settings.checkpoint:
        return load_trained_model(settings.checkpoint, len(scene.data_bands)), False
    backend = settings.backend or default_backend()
    leave_out = not settings.learns_rois
    with scene_model_errors(rois, backend, settings.context_size):
        if backend == "trained":
            model, cached = train_scene_model(scene, rois, preset=settings.preset, context_size=settings.context_size,
                                              cache_dir=settings.cache_dir, use_cache=settings.use_cache,
                                              device=settings.device, seed=settings.seed, leave_out_rois=leave_out,
                                              progress=progress, is_cancelled=is_cancelled)
            return model, not cached
        return build_training_free_model(scene, rois, context_size=settings.context_size, device=settings.device,
                                         leave_out_rois=leave_out), False
