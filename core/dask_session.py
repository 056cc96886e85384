"""A Dask cluster for one edit: connect (or start a LocalCluster), check the workers, close.

Everything here runs before any work: a scheduler that does not answer within the timeout, a
cluster without workers, and workers without torch or RSEdit are InputErrors that say what to do.
"""
from __future__ import annotations

import os
from contextlib import contextmanager
import logging
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Sequence

from .dependencies import DASK_PACKAGES
from .errors import InputError
from .executors import ExecutorOptions
from .version import plugin_version

log = logging.getLogger(__name__)
PACKAGE = __name__.rsplit(".", 2)[0]  # "rsedit": the name workers import RSEdit by
# what a worker imports to edit units: RSEdit's core (with numpy, rasterio, shapely, scipy), its models, torch
WORKER_MODULES = ("torch", f"{PACKAGE}.core.dask_units", f"{PACKAGE}.models.patch.patch_scene_model")


@dataclass
class DaskSession:
    client: Any  # distributed.Client
    threads: int  # torch threads per unit (the caller's, unless given)
    ahead: int  # units in flight beyond the one the writer waits for
    reads_path: bool  # every worker opens the raster itself; otherwise pixels are sent
    reads_files: frozenset = frozenset()  # other files (CLIP weights) every worker reads as the caller sees them
    run_tokens: set = field(default_factory=set)  # the edits run in this session (their workers' caches)


@contextmanager
def dask_session(options: ExecutorOptions, raster_path: str, files: Sequence[str] = (),
                 modules: Sequence[str] = ()) -> Iterator[DaskSession]:
    """`files`: other files the edit reads (CLIP weights), sent only to workers that cannot read them;
    `modules`: what the workers need besides WORKER_MODULES (open_clip for text edits)."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise InputError("executor='dask' needs the packages dask and distributed in this Python: pip install "
                         f"{' '.join(DASK_PACKAGES.values())}") from None
    cluster = None
    if options.scheduler is None:
        # worker processes, one thread each: units are CPU- or GPU-bound and hold the GIL in places
        cluster = LocalCluster(n_workers=options.workers, threads_per_worker=1, processes=True,
                               dashboard_address=":0")
    try:
        client = _connect(Client, cluster or options.scheduler, options.timeout)
        session = None
        try:
            session = _checked_session(client, options, raster_path, files, modules)
            yield session
        finally:
            if session is not None and session.run_tokens and cluster is None:
                _forget_runs(client, session.run_tokens)
            client.close()
    finally:
        if cluster is not None:
            cluster.close()


def lost(client: Any, future: Any) -> bool:
    """Whether no worker holds a scattered future's data any more (the client may hear of it late)."""
    return future.status in ("cancelled", "lost") or not client.who_has(future).get(future.key)


class ScatteredPayload:
    """A payload broadcast to every worker and kept here: dask recomputes a lost task's result, but data
    scattered from the client it cannot, so where a worker's death loses its every copy it is sent again."""

    def __init__(self, client: Any, payload: Any) -> None:
        self.client, self.payload = client, payload
        self.future = self._scatter()

    def _scatter(self) -> Any:
        # a list of one: scattering a dict would send each value as a future of its own
        return self.client.scatter([self.payload], broadcast=True, hash=False)[0]

    def restore(self) -> bool:
        """Scatter the payload again where no worker holds it any more; whether it was."""
        if not lost(self.client, self.future):
            return False
        self.future = self._scatter()
        return True


def _forget_runs(client: Any, tokens: set) -> None:
    """Workers of a cluster that outlives the edit drop its editors and CLIP now, not when later edits
    push them out (a CLIP can be gigabytes)."""
    from .dask_units import forget_runs

    try:
        client.run(forget_runs, sorted(tokens))
    except Exception as error:  # noqa: BLE001 (the edit is done; a worker gone meanwhile only keeps nothing)
        log.warning("Dask workers could not drop this edit's models: %s", error)


