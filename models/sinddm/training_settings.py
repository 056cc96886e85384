"""What a training run does: network width, steps, batches, learning rate, EMA, pyramid limits."""
from __future__ import annotations

from dataclasses import asdict, dataclass, replace

from ...core.errors import ModelError
from ..diffusion.scale_schedule import DEFAULT_BLUR_FACTOR


@dataclass(frozen=True)
class TrainingSettings:
    width: int = 160  # denoiser width (reference: 160)
    steps: int = 120_001
    batch_size: int = 32
    crop_size: int | None = None  # None: whole-image copies (reference); else random crops per scale
    learning_rate: float = 1e-3
    lr_milestones: tuple[int, ...] = (20_000, 40_000, 70_000, 80_000, 90_000, 110_000)
    lr_decay: float = 0.5  # learning rate factor at each milestone
    ema_decay: float = 0.995
    ema_every: int = 10
    ema_start: int = 2_000  # before this step the EMA copy just follows the weights
    max_pixels: int | None = 50_000  # shrink the training image to at most this many pixels
    blur_factor: float = DEFAULT_BLUR_FACTOR
    # share of the batch at scales > 0 whose t is drawn from 0..T[s], the steps sampling visits there;
    # the rest (and the reference: 0) draws t from the whole schedule
    sampled_t_share: float = 0.0
    # on the predicted noise: "l1" (reference) or "l2". L1 nets estimate the median of the noise, so
    # samples drift to the scene's majority (sea without its clouds); DDPM sampling needs the mean (L2)
    loss: str = "l1"
    micro_batch_pixels: int | None = 24_576  # CPU: split batches (same gradient) for cache use and prompt cancel
    # torch.compile the net (needs a C++ compiler on CPU). Off: on CPU it is slower than the eager
    # kernels it replaces (docs/benchmarks.md, "torch.compile")
    compile: bool = False
    seed: int = 0
    name: str = "custom"

    def __post_init__(self) -> None:
        if self.steps < 1 or self.batch_size < 1:
            raise ModelError("Training needs at least one step and a batch of at least one image.")
        if self.crop_size is not None and self.crop_size < 8:
            raise ModelError(f"Crops must be at least 8 px (got {self.crop_size}); the net sees ~35 px.")
        if not 0.0 <= self.ema_decay < 1.0 or self.ema_every < 1:
            raise ModelError("EMA decay must be in [0, 1) and applied every >= 1 steps.")
        if self.loss not in ("l1", "l2"):
            raise ModelError(f"The training loss must be 'l1' or 'l2' (got {self.loss!r}).")
        if not 0.0 <= self.sampled_t_share <= 1.0:
            raise ModelError(f"sampled_t_share must be in [0, 1] (got {self.sampled_t_share}).")

    def learning_rate_at(self, step: int) -> float:
        passed = sum(1 for milestone in self.lr_milestones if step >= milestone)
        return self.learning_rate * self.lr_decay**passed

    def with_changes(self, **changes) -> "TrainingSettings":
        return replace(self, **changes)

    def to_dict(self) -> dict:
        data = asdict(self)
        data["lr_milestones"] = list(self.lr_milestones)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "TrainingSettings":
        known = {key: value for key, value in data.items() if key in cls.__dataclass_fields__}
        if "lr_milestones" in known:
            known["lr_milestones"] = tuple(int(v) for v in known["lr_milestones"])
        return cls(**known)
