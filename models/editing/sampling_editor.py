"""The editor behind the modes that sample from a model of the scene (SinDDM or the training-free
patch model): one routine, edit_image, whose hooks each mode fills in."""
from __future__ import annotations

from dataclasses import replace
from typing import Any, Optional

import numpy as np
import torch

from ..diffusion.chunked_denoiser import ChunkedDenoiser
from ..diffusion.sampling_hooks import DraftChoice
from .editor import EditTile, cast_like
from .tile_edit import EditSchedule, edit_image

# Regeneration starts from the ROI's surroundings filled in, noised to this step of the coarsest
# scale: enough noise for new texture and layout, little enough that the colours around the ROI
# hold (chosen on bench/edit.py's crop; see docs/benchmarks.md, "Regeneration start step").
REGENERATE_START_T = 35
# A ROI that spans more than a few pixels at the coarsest scale needs more noise than that with a
# trained model: from a lightly noised smooth fill it only adds fine texture, and a large hole becomes
# a flat patch of noise. Between these extents (coarsest-scale pixels) the start step rises to pure
# noise. (The training-free model's regeneration copies real blocks instead: RegenerateEditor.)
LARGE_ROI_EXTENT = (6.0, 24.0)


class SamplingEditor:
    """Samples each tile from `scene_model` (anything with sampler(device), to_model_units(array)
    and to_raster(tensor)) inside the tile's ROI weight. Subclasses add their mode's hooks."""

    tile_size: Optional[int] = None
    default_start_scale = 0
    default_fill_roi = False

    def __init__(self, scene_model: Any, *, device: str = "auto", start_scale: Optional[int] = None,
                 start_t: Optional[int] = None, fill_roi: Optional[bool] = None, soft_mask: bool = True,
                 chunk_size: Optional[int] = None) -> None:
        self.model = scene_model
        self.sampler = scene_model.sampler(device)
        if chunk_size:  # an image larger than a chunk is denoised jointly, chunk by chunk
            self.sampler.denoiser = ChunkedDenoiser(self.sampler.denoiser, chunk_size)
        self.size_follows_roi = fill_roi is not False and start_t is None
        scale = self.default_start_scale if start_scale is None else start_scale
        scale = min(scale, self.sampler.pyramid.num_scales - 1)
        fill = self.default_fill_roi if fill_roi is None else fill_roi
        if start_t is None and fill and scale == 0:
            start_t = REGENERATE_START_T
        self.schedule = EditSchedule(start_scale=scale, start_t=start_t, soft_mask=soft_mask, fill_roi=fill)
        self.prompts_used: dict[str, list[str]] = {}
        self.description: dict = dict(getattr(scene_model, "description", {}) or {})

    def x0_hook(self, tile: EditTile, source: torch.Tensor):
        """The mode's x̂0 hook for this tile (guidance, copy), or None."""
        return None

    def weight_map(self, tile: EditTile, source: torch.Tensor) -> Optional[torch.Tensor]:
        """NGDM's map A for this tile, or None: the ROI weight."""
        return None

    def drafts(self, tile: EditTile, schedule: EditSchedule) -> Optional[DraftChoice]:
        """A DraftChoice for the coarse scales (sampling_hooks.py), or None for one draw. A regeneration that
        schedule_for starts from more noise than REGENERATE_START_T (a large ROI with the trained model;
        not a start step the user chose) draws them several times and keeps, per ROI, the layout that
        agrees best with the ROI's surroundings (ring_agreement.py), which makes an island in open sea
        rarer. Only schedule_for raises the start step above REGENERATE_START_T, and only for a
        regeneration from the coarsest scale whose size follows the ROI."""
        if not (self.size_follows_roi and (schedule.start_t or 0) > REGENERATE_START_T):
            return None
        from .ring_agreement import RingAgreement

        return RingAgreement(torch.from_numpy(tile.roi_weight >= 0.5), seed=tile.tile_seed)

    def schedule_for(self, roi: np.ndarray) -> EditSchedule:
        """The schedule for one image: a regeneration from the coarsest scale starts from more noise
        the wider the ROI's widest part (twice its largest inscribed radius) is at that scale
        (LARGE_ROI_EXTENT), so a large hole gets new layout and a narrow strip keeps its colours."""
        schedule = self.schedule
        if not (self.size_follows_roi and schedule.fill_roi and schedule.start_scale == 0) or not roi.any():
            return schedule
        from ..roi_depth import roi_depth

        height, width = roi.shape
        coarsest = self.sampler.pyramid.sizes_for((height, width))[0]
        shrink = min(coarsest[0] / height, coarsest[1] / width)
        extent = 2.0 * float(roi_depth(roi).max()) * shrink
        low, high = LARGE_ROI_EXTENT
        share = min(max((extent - low) / (high - low), 0.0), 1.0)
        last = self.sampler.schedule.num_timesteps - 1
        return replace(schedule, start_t=int(round(REGENERATE_START_T + share * (last - REGENERATE_START_T))))

    def edit(self, tile: EditTile) -> np.ndarray:
        source = self.model.to_model_units(tile.data)
        roi_weight = torch.from_numpy(tile.roi_weight)
        schedule = self.schedule_for(tile.roi_weight > 0)
        edited = edit_image(self.sampler, source, roi_weight, schedule,
                            x0_hook=self.x0_hook(tile, source), weight_map=self.weight_map(tile, source),
                            drafts=self.drafts(tile, schedule),
                            seed=tile.tile_seed,
                            progress=tile.progress,
                            is_cancelled=tile.is_cancelled)[0]
        return cast_like(self.model.to_raster(edited), tile.data)
