"""Edits on a real Dask LocalCluster (two worker processes): the same output as a local run, cancel,
a worker killed mid-run, a scheduler that is not there, workers that lack a package."""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import rasterio
from shapely.geometry import box

from rsedit.core.errors import CancelledError, InputError
from rsedit.core.executors import ExecutorOptions
from rsedit.core.rois import RoiFeature
from rsedit.core.scene_edit import edit_scene
from textured_scene import CRS, TRANSFORM, write_textured_scene

distributed = pytest.importorskip("distributed")

# Tags that name the run, not its content: every run writes its own.
PER_RUN_TAGS = ("RSEDIT_RUN_ID", "TIFFTAG_DATETIME")
# Six ROIs far enough apart to be six units (one second or so each on a CPU), in one ROI group.
BOXES = [(12, 12, 40, 36), (100, 10, 130, 40), (180, 16, 210, 44), (14, 150, 44, 180), (104, 160, 140, 190),
         (176, 170, 206, 200)]
EDIT = dict(rois_crs=CRS, mode="regenerate", backend="training-free", tile_size=64, seed=5)


def world_box(col0: float, row0: float, col1: float, row1: float):
    x0, y0 = TRANSFORM * (col0, row1)
    x1, y1 = TRANSFORM * (col1, row0)
    return box(x0, y0, x1, y1)


ROIS = [world_box(*b) for b in BOXES]


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as local_cluster:
        yield local_cluster


@pytest.fixture(scope="module")
def scene(tmp_path_factory) -> Path:
    return write_textured_scene(tmp_path_factory.mktemp("scene") / "scene.tif", 224, seed=7)


# Units sum in the caller's torch thread count: every run of this module uses the same one (other
# modules may leave another), and qgis_process is started with it.
LOCAL_THREADS = 1


@pytest.fixture(autouse=True)
def _same_thread_count():
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(LOCAL_THREADS)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def local_run(scene, tmp_path_factory) -> tuple[Path, Path]:
    import torch

    folder = tmp_path_factory.mktemp("local")
    before = torch.get_num_threads()
    torch.set_num_threads(LOCAL_THREADS)  # a module fixture runs before the autouse one
    try:
        result = edit_scene(scene, ROIS, folder / "out.tif", mask_out=folder / "mask.tif", **EDIT)
    finally:
        torch.set_num_threads(before)
    assert result.outputs[0].tiles_edited == len(BOXES)
    return folder / "out.tif", folder / "mask.tif"


def assert_same_output(expected: Path, found: Path, same_as: tuple[str, str] = ("", "")) -> None:
    """Pixels, internal masks, profile and every tag but the run's own name and time are the same
    (`same_as`: (a text in `found`'s tags, the text it stands for in `expected`'s))."""
    with rasterio.open(expected) as a, rasterio.open(found) as b:
        assert a.profile == b.profile
        assert a.read().tobytes() == b.read().tobytes()
        assert a.dataset_mask().tobytes() == b.dataset_mask().tobytes()
        tags_a, tags_b = a.tags(), b.tags()
        for name in PER_RUN_TAGS:
            tags_a.pop(name, None), tags_b.pop(name, None)
        if same_as[0]:
            tags_b = {name: value.replace(*same_as) for name, value in tags_b.items()}
        assert tags_a == tags_b


def worker_pids(client) -> dict[str, int]:
    return client.run(os.getpid)


def unit_tasks(client) -> int:
    """Tasks of RSEdit units the scheduler still knows."""
    return client.run_on_scheduler(
        lambda dask_scheduler: sum(str(key).startswith("rsedit-unit") for key in dask_scheduler.tasks))


def test_a_dask_run_writes_the_bytes_of_a_local_run(cluster, scene, local_run, tmp_path):
    done = []
    # ahead=6: every unit is in flight at once, so the two workers finish them in any order
    result = edit_scene(scene, ROIS, tmp_path / "out.tif", mask_out=tmp_path / "mask.tif",
                        executor=ExecutorOptions("dask", cluster.scheduler_address, ahead=6),
                        progress=lambda fraction, message: done.append(fraction), **EDIT)
    assert result.outputs[0].tiles_edited == len(BOXES)
    assert_same_output(local_run[0], tmp_path / "out.tif")
    assert_same_output(local_run[1], tmp_path / "mask.tif")
    assert done == sorted(done) and done[-1] == 1.0


