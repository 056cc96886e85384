"""Regenerate: re-sample the ROIs from the scene model so they agree with their surroundings
(clouds, vehicles, buildings disappear into the local land cover)."""
from __future__ import annotations

from typing import Any, Optional

import numpy as np
import torch

from .editor import EditTile
from .sampling_editor import SamplingEditor


class RegenerateEditor(SamplingEditor):
    """Starts from the ROI's surroundings filled in (what the ROI holds is to disappear) at the
    coarsest scale; the scene model, trained without the ROIs, supplies the rest. With the
    training-free model, the finer scales take the scene's own texture along block
    correspondences (models/patch/patch_transfer.py); with either model, the finest scale is quilted
    from the context's real pixels (models/patch/quilt_hook.py)."""

    default_start_scale = 0
    default_fill_roi = True

    def __init__(self, scene_model: Any, *, context: Optional[tuple[np.ndarray, np.ndarray]] = None,
                 **options: Any) -> None:
        """`context`: the learning context's pixels (raster units, [bands, H, W]) and validity [H, W],
        for a scene model that does not hold them (the trained one): its finest scale is then quilted
        from them (models/patch/quilt_hook.py)."""
        super().__init__(scene_model, **options)
        from ..patch.patch_denoiser import patch_denoiser_of

        # The training-free model starts every ROI from the same step, whatever its size: its finer
        # scales copy the context's real blocks along the coarse layout, so a large ROI needs no layout
        # drawn from noise, and drawn from noise its coarsest scale put rare things of the scene there (a
        # red paint mark in a maize strip; docs/benchmarks.md, "Start step of large ROIs"). The trained
        # model's large ROIs start from more noise (SamplingEditor.schedule_for).
        if patch_denoiser_of(self.sampler.denoiser) is not None:
            self.size_follows_roi = False
        self.context = None
        if context is not None:
            data, valid = context
            self.context = (self.model.to_model_units(data).float(), torch.from_numpy(np.asarray(valid, dtype=bool)))

    def x0_hook(self, tile: EditTile, source: torch.Tensor):
        from ..patch.patch_transfer import block_transfer
        from ..patch.quilt_hook import FinestScaleQuilt

        roi = torch.from_numpy(tile.roi_weight > 0)
        transfer = block_transfer(self.sampler.denoiser, roi, seed=tile.tile_seed, known=source)
        if transfer is None and self.context is not None and bool(roi.any()):
            return FinestScaleQuilt(*self.context, source, roi, seed=tile.tile_seed)
        return transfer