def _connect(client_class: Callable[..., Any], address: Any, timeout: float) -> Any:
    try:
        return client_class(address, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError) as error:
        raise InputError(f"The Dask scheduler at {address} did not answer within {timeout:g} s ({error}): start it "
                         "with `dask scheduler` and workers with `dask worker <address>`, or check the address "
                         "(tcp://host:8786) and the firewall.") from None


def _checked_session(client: Any, options: ExecutorOptions, raster_path: str, files: Sequence[str] = (),
                     modules: Sequence[str] = ()) -> DaskSession:
    try:
        client.wait_for_workers(1, timeout=options.timeout)
    except TimeoutError:
        raise InputError(f"The Dask scheduler at {client.scheduler.address} has no workers (waited "
                         f"{options.timeout:g} s): start some with `dask worker {client.scheduler.address}`.") from None
    path = os.path.abspath(raster_path)
    stat = os.stat(path)
    others = [os.path.abspath(name) for name in files]
    reports = client.run(worker_probe(WORKER_MODULES + tuple(modules), path, (stat.st_size, stat.st_mtime_ns),
                                      PACKAGE, [(name, _signature(name)) for name in others]))
    check_probe_reports(reports, plugin_version())
    threads = options.threads
    if threads is None:
        import torch

        threads = torch.get_num_threads()
    worker_threads = sum(client.nthreads().values())
    return DaskSession(client, int(threads), int(options.ahead or 2 * max(worker_threads, 1)),
                       all(report["reads_path"] for report in reports.values()),
                       frozenset(name for index, name in enumerate(others)
                                 if all(report["reads_files"][index] for report in reports.values())))


def _signature(path: str) -> tuple[int, int]:
    stat = os.stat(path)
    return stat.st_size, stat.st_mtime_ns


def worker_probe(modules: tuple[str, ...], path: str, signature: tuple[int, int], package: str,
                 files: Sequence[tuple[str, tuple[int, int]]] = ()) -> Callable[[], dict]:
    """A function for client.run that says what a worker lacks. It is built here as a closure, so
    that Dask sends it by value: it runs even on a worker where RSEdit itself does not import."""
    def probe() -> dict:
        import importlib
        import os

        missing = {}
        for name in modules:
            try:
                importlib.import_module(name)
            except Exception as error:  # noqa: BLE001 (any import failure is what we report)
                missing[name] = f"{type(error).__name__}: {error}"
        version = None
        if not missing:
            version = importlib.import_module(f"{package}.core.version").plugin_version()

        def reads(name: str, expected: tuple[int, int]) -> bool:
            # the same size and time as the caller sees: the same file, not another one of that name
            try:
                stat = os.stat(name)
                return (stat.st_size, stat.st_mtime_ns) == tuple(expected) and os.access(name, os.R_OK)
            except OSError:
                return False

        return {"missing": missing, "version": version, "reads_path": reads(path, signature),
                "reads_files": [reads(name, expected) for name, expected in files]}

    return probe


def check_probe_reports(reports: dict[str, dict], version: str) -> None:
    """An InputError naming each worker's missing modules, or a different RSEdit version."""
    lacking = {worker: report["missing"] for worker, report in reports.items() if report["missing"]}
    if lacking:
        lines = "; ".join(f"{worker} lacks {', '.join(f'{name} ({why})' for name, why in missing.items())}"
                          for worker, missing in sorted(lacking.items()))
        raise InputError(f"Dask workers cannot edit: {lines}. Install RSEdit (its core and models packages, "
                         f"importable as '{PACKAGE}'), torch and the packages of requirements.txt on every worker "
                         "(see the README, 'Running on a Dask cluster').")
    others = {worker: report["version"] for worker, report in reports.items() if report["version"] != version}
    if others:
        found = ", ".join(f"{worker}: {found}" for worker, found in sorted(others.items()))
        raise InputError(f"Dask workers run another RSEdit version than this one ({version}): {found}. Install "
                         "the same version on every worker, so that their edits equal a local run's.")

