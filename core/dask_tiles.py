"""The engine's tiles edited on a Dask cluster (a TileSource of core/executors.py).

Units are submitted in the order the writer needs them, at most `ahead` beyond the one it waits
for; results stay on the workers until the writer takes them, so the caller's memory stays flat.
Each unit's result depends only on its own window and seed (core/editor.py tile_seed), so the
output is the same whichever worker edits it, in whatever order, and after a lost worker's retry.
"""
from __future__ import annotations

import concurrent.futures
import dataclasses
from collections import Counter, deque
import logging
import os
import threading
import time
import uuid
from typing import Any, Callable, Optional, Sequence

import numpy as np

from .dask_session import DaskSession, ScatteredPayload
from .dask_text import DaskText, text_settings_for_workers
from .dask_training import DaskTraining
from .dask_units import edit_unit, window_tuple
from .error_boundary import scene_model_errors
from .errors import RSEditError
from .group_editors import GroupEditors, with_rois
from .progress import ProgressCallback
from .scene import Scene
from .scene_models import (SceneModel, default_backend, obtain_scene_model, quilt_context, training_free_context,
                           training_free_description)
from .settings import RegenerateSettings, SampledEditSettings
from .tiling import Tile

log = logging.getLogger(__name__)
WAIT_S = 0.1  # how often the caller looks at cancel, progress and trainings while it waits for a unit
MAX_RESUBMITS = 32  # units of a run submitted again after their inputs were lost with a worker


