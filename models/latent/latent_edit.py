"""Editing one image (a tile) with a pretrained latent diffusion model.

    encode → DDIM-invert with the source caption → sample with three-way text guidance (seed 001,
    eq. 1–4), optional LPIPS guidance on z_t, and the NGDM replacement rule (seed 002, Algorithm 1)
    → decode.

NGDM: every latent cell k gets a start step T_k from its noise weight Λ_k (eq. 8 on the model's
own ᾱ table). After each DDIM step landing on timestep t, cells with t ≥ T_k are replaced by the
noised source at t, so they only start following the edit from T_k on; cells with Λ = 0 (outside
the ROI) get T_k = −1 and end as the source latent exactly. The noised source is the DDIM
inversion trajectory (deterministic, default) or sqrt(ᾱ_t)·z_src + sqrt(1−ᾱ_t)·z with one fixed z
for all steps ("noise", the paper's eq. 11).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Optional

import torch

from ...core.errors import ModelError
from ...core.progress import CancelCheck, ProgressCallback, raise_if_cancelled
from ..editing.ngdm import DEFAULT_A, DEFAULT_B, start_steps
from .ddim_inversion import Inversion, ddim_invert, previous_timestep, sampling_timesteps
from .diffedit_map import diffedit_map, latent_roi_weight, ngdm_weights
from .latent_pipeline import LatentModel
from .perceptual_guidance import PerceptualGuidance
from .three_way_guidance import VARIANTS, split_predictions, three_way_guidance

REPLACEMENTS = ("inversion", "noise")


@dataclass(frozen=True)
class LatentEditSettings:
    source_prompt: str
    edit_prompt: str
    gamma: float = 1.0  # γ: 1 keeps the inversion's source-caption prediction
    beta: float = 7.5  # β: strength of the push towards the edit prompt
    variant: str = "source"  # "source": eq. (1)-(2); "null": eq. (3)-(4)
    steps: int = 50
    ngdm_a: float = DEFAULT_A
    ngdm_b: float = DEFAULT_B
    diffedit_seeds: int = 0  # 0: Λ from the ROI mask alone; n > 0: DiffEdit map over n seeds (x ROI)
    diffedit_sigma: float = 1.0  # Gaussian smoothing of the map, in latent cells
    multiply_roi: bool = True
    replacement: str = "inversion"
    perceptual_weight: float = 0.05
    perceptual_start: float = 0.0
    perceptual_stop: float = 0.4
    seed: int = 0

    def validate(self) -> None:
        if not self.edit_prompt or not self.edit_prompt.strip():
            raise ModelError("Give an edit prompt: what the ROI should show, e.g. 'a lake'.")
        if self.variant not in VARIANTS:
            raise ModelError(f"Unknown guidance variant {self.variant!r}: choose 'source' or 'null'.")
        if self.replacement not in REPLACEMENTS:
            raise ModelError(f"Unknown NGDM replacement {self.replacement!r}: choose one of {', '.join(REPLACEMENTS)}.")
        if not 1 <= self.steps <= 1000:
            raise ModelError(f"The number of steps must be in 1..1000, got {self.steps}.")
        if self.ngdm_a <= 0:
            raise ModelError(f"NGDM 'a' must be positive, got {self.ngdm_a}.")

    def describe(self) -> dict:
        return asdict(self)


@dataclass
class TileEditResult:
    image: torch.Tensor  # [1, 3, H, W] in [-1, 1]
    latents: torch.Tensor  # final latents [1, C, h, w]
    source_latents: torch.Tensor
    weights: torch.Tensor  # Λ [h, w]
    start_steps: torch.Tensor  # T_k [h, w]


class NoisedSource:
    """The source latent at timestep t: from the inversion trajectory or with one fixed noise z."""

    def __init__(self, z0: torch.Tensor, alphas_cumprod: torch.Tensor, inversion: Optional[Inversion],
                 replacement: str, seed: int) -> None:
        self.z0, self.alphas_cumprod, self.inversion, self.replacement = z0, alphas_cumprod, inversion, replacement
        generator = torch.Generator(device="cpu").manual_seed(seed * 7919 + 17)
        self.noise = torch.randn(z0.shape, generator=generator).to(z0)

    def __call__(self, t: int) -> torch.Tensor:
        if t < 0:
            return self.z0
        if self.replacement == "inversion" and self.inversion is not None and t in self.inversion.latents:
            return self.inversion.latents[t]
        abar = self.alphas_cumprod[t].to(self.z0)
        return abar.sqrt() * self.z0 + (1 - abar).sqrt() * self.noise


def ngdm_replace(z_prev: torch.Tensor, t_prev: int, steps: torch.Tensor, noised: torch.Tensor) -> torch.Tensor:
    """Algorithm 1, line 7: cells whose start step T_k ≤ t_prev take the noised source."""
    return torch.where((t_prev >= steps).to(z_prev.device), noised, z_prev)


def edit_tile(model: LatentModel, image: torch.Tensor, roi_weight: torch.Tensor, settings: LatentEditSettings,
              perceptual: Optional[PerceptualGuidance] = None,
              is_cancelled: Optional[CancelCheck] = None,
              progress: Optional[ProgressCallback] = None) -> TileEditResult:
    """Edit `image` [3, H, W] in [-1, 1] (H, W multiples of the VAE factor) inside `roi_weight` [H, W]."""
    settings.validate()
    if image.dim() != 3 or image.shape[0] != 3:
        raise ModelError(f"Expected an RGB image [3, height, width], got shape {tuple(image.shape)}.")
    factor = model.vae_scale_factor
    if image.shape[-1] % factor or image.shape[-2] % factor:
        raise ModelError(f"The image size {tuple(image.shape[-2:])} must be a multiple of {factor}.")
    if tuple(roi_weight.shape) != tuple(image.shape[-2:]):
        raise ModelError(f"The ROI weight {tuple(roi_weight.shape)} does not match the image {tuple(image.shape[-2:])}.")
    device = model.device
    source = image[None].float().to(device)
    z0 = model.encode(source)
    null, src, edit = model.embed_prompts(["", settings.source_prompt or "", settings.edit_prompt]).split(1)
    embeddings = torch.cat([null, src, edit])

    scheduler = model.ddim_scheduler()
    scheduler.set_timesteps(settings.steps)
    alphas = scheduler.alphas_cumprod
    timesteps = sampling_timesteps(model, settings.steps)
    inversion = ddim_invert(model, z0, src, settings.steps, is_cancelled=is_cancelled)

    roi_latent = latent_roi_weight(roi_weight.to(device), tuple(z0.shape[-2:]))
    attention = None
    if settings.diffedit_seeds > 0:
        attention = diffedit_map(model, z0, src, edit, settings.diffedit_seeds, sigma=settings.diffedit_sigma,
                                 seed=settings.seed)
    weights = ngdm_weights(roi_latent, attention, settings.ngdm_a, settings.ngdm_b, settings.multiply_roi)
    t_k = start_steps(weights, alphas, timesteps[0])
    noised = NoisedSource(z0, alphas, inversion, settings.replacement, settings.seed)

    # seed 001 starts from the inverted z_T; Algorithm 1 from the noised source at T
    z = inversion.start if settings.replacement == "inversion" else noised(timesteps[0])
    for index, t in enumerate(timesteps):
        raise_if_cancelled(is_cancelled, "Editing was cancelled.")
        with torch.no_grad():
            eps = three_way_guidance(*split_predictions(model.predict_noise(z, t, embeddings, alphas)),
                                     settings.gamma, settings.beta, settings.variant)
        if perceptual is not None and perceptual.active(index, len(timesteps)):
            z = perceptual(z, eps, alphas[t].to(z), model.decode)
        with torch.no_grad():
            z_prev = scheduler.step(eps, t, z).prev_sample.float()
        t_prev = previous_timestep(timesteps, index)
        z = ngdm_replace(z_prev, t_prev, t_k, noised(t_prev))
        if progress is not None:
            progress((index + 1) / len(timesteps), f"denoising step {index + 1} of {len(timesteps)}")
    with torch.no_grad():
        edited = model.decode(z).clamp(-1, 1)
    return TileEditResult(edited.cpu(), z.cpu(), z0.cpu(), weights.cpu(), t_k.cpu())
