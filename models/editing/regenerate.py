"""Regenerate: re-sample the ROIs from the scene model so they agree with their surroundings
(clouds, vehicles, buildings disappear into the local land cover)."""
from __future__ import annotations

from .sampling_editor import SamplingEditor


class RegenerateEditor(SamplingEditor):
    """Starts from the ROI's surroundings filled in (what the ROI holds is to disappear) at the
    coarsest scale; the scene model, trained without the ROIs, supplies the rest."""

    default_start_scale = 0
    default_fill_roi = True
