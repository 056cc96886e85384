"""The noise schedule: cosine, T=100 steps (the reference's; identical to diffusers' squaredcos_cap_v2)."""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch

NUM_TIMESTEPS = 100
COSINE_OFFSET = 0.008  # s of the Glide / improved-DDPM cosine schedule
MAX_BETA = 0.999


@lru_cache(maxsize=4)
def _alphas_cumprod(num_timesteps: int) -> np.ndarray:
    """diffusers' `betas_for_alpha_bar` + `DDPMScheduler` for squaredcos_cap_v2, float32 as there, so the
    values are bit for bit those of DDPMScheduler(beta_schedule="squaredcos_cap_v2") (tests/test_schedule.py)."""
    def alpha_bar(t: float) -> float:
        return math.cos((t + COSINE_OFFSET) / (1 + COSINE_OFFSET) * math.pi / 2) ** 2

    betas = [min(1 - alpha_bar((i + 1) / num_timesteps) / alpha_bar(i / num_timesteps), MAX_BETA)
             for i in range(num_timesteps)]
    alphas = 1.0 - torch.tensor(betas, dtype=torch.float32)
    return torch.cumprod(alphas, dim=0).double().numpy()


@dataclass(frozen=True)
class DiffusionSchedule:
    """Per-step constants of the forward process x_t = sqrt(abar_t) x0 + sqrt(1 - abar_t) eps.

    Index t runs 0..T-1 as in the reference (t=0 is the first, least noisy step).
    """

    alphas_cumprod: np.ndarray  # float64, shape [T]

    @classmethod
    def cosine(cls, num_timesteps: int = NUM_TIMESTEPS) -> "DiffusionSchedule":
        return cls(_alphas_cumprod(num_timesteps))

    @property
    def num_timesteps(self) -> int:
        return int(self.alphas_cumprod.shape[0])

    @property
    def alphas_cumprod_prev(self) -> np.ndarray:
        return np.append(1.0, self.alphas_cumprod[:-1])

    @property
    def betas(self) -> np.ndarray:
        return 1.0 - self.alphas_cumprod / self.alphas_cumprod_prev

    @property
    def sigmas(self) -> np.ndarray:
        """Noise-to-signal ratio sigma_t = sqrt(1 - abar_t) / sqrt(abar_t): the noise std on x0's scale."""
        return np.sqrt(1.0 - self.alphas_cumprod) / np.sqrt(self.alphas_cumprod)

    @property
    def posterior_variance(self) -> np.ndarray:
        """Variance of q(x_{t-1} | x_t, x0), the ancestral DDPM step's noise."""
        return self.betas * (1.0 - self.alphas_cumprod_prev) / (1.0 - self.alphas_cumprod)

    def coefficient(self, name: str, t: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
        """Per-sample schedule value `name` at steps `t`, shaped to broadcast against `like` [B,C,H,W]."""
        values = torch.as_tensor(getattr(self, name), dtype=torch.float64)[t.cpu().long()]
        return values.to(device=like.device, dtype=like.dtype).view(-1, *([1] * (like.dim() - 1)))

    def add_noise(self, x0: torch.Tensor, t: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        """q(x_t | x0): noise x0 to steps t (one step per batch element)."""
        sqrt_ac = self.coefficient("alphas_cumprod", t, x0).sqrt()
        sqrt_one_minus = (1.0 - self.coefficient("alphas_cumprod", t, x0)).sqrt()
        return sqrt_ac * x0 + sqrt_one_minus * noise

    def x0_from_eps(self, x_t: torch.Tensor, t: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
        abar = self.coefficient("alphas_cumprod", t, x_t)
        return (x_t - (1.0 - abar).sqrt() * eps) / abar.sqrt()

    def eps_from_x0(self, x_t: torch.Tensor, t: torch.Tensor, x0: torch.Tensor) -> torch.Tensor:
        abar = self.coefficient("alphas_cumprod", t, x_t)
        return (x_t - abar.sqrt() * x0) / (1.0 - abar).sqrt()

    def first_step_above(self, noise_level: float) -> int:
        """First t whose sigma_t exceeds `noise_level` (T-1 when none does)."""
        above = np.nonzero(self.sigmas > noise_level)[0]
        return int(above[0]) if above.size else self.num_timesteps - 1
