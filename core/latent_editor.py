"""The "pretrained" edit mode: a tile editor around a pretrained latent diffusion model.

edit_scene drives it like every other mode (same ROIs, tiling with overlap blending, untouched
pixels outside the ROIs, nodata kept, atomic output); only the per-tile editor differs. Each tile
is mapped to the model's RGB [-1, 1] range, resampled by `scale` (scene pixels → model pixels,
from a target GSD when one is given) and padded to the VAE's multiple, edited by
models/latent/latent_edit.py, and mapped back. Tiles default to the model's native size (512² for SD 1.x)
in model pixels. Bands other than the three RGB bands are left as they are.
"""
from __future__ import annotations

import logging
import math
from dataclasses import asdict, dataclass, replace
from typing import Any, Callable, Optional, Sequence

import numpy as np

from .editor import TileContext, tile_seed
from .errors import CancelledError, InputError, ModelError, RSEditError
from .rois import Roi
from .scene import Scene

log = logging.getLogger(__name__)

MIN_SCALE, MAX_SCALE = 1 / 16, 16.0


@dataclass
class PretrainedOptions:
    """Settings of the pretrained backend (the edit prompt, seed and device are EditSettings')."""

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

    def validate(self) -> None:
        if not self.model or not str(self.model).strip():
            raise InputError("The pretrained mode needs a model: a diffusers Stable Diffusion folder or a hub id.")
        if self.steps < 1 or self.steps > 1000:
            raise InputError(f"The number of sampling steps must be in 1..1000 (got {self.steps}).")
        if self.target_gsd is not None and self.target_gsd <= 0:
            raise InputError(f"The target ground sampling distance must be positive (got {self.target_gsd}).")
        if not MIN_SCALE <= self.scale <= MAX_SCALE:
            raise InputError(f"The resampling scale must be in {MIN_SCALE:g}..{MAX_SCALE:g} (got {self.scale}).")


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


def _normalization(scene: Scene, rois: Sequence[Roi], bands: list[int]):
    """uint8: the fixed 0–255 range; other types: percentiles of a context window around the ROIs."""
    from ..models.diffusion.normalization import BandNormalization
    from .scene_models import context_window

    if scene.dtype == np.uint8:
        return BandNormalization((0.0,) * 3, (255.0,) * 3, "uint8")
    window = context_window(scene, rois, 512)
    data, valid = scene.read(window)
    return BandNormalization.fit(data[bands], valid)


@dataclass
class PretrainedBackend:
    """A loaded model plus everything fixed for the whole scene."""

    model: Any  # models.latent.latent_pipeline.LatentModel
    normalization: Any  # models.diffusion.normalization.BandNormalization over the three model bands
    bands: list[int]
    scale: float
    tile_size: int
    lpips: Any  # LPIPS module or None
    options: PretrainedOptions

    @property
    def description(self) -> dict:
        options = {k: v for k, v in asdict(self.options).items() if k not in ("model",)}
        return {**self.model.description, "options": options, "scale": self.scale, "tile_size": self.tile_size,
                "perceptual_guidance": "lpips" if self.lpips is not None else "off"}


def load_pretrained_backend(scene: Scene, rois: Sequence[Roi], options: PretrainedOptions,
                            device: str = "auto") -> PretrainedBackend:
    from ..models.latent.latent_pipeline import load_latent_model
    from ..models.latent.perceptual_guidance import load_lpips_or_warn

    options.validate()
    bands = rgb_band_indices(scene)
    scale = scene_scale(scene, options)
    try:
        model = load_latent_model(options.model, device=device, dtype=options.dtype)
        lpips = load_lpips_or_warn(options.lpips_weights, options.lpips_net) if options.perceptual_weight > 0 else None
    except ModelError as error:
        raise InputError(str(error)) from None
    tile_size = options.tile_size or max(64, int(round(model.native_size / scale)))
    return PretrainedBackend(model, _normalization(scene, rois, bands), bands, scale, tile_size, lpips, options)


def _model_size(size: int, scale: float, factor: int) -> int:
    return max(factor, int(round(size * scale / factor)) * factor)


