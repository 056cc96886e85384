"""The continuous DiffEdit-style map A and the NGDM noise weights Λ built from it (seed 002, 3.4).

The source latent is noised to half the schedule (0.5T) with n seeds; for each, the noise is
predicted with the source caption and with the edit prompt, and |ε_edit − ε_source| (averaged over
latent channels) says where the two texts disagree about the image. The n maps are averaged,
smoothed with a Gaussian and min-max normalised to [0, 1]: A. Λ = sigmoid(A/a + b) (ngdm.py),
optionally multiplied by the ROI mask so nothing outside the polygons is ever edited.
"""
from __future__ import annotations

from typing import Optional

import torch
import torch.nn.functional as F

from ..editing.ngdm import DEFAULT_A, DEFAULT_B, noise_weights
from ..editing.smoothing import gaussian_smooth
from .latent_pipeline import LatentModel


@torch.no_grad()
def diffedit_map(model: LatentModel, z0: torch.Tensor, source_embedding: torch.Tensor,
                 edit_embedding: torch.Tensor, n_seeds: int = 10, strength: float = 0.5,
                 sigma: float = 1.0, seed: int = 0) -> torch.Tensor:
    """A in [0, 1], shaped like the latent [h, w]: where the edit prompt changes the prediction."""
    if n_seeds < 1:
        raise ValueError(f"The DiffEdit map needs at least one seed, got {n_seeds}.")
    scheduler = model.ddim_scheduler()
    t = int(round(strength * (scheduler.config.num_train_timesteps - 1)))
    embeddings = torch.cat([source_embedding, edit_embedding])
    total = torch.zeros(z0.shape[-2:], dtype=torch.float32, device=z0.device)
    generator = torch.Generator(device="cpu").manual_seed(seed)
    for _ in range(n_seeds):
        noise = torch.randn(z0.shape, generator=generator).to(z0)
        z_t = scheduler.add_noise(z0, noise, torch.tensor([t]))
        eps = model.predict_noise(z_t, t, embeddings, scheduler.alphas_cumprod)
        total += (eps[1] - eps[0]).abs().mean(0)
    smoothed = gaussian_smooth(total / n_seeds, sigma)
    low, high = smoothed.min(), smoothed.max()
    if high <= low:
        return torch.zeros_like(smoothed)
    return (smoothed - low) / (high - low)


def latent_roi_weight(roi_weight: torch.Tensor, latent_shape: tuple[int, int]) -> torch.Tensor:
    """The pixel ROI weight [H, W] averaged over each latent cell [h, w] (all-zero cells stay 0)."""
    return F.adaptive_avg_pool2d(roi_weight.float()[None, None], latent_shape)[0, 0]


def ngdm_weights(roi_latent: Optional[torch.Tensor], attention: Optional[torch.Tensor] = None,
                 a: float = DEFAULT_A, b: float = DEFAULT_B, multiply_roi: bool = True) -> torch.Tensor:
    """Λ per latent cell.

    With a DiffEdit map `attention`: Λ = sigmoid(A/a + b), times the ROI weight if `multiply_roi`.
    Without one, the ROI weight itself is the map (Λ = sigmoid(ROI/a + b), exactly 0 outside)."""
    if attention is None:
        if roi_latent is None:
            raise ValueError("NGDM weights need a DiffEdit map, a ROI weight, or both.")
        return noise_weights(roi_latent, a, b)
    weights = noise_weights(attention, a, b, exact_zeros=False)
    if roi_latent is not None and multiply_roi:
        weights = weights * roi_latent.to(weights)
    return weights
