"""Dask executor benchmark: the same training-free regeneration run locally (sequential) and on
LocalClusters of this machine; prints one JSON line.

    .venv/bin/python bench/distributed.py [--quick]

Every run uses one torch thread per unit (the local run too), so that the configurations differ only
in where units run and the output bytes can be compared:
- tiles_per_s_local: local sequential edit;
- tiles_per_s_dask_1x1 / _1x2 / _2x1: a LocalCluster of 1 worker x 1 thread, 1 worker x 2 threads,
  2 workers x 1 thread (threads: units at once per worker), started before the timing;
- overhead_per_tile: (seconds per tile on Dask 1x1 - local) / local: what the cluster adds per tile
  at the same thread count (goal <= 0.10);
- efficiency_1x2 / _2x1: tiles/s over (2 x local tiles/s): the share of two cores' ideal throughput;
- bytes_per_tile: what the caller sent and received per tile (payloads as dask.sizeof counts them:
  the run and group payloads once per worker, each unit's arguments and its edited pixels);
- identical_bytes: every Dask output's pixels, mask and tags (but the run id and time) equal the local run's;
- seconds_per_tile_local, model_build_s etc. are the measured parts the docs' cluster estimate uses.
- worker_compute_s_per_tile_*: the workers' compute time per unit (Dask's task stream), against
  seconds_per_tile_local: what of the overhead is the editing itself running slower in a worker.
- CPU seconds, which depend far less than wall time on what else the shared machine runs:
  cpu_s_per_tile_local (the local edit's process), cpu_s_per_tile_dask_* (the caller's process, with
  the scheduler and nannies of the LocalCluster, plus the workers'), split into caller_cpu_s_per_tile_*
  and the workers' worker_{build,prepare,edit}_cpu_s_per_tile_* (per unit: building the group's
  editor, reading and masking, editing; core/dask_units.py UNIT_CPU_S) and worker_other_cpu_s_per_tile_*
  (the rest of the worker processes' CPU: Dask itself); overhead_per_tile_cpu is overhead_per_tile in
  these CPU seconds. worker_import_s_*: a new worker's first import of torch and RSEdit, timed before
  the edit (once per worker and cluster, not per tile); load_avg_1min_start / _end: the machine's load.
--quick: a 256 px crop with 4 ROIs and 96 px tiles (the goal is 3 minutes; measured 179 s at a load
average of 3-5 and 4.2 minutes at 7, on the shared 2-core machine); the full run a 512 px crop with 16
ROIs and 128 px tiles; both learn from a 256 px context.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Sequence

# This file's name would shadow the distributed package: its folder goes after site-packages.
BENCH = str(Path(__file__).resolve().parent)
sys.path[:] = [path for path in sys.path if os.path.abspath(path or ".") != BENCH] + [BENCH]

from bench_scene import crop_scene, import_models  # noqa: E402

PER_RUN_TAGS = ("RSEDIT_RUN_ID", "TIFFTAG_DATETIME")


def roi_grid(transform, size: int, count: int, side: int) -> list:
    """`count` square ROIs of `side` px on a regular grid, far enough apart to be one unit each."""
    from shapely.geometry import box

    per_row = int(count ** 0.5 + 0.999)
    step = size // per_row
    rois = []
    for index in range(count):
        col0 = (index % per_row) * step + (step - side) // 2
        row0 = (index // per_row) * step + (step - side) // 2
        (x0, y0), (x1, y1) = transform * (col0, row0 + side), transform * (col0 + side, row0)
        rois.append(box(x0, y0, x1, y1))
    return rois


def same_output(a_path: Path, b_path: Path) -> bool:
    import rasterio

    with rasterio.open(a_path) as a, rasterio.open(b_path) as b:
        tags_a = {k: v for k, v in a.tags().items() if k not in PER_RUN_TAGS}
        tags_b = {k: v for k, v in b.tags().items() if k not in PER_RUN_TAGS}
        return a.read().tobytes() == b.read().tobytes() and tags_a == tags_b


class BytesLog(logging.Handler):
    """Keeps the bytes the Dask tile source reports when it closes."""

    def __init__(self) -> None:
        super().__init__()
        self.sent = self.received = 0

    def emit(self, record: logging.LogRecord) -> None:
        found = re.search(r"(\d+) bytes sent, (\d+) bytes received", record.getMessage())
        if found:
            self.sent, self.received = int(found.group(1)), int(found.group(2))


def _import_worker_modules() -> None:
    from rsedit.core.dask_session import WORKER_MODULES
    import importlib

    for name in WORKER_MODULES:
        importlib.import_module(name)


def _unit_cpu_seconds() -> list:
    from rsedit.core.dask_units import UNIT_CPU_S

    return list(UNIT_CPU_S)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    size, count, tile, context = (256, 4, 96, 256) if args.quick else (512, 16, 128, 256)
    models = import_models()
    import psutil
    import torch
    from distributed import Client, LocalCluster, get_task_stream

    from rsedit.core.executors import ExecutorOptions
    from rsedit.core.scene_edit import edit_scene

    torch.set_num_threads(1)
    folder = Path(tempfile.mkdtemp(prefix="rsedit-bench-distributed-"))
    scene, transform = crop_scene(folder, 178, 231, size) if args.quick else crop_scene(folder, 140, 100, size)
    rois = roi_grid(transform, size, count, side=tile // 2)
    edit = dict(mode="regenerate", backend="training-free", tile_size=tile, context_size=context, seed=3)
    bytes_log = BytesLog()
    logging.getLogger("rsedit.core.dask_tiles").addHandler(bytes_log)
    logging.getLogger("rsedit.core.dask_tiles").setLevel(logging.INFO)

    def timed(name: str, worker_pids: Sequence[int] = (), **options) -> tuple[float, float, float]:
        """(wall seconds, CPU seconds of this process, CPU seconds of the workers) of one edit."""
        caller, workers = psutil.Process(), [psutil.Process(pid) for pid in worker_pids]
        caller_before, workers_before = sum(caller.cpu_times()[:2]), sum(sum(p.cpu_times()[:2]) for p in workers)
        started = time.perf_counter()
        result = edit_scene(scene, rois, folder / f"{name}.tif", mask_out=folder / f"{name}_mask.tif", **edit,
                            **options)
        seconds = time.perf_counter() - started
        caller_cpu = sum(caller.cpu_times()[:2]) - caller_before
        workers_cpu = sum(sum(p.cpu_times()[:2]) for p in workers) - workers_before
        assert result.outputs[0].tiles_edited == count, result.outputs[0]
        print(f"{name}: {seconds:.1f} s, {caller_cpu:.1f} + {workers_cpu:.1f} CPU s", file=sys.stderr)
        return seconds, caller_cpu, workers_cpu

    figures: dict = {"quick": args.quick, "tiles": count, "tile_size": tile, "scene_px": size,
                     "load_avg_1min_start": round(os.getloadavg()[0], 2)}
    local_s, local_cpu, _ = timed("local")
    figures["cpu_s_per_tile_local"] = round(local_cpu / count, 3)
    figures["tiles_per_s_local"] = round(count / local_s, 4)
    identical = True
    per_config = {}
    for workers, threads in ((1, 1), (1, 2), (2, 1)):
        name = f"dask_{workers}x{threads}"
        started = time.perf_counter()
        with LocalCluster(n_workers=workers, threads_per_worker=threads, processes=True,
                          dashboard_address=":0") as cluster, Client(cluster, set_as_default=False) as client:
            figures[f"cluster_start_s_{workers}x{threads}"] = round(time.perf_counter() - started, 2)
            # a started worker imports torch and RSEdit once, at its first edit: a cost per worker
            # and cluster, not per tile, timed here apart
            started = time.perf_counter()
            client.run(_import_worker_modules)
            figures[f"worker_import_s_{workers}x{threads}"] = round(time.perf_counter() - started, 2)
            pids = list(client.run(os.getpid).values())
            with get_task_stream(client) as stream:
                seconds, caller_cpu, workers_cpu = timed(name, pids, executor=ExecutorOptions(
                    "dask", cluster.scheduler_address))
            figures[f"cpu_s_per_tile_{name}"] = round((caller_cpu + workers_cpu) / count, 3)
            figures[f"caller_cpu_s_per_tile_{name}"] = round(caller_cpu / count, 3)
            # the workers' CPU seconds per unit: building the group's editor (once per worker and
            # group), reading and masking, editing; and the rest of the workers' CPU (Dask itself)
            parts = [part for times in client.run(_unit_cpu_seconds).values() for part in times]
            for index, what in enumerate(("build", "prepare", "edit")):
                figures[f"worker_{what}_cpu_s_per_tile_{name}"] = round(sum(p[index] for p in parts) / count, 3)
            figures[f"worker_other_cpu_s_per_tile_{name}"] = round((workers_cpu - sum(map(sum, parts))) / count, 3)
            # what the workers spent editing units (model builds included), against the wall time
            compute = sum(stop - start for task in stream.data if str(task["key"]).startswith("rsedit-unit")
                          for action, start, stop in ((s["action"], s["start"], s["stop"]) for s in task["startstops"])
                          if action == "compute")
            figures[f"worker_compute_s_per_tile_{workers}x{threads}"] = round(compute / count, 3)
        per_config[name] = seconds
        figures[f"tiles_per_s_{name}"] = round(count / seconds, 4)
        identical &= same_output(folder / "local.tif", folder / f"{name}.tif")
        identical &= same_output(folder / "local_mask.tif", folder / f"{name}_mask.tif")
        if name == "dask_2x1":
            figures["bytes_per_tile"] = int((bytes_log.sent + bytes_log.received) / count)
            figures["bytes_sent_per_tile"] = int(bytes_log.sent / count)
    figures["overhead_per_tile"] = round((per_config["dask_1x1"] - local_s) / local_s, 4)
    # the same in CPU seconds of every process involved (caller with scheduler and nanny, workers):
    # what Dask costs, unlike wall time, barely depends on what else the shared machine runs
    figures["overhead_per_tile_cpu"] = round((figures["cpu_s_per_tile_dask_1x1"] - local_cpu / count)
                                             / (local_cpu / count), 4)
    for name in ("dask_1x2", "dask_2x1"):
        figures[f"efficiency_{name[5:]}"] = round(figures[f"tiles_per_s_{name}"] / (2 * figures["tiles_per_s_local"]), 4)
    figures["seconds_per_tile_local"] = round(local_s / count, 3)
    figures["identical_bytes"] = bool(identical)
    figures["torch_threads_per_unit"] = 1
    figures["load_avg_1min_end"] = round(os.getloadavg()[0], 2)
    del models
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
