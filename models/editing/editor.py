"""What every editing mode's editor shares: the tile it is handed and the one method it has.

An editor is built once per scene (its model, CLIP and prompt embeddings loaded once) and then
edits tiles of any number of variants: the variant's seed comes with each tile. It sees arrays,
never rasters: the scene engine (core/) cuts the tiles, blends them and writes the output.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Optional, Protocol, Sequence

import numpy as np

# (ROI ids) -> the feathered weight (h, w) in [0, 1] of the union of those ROIs in this tile
GroupWeight = Callable[[Sequence[Any]], np.ndarray]
# ROI id -> its bounding box in tile pixels (row0, col0, row1, col1; it may reach outside the tile)
# and its 0/1 mask inside that box, or None where the ROI covers no pixel
RoiBox = Callable[[Any], tuple[tuple[int, int, int, int], Optional[np.ndarray]]]


@dataclass(frozen=True)
class EditTile:
    """One tile of one variant, as the engine hands it to an editor."""

    data: np.ndarray  # (bands, h, w) in the raster's dtype; a private copy
    roi_weight: np.ndarray  # float32 (h, w) in [0, 1]: the ROI mask times validity (0 = keep)
    valid: np.ndarray  # bool (h, w): False on nodata
    roi_ids: tuple[Any, ...]  # the ROIs that reach this tile
    seed: int  # the variant's seed
    tile_seed: int  # this tile's seed within the variant
    group_weight: GroupWeight
    roi_box: RoiBox
    progress: Callable[[float, str], None]  # how far this tile is (0..1), and what is happening
    is_cancelled: Callable[[], bool]


class Editor(Protocol):
    """The interface of every editing mode."""

    # the tile size this editor needs (the pretrained model's native size), or None: the settings'
    tile_size: Optional[int]
    # prompt -> the prompts it was ensembled with (empty for modes without a prompt)
    prompts_used: dict[str, list[str]]
    description: dict  # provenance of the model behind the edits

    def edit(self, tile: EditTile) -> np.ndarray:
        """The edited tile: same shape and dtype as tile.data; pixels of weight 0 unchanged."""


def cast_like(values: np.ndarray, like: np.ndarray) -> np.ndarray:
    """Round and clip to an integer raster's range; floats are cast."""
    if np.issubdtype(like.dtype, np.integer):
        info = np.iinfo(like.dtype)
        values = np.clip(np.rint(values), info.min, info.max)
    return values.astype(like.dtype)