class LatentTileEditor:
    """editor(ctx) for edit_raster: one tile through the pretrained model."""

    def __init__(self, backend: PretrainedBackend, prompt: str, seed: int,
                 is_cancelled: Optional[Callable[[], bool]] = None) -> None:
        from ..models.editing.ngdm import DEFAULT_A, DEFAULT_B
        from ..models.latent.latent_edit import LatentEditSettings

        options = backend.options
        self.backend = backend
        self.seed = seed
        self.is_cancelled = is_cancelled or (lambda: False)
        self.settings = LatentEditSettings(
            source_prompt=options.source_prompt, edit_prompt=prompt, gamma=options.gamma, beta=options.beta,
            variant=options.variant, steps=options.steps,
            ngdm_a=DEFAULT_A if options.ngdm_a is None else options.ngdm_a,
            ngdm_b=DEFAULT_B if options.ngdm_b is None else options.ngdm_b,
            diffedit_seeds=options.diffedit_seeds, replacement=options.replacement,
            perceptual_weight=options.perceptual_weight, perceptual_start=options.perceptual_start,
            perceptual_stop=options.perceptual_stop, seed=seed)
        self.prompts_used = {prompt: [prompt]}

    @property
    def tile_size(self) -> int:
        return self.backend.tile_size

    def _to_model(self, image, roi, size: tuple[int, int]):
        """Resample (scale ≠ 1) or reflect-pad (scale = 1) to the model's grid: image, roi, undo."""
        import torch.nn.functional as F

        height, width = image.shape[-2:]
        factor = self.backend.model.vae_scale_factor
        if self.backend.scale != 1.0:
            target = (_model_size(height, self.backend.scale, factor), _model_size(width, self.backend.scale, factor))
            image = F.interpolate(image[None], size=target, mode="bicubic", align_corners=False)[0].clamp(-1, 1)
            roi = F.interpolate(roi[None, None], size=target, mode="bilinear", align_corners=False)[0, 0]
            return image, roi, lambda out: F.interpolate(out, size=(height, width), mode="area")[0]
        pad_h, pad_w = (-height) % factor, (-width) % factor
        if pad_h or pad_w:
            mode = "reflect" if pad_h < height and pad_w < width else "replicate"
            image = F.pad(image[None], (0, pad_w, 0, pad_h), mode=mode)[0]
            roi = F.pad(roi, (0, pad_w, 0, pad_h))
        return image, roi, lambda out: out[0, :, :height, :width]

    def __call__(self, ctx: TileContext) -> np.ndarray:
        import torch
        from ..models.latent.latent_edit import edit_tile
        from ..models.latent.perceptual_guidance import PerceptualGuidance

        backend = self.backend
        rgb = ctx.data[backend.bands]
        values = backend.normalization.normalize(rgb)
        values[:, ~ctx.valid] = 0.0  # nodata carries no content into the model
        image = torch.from_numpy(values)
        roi = torch.from_numpy((ctx.roi_mask * ctx.valid).astype(np.float32))
        image, roi, undo = self._to_model(image, roi, ctx.data.shape[-2:])
        perceptual = None
        if backend.lpips is not None and self.settings.perceptual_weight > 0:
            perceptual = PerceptualGuidance(backend.lpips, image[None], self.settings.perceptual_weight,
                                            self.settings.perceptual_start, self.settings.perceptual_stop,
                                            keep_weight=1.0 - roi)
        settings = replace(self.settings, seed=tile_seed(self.seed, ctx.tile))
        try:
            result = edit_tile(backend.model, image, roi, settings, perceptual, should_stop=self.is_cancelled,
                               progress=lambda done, total: ctx.progress(done / total))
        except CancelledError:
            raise CancelledError("Editing was cancelled.") from None
        except ModelError as error:
            raise RSEditError(str(error)) from None
        edited = undo(result.image).numpy()
        out = ctx.data.copy()
        if len(set(backend.bands)) == 1:  # grey: the mean of the three model channels
            out[backend.bands[0]] = backend.normalization.denormalize(edited.mean(0, keepdims=True).repeat(3, 0))[0]
        else:
            out[backend.bands] = backend.normalization.denormalize(edited.astype(np.float32))
        return out.astype(ctx.data.dtype)
