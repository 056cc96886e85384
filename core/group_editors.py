"""The editors of a grouped edit: each ROI group (core/roi_groups.py) is edited from a scene model
of its own surroundings, built when the group's first unit is edited and dropped after its last,
so memory grows with the largest group, not with the number of ROIs or the scene's size."""
from __future__ import annotations

from collections import OrderedDict
from typing import Any, Optional, Sequence

from .edit_units import EditUnit, plan_edit_units
from .editors import build_editor
from .errors import CancelledError, RSEditError
from .progress import CancelCheck, ProgressCallback
from .roi_groups import RoiGroup, group_units
from .rois import Roi
from .scene import Scene
from .scene_models import SURROUND, SceneModel, obtain_scene_model
from .settings import SampledEditSettings

# Editors kept after their group is done, so the variants of a small edit reuse their models.
KEEP_EDITORS = 2


class GroupEditors:
    """editor_for(roi_ids) -> the mode's editor for the group of those ROIs, on the group's model."""

    def __init__(self, scene: Scene, rois: Sequence[Roi], settings: SampledEditSettings, *,
                 copy_patch: Any = None, clip: Any = None, progress: Optional[ProgressCallback] = None,
                 is_cancelled: Optional[CancelCheck] = None, model: Optional[SceneModel] = None) -> None:
        """`progress` follows building models where editor_for is given none; `model`, when given,
        edits every group (a model shared by many small scenes, core/shared_scene_model.py)."""
        self.scene, self.settings, self.model = scene, settings, model
        self.rois = {roi.id: roi for roi in rois}
        self.copy_patch, self.clip = copy_patch, clip
        self.progress = progress or (lambda fraction, message: None)
        self.is_cancelled = is_cancelled
        self.units: list[EditUnit] = plan_edit_units(scene.width, scene.height, rois, settings.tile_size,
                                                     settings.margin)
        self.groups: list[RoiGroup] = group_units(self.units, SURROUND)
        self.group_of = {roi_id: group.index for group in self.groups for roi_id in group.roi_ids}
        self.models: dict[int, dict] = {}  # group -> provenance of the model that edited it
        self.trained_now = False
        self.prompts_used: dict[str, list[str]] = {}  # of every editor built so far
        self._editors: OrderedDict[int, Any] = OrderedDict()
        self._left: dict[int, int] = {}

    @property
    def largest_unit_pixels(self) -> int:
        return max((unit.pixels for unit in self.units), default=0)

    def start_pass(self) -> None:
        """A new variant: every unit is to be edited once more."""
        self._left = {group.index: len(group.units) for group in self.groups}

    def is_built(self, roi_ids: Sequence[Any]) -> bool:
        return self.group_of[roi_ids[0]] in self._editors

    def editor_for(self, roi_ids: Sequence[Any], progress: Optional[ProgressCallback] = None) -> tuple[int, Any]:
        """(group index, its editor) for a unit with these ROIs; `progress` follows building its model."""
        group = self.group_of[roi_ids[0]]
        if group in self._editors:
            self._editors.move_to_end(group)
        else:
            self._editors[group] = self._build(self.groups[group], progress or self.progress)
            self._evict()
        return group, self._editors[group]

    def unit_done(self, group: int) -> None:
        self._left[group] = self._left.get(group, 1) - 1
        self._evict()

    def _evict(self) -> None:
        # groups whose units are all edited go first; beyond that, the least recently used
        done = [g for g in self._editors if self._left.get(g, 0) <= 0]
        while len(self._editors) > KEEP_EDITORS:
            victim = done.pop(0) if done else next(iter(self._editors))
            del self._editors[victim]

    def _build(self, group: RoiGroup, progress: ProgressCallback) -> Any:
        rois = [self.rois[roi_id] for roi_id in group.roi_ids]
        where = f"scene model of ROI group {group.index + 1} of {len(self.groups)}"
        try:
            model, trained_now = (self.model, False) if self.model is not None else obtain_scene_model(
                self.scene, rois, self.settings, is_cancelled=self.is_cancelled,
                progress=lambda fraction, message: progress(fraction, f"{where}: {message}"))
            editor = build_editor(self.settings, self.scene, rois, model, clip=self.clip,
                                  copy_patch=self.copy_patch)
        except CancelledError:
            raise
        except RSEditError as error:
            raise with_rois(error, group.roi_ids) from None
        self.clip = getattr(editor, "clip", self.clip)  # CLIP is loaded once, for the first group
        self.prompts_used.update(getattr(editor, "prompts_used", {}))
        self.record_model(group, model, trained_now)
        return editor

    def record_model(self, group: RoiGroup, model: SceneModel, trained_now: bool) -> None:
        """Remember which model edits `group` (for the provenance tags)."""
        self.trained_now |= trained_now
        self.models[group.index] = {"roi_ids": list(group.roi_ids), **model_record(model)}

    def provenance(self) -> list[dict]:
        """Which model (fingerprint) edited which ROIs, one entry per group, in group order."""
        return [{"group": index, **self.models[index]} for index in sorted(self.models)]


def model_record(model: SceneModel) -> dict:
    """The model's description, with its fingerprint as the sha256 of its training pixels and the
    context window (col, row, width, height) it learnt from."""
    fingerprint = model.description.get("fingerprint") or {}
    is_dict = isinstance(fingerprint, dict)
    return {**{k: v for k, v in model.description.items() if k != "fingerprint"}, "backend": model.backend,
            "fingerprint": str(fingerprint.get("sha256", "")) if is_dict else str(fingerprint),
            "context": fingerprint.get("window") if is_dict else None}


def with_rois(error: RSEditError, roi_ids: Sequence[Any]) -> RSEditError:
    """The same error, its message naming the ROIs it concerns."""
    ids = ", ".join(str(i) for i in list(roi_ids)[:20]) + (", ..." if len(roi_ids) > 20 else "")
    message = f"{error} (ROIs {ids})"
    try:
        return type(error)(message)
    except TypeError:  # an error class whose constructor takes more than a message
        return RSEditError(message)
