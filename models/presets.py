"""Named training presets (placeholder values; tuned below by measurement)."""
from __future__ import annotations

from .errors import ModelError
from .training_settings import TrainingSettings

PAPER = TrainingSettings(name="paper")
STANDARD = TrainingSettings(
    name="standard", width=160, steps=1200, batch_size=8, crop_size=64, learning_rate=1e-3,
    lr_milestones=(600, 900), ema_decay=0.99, ema_every=1, ema_start=300, max_pixels=None,
)
FAST = TrainingSettings(
    name="fast", width=64, steps=2000, batch_size=8, crop_size=48, learning_rate=2e-3,
    lr_milestones=(1000, 1500), ema_decay=0.99, ema_every=1, ema_start=500, max_pixels=None,
)
PRESETS = {preset.name: preset for preset in (PAPER, STANDARD, FAST)}


def get_preset(name: str) -> TrainingSettings:
    try:
        return PRESETS[name.lower()]
    except KeyError:
        raise ModelError(f"Unknown training preset {name!r}: choose one of {', '.join(PRESETS)}.") from None
