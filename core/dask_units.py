"""What a Dask worker runs: one edit unit of one ROI group, rebuilt from plain data the caller sent
(arrays, bytes, numbers, texts; never a model object), edited exactly as core/engine.py edits it here.

The run (ROIs as WKB, settings fields, sizes), each group's model (safetensors bytes and config, or
the context pixels a training-free model is built from) and a text edit's CLIP (core/dask_text.py)
reach each worker once; the group's editor is built on the worker when its first unit arrives and
kept for the next ones (KEEP_EDITORS per worker). Groups' trainings run here too (core/dask_training.py).
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from dataclasses import dataclass
from typing import Any, Callable, Optional

import numpy as np
from rasterio import Affine
from rasterio.windows import Window
from shapely import wkb

from .editor import TileContext, checked_edit
from .editors import build_editor
from .error_boundary import scene_model_errors
from .errors import CancelledError, RSEditError
from .group_editors import KEEP_EDITORS, with_rois
from .masks import RoiMask
from .rois import Roi
from .scene import open_scene
from .scene_models import SceneModel, training_free_model
from .settings import settings_for_mode
from .tiling import Tile
from .variant_editor import VariantEditor

# Per worker process: the ROIs of the runs it serves and the editors of their groups. A worker
# thread pool may edit two units of one group at once, so building is under a lock.
_ROIS: OrderedDict[str, list[Roi]] = OrderedDict()
_EDITORS: OrderedDict[tuple[str, int], Any] = OrderedDict()
_LOCK = threading.Lock()
_WATCHED: dict[str, "_Watched"] = {}
_MALLOC_TUNED = False
# CPU seconds of this worker's units: (building the group's editor, reading and masking, editing);
# bench/distributed.py reads them to tell the edit's own cost from what running on Dask adds
UNIT_CPU_S: deque = deque(maxlen=10_000)
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameters (malloc.h)
MMAP_THRESHOLD = 32 * 1024 * 1024
# how long a worker's watcher waits on the run's cancel event per request: the scheduler answers as
# soon as it is set (a long poll), so this sets the requests' rate (each costs both sides CPU time),
# not how soon a cancel is seen
CANCEL_POLL_S = 5.0
WATCH_IDLE_S = 120.0  # a run's watcher stops when none of its units has started for this long


def window_tuple(window: Window) -> tuple[int, int, int, int]:
    return int(window.col_off), int(window.row_off), int(window.width), int(window.height)


def edit_unit(run: dict, group: dict, unit: dict, pixels: Optional[tuple[np.ndarray, np.ndarray]],
              clip: Optional[dict] = None) -> np.ndarray:
    """The edited pixels (bands, h, w) of one unit; `pixels` (data, valid) when the worker cannot
    read the raster itself (run["path"] is then None); `clip`: the CLIP of a text edit
    (models/clip/clip_transport.py clip_payload)."""
    import torch

    started = time.thread_time()
    keep_freed_memory()
    # the caller's thread count: a unit's float sums then run in the same order as in a local run
    torch.set_num_threads(int(run["threads"]))
    rois = _run_rois(run)
    editor = _group_editor(run, group, rois, clip)
    built = time.thread_time()
    window = Window(*unit["window"])
    tile = Tile(row=int(unit["row"]), col=int(unit["col"]), window=window, roi_ids=tuple(unit["roi_ids"]),
                core=Window(*unit["core"]))
    if pixels is None:
        with open_scene(run["path"]) as scene:
            data, valid = scene.read(window)
    else:
        data, valid = np.array(pixels[0]), np.array(pixels[1], dtype=bool)  # private, writable copies
    mask = RoiMask(rois, int(run["width"]), int(run["height"]), float(run["feather"]), cell_size=int(run["block"]))
    context = TileContext(data=data, roi_mask=mask.window_mask(window), valid=valid, window=window,
                          transform=Affine(*run["transform"]), crs=None, roi_ids=tile.roi_ids, tile=tile)
    variant = VariantEditor(editor, int(unit["seed"]), rois, int(run["width"]), int(run["height"]),
                            float(run["feather"]), cancel_check(run.get("cancel_event")))
    prepared = time.thread_time()
    try:
        result = checked_edit(variant(context), context)
    except CancelledError:
        raise
    except RSEditError as error:
        raise with_rois(error, tile.roi_ids) from None
    UNIT_CPU_S.append((built - started, prepared - built, time.thread_time() - prepared))
    return result.copy() if result.base is not None else result


def forget_runs(tokens: list[str]) -> None:
    """Drop the ROIs, editors and CLIP this worker keeps for these edits (they are over)."""
    from . import dask_text

    with _LOCK:
        for token in tokens:
            _ROIS.pop(token, None)
            for key in [key for key in _EDITORS if key[0] == token]:
                del _EDITORS[key]
    with dask_text._LOCK:
        for token in tokens:
            dask_text._CLIPS.pop(token, None)


def keep_freed_memory() -> None:
    """Dask's nanny starts workers with MALLOC_TRIM_THRESHOLD_=65536 (distributed.nanny.pre-spawn-environ),
    and setting any glibc malloc threshold also fixes its mmap threshold at 128 KiB: every tensor above
    that is then mapped and page-faulted anew, and units ran twice as long as in the caller (measured
    with bench/distributed.py). Raise both thresholds to where glibc's dynamic ones end (32 MiB on
    64-bit), once per worker process; other C libraries are left as they are."""
    global _MALLOC_TUNED
    if _MALLOC_TUNED:
        return
    _MALLOC_TUNED = True
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)
        libc.mallopt(M_TRIM_THRESHOLD, 2 * MMAP_THRESHOLD)
    except (OSError, AttributeError):
        pass  # not glibc


def _run_rois(run: dict) -> list[Roi]:
    with _LOCK:
        rois = _ROIS.get(run["token"])
        if rois is None:
            rois = []
            for roi_id, shape in run["rois"]:
                geometry = wkb.loads(bytes(shape))
                rois.append(Roi(roi_id, geometry, geometry, {}))
            _ROIS[run["token"]] = rois
            while len(_ROIS) > KEEP_EDITORS:
                _ROIS.popitem(last=False)
        return rois


def _group_editor(run: dict, group: dict, rois: list[Roi], clip: Optional[dict] = None) -> Any:
    key = (run["token"], int(group["index"]))
    with _LOCK:
        if key in _EDITORS:
            _EDITORS.move_to_end(key)
            return _EDITORS[key]
        members = set(group["roi_ids"])
        settings = settings_for_mode(run["mode"], **run["settings"])
        if run["mode"] == "text":
            from .dask_text import worker_text_editor

            editor = worker_text_editor(run, settings, group_model(group), group["text"], clip)
        else:
            quilt_pixels = group.get("quilt_pixels")
            editor = build_editor(settings, None, [roi for roi in rois if roi.id in members], group_model(group),
                                  copy_patch=run.get("copy_patch"),
                                  quilt_pixels=None if quilt_pixels is None else
                                  (np.asarray(quilt_pixels[0]), np.asarray(quilt_pixels[1], dtype=bool)))
        _EDITORS[key] = editor
        while len(_EDITORS) > KEEP_EDITORS:
            _EDITORS.popitem(last=False)
        return editor


def group_model(group: dict) -> SceneModel:
    """The group's scene model from what the caller sent: checkpoint bytes, or context pixels."""
    if group["backend"] == "trained":
        from ..models.sinddm.checkpoint import load_checkpoint_bytes

        return SceneModel("trained", load_checkpoint_bytes(bytes(group["checkpoint"])).model, {})
    with scene_model_errors(group["roi_ids"], "training-free", int(group["context_size"])):
        return training_free_model(np.asarray(group["context"]), np.asarray(group["valid"], dtype=bool),
                                   group["fingerprint"])


