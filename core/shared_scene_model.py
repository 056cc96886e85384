"""One scene model for a folder of chips from one sensor: learnt from a sample of its chips laid
side by side in a mosaic (ROI pixels left out where the mode must not learn them, gaps invalid),
so thousands of chips share one model instead of building one each."""
from __future__ import annotations

import hashlib
import math
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional, Sequence

import numpy as np
from rasterio.features import rasterize

from .errors import CancelledError, InputError, ModelError, RSEditError, TrainingDataError
from .progress import CancelCheck, ProgressCallback
from .rois import Roi
from .scene import Scene, open_scene
from .scene_models import SceneModel, default_backend, training_free_model

GAP = 2  # invalid pixels between chips, so that no patch the model learns spans two chips


@dataclass
class ChipSample:
    name: str
    data: np.ndarray  # (bands, h, w)
    valid: np.ndarray  # (h, w) bool


def sample_chips(chips: Sequence[Path], count: int, seed: int) -> list[Path]:
    """`count` chips drawn by `seed` (all of them when there are fewer), in folder order."""
    if len(chips) <= count:
        return list(chips)
    picked = set(random.Random(seed).sample(range(len(chips)), count))
    return [chip for index, chip in enumerate(chips) if index in picked]


def read_chip_sample(scene: Scene, rois: Sequence[Roi], leave_out_rois: bool) -> ChipSample:
    """A chip's pixels and validity; ROI pixels count as invalid when `leave_out_rois`."""
    from rasterio.windows import Window

    data, valid = scene.read(Window(0, 0, scene.width, scene.height))
    if leave_out_rois and rois:
        inside = rasterize([(roi.pixel_geometry, 1) for roi in rois], out_shape=valid.shape, fill=0,
                           dtype="uint8", all_touched=True).astype(bool)
        valid = valid & ~inside
    return ChipSample(Path(scene.path).name, data, valid)


def mosaic(samples: Sequence[ChipSample]) -> tuple[np.ndarray, np.ndarray]:
    """The samples on a near-square grid of equal cells, GAP invalid pixels apart."""
    bands, dtype = samples[0].data.shape[0], samples[0].data.dtype
    cell_h = max(s.data.shape[1] for s in samples) + GAP
    cell_w = max(s.data.shape[2] for s in samples) + GAP
    cols = math.ceil(math.sqrt(len(samples)))
    rows = math.ceil(len(samples) / cols)
    data = np.zeros((bands, rows * cell_h - GAP, cols * cell_w - GAP), dtype=dtype)
    valid = np.zeros(data.shape[1:], dtype=bool)
    for index, sample in enumerate(samples):
        top, left = (index // cols) * cell_h, (index % cols) * cell_w
        h, w = sample.valid.shape
        data[:, top:top + h, left:left + w] = sample.data
        valid[top:top + h, left:left + w] = sample.valid
    return data, valid


def build_shared_model(chips: Sequence[Path], rois_of: Callable[[Scene, Path], list[Roi]], settings: object, *,
                       sample: int, seed: int, leave_out_rois: bool, progress: Optional[ProgressCallback] = None,
                       is_cancelled: Optional[CancelCheck] = None) -> tuple[SceneModel, list[str]]:
    """(the model, the names of the chips it learnt from). Chips that cannot be read, hold other bands
    than the first usable one, or have no ROI are passed over; the sample is drawn again from the rest.
    `leave_out_rois`: the ROI pixels are not learnt (what regeneration removes)."""
    samples: list[ChipSample] = []
    for chip in sample_chips(chips, len(chips), seed):  # every chip, in a seeded order: the first usable ones
        if len(samples) >= sample:
            break
        try:
            with open_scene(str(chip), allow_ungeoreferenced=True) as scene:
                taken = read_chip_sample(scene, rois_of(scene, chip), leave_out_rois)
        except InputError:
            continue  # listed with its reason when the chip itself is edited
        if samples and (taken.data.shape[0], taken.data.dtype) != (samples[0].data.shape[0], samples[0].data.dtype):
            continue
        samples.append(taken)
    if not samples:
        raise InputError("No chip could be read to learn the shared scene model from: check the folder and pattern.")
    data, valid = mosaic(samples)
    digest = hashlib.sha256(np.ascontiguousarray(data).tobytes())
    digest.update(np.packbits(valid).tobytes())
    names = [s.name for s in samples]
    fingerprint = {"file": "shared: " + ", ".join(names), "window": [0, 0, data.shape[2], data.shape[1]],
                   "bands": int(data.shape[0]), "dtype": str(data.dtype), "sha256": digest.hexdigest()}
    backend = getattr(settings, "backend") or default_backend()
    try:
        if backend == "trained":
            model = _train(data, valid, settings, fingerprint, progress, is_cancelled)
        else:
            model = training_free_model(data, valid, {**fingerprint, "rois_left_out": bool(leave_out_rois)})
            model.description["shared_chips"] = len(names)
    except TrainingDataError as error:
        raise InputError(f"The shared scene model cannot learn from the {len(names)} chips sampled: {error.reason}: "
                         "sample more chips (a larger sample), or use one model per chip.") from None
    return model, names


def _train(data: np.ndarray, valid: np.ndarray, settings: object, fingerprint: dict,
           progress: Optional[ProgressCallback], is_cancelled: Optional[CancelCheck]) -> SceneModel:
    from ..models.sinddm.presets import get_preset
    from ..models.sinddm.trainer import train_sinddm

    preset = getattr(settings, "preset")
    try:
        training = (get_preset(preset) if isinstance(preset, str) else preset).with_changes(seed=getattr(settings, "seed"))
        result = train_sinddm(data, valid=valid, settings=training, device=getattr(settings, "device"),
                              fingerprint=fingerprint, progress=progress, is_cancelled=is_cancelled)
    except CancelledError:
        raise CancelledError("Training the shared scene model was cancelled.") from None
    except TrainingDataError:
        raise
    except ModelError as error:
        raise RSEditError(str(error)) from None
    return SceneModel("trained", result.model, {"backend": "trained", "preset": training.name,
                                                "fingerprint": fingerprint})
