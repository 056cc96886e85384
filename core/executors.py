"""Where an edit's units are computed: here, one after another (the default), or on a Dask cluster.

The engine asks a TileSource for each edited tile in the order its writer needs them; without one
it edits each tile itself when the first block needing it is written (core/engine.py). This module
only describes and checks the choice: Dask is imported when a Dask run starts (core/dask_session.py).
"""
from __future__ import annotations

import operator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Optional, Protocol, Sequence, Union

import numpy as np

from .errors import InputError
from .tiling import Tile

EXECUTORS = ("local", "dask")
CONNECT_TIMEOUT = 10.0  # seconds to reach a scheduler before the edit is refused
MAX_WORKERS = 256


@dataclass(frozen=True)
class ExecutorOptions:
    """`executor="dask"` with a `scheduler` address ("tcp://host:8786") uses that cluster; with
    `workers` and no address, a LocalCluster of that many worker processes is started for the edit
    and closed after it. `threads`: the torch CPU threads each unit samples with (None: the caller's
    torch.get_num_threads()), fixed so that a unit's float sums, and so the output bytes, are those
    of a local run with that many threads. `ahead`: units submitted beyond the one the writer waits
    for (None: two per worker thread), which bounds the results held in flight."""

    executor: str = "local"
    scheduler: Optional[str] = None
    workers: Optional[int] = None
    timeout: float = CONNECT_TIMEOUT
    threads: Optional[int] = None
    ahead: Optional[int] = None

    def __post_init__(self) -> None:
        if self.executor not in EXECUTORS:
            raise InputError(f"Unknown executor {self.executor!r}: choose one of {', '.join(EXECUTORS)}.")
        scheduler = (self.scheduler or "").strip() or None
        object.__setattr__(self, "scheduler", scheduler)
        if self.executor == "local":
            if scheduler or self.workers is not None:
                raise InputError("A Dask scheduler address or a number of workers needs executor='dask'.")
            return
        if scheduler is None and self.workers is None:
            raise InputError("executor='dask' needs a scheduler address (tcp://host:8786) or a number of local "
                             "workers (workers=2).")
        if scheduler is not None and self.workers is not None:
            raise InputError("Give either a Dask scheduler address or a number of local workers, not both.")
        if scheduler is not None and "://" not in scheduler and ":" not in scheduler:
            raise InputError(f"The Dask scheduler address {scheduler!r} is not an address such as tcp://host:8786.")
        for name, value, low, high in (("workers", self.workers, 1, MAX_WORKERS), ("threads", self.threads, 1, 1024),
                                       ("ahead", self.ahead, 1, 10_000)):
            if value is not None:
                try:
                    value = operator.index(value)
                except TypeError:
                    raise InputError(f"{name} must be a whole number (got {value!r}).") from None
                if isinstance(value, bool) or not low <= value <= high:
                    raise InputError(f"{name} must be in {low}..{high} (got {value}).")
        if not isinstance(self.timeout, (int, float)) or isinstance(self.timeout, bool) or not 0 < self.timeout <= 600:
            raise InputError(f"The scheduler timeout must be in (0, 600] seconds (got {self.timeout!r}).")

    @property
    def distributed(self) -> bool:
        return self.executor == "dask"


def executor_options(executor: Union[str, ExecutorOptions], scheduler: Optional[str] = None,
                     workers: Optional[int] = None) -> ExecutorOptions:
    """The checked options from edit_scene's keywords (or an ExecutorOptions as it is)."""
    if isinstance(executor, ExecutorOptions):
        if scheduler is not None or workers is not None:
            raise InputError("Give the scheduler and workers in the ExecutorOptions, not beside them.")
        return executor
    return ExecutorOptions(executor, scheduler, workers)


@contextmanager
def executor_session(options: ExecutorOptions, raster_path: str, files: Sequence[str] = (),
                     modules: Sequence[str] = ()) -> Iterator[Any]:
    """None for a local run; a checked core.dask_session.DaskSession for a Dask run, closed afterwards
    (`files` and `modules`: what the edit needs besides the raster and RSEdit, see dask_session)."""
    if not options.distributed:
        yield None
        return
    from .dask_session import dask_session  # Dask is imported only here

    with dask_session(options, raster_path, files, modules) as session:
        yield session


class TileSource(Protocol):
    """Edited tiles computed elsewhere, handed to the engine's writer in the order it needs them."""

    def start(self, tiles: Sequence[Tile], order: Sequence[int], cell_size: int, check_cancelled: Callable[[], None],
              progress: Callable[[int, str], None]) -> None:
        """`order`: tile indexes in the order the writer first needs them; `cell_size`: the cells of the
        engine's ROI mask (core/masks.py), so that tiles see its weights; `progress(done, message)`
        follows how many tiles are edited; `check_cancelled()` raises CancelledError while waiting."""

    def edited(self, tile_id: int) -> np.ndarray:
        """The edited tile (blocks until it is there)."""

    def release(self, tile_id: int) -> None:
        """The writer is done with this tile (used or not): forget it."""

    def close(self) -> None:
        """Cancel what is still outstanding."""