class DaskTiles:
    """One variant of a grouped edit (core/scene_edit.py) with its units edited by `session`'s workers."""

    def __init__(self, session: DaskSession, scene: Scene, groups: GroupEditors, settings: SampledEditSettings,
                 seed: int, run_token: str, copy_patch: Optional[np.ndarray] = None,
                 model_progress: Optional[ProgressCallback] = None, text: Optional[DaskText] = None,
                 training: Optional[DaskTraining] = None) -> None:
        """`text`: a text edit's CLIP and prompt ensembles; `training`: the groups' models trained on the
        workers; both are the edit's, shared by its variants."""
        self.session, self.client = session, session.client
        session.run_tokens.add(run_token)  # the workers' caches of this edit are dropped with the session
        self.scene, self.groups, self.settings, self.seed = scene, groups, settings, seed
        self.run_token, self.copy_patch, self.text, self.training = run_token, copy_patch, text, training
        self._waiting_for: set[int] = set()  # groups whose training the writer has waited for (reported once)
        self.model_progress = model_progress or (lambda fraction, message: None)
        self.futures: dict[int, Any] = {}  # submitted, not yet taken or released
        self.taken: set[int] = set()
        self.settled: set[int] = set()  # taken by the writer, or released unused: never to be submitted again
        self._queue: deque[int] = deque()
        self._cancel_event: Any = None
        self._completed: Any = None  # distributed.as_completed of the submitted units, once started
        self._resubmits = 0
        self._restorations = 0  # times lost payloads were scattered again
        self._submitted_at: dict[int, int] = {}  # each unit's submission: after how many restorations
        self.bytes_sent = self.bytes_received = 0  # payloads as dask.sizeof counts them (no protocol overhead)

    # --- TileSource -------------------------------------------------------------------------------

    def start(self, tiles: Sequence[Tile], order: Sequence[int], cell_size: int, check_cancelled: Callable[[], None],
              progress: Callable[[int, str], None]) -> None:
        from distributed import Event, as_completed

        self.tiles, self.check_cancelled, self.progress = list(tiles), check_cancelled, progress
        self._queue = deque(order)
        self._completed = as_completed(loop=self.client.loop)
        self._cancel_event = Event(f"rsedit-cancel-{uuid.uuid4().hex}", client=self.client)
        self._run = self._scatter(self._run_payload(cell_size))
        if self.text is not None and not self.text.counted:
            self.bytes_sent += self.text.bytes * len(self.client.nthreads())  # the CLIP, once per worker
            self.text.counted = True
        # each group's context pixels or checkpoint, kept to be scattered again if a worker's death loses them;
        # a group's go once its units are all settled
        self._groups_scattered: dict[int, ScatteredPayload] = {}
        self._group_units_left = Counter(self._group_index(tile_id) for tile_id in order)
        if self.training is not None:
            self.training.start(list(dict.fromkeys(self._group_index(tile_id) for tile_id in order)))
        self._top_up()

    def edited(self, tile_id: int) -> np.ndarray:
        if tile_id not in self.futures:
            self._wait_for_model(self._group_index(tile_id))
            self._submit(tile_id)  # needed before its turn (the window was full of units still held)
        while True:
            try:
                result = self._finished(tile_id).result()
                break
            except concurrent.futures.CancelledError:  # dask's FutureCancelledError: its inputs are gone
                # a worker died holding the only copy of this run's inputs (dask's memory manager keeps one of a
                # broadcast): they are scattered again, and the units that needed them are submitted again
                if self._resubmits >= MAX_RESUBMITS or not (
                        self._restore_lost_payloads() or self._submitted_at[tile_id] < self._restorations):
                    raise
            self._resubmits += 1
            log.warning("A Dask worker was lost with the edit's inputs: they were sent again, and unit %d resubmitted",
                        tile_id)
            del self.futures[tile_id]
            self._submit(tile_id)
        del self.futures[tile_id]
        self.taken.add(tile_id)
        self._settle(tile_id)
        self.bytes_received += _sizeof(result)
        self._count_completed()  # as_completed's queue holds finished futures, and so their results, until read
        self._top_up()
        return self._checked(tile_id, result)

    def _settle(self, tile_id: int) -> None:
        """The unit is never to be submitted again; its group's inputs go once all of the group's units are."""
        if tile_id in self.settled:
            return
        self.settled.add(tile_id)
        index = self._group_index(tile_id)
        self._group_units_left[index] -= 1
        if not self._group_units_left[index]:
            self._groups_scattered.pop(index, None)  # the workers may free their copy too

    def _finished(self, tile_id: int) -> Any:
        """The unit's future once done (finished, failed or cancelled)."""
        future = self.futures[tile_id]
        # woken by the future's own callback, and every WAIT_S for cancel and progress; result(timeout=...)
        # that times out would leave the future referenced (and its result held on a worker) until the run ends
        done = threading.Event()
        future.add_done_callback(lambda _: done.set())
        while not done.wait(WAIT_S):
            self.check_cancelled()
            self._count_completed()
            if self.training is not None:
                self._top_up()  # units whose group's training has finished meanwhile
        return future

    def _restore_lost_payloads(self) -> bool:
        """Scatter again each payload whose every copy was lost with a worker; whether any was."""
        restored = False
        for scattered in [self._run, *self._groups_scattered.values()]:
            if scattered.restore():
                self.bytes_sent += self._broadcast_bytes(scattered.payload)
                restored = True
        if self.text is not None and self.text.clip.restore():
            restored = True
        # counted: a unit submitted before a restoration lost its inputs, though they are back now
        self._restorations += restored
        return restored

    def release(self, tile_id: int) -> None:
        self._settle(tile_id)
        future = self.futures.pop(tile_id, None)
        if future is not None:
            future.cancel()  # a unit the writer turned out not to need
            self._top_up()

    def close(self) -> None:
        outstanding = list(self.futures.values())
        self.futures.clear()
        self._queue.clear()
        if self._cancel_event is not None:
            # units still running stop at their next sampling step; after a whole run none are, and the
            # workers' watchers of the event (core/dask_units.py) end now rather than in minutes
            self._cancel_event.set()
        if outstanding:
            self.client.cancel(outstanding, force=True)
        if self._completed is not None:
            self._completed.clear()
        if self.training is not None:
            self.training.close()
        log.info("Dask edit: %d units taken, %d bytes sent, %d bytes received", len(self.taken), self.bytes_sent,
                 self.bytes_received)

    # --- submission ----------------------------------------------------------------------------

    def _top_up(self) -> None:
        while self._queue and len(self.futures) < self.session.ahead:
            tile_id = self._queue[0]
            if tile_id in self.futures or tile_id in self.settled:
                self._queue.popleft()
            elif self.training is None or self.training.ready(self._group_index(tile_id)):
                self._queue.popleft()
                self._submit(tile_id)
            else:
                return  # the next unit's model is still training: units go in the writer's order

    def _group_index(self, tile_id: int) -> int:
        return self.groups.group_of[self.tiles[tile_id].roi_ids[0]]

    def _wait_for_model(self, index: int) -> None:
        """Wait (cancellable) until the group's model, trained on a worker, is there."""
        if self.training is None:
            return
        while not self.training.ready(index):
            if index not in self._waiting_for:
                self._waiting_for.add(index)
                self.model_progress(0.0, f"scene model of ROI group {index + 1} of {len(self.groups.groups)}: "
                                         "training on the Dask cluster")
            self.check_cancelled()
            self._count_completed()
            time.sleep(WAIT_S)

    def _submit(self, tile_id: int) -> None:
        self.check_cancelled()
        tile = self.tiles[tile_id]
        group = self.groups.group_of[tile.roi_ids[0]]
        unit = {"row": tile.row, "col": tile.col, "window": window_tuple(tile.window),
                "core": window_tuple(tile.written), "roi_ids": list(tile.roi_ids), "seed": self.seed}
        pixels = None if self.session.reads_path else self.scene.read(tile.window)
        self.bytes_sent += _sizeof((unit, pixels))
        clip = self.text.clip.future if self.text is not None else None
        # a key of its own when submitted again: the client answers a known key with its (cancelled) future
        again = f"-again{self._resubmits}" if tile_id in self._submitted_at else ""
        future = self.client.submit(edit_unit, self._run.future, self._group_future(group), unit, pixels, clip,
                                    key=f"rsedit-unit-{self.run_token}-{self.seed}-{tile_id}{again}", pure=False)
        self.futures[tile_id] = future
        self._submitted_at[tile_id] = self._restorations
        self._completed.add(future)

    def _scatter(self, payload: dict) -> ScatteredPayload:
        self.bytes_sent += self._broadcast_bytes(payload)
        return ScatteredPayload(self.client, payload)

    def _broadcast_bytes(self, payload: dict) -> int:
        return _sizeof(payload) * len(self.client.nthreads())

    def _count_completed(self) -> None:
        if any(future.status == "finished" for future in self._completed.next_batch(block=False)):
            self.progress(len(self.taken) + sum(f.status == "finished" for f in self.futures.values()), "")

    # --- payloads ------------------------------------------------------------------------------

    def _run_payload(self, cell_size: int) -> dict:
        scene = self.scene
        fields = {f.name: getattr(self.settings, f.name) for f in dataclasses.fields(self.settings)}
        # the model is sent built or as its context: workers need neither its training nor its file
        fields.update(preset="fast", checkpoint=None, cache_dir=None, extra_tags=dict(fields["extra_tags"]))
        if self.text is not None:
            fields = text_settings_for_workers(fields)
        return {"token": self.run_token, "mode": self.settings.mode, "settings": fields,
                "rois": [(roi_id, roi.pixel_geometry.wkb) for roi_id, roi in self.groups.rois.items()],
                "width": scene.width, "height": scene.height, "feather": float(self.settings.feather),
                "block": int(cell_size), "transform": tuple(scene.transform)[:6], "threads": self.session.threads,
                "path": os.path.abspath(scene.path) if self.session.reads_path else None, "copy_patch": self.copy_patch,
                "cancel_event": self._cancel_event.name}

    def _group_future(self, index: int) -> Any:
        if index not in self._groups_scattered:
            self._groups_scattered[index] = self._scatter(self._group_payload(index))
        return self._groups_scattered[index].future

    def _group_payload(self, index: int) -> dict:
        """The group's model for the workers (recorded for the provenance tags as a local run records it)."""
        group = self.groups.groups[index]
        rois = [self.groups.rois[roi_id] for roi_id in group.roi_ids]
        settings = self.settings
        payload: dict[str, Any] = {"index": index, "roi_ids": list(group.roi_ids), "context_size": settings.context_size}
        trained = self.training.take(index) if self.training is not None else None
        try:
            if trained is not None:  # trained on a worker now, and cached by the caller
                payload.update(backend="trained", checkpoint=trained[0])
                model, trained_now = SceneModel("trained", None, trained[1]), True
            elif settings.checkpoint or (settings.backend or default_backend()) == "trained":
                where = f"scene model of ROI group {index + 1} of {len(self.groups.groups)}"
                model, trained_now = obtain_scene_model(
                    self.scene, rois, settings, is_cancelled=_raising(self.check_cancelled),
                    progress=lambda fraction, message: self.model_progress(fraction, f"{where}: {message}"))
                payload.update(backend="trained", checkpoint=_checkpoint_bytes(model))
            else:
                with scene_model_errors(rois, "training-free", settings.context_size):
                    data, valid, fingerprint = training_free_context(
                        self.scene, rois, context_size=settings.context_size, leave_out_rois=not settings.learns_rois)
                model, trained_now = SceneModel("training-free", None, training_free_description(fingerprint)), False
                payload.update(backend="training-free", context=data, valid=valid, fingerprint=fingerprint)
        except RSEditError as error:
            raise with_rois(error, group.roi_ids) from None
        if payload["backend"] == "trained" and isinstance(settings, RegenerateSettings):
            # the context pixels a trained model's regeneration quilts from, read here as a local run reads them
            pixels = quilt_context(self.scene, rois, context_size=settings.context_size)
            if pixels is not None:
                payload["quilt_pixels"] = pixels
        if self.text is not None:
            payload["text"] = self.text.group_part(group)
        self.groups.record_model(group, model, trained_now)
        return payload

    def _checked(self, tile_id: int, result: Any) -> np.ndarray:
        tile = self.tiles[tile_id]
        shape = (len(self.scene.data_bands), int(tile.window.height), int(tile.window.width))
        if not isinstance(result, np.ndarray) or result.shape != shape or result.dtype != self.scene.dtype:
            raise RSEditError(f"A Dask worker returned {getattr(result, 'shape', type(result).__name__)} "
                              f"{getattr(result, 'dtype', '')} for the unit at row {tile.row}, col {tile.col}; "
                              f"expected {shape} {self.scene.dtype}: do the workers run this RSEdit version?")
        return result


def _sizeof(value: Any) -> int:
    from dask.sizeof import sizeof

    return int(sizeof(value))


def _raising(check_cancelled: Callable[[], None]) -> Callable[[], bool]:
    """is_cancelled for training from a check that raises CancelledError itself."""
    def is_cancelled() -> bool:
        check_cancelled()
        return False
    return is_cancelled


def _checkpoint_bytes(model: SceneModel) -> bytes:
    from pathlib import Path

    from ..models.sinddm.checkpoint import checkpoint_bytes

    saved = model.description.get("checkpoint")
    if saved and Path(saved).is_file():
        return Path(saved).read_bytes()  # the cached or given checkpoint, as it is
    return checkpoint_bytes(model.model)