def test_a_trained_model_travels_as_its_checkpoint_bytes_and_edits_the_same(cluster, scene, tmp_path):
    from golden_edits import _tiny_training

    trained = dict(EDIT, backend="trained", preset=_tiny_training(), cache_dir=str(tmp_path / "cache"))
    local = edit_scene(scene, ROIS[:2], tmp_path / "local.tif", **trained)
    remote = edit_scene(scene, ROIS[:2], tmp_path / "dask.tif", executor="dask", scheduler=cluster.scheduler_address,
                        **trained)
    assert local.trained_now and not remote.trained_now  # the caller took it from its cache and sent the bytes
    assert_same_output(tmp_path / "local.tif", tmp_path / "dask.tif")


def assert_same_checkpoint(expected: Path, found: Path) -> None:
    """The same tensors, bit for bit, and the same metadata. Not the same file bytes: safetensors
    writes the metadata map in an order of its own in each process, a local training's too."""
    from safetensors import safe_open

    with safe_open(str(expected), "pt") as a, safe_open(str(found), "pt") as b:
        assert a.metadata() == b.metadata()
        assert sorted(a.keys()) == sorted(b.keys())
        for name in a.keys():
            assert a.get_tensor(name).numpy().tobytes() == b.get_tensor(name).numpy().tobytes(), name


@pytest.fixture
def small_groups(monkeypatch):
    """ROI groups of at most 160 px (768 in use), so that this small scene's ROIs are groups of their own."""
    import functools

    from rsedit.core import group_editors

    monkeypatch.setattr(group_editors, "group_units", functools.partial(group_editors.group_units, extent=160))


def test_group_models_are_trained_on_the_workers_and_cached_as_a_local_training_caches_them(cluster, scene, tmp_path,
                                                                                          small_groups):
    from golden_edits import _tiny_training

    trained = dict(EDIT, backend="trained", preset=_tiny_training(), context_size=96)
    # ROIs 0 and 3: two groups with contexts of their own, so two trainings, one on each worker
    rois = [ROIS[0], ROIS[3]]
    client = distributed.Client(cluster.scheduler_address, set_as_default=False)
    before = tasks_done(client, "rsedit-train")
    remote = edit_scene(scene, rois, tmp_path / "dask.tif", executor=ExecutorOptions("dask", cluster.scheduler_address),
                        cache_dir=str(tmp_path / "dask_cache"), **trained)
    assert tasks_done(client, "rsedit-train") - before == 2  # both models were trained on the cluster
    client.close()
    local = edit_scene(scene, rois, tmp_path / "local.tif", cache_dir=str(tmp_path / "local_cache"), **trained)
    assert remote.trained_now and local.trained_now
    # the tags name each run's cache file
    assert_same_output(tmp_path / "local.tif", tmp_path / "dask.tif", ("dask_cache", "local_cache"))
    # the same checkpoints under the same names (cache keys)
    names = sorted(os.listdir(tmp_path / "local_cache"))
    assert len(names) == 2 and sorted(os.listdir(tmp_path / "dask_cache")) == names
    for name in names:
        assert_same_checkpoint(tmp_path / "local_cache" / name, tmp_path / "dask_cache" / name)
    # a later local run takes the workers' models from the cache
    again = edit_scene(scene, rois, tmp_path / "again.tif", cache_dir=str(tmp_path / "dask_cache"), **trained)
    assert not again.trained_now
    assert_same_output(tmp_path / "local.tif", tmp_path / "again.tif", ("dask_cache", "local_cache"))


def test_cancel_stops_the_trainings_on_the_workers_within_seconds(cluster, scene, tmp_path, small_groups):
    from golden_edits import _tiny_training

    client = distributed.Client(cluster.scheduler_address, set_as_default=False)
    messages: list[str] = []
    cancelled_at: list[float] = []

    def is_cancelled() -> bool:
        # cancel while the writer waits for the first group's model (hours of training at this length)
        if not cancelled_at and any("training on the Dask cluster" in message for message in messages):
            cancelled_at.append(time.monotonic())
        return bool(cancelled_at)

    endless = dict(EDIT, backend="trained", preset=_tiny_training().with_changes(steps=10_000_000), context_size=96)
    with pytest.raises(CancelledError):
        edit_scene(scene, [ROIS[0], ROIS[3]], tmp_path / "out.tif", executor="dask",
                   scheduler=cluster.scheduler_address, cache_dir=str(tmp_path / "cache"), is_cancelled=is_cancelled,
                   progress=lambda fraction, message: messages.append(message), **endless)
    assert cancelled_at and time.monotonic() - cancelled_at[0] < 5
    assert not (tmp_path / "out.tif").exists() and not (tmp_path / "cache").exists()
    # each worker's one thread is free again: the running trainings stopped at their next micro-batch
    for address in client.scheduler_info()["workers"]:
        assert client.submit(int, 1, workers=[address], pure=False).result(timeout=10) == 1
    client.close()


