"""Per-scale diffusion settings: where each scale starts (T[s]) and how blurry it is mixed (gamma).

gamma_t^s = clamp(sigma_t / b_s, 0, 1) mixes the blurry version into the clean image (eq. 4) and
T[s] is the first t with sigma_t > b_s, so sampling at scale s starts exactly where training
mixes in the blurry version fully. b_s = blur_factor * (RMS difference between level s and its
blurry version). The reference measures that difference on wrapped-around uint8 values, which
inflates b_s 10-20x (and makes it depend on the image size); here it is measured on floats and
`blur_factor` re-tunes the scale of b_s instead: 3 gives crisper samples and a lower SWD than 1
(see docs/benchmarks.md, section "Blur factor").
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .schedule import DiffusionSchedule

# The reference caps gamma at sampling so 1/(1-gamma) stays small; with float blur levels gamma reaches
# the cap for most steps. 0.65 lowered the SWD against 0.55, 0.75 over-textured regenerated sea
# (see docs/benchmarks.md, section "Sampling gamma cap").
SAMPLING_GAMMA_MAX = 0.65
DEFAULT_BLUR_FACTOR = 3.0


@dataclass(frozen=True)
class ScaleSchedule:
    blur_levels: tuple[float, ...]  # measured RMS blur per scale (scale 0: 0, it has no blurry version)
    blur_factor: float
    start_steps: tuple[int, ...]  # T[s]; scale 0 starts from pure noise at T-1

    @classmethod
    def from_blur_levels(
        cls, blur_levels: list[float] | tuple[float, ...], schedule: DiffusionSchedule, blur_factor: float = DEFAULT_BLUR_FACTOR
    ) -> "ScaleSchedule":
        starts = [schedule.num_timesteps - 1]
        for level in blur_levels[1:]:
            starts.append(schedule.first_step_above(blur_factor * level))
        return cls(tuple(float(b) for b in blur_levels), float(blur_factor), tuple(starts))

    @property
    def num_scales(self) -> int:
        return len(self.blur_levels)

    def effective_blur(self, scale: int) -> float:
        return self.blur_factor * self.blur_levels[scale]

    def gammas(self, scale: int, schedule: DiffusionSchedule, *, sampling: bool = False) -> np.ndarray:
        """gamma_t for every t at `scale` (zeros at scale 0, which is plain DDPM)."""
        blur = self.effective_blur(scale)
        if scale == 0 or blur <= 0:
            return np.zeros(schedule.num_timesteps)
        gammas = np.clip(schedule.sigmas / blur, 0.0, 1.0)
        return np.minimum(gammas, SAMPLING_GAMMA_MAX) if sampling else gammas

    def to_dict(self) -> dict:
        return {"blur_levels": list(self.blur_levels), "blur_factor": self.blur_factor, "start_steps": list(self.start_steps)}

    @classmethod
    def from_dict(cls, data: dict) -> "ScaleSchedule":
        return cls(tuple(float(b) for b in data["blur_levels"]), float(data["blur_factor"]), tuple(int(s) for s in data["start_steps"]))
