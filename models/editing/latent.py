"""Pretrained: edit each tile with a pretrained latent diffusion model (Stable Diffusion) from a
source caption to the prompt: DDIM inversion, three-way text guidance, optional LPIPS guidance and
NGDM soft masks (models/latent/). Tiles are mapped to the model's RGB [-1, 1] range, resampled by
`scale` (scene pixels to model pixels) or padded to the VAE's multiple, edited, and mapped back.
Bands other than the three model bands are left as they are."""
from __future__ import annotations

from dataclasses import replace
from typing import Any, Optional, Sequence

import numpy as np

from .editor import EditTile


def _model_size(size: int, scale: float, factor: int) -> int:
    return max(factor, int(round(size * scale / factor)) * factor)


class LatentEditor:
    """Built once per scene: the model, LPIPS and the band normalisation are loaded here.

    `options` has the fields of core.pretrained.PretrainedOptions; `bands` are the 0-based data
    bands fed to the model as R, G, B; `context` is (data, valid) of the scene around the ROIs, from
    which non-uint8 rasters get their normalisation (None: the uint8 range)."""

    def __init__(self, options: Any, prompt: str, *, bands: Sequence[int], scale: float,
                 context: Optional[tuple[np.ndarray, np.ndarray]] = None, device: str = "auto") -> None:
        from ..diffusion.normalization import BandNormalization
        from ..latent.latent_edit import LatentEditSettings
        from ..latent.latent_pipeline import load_latent_model
        from ..latent.perceptual_guidance import load_lpips_or_warn
        from .ngdm import DEFAULT_A, DEFAULT_B

        self.options, self.bands, self.scale = options, list(bands), float(scale)
        self.model = load_latent_model(options.model, device=device, dtype=options.dtype)
        self.lpips = (load_lpips_or_warn(options.lpips_weights, options.lpips_net)
                      if options.perceptual_weight > 0 else None)
        if context is None:
            self.normalization = BandNormalization((0.0,) * 3, (255.0,) * 3, "uint8")
        else:
            data, valid = context
            self.normalization = BandNormalization.fit(data[self.bands], valid)
        self.tile_size: Optional[int] = options.tile_size or max(64, int(round(self.model.native_size / self.scale)))
        self.settings = LatentEditSettings(
            source_prompt=options.source_prompt, edit_prompt=prompt, gamma=options.gamma, beta=options.beta,
            variant=options.variant, steps=options.steps,
            ngdm_a=DEFAULT_A if options.ngdm_a is None else options.ngdm_a,
            ngdm_b=DEFAULT_B if options.ngdm_b is None else options.ngdm_b,
            diffedit_seeds=options.diffedit_seeds, replacement=options.replacement,
            perceptual_weight=options.perceptual_weight, perceptual_start=options.perceptual_start,
            perceptual_stop=options.perceptual_stop, seed=0)
        self.prompts_used = {prompt: [prompt]}
        kept = {name: getattr(options, name) for name in options.__dataclass_fields__ if name != "model"}
        self.description = {**self.model.description, "options": kept, "scale": self.scale,
                            "tile_size": self.tile_size, "perceptual_guidance": "lpips" if self.lpips else "off"}

    def _to_model(self, image, roi, size: tuple[int, int]):
        """Resample (scale ≠ 1) or reflect-pad (scale = 1) to the model's grid: image, roi, undo."""
        import torch.nn.functional as F

        height, width = image.shape[-2:]
        factor = self.model.vae_scale_factor
        if self.scale != 1.0:
            target = (_model_size(height, self.scale, factor), _model_size(width, self.scale, factor))
            image = F.interpolate(image[None], size=target, mode="bicubic", align_corners=False)[0].clamp(-1, 1)
            roi = F.interpolate(roi[None, None], size=target, mode="bilinear", align_corners=False)[0, 0]
            return image, roi, lambda out: F.interpolate(out, size=(height, width), mode="area")[0]
        pad_h, pad_w = (-height) % factor, (-width) % factor
        if pad_h or pad_w:
            mode = "reflect" if pad_h < height and pad_w < width else "replicate"
            image = F.pad(image[None], (0, pad_w, 0, pad_h), mode=mode)[0]
            roi = F.pad(roi, (0, pad_w, 0, pad_h))
        return image, roi, lambda out: out[0, :, :height, :width]

    def edit(self, tile: EditTile) -> np.ndarray:
        import torch

        from ..latent.latent_edit import edit_tile
        from ..latent.perceptual_guidance import PerceptualGuidance

        values = self.normalization.normalize(tile.data[self.bands])
        values[:, ~tile.valid] = 0.0  # nodata carries no content into the model
        image = torch.from_numpy(values)
        roi = torch.from_numpy(tile.roi_weight.astype(np.float32))
        image, roi, undo = self._to_model(image, roi, tile.data.shape[-2:])
        perceptual = None
        if self.lpips is not None and self.settings.perceptual_weight > 0:
            perceptual = PerceptualGuidance(self.lpips, image[None], self.settings.perceptual_weight,
                                            self.settings.perceptual_start, self.settings.perceptual_stop,
                                            keep_weight=1.0 - roi)
        settings = replace(self.settings, seed=tile.tile_seed)
        result = edit_tile(self.model, image, roi, settings, perceptual, is_cancelled=tile.is_cancelled,
                           progress=tile.progress)
        edited = undo(result.image).numpy()
        out = tile.data.copy()
        if len(set(self.bands)) == 1:  # grey: the mean of the three model channels
            out[self.bands[0]] = self.normalization.denormalize(edited.mean(0, keepdims=True).repeat(3, 0))[0]
        else:
            out[self.bands] = self.normalization.denormalize(edited.astype(np.float32))
        return out.astype(tile.data.dtype)