def test_workers_n_starts_a_local_cluster_of_its_own_and_matches_too(scene, local_run, tmp_path):
    edit_scene(scene, ROIS[:2], tmp_path / "two.tif", executor="dask", workers=1, **EDIT)
    edit_scene(scene, ROIS[:2], tmp_path / "two_local.tif", **EDIT)
    assert_same_output(tmp_path / "two_local.tif", tmp_path / "two.tif")


def test_cancel_stops_the_cluster_work_within_seconds_and_leaves_no_output(cluster, scene, tmp_path):
    client = distributed.Client(cluster.scheduler_address, set_as_default=False)
    cancelled_at: list[float] = []

    def is_cancelled() -> bool:
        # cancel once the first unit is edited, with the others still queued or running
        if not cancelled_at and any("Edited" in message for message in messages):
            cancelled_at.append(time.monotonic())
        return bool(cancelled_at)

    messages: list[str] = []
    with pytest.raises(CancelledError):
        edit_scene(scene, ROIS, tmp_path / "out.tif", mask_out=tmp_path / "mask.tif",
                   scheduler=cluster.scheduler_address, executor="dask", is_cancelled=is_cancelled,
                   progress=lambda fraction, message: messages.append(message), **EDIT)
    assert cancelled_at and time.monotonic() - cancelled_at[0] < 5
    assert sorted(os.listdir(tmp_path)) == []
    deadline = time.monotonic() + 5
    while unit_tasks(client) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert unit_tasks(client) == 0
    client.close()


def edit_killing_a_worker(cluster, scene, tmp_path, pick) -> list[int]:
    """Edit on the cluster and kill (SIGKILL) the worker that `pick(client)` names, if any, once the first unit
    is edited; the killed worker's pid. Returns when the nanny has restarted it, for the tests after this one."""
    client = distributed.Client(cluster.scheduler_address, set_as_default=False)
    client.wait_for_workers(2, timeout=60)
    pids = worker_pids(client)
    killed: list[int] = []

    def kill(fraction: float, message: str) -> None:
        if killed or "Edited" not in message:
            return
        worker = pick(client)
        if worker is not None:
            killed.append(pids[worker])
            os.kill(pids[worker], signal.SIGKILL)

    try:
        edit_scene(scene, ROIS, tmp_path / "out.tif", mask_out=tmp_path / "mask.tif", executor="dask",
                   scheduler=cluster.scheduler_address, progress=kill, **EDIT)
    finally:
        client.wait_for_workers(2, timeout=60)
        client.close()
    return killed


def test_a_worker_killed_mid_run_has_its_units_retried_and_the_bytes_stay(cluster, scene, local_run, tmp_path):
    def a_busy_worker(client):  # a worker holding a unit: the unit has to be edited again elsewhere
        return next((worker for worker, keys in client.processing().items() if keys), None)

    killed = edit_killing_a_worker(cluster, scene, tmp_path, a_busy_worker)
    assert killed, "no worker was busy after the first unit: the run was too quick to test"
    with pytest.raises(ProcessLookupError):
        os.kill(killed[0], 0)
    assert_same_output(local_run[0], tmp_path / "out.tif")
    assert_same_output(local_run[1], tmp_path / "mask.tif")


def sole_holders(client) -> dict[str, str]:
    """The scattered keys (the run's inputs) that one worker alone holds, and that worker."""
    return {key: holders[0] for key, holders in client.who_has().items()
            if str(key).startswith("dict-") and len(holders) == 1}


