"""The pretrained (Stable Diffusion) mode's options, and what it derives from the scene: the model
bands, the resampling scale from a target GSD, and the pixels its normalisation is fitted on."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Optional, Sequence

import numpy as np

from .errors import InputError
from .rois import Roi
from .scene import Scene
from .settings import check_int, check_number

MIN_SCALE, MAX_SCALE = 1 / 16, 16.0
NORMALIZATION_CONTEXT = 512  # pixels around the ROIs that non-uint8 rasters are normalised over


@dataclass(frozen=True)
class PretrainedOptions:
    """Settings of the pretrained backend (the edit prompt, seed and device are the edit's)."""

    model: str = ""  # diffusers Stable Diffusion folder or hub id
    source_prompt: str = ""  # a caption of the source image
    gamma: float = 1.0
    beta: float = 7.5
    variant: str = "source"  # "source": eq. (1)-(2); "null": eq. (3)-(4)
    steps: int = 50
    ngdm_a: Optional[float] = None  # None: models/editing/ngdm.py defaults
    ngdm_b: Optional[float] = None
    diffedit_seeds: int = 0  # > 0: NGDM weights from a DiffEdit map over this many seeds (x ROI)
    replacement: str = "inversion"
    lpips_weights: Optional[str] = None  # torchvision alexnet/vgg16 state dict; None: no perceptual guidance
    lpips_net: str = "alex"
    perceptual_weight: float = 0.05
    perceptual_start: float = 0.0
    perceptual_stop: float = 0.4
    scale: float = 1.0  # model pixels per scene pixel
    target_gsd: Optional[float] = None  # ground sampling distance the model should see (CRS units); sets scale
    tile_size: Optional[int] = None  # scene pixels; None: the model's native size / scale
    dtype: Optional[str] = None  # None: fp32 on CPU, bf16/fp16 on GPU

    def __post_init__(self) -> None:
        if not isinstance(self.model, str) or not self.model.strip():
            raise InputError("The pretrained mode needs a model: a diffusers Stable Diffusion folder or a hub id.")
        check_int("The number of sampling steps", self.steps, 1, 1000)
        check_number("gamma", self.gamma, 0.0)
        check_number("beta", self.beta, 0.0)
        if self.variant not in ("source", "null"):
            raise InputError(f"Unknown guidance variant {self.variant!r}: choose source or null.")
        check_int("The number of DiffEdit seeds", self.diffedit_seeds, 0, 64)
        check_number("The perceptual weight", self.perceptual_weight, 0.0)
        if self.target_gsd is not None and check_number("The target GSD", self.target_gsd, 0.0, low_open=True) <= 0:
            raise InputError(f"The target ground sampling distance must be positive (got {self.target_gsd}).")
        if not MIN_SCALE <= check_number("The resampling scale", self.scale) <= MAX_SCALE:
            raise InputError(f"The resampling scale must be in {MIN_SCALE:g}..{MAX_SCALE:g} (got {self.scale}).")
        if self.tile_size is not None:
            check_int("The tile size", self.tile_size, 16, 4096)

    @classmethod
    def coerce(cls, value: Any) -> "PretrainedOptions":
        if isinstance(value, cls):
            return value
        if value is None:
            return cls()
        if isinstance(value, dict):
            unknown = set(value) - set(cls.__dataclass_fields__)
            if unknown:
                raise InputError(f"Unknown pretrained-model option(s) {', '.join(sorted(unknown))}.")
            return cls(**value)
        raise InputError("The pretrained options must be a PretrainedOptions or a dict of its fields.")


def scene_scale(scene: Scene, options: PretrainedOptions) -> float:
    """Model pixels per scene pixel: from the target GSD when given, else `scale`."""
    if options.target_gsd is None:
        return float(options.scale)
    pixel = math.sqrt(abs(scene.transform.a * scene.transform.e - scene.transform.b * scene.transform.d))
    scale = pixel / options.target_gsd
    if not MIN_SCALE <= scale <= MAX_SCALE:
        raise InputError(f"A target GSD of {options.target_gsd:g} on {pixel:g}-unit pixels means resampling by "
                         f"{scale:.3g}, outside {MIN_SCALE:g}..{MAX_SCALE:g}: choose a closer target GSD.")
    return scale


def rgb_band_indices(scene: Scene) -> list[int]:
    """0-based data-band indices fed to the model as R, G, B (one band is used three times)."""
    bands = len(scene.data_bands)
    if bands == 1:
        return [0, 0, 0]
    if bands == 2:
        raise InputError("The pretrained model edits RGB images: give a raster with one (grey) or at least "
                         "three bands.")
    names = [scene.colorinterp[band - 1].name for band in scene.data_bands]
    if all(c in names for c in ("red", "green", "blue")):
        return [names.index(c) for c in ("red", "green", "blue")]
    return [0, 1, 2]


def normalization_context(scene: Scene, rois: Sequence[Roi]) -> Optional[tuple[np.ndarray, np.ndarray]]:
    """uint8 rasters use the fixed 0-255 range (None); others the pixels of a window around the ROIs."""
    from .scene_models import context_window

    if scene.dtype == np.uint8:
        return None
    return scene.read(context_window(scene, rois, NORMALIZATION_CONTEXT))
