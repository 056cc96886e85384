"""Regenerate: re-sample the ROIs from the scene model so they agree with their surroundings
(clouds, vehicles, buildings disappear into the local land cover)."""
from __future__ import annotations

import torch

from .editor import EditTile
from .sampling_editor import SamplingEditor


class RegenerateEditor(SamplingEditor):
    """Starts from the ROI's surroundings filled in (what the ROI holds is to disappear) at the
    coarsest scale; the scene model, trained without the ROIs, supplies the rest. With the
    training-free model, the finer scales take the scene's own texture along block
    correspondences (models/patch/patch_transfer.py)."""

    default_start_scale = 0
    default_fill_roi = True

    def x0_hook(self, tile: EditTile, source: torch.Tensor):
        from ..patch.patch_transfer import block_transfer

        return block_transfer(self.sampler.denoiser, torch.from_numpy(tile.roi_weight > 0), seed=tile.tile_seed,
                              known=source)
