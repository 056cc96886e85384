"""The bridge between the scene engine and a mode's editor (models/editing/): the tiles of one
variant, handed over as arrays with the ROI geometry the editor may ask for."""
from __future__ import annotations

from typing import Any, Optional, Sequence

import numpy as np
from rasterio.features import rasterize
from rasterio.windows import Window
from shapely.affinity import translate

from .editor import TileContext, tile_seed
from .errors import CancelledError, RSEditError
from .group_editors import GroupEditors, with_rois
from .masks import RoiMask
from .rois import Roi


class VariantEditor:
    """editor(ctx) for edit_raster: `editor`'s edit of each tile, seeded with `seed`. `editor` is a
    mode's editor, or GroupEditors: then each unit is edited by its ROI group's editor."""

    def __init__(self, editor: Any, seed: int, rois: Sequence[Roi], width: int, height: int, feather: float,
                 is_cancelled: Optional[Any] = None) -> None:
        from ..models.editing.editor import EditTile  # torch stays unimported until an edit runs

        self._tile_type = EditTile
        self.editor, self.seed = editor, seed
        self.rois = {roi.id: roi for roi in rois}
        self.width, self.height, self.feather = width, height, feather
        self.is_cancelled = is_cancelled or (lambda: False)
        self._group_masks: dict[tuple, RoiMask] = {}
        if isinstance(editor, GroupEditors):
            editor.start_pass()

    def _group_weight(self, window: Window):
        def weight(roi_ids: Sequence[Any]) -> np.ndarray:
            key = tuple(i for i in roi_ids if i in self.rois)  # ROIs of the scene beyond this chip weigh 0
            if not key:
                return np.zeros((int(window.height), int(window.width)), dtype=np.float32)
            if key not in self._group_masks:
                self._group_masks[key] = RoiMask([self.rois[i] for i in key], self.width, self.height, self.feather)
            return self._group_masks[key].window_mask(window)
        return weight

    def _roi_box(self, window: Window):
        def roi_box(roi_id: Any) -> tuple[tuple[int, int, int, int], Optional[np.ndarray]]:
            return target_box(self.rois[roi_id], window)
        return roi_box

    def __call__(self, ctx: TileContext) -> np.ndarray:
        progress = ctx.progress
        if isinstance(self.editor, GroupEditors) and not self.editor.is_built(ctx.roi_ids):
            # building the group's model (training, for the trained backend) is the first half of this tile
            group, editor = self.editor.editor_for(ctx.roi_ids, lambda f, m: ctx.progress(0.5 * f, m))
            progress = lambda f, m="": ctx.progress(0.5 + 0.5 * f, m)  # noqa: E731
        tile = self._tile_type(
            data=ctx.data, roi_weight=ctx.roi_mask * ctx.valid, valid=ctx.valid, roi_ids=ctx.roi_ids,
            seed=self.seed, tile_seed=tile_seed(self.seed, ctx.tile), group_weight=self._group_weight(ctx.window),
            roi_box=self._roi_box(ctx.window), progress=progress, is_cancelled=self.is_cancelled)
        if not isinstance(self.editor, GroupEditors):
            return self.editor.edit(tile)
        group, editor = self.editor.editor_for(ctx.roi_ids)
        try:
            return editor.edit(tile)
        except CancelledError:
            raise
        except RSEditError as error:
            raise with_rois(error, ctx.roi_ids) from None
        finally:
            self.editor.unit_done(group)


def target_box(roi: Roi, window: Window) -> tuple[tuple[int, int, int, int], Optional[np.ndarray]]:
    """The ROI's bounding box in the tile's pixels (it may reach outside the tile) and its mask there."""
    minx, miny, maxx, maxy = roi.pixel_geometry.bounds
    col0, row0 = int(np.floor(minx)) - int(window.col_off), int(np.floor(miny)) - int(window.row_off)
    col1, row1 = int(np.ceil(maxx)) - int(window.col_off), int(np.ceil(maxy)) - int(window.row_off)
    shape = translate(roi.pixel_geometry, -col0 - window.col_off, -row0 - window.row_off)
    mask = rasterize([(shape, 1)], out_shape=(row1 - row0, col1 - col0), fill=0, dtype="uint8")
    return (row0, col0, row1, col1), (mask.astype(np.float32) if mask.any() else None)