def test_a_worker_killed_with_the_only_copy_of_the_inputs_has_them_sent_again(cluster, scene, local_run, tmp_path):
    """The inputs are scattered to every worker, but dask's memory manager soon keeps one copy: the worker
    holding it is killed, so the inputs must be sent again and the units that needed them resubmitted."""
    def the_sole_holder(client):
        deadline = time.monotonic() + 15
        while not sole_holders(client) and time.monotonic() < deadline:  # the manager runs every 2 s
            time.sleep(0.2)
        return next(iter(sole_holders(client).values()), None)

    if not edit_killing_a_worker(cluster, scene, tmp_path, the_sole_holder):
        pytest.skip("dask kept every broadcast copy of the inputs (its memory manager is off): nothing to lose")
    assert_same_output(local_run[0], tmp_path / "out.tif")
    assert_same_output(local_run[1], tmp_path / "mask.tif")


def test_a_scheduler_that_is_not_there_is_an_input_error_before_any_work(scene, tmp_path):
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    started = time.monotonic()
    with pytest.raises(InputError, match=rf"tcp://127.0.0.1:{port} did not answer within 2 s.*dask scheduler"):
        edit_scene(scene, ROIS, tmp_path / "out.tif", executor=ExecutorOptions("dask", f"tcp://127.0.0.1:{port}",
                                                                               timeout=2), **EDIT)
    assert time.monotonic() - started < 15
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("options, says", [
    (dict(executor="dask"), "needs a scheduler address"),
    (dict(executor="dask", scheduler="somewhere"), "is not an address"),
    (dict(scheduler="tcp://host:8786"), "needs executor='dask'"),
    (dict(executor="dask", workers=0), "workers must be in 1.."),
    (dict(executor="cloud"), "Unknown executor"),
])
def test_executor_options_are_checked_before_any_work(scene, tmp_path, options, says):
    with pytest.raises(InputError, match=says):
        edit_scene(scene, ROIS, tmp_path / "out.tif", **{**EDIT, **options})
    assert os.listdir(tmp_path) == []


@pytest.fixture(scope="module")
def clip_file(tmp_path_factory) -> str:
    """A tiny random CLIP's weights; its architecture is registered with open_clip in this process
    only, so the workers must get its config from the caller."""
    from safetensors.torch import save_file
    from tiny_clip import TINY_VIT, tiny_open_clip_model

    path = tmp_path_factory.mktemp("clip") / "tiny_clip.safetensors"
    save_file({k: v.contiguous() for k, v in tiny_open_clip_model(TINY_VIT, seed=4).state_dict().items()}, str(path))
    return str(path)


def text_edit(clip_file: str) -> dict:
    from tiny_clip import TINY_VIT

    # three groups, two prompts: one by default, one from a ROI's field
    rois = [RoiFeature(0, ROIS[0], {}), RoiFeature(1, ROIS[1], {"what": "a forest on fire"}), RoiFeature(3, ROIS[3], {})]
    return dict(EDIT, rois=rois, mode="text", prompt="a lake", prompt_field="what", paraphrases=["a blue lake"],
                clip_model=TINY_VIT, clip_weights=clip_file, guidance_views=2, start_t=40, variants=2)


def test_a_text_edit_on_dask_writes_the_bytes_of_a_local_run(cluster, scene, clip_file, tmp_path, monkeypatch, caplog,
                                                            small_groups):
    import dataclasses

    from rsedit.core import dask_session

    caplog.set_level("INFO", logger="rsedit.core.dask_tiles")
    edit = text_edit(clip_file)
    local = edit_scene(scene, out=tmp_path / "local.tif", mask_out=tmp_path / "local_mask.tif", **edit)
    remote = edit_scene(scene, out=tmp_path / "dask.tif", mask_out=tmp_path / "dask_mask.tif",
                        executor=ExecutorOptions("dask", cluster.scheduler_address, ahead=6), **edit)
    assert remote.prompts == local.prompts and set(local.prompts) == {"a lake", "a forest on fire"}

    def kept() -> tuple[int, int]:
        from rsedit.core import dask_text, dask_units

        return len(dask_units._EDITORS), len(dask_text._CLIPS)

    # the cluster outlives the edit: its workers dropped the edit's editors and CLIP at its end
    client = distributed.Client(cluster.scheduler_address, set_as_default=False)
    assert set(client.run(kept).values()) == {(0, 0)}
    client.close()
    for variant in ("_v01", "_v02"):
        assert_same_output(tmp_path / f"local{variant}.tif", tmp_path / f"dask{variant}.tif")
        assert_same_output(tmp_path / f"local_mask{variant}.tif", tmp_path / f"dask_mask{variant}.tif")
    # workers that cannot read the weights file get the weights as bytes, and edit the same
    checked = dask_session._checked_session
    monkeypatch.setattr(dask_session, "_checked_session",
                        lambda *args: dataclasses.replace(checked(*args), reads_files=frozenset()))
    edit_scene(scene, out=tmp_path / "sent.tif", executor="dask", scheduler=cluster.scheduler_address, **edit)
    assert_same_output(tmp_path / "local_v01.tif", tmp_path / "sent_v01.tif")
    read, sent = [int(m) for m in re.findall(r"(\d+) bytes sent", caplog.text)[::2]]  # first variants
    assert sent - read >= 2 * os.path.getsize(clip_file) * 0.9  # the weights went to both workers


