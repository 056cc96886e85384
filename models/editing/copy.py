"""Copy: place the content of a source patch into every target ROI (resampled to its box) and let
the scene model blend it into its new surroundings (seed 000, eq. 14-15)."""
from __future__ import annotations

from typing import Any

import numpy as np
import torch

from .editor import EditTile
from .roi_copy import CopyTarget, RoiCopyGuidance
from .sampling_editor import SamplingEditor


class CopyEditor(SamplingEditor):
    """`source_patch` (bands, h, w) in the raster's values is copied into each ROI of a tile with
    strength `copy_step` at every scale but the finest."""

    def __init__(self, scene_model: Any, source_patch: np.ndarray, *, copy_step: float = 0.8,
                 **sampling: Any) -> None:
        super().__init__(scene_model, **sampling)
        self.patch = scene_model.to_model_units(source_patch)
        self.copy_step = copy_step

    def x0_hook(self, tile: EditTile, source: torch.Tensor):
        targets = []
        for roi_id in tile.roi_ids:
            box, mask = tile.roi_box(roi_id)
            if mask is not None:
                targets.append(CopyTarget(box, torch.from_numpy(mask)))
        return RoiCopyGuidance(self.patch, targets, step=self.copy_step) if targets else None