def cancel_check(event_name: Optional[str]) -> Callable[[], bool]:
    """is_cancelled for a unit: whether the caller set the run's cancel event. A watcher thread asks
    the scheduler (a round trip) and the sampler only reads its flag, so the unit never waits for it."""
    if not event_name:
        return lambda: False
    from distributed import get_client

    with _LOCK:
        watched = _WATCHED.get(event_name)
        if watched is None:
            watched = _WATCHED[event_name] = _Watched(threading.Event(), time.monotonic())
            threading.Thread(target=_watch, args=(event_name, watched, get_client()), daemon=True,
                             name=f"rsedit-cancel-{event_name}").start()
    watched.used = time.monotonic()
    return watched.flag.is_set


@dataclass
class _Watched:
    flag: threading.Event
    used: float  # when a unit of the run last asked: the watcher stops a while after the run's last unit


def _watch(event_name: str, watched: _Watched, client: Any) -> None:
    from distributed import Event

    event = Event(event_name, client=client)
    try:
        while time.monotonic() - watched.used < WATCH_IDLE_S:
            if event.wait(timeout=CANCEL_POLL_S):
                watched.flag.set()
                return
    except Exception:  # noqa: BLE001 (the scheduler went away: the run is over either way)
        return
    finally:
        with _LOCK:
            if not watched.flag.is_set():
                _WATCHED.pop(event_name, None)