def test_a_clip_that_a_worker_builds_otherwise_is_refused():
    import numpy as np

    from rsedit.core.errors import ModelError
    from rsedit.models.clip.clip_transport import clip_from_payload, clip_payload
    from tiny_clip import tiny_guidance_clip

    payload = clip_payload(tiny_guidance_clip(seed=1))
    payload["probe"] = np.asarray(payload["probe"]) + 0.01  # as if the caller's model computed otherwise
    with pytest.raises(ModelError, match="does not embed images as the caller's does"):
        clip_from_payload(payload)


def test_workers_that_lack_a_package_are_named_with_what_they_lack(cluster, scene):
    from rsedit.core.dask_session import check_probe_reports, worker_probe
    from rsedit.core.version import plugin_version

    client = distributed.Client(cluster.scheduler_address, set_as_default=False)
    stat = os.stat(scene)
    reports = client.run(worker_probe(("torch", "rsedit_stand_in_for_a_missing_package"), str(scene),
                                       (stat.st_size, stat.st_mtime_ns), "rsedit"))
    client.close()
    assert all(report["reads_path"] for report in reports.values())
    with pytest.raises(InputError, match=r"lacks rsedit_stand_in_for_a_missing_package \(ModuleNotFoundError"):
        check_probe_reports(reports, plugin_version())
    whole = {worker: {"missing": {}, "version": "0.0.1", "reads_path": True} for worker in reports}
    with pytest.raises(InputError, match="another RSEdit version"):
        check_probe_reports(whole, "9.9.9")


