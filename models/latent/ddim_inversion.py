"""DDIM inversion of a source latent, and the matching deterministic DDIM reconstruction.

Inversion runs diffusers' DDIMInverseScheduler with the source caption's noise prediction (no
classifier-free guidance, as in null-text inversion's first stage), from the clean latent up to
the first timestep the sampler will start from; it keeps every intermediate latent, so the edit
can start from z_T and NGDM can replace pixels by the inverted source at any step. Running the
DDIMScheduler back down with the same prediction reconstructs the source latent (up to the
small error of evaluating ε one step away).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import torch

from ...core.progress import CancelCheck, raise_if_cancelled
from .latent_pipeline import LatentModel


@dataclass
class Inversion:
    """The inverted trajectory: latents[t] for every sampling timestep t, and the clean latent at −1."""

    latents: dict[int, torch.Tensor]
    timesteps: list[int]  # descending, as the sampler visits them

    @property
    def start(self) -> torch.Tensor:
        return self.latents[self.timesteps[0]]

    def at(self, timestep: int) -> torch.Tensor:
        return self.latents[max(int(timestep), -1)]


def sampling_timesteps(model: LatentModel, steps: int) -> list[int]:
    scheduler = model.ddim_scheduler()
    scheduler.set_timesteps(steps)
    return [int(t) for t in scheduler.timesteps]


@torch.no_grad()
def ddim_invert(model: LatentModel, z0: torch.Tensor, embedding: torch.Tensor, steps: int,
                is_cancelled: Optional[CancelCheck] = None) -> Inversion:
    """Invert the clean latent z0 [1, C, h, w] with the text embedding [1, tokens, dim]."""
    inverse = model.ddim_inverse_scheduler()
    inverse.set_timesteps(steps)
    latents = {-1: z0.float()}
    z = z0.float()
    for t in inverse.timesteps:
        raise_if_cancelled(is_cancelled, "Inversion was cancelled.")
        t = int(t)
        eps = model.predict_noise(z, t, embedding, inverse.alphas_cumprod)
        z = inverse.step(eps, t, z).prev_sample.float()
        latents[t] = z
    return Inversion(latents, sorted((t for t in latents if t >= 0), reverse=True))


def previous_timestep(timesteps: list[int], index: int) -> int:
    """The timestep a DDIM step at timesteps[index] lands on; −1 (clean) after the last."""
    return int(timesteps[index + 1]) if index + 1 < len(timesteps) else -1


@torch.no_grad()
def ddim_reconstruct(model: LatentModel, inversion: Inversion, embedding: torch.Tensor) -> torch.Tensor:
    """Plain DDIM sampling from the inverted z_T with the same text embedding: ≈ the source latent."""
    scheduler = model.ddim_scheduler()
    scheduler.set_timesteps(len(inversion.timesteps))
    z = inversion.start
    for t in scheduler.timesteps:
        eps = model.predict_noise(z, int(t), embedding, scheduler.alphas_cumprod)
        z = scheduler.step(eps, int(t), z).prev_sample.float()
    return z
