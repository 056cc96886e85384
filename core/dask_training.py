"""Trained scene models of a Dask edit, trained on the workers: one task per ROI group that needs
training, several groups at once, each returning its checkpoint's bytes (safetensors with its JSON
config). The caller stores them in its model cache under the key a local run uses
(core/scene_models.py TrainingPlan), so a later local run reuses them, and sends them to the
group's edit units as it sends any checkpoint.

The bytes are those of a local training: training is seeded (its own generators; the net's
initialisation by the settings' seed) and runs at the caller's torch thread count.
"""
from __future__ import annotations

import os
import tempfile
import uuid
from collections import deque
from pathlib import Path
from typing import Any, Optional, Sequence

import numpy as np

from .error_boundary import scene_model_errors
from .errors import RSEditError
from .group_editors import GroupEditors, with_rois
from .scene import Scene
from .scene_models import TrainingPlan, default_backend, store_trained, training_plan
from .settings import SampledEditSettings


def trains_on_workers(settings: SampledEditSettings) -> bool:
    return not settings.checkpoint and (settings.backend or default_backend()) == "trained"


class DaskTraining:
    """The groups' trainings of one edit (its variants share them), at most `ahead` in flight."""

    def __init__(self, session: Any, scene: Scene, groups: GroupEditors, settings: SampledEditSettings,
                 run_token: str, variants: int = 1) -> None:
        self.session, self.client = session, session.client
        # without the cache, later variants take the bytes from here rather than train again
        self.keep = variants > 1 and not settings.use_cache
        self.scene, self.groups, self.settings, self.run_token = scene, groups, settings, run_token
        self.plans: dict[int, TrainingPlan] = {}  # submitted, not yet collected
        self.futures: dict[int, Any] = {}
        self.trained: dict[int, tuple[bytes, dict]] = {}  # collected, not yet sent: (checkpoint, description)
        self.settled: set[int] = set()  # groups whose model is cached, trained, or not the workers' to train
        self._queue: deque[int] = deque()
        self._cancel_event: Any = None
        self.bytes_received = 0

    def start(self, group_order: Sequence[int]) -> None:
        """Queue the groups, in the order the writer needs them, whose models are to be trained."""
        if self._cancel_event is None:
            from distributed import Event

            self._cancel_event = Event(f"rsedit-cancel-train-{uuid.uuid4().hex}", client=self.client)
        self._queue.extend(index for index in group_order if index not in self.settled and index not in self._queue
                           and index not in self.futures)
        self.top_up()

    def ready(self, index: int) -> bool:
        """Whether the group's model can be sent (trained, cached, or not trained here); collects
        finished trainings and starts queued ones."""
        self.top_up()
        return index in self.settled or index in self.trained

    def take(self, index: int) -> Optional[tuple[bytes, dict]]:
        """The group's checkpoint bytes and description when the workers trained it, else None; once,
        unless kept for later variants (then the cache does not hold them)."""
        return self.trained.get(index) if self.keep else self.trained.pop(index, None)

    def top_up(self) -> None:
        for index, future in list(self.futures.items()):
            if future.done():
                self._collect(index, future)
        while self._queue and len(self.futures) < self.session.ahead:
            self._submit(self._queue.popleft())

    def close(self) -> None:
        """Cancel the trainings still running or queued (a cancelled edit; none are left otherwise)."""
        outstanding = list(self.futures.values())
        self.futures.clear()
        self._queue.clear()
        if self._cancel_event is not None:
            self._cancel_event.set()  # trainings still running stop at their next micro-batch; watchers end
            self._cancel_event = None  # a later variant's trainings (if any) get an event of their own
        if outstanding:
            self.client.cancel(outstanding, force=True)

    def _submit(self, index: int) -> None:
        group = self.groups.groups[index]
        rois = [self.groups.rois[roi_id] for roi_id in group.roi_ids]
        settings = self.settings
        try:
            with scene_model_errors(rois, "trained", settings.context_size):
                plan = training_plan(self.scene, rois, preset=settings.preset, context_size=settings.context_size,
                                     cache_dir=settings.cache_dir, seed=settings.seed,
                                     leave_out_rois=not settings.learns_rois)
        except RSEditError as error:
            raise with_rois(error, group.roi_ids) from None
        if settings.use_cache and plan.cached.is_file():
            self.settled.add(index)  # the caller loads it from its cache (or trains it, if it is unreadable)
            return
        self.plans[index] = plan
        self.futures[index] = self.client.submit(
            train_group_model, plan.data, plan.valid, plan.settings.to_dict(), plan.fingerprint, settings.device,
            self.session.threads, self._cancel_event.name, key=f"rsedit-train-{self.run_token}-{index}", pure=False)

    def _collect(self, index: int, future: Any) -> None:
        group = self.groups.groups[index]
        rois = [self.groups.rois[roi_id] for roi_id in group.roi_ids]
        del self.futures[index]
        plan = self.plans.pop(index)
        try:
            with scene_model_errors(rois, "trained", self.settings.context_size):
                checkpoint = future.result()
        except RSEditError as error:
            raise with_rois(error, group.roi_ids) from None
        if not isinstance(checkpoint, bytes):
            raise RSEditError(f"A Dask worker returned {type(checkpoint).__name__} for the scene model of ROI group "
                              f"{index + 1}: do the workers run this RSEdit version?")
        self.bytes_received += len(checkpoint)
        description = plan.description()
        if self.settings.use_cache and not store_trained(plan, lambda path: write_atomically(path, checkpoint)):
            description["checkpoint"] = ""
        self.trained[index] = (checkpoint, description)
        self.settled.add(index)


def train_group_model(data: np.ndarray, valid: np.ndarray, settings: dict, fingerprint: dict, device: str,
                      threads: int, cancel_event: Optional[str]) -> bytes:
    """On a worker: the group's SinDDM trained as a local edit trains it, as checkpoint bytes."""
    import torch

    from ..models.sinddm.checkpoint import checkpoint_bytes
    from ..models.sinddm.training_settings import TrainingSettings
    from .dask_units import cancel_check, keep_freed_memory
    from .scene_models import train_planned

    keep_freed_memory()
    torch.set_num_threads(int(threads))
    model = train_planned(np.array(data), np.array(valid, dtype=bool), TrainingSettings.from_dict(settings),
                          fingerprint, device, is_cancelled=cancel_check(cancel_event))
    return checkpoint_bytes(model)


def write_atomically(path: Path, data: bytes) -> None:
    """`data` as the file `path`; readers never see it half-written."""
    handle, temporary = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