def test_a_local_run_does_not_import_dask(scene, tmp_path):
    script = (
        "import sys; sys.path[:0] = sys.argv[1:3]\n"
        "from shapely.geometry import box\n"
        "from rsedit.core.scene_edit import edit_scene\n"
        "from textured_scene import CRS, TRANSFORM\n"
        "(x0, y0), (x1, y1) = TRANSFORM * (12, 36), TRANSFORM * (40, 12)\n"
        "edit_scene(sys.argv[3], [box(x0, y0, x1, y1)], sys.argv[4], rois_crs=CRS, mode='regenerate',\n"
        "           backend='training-free', tile_size=64)\n"
        "assert not [m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')], 'dask imported'\n")
    tests = Path(__file__).resolve().parent
    done = subprocess.run([sys.executable, "-c", script, str(tests.parent / "build" / "plugins"), str(tests),
                           str(scene), str(tmp_path / "out.tif")], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert (tmp_path / "out.tif").is_file()


def units_done(client) -> int:
    """How many RSEdit units the cluster's scheduler has seen finished so far."""
    return tasks_done(client, "rsedit-unit")


def tasks_done(client, prefix: str) -> int:
    """How many tasks whose key starts with `prefix` the cluster's scheduler has seen finished so far."""
    return client.run_on_scheduler(lambda dask_scheduler: sum(
        str(entry[0]).startswith(prefix) and entry[2] == "memory" for entry in dask_scheduler.transition_log))


def test_qgis_process_regenerates_on_the_cluster_named_on_the_command_line(cluster, scene, local_run, tmp_path):
    from osgeo import ogr, osr

    from conftest import PLUGINS_DIR
    from qgis_helpers import qgis_process, qgis_process_json

    rois = tmp_path / "rois.gpkg"
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(int(CRS.split(":")[1]))
    dataset = ogr.GetDriverByName("GPKG").CreateDataSource(str(rois))
    layer = dataset.CreateLayer("rois", srs, ogr.wkbPolygon)
    for shape in ROIS:
        feature = ogr.Feature(layer.GetLayerDefn())
        feature.SetGeometry(ogr.CreateGeometryFromWkb(shape.wkb))
        layer.CreateFeature(feature)
    del dataset
    client = distributed.Client(cluster.scheduler_address, set_as_default=False)
    client.wait_for_workers(2, timeout=60)
    before = units_done(client)
    home = tmp_path / "home"
    home.mkdir()
    assert qgis_process(["plugins", "enable", "rsedit"], PLUGINS_DIR, home).returncode == 0
    out, mask = tmp_path / "out.tif", tmp_path / "mask.tif"
    qgis_process_json(["run", "rsedit:regenerate", "--", f"INPUT={scene}", f"ROIS={rois}", "BACKEND=1", "SEED=5",
                       "TILE_SIZE=64", f"OUTPUT={out}", f"OUTPUT_MASK={mask}",
                       f"DASK_SCHEDULER={cluster.scheduler_address}"], PLUGINS_DIR, home,
                      extra_env={"OMP_NUM_THREADS": str(LOCAL_THREADS)})  # torch's thread count there
    assert units_done(client) - before >= len(BOXES)  # every unit was edited on the cluster
    client.close()
    for expected, found in zip(local_run, (out, mask)):
        with rasterio.open(expected) as a, rasterio.open(found) as b:
            # the ROIs came from a file here (their ids and source tags differ), the pixels are the same
            assert a.read().tobytes() == b.read().tobytes()


def units_wanted(client) -> int:
    """Units the caller still holds futures for (queued, running, or done and not yet taken)."""
    return client.run_on_scheduler(lambda dask_scheduler: sum(
        str(key).startswith("rsedit-unit") and bool(task.who_wants) for key, task in dask_scheduler.tasks.items()))


def test_the_units_in_flight_stay_within_the_window(cluster, scene, local_run, tmp_path):
    client = distributed.Client(cluster.scheduler_address, set_as_default=False)
    in_flight: list[int] = []
    editing = threading.Event()

    def watch() -> None:
        # read all along, not at progress reports: those come mostly just after the writer took a unit and
        # before the next is sent, when one fewer is held, so whether any saw two was the workers' race
        while editing.is_set():
            in_flight.append(units_wanted(client))
            time.sleep(0.02)

    editing.set()
    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        edit_scene(scene, ROIS, tmp_path / "out.tif", executor=ExecutorOptions("dask", cluster.scheduler_address, ahead=2),
                   **EDIT)
    finally:
        editing.clear()
        watcher.join()
    client.close()
    # two ahead, and one more that the writer may ask for out of turn; six units in all
    assert 2 <= max(in_flight) <= 3
    assert_same_output(local_run[0], tmp_path / "out.tif")


def test_the_scheduler_parameter_is_on_the_algorithms_a_cluster_runs(provider):
    offering = {algorithm.id() for algorithm in provider.algorithms()
                if "DASK_SCHEDULER" in {parameter.name() for parameter in algorithm.parameterDefinitions()}}
    assert offering == {"rsedit:regenerate", "rsedit:edittext", "rsedit:copyroi"}


def test_workers_that_cannot_read_the_raster_get_the_pixels_and_edit_the_same(cluster, scene, tmp_path, monkeypatch,
                                                                               caplog):
    import dataclasses

    from rsedit.core import dask_session

    caplog.set_level("INFO", logger="rsedit.core.dask_tiles")
    options = dict(EDIT, executor="dask", scheduler=cluster.scheduler_address)
    edit_scene(scene, ROIS[:2], tmp_path / "read.tif", **options)
    checked = dask_session._checked_session
    # as if the workers did not see the raster's path: the caller sends each unit's pixels
    monkeypatch.setattr(dask_session, "_checked_session",
                        lambda *args: dataclasses.replace(checked(*args), reads_path=False))
    edit_scene(scene, ROIS[:2], tmp_path / "sent.tif", **options)
    assert_same_output(tmp_path / "read.tif", tmp_path / "sent.tif")
    read, sent = [int(m) for m in re.findall(r"(\d+) bytes sent", caplog.text)]
    assert sent - read >= 2 * 3 * 64 * 64  # each unit's window (3 bands, 64 px or more) travelled
