"""Named training presets: `fast` (the default), `standard` (~4x fast's training) and `paper` (the reference's settings).

`fast` and `standard` train on random 48 px crops at native resolution with an L2 loss; `paper`
trains on whole-image copies shrunk to 50,000 px with L1, for a big GPU. What each costs and
delivers (seconds, SWD, on CPU and GPU): see docs/benchmarks.md, section "Training presets".
"""
from __future__ import annotations

from ...core.errors import ModelError
from .training_settings import TrainingSettings

PAPER = TrainingSettings(name="paper")
# what `standard` and `fast` share: random crops, a faster learning rate, an EMA every step, native
# resolution, and finer scales trained mostly on the steps that sampling runs there
_CROP_TRAINING = dict(batch_size=8, crop_size=48, learning_rate=2e-3, ema_decay=0.99, ema_every=1,
                      max_pixels=512 * 512, blur_factor=3.0, sampled_t_share=0.8, loss="l2")
# standard: about 4x fast's training time (docs/benchmarks.md, "Training presets")
STANDARD = TrainingSettings(name="standard", width=96, steps=2800, lr_milestones=(1400, 2100), ema_start=700,
                            **_CROP_TRAINING)
FAST = TrainingSettings(name="fast", width=64, steps=1200, lr_milestones=(600, 900), ema_start=300,
                        **_CROP_TRAINING)
PRESETS = {preset.name: preset for preset in (PAPER, STANDARD, FAST)}


def get_preset(name: str) -> TrainingSettings:
    """The preset called `name` (paper, standard or fast)."""
    try:
        return PRESETS[name.lower()]
    except KeyError:
        raise ModelError(f"Unknown training preset {name!r}: choose one of {', '.join(PRESETS)}.") from None
