"""Failures inside models/ reach the user as one line that says what to change: an RSEditError from
the Python API, a QgsProcessingException from a Processing algorithm, a one-line error from
qgis_process; never a traceback or a library's exception type, and never an output file.

The inputs are real (striped nodata, a NaN band, a tile too small, checkpoints of another raster or
with NaN weights, unreadable CLIP weights, a broken diffusers folder); device faults, which this
machine cannot produce, are simulated by making the patch denoiser raise what torch raises."""
from __future__ import annotations

import json
import logging
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pytest
import rasterio
import torch
from shapely.geometry import box

from rsedit.core.errors import CheckpointError, InputError, ModelError, RSEditError
from rsedit.core.scene_edit import edit_scene
from rsedit.core.scene_training import train_scene
from rsedit.models.patch.patch_denoiser import PatchDenoiser
from rsedit.models.sinddm.training_settings import TrainingSettings
from single_thread import one_cpu_thread  # noqa: F401 (autouse fixture)
from textured_scene import CRS, TRANSFORM, write_textured_scene

SIZE = 128
ROI = (50, 50, 80, 80)  # pixel box (col0, row0, col1, row1)
SMALL = dict(tile_size=64, overlap=8, margin=4, context_size=96)
QGIS_SMALL = {"TILE_SIZE": 64, "OVERLAP": 8, "MARGIN": 4, "CONTEXT_SIZE": 96}
TRAINING_FREE = 1  # BACKEND: auto, training-free, trained
TINY = TrainingSettings(name="test", width=8, steps=3, batch_size=1, crop_size=16, lr_milestones=(), ema_start=0,
                        ema_every=1, max_pixels=None)


def pixel_box(col0: float, row0: float, col1: float, row1: float):
    x0, y0 = TRANSFORM * (col0, row0)
    x1, y1 = TRANSFORM * (col1, row1)
    return box(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))


def assert_says(message: str, *needles: str) -> None:
    """One line of text, no traceback, naming what to change (each needle a regex)."""
    assert message and "\n" not in message.strip(), message
    assert "Traceback" not in message and 'File "' not in message, message
    for needle in needles:
        assert re.search(needle, message), f"{needle!r} not in {message!r}"


def write_raster(path: Path, data: np.ndarray, nodata: Any = None) -> Path:
    with rasterio.open(path, "w", driver="GTiff", width=data.shape[2], height=data.shape[1], count=data.shape[0],
                       dtype=data.dtype, crs=CRS, transform=TRANSFORM, nodata=nodata) as dst:
        dst.write(data)
    return path


def striped_nodata_scene(folder: Path) -> Path:
    """Nodata lines every 4 px both ways (as Landsat 7's scan-line gaps): 56 % of the pixels are valid,
    enough for the context check, but no patch of the training-free model is free of nodata."""
    path = write_textured_scene(folder / "striped.tif", SIZE, nodata=0)
    with rasterio.open(path, "r+") as dst:
        data = dst.read()
        data[:, ::4, :] = 0
        data[:, :, ::4] = 0
        dst.write(data)
    return path


def nan_band_scene(folder: Path) -> Path:
    """A float raster without a nodata value whose second band is NaN everywhere."""
    with rasterio.open(write_textured_scene(folder / "rgb.tif", SIZE)) as src:
        data = src.read().astype(np.float32)
    data[1] = np.nan
    return write_raster(folder / "nan_band.tif", data)


@dataclass
class Failure:
    """One model-side failure, as the Python API and a Processing algorithm are asked for it."""

    raster: Path
    api: dict  # edit_scene keywords
    algorithm: str
    params: dict  # Processing parameters besides INPUT, ROIS and OUTPUT
    error: type  # the RSEditError subclass the API raises
    says: tuple  # regexes the message must hold: what went wrong and what to change
    patch: Callable[[pytest.MonkeyPatch], None] = field(default=lambda monkeypatch: None)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("inputs")


@pytest.fixture(scope="module")
def trained_checkpoint(inputs) -> Path:
    """A tiny scene model of a 3-band scene, trained and saved through core (train_scene)."""
    scene = write_textured_scene(inputs / "for_training.tif", 64)
    out = inputs / "three_bands.safetensors"
    train_scene(scene, [pixel_box(20, 20, 44, 44)], out, rois_crs=CRS, preset=TINY, context_size=40)
    return out


def nan_weights_checkpoint(checkpoint: Path, folder: Path) -> Path:
    """The same checkpoint with one weight tensor set to NaN (a training that diverged)."""
    from safetensors import safe_open
    from safetensors.torch import save_file

    with safe_open(str(checkpoint), "pt") as handle:
        tensors = {name: handle.get_tensor(name) for name in handle.keys()}
        metadata = handle.metadata()
    name = next(name for name in tensors if name.startswith("ema.") and tensors[name].is_floating_point())
    tensors[name] = torch.full_like(tensors[name], float("nan"))
    path = folder / "diverged.safetensors"
    save_file(tensors, str(path), metadata=metadata)
    return path


def _raise(error: BaseException) -> Callable[..., Any]:
    def denoise(*args: Any, **kwargs: Any) -> Any:
        raise error
    return denoise


def case(name: str, inputs: Path, trained_checkpoint: Path) -> Failure:
    regenerate = dict(backend="training-free", **SMALL)
    qgis_regenerate = {"BACKEND": TRAINING_FREE, **QGIS_SMALL}
    scene = inputs / "scene.tif"
    if not scene.exists():
        write_textured_scene(scene, SIZE, nodata=0)
    if name == "striped nodata":
        return Failure(striped_nodata_scene(inputs), regenerate, "rsedit:regenerate", qgis_regenerate, InputError,
                       (r"training-free scene model cannot learn from the area around ROI \d+", "nodata",
                        r"context_size, now 96 px", "trained backend"))
    if name == "NaN band":
        return Failure(nan_band_scene(inputs), regenerate, "rsedit:regenerate", qgis_regenerate, InputError,
                       (r"around ROI \d+", "band 2 holds only NaN", "set the raster's nodata value"))
    if name == "tile too small":
        # the smallest tile QGIS offers, on a large context: its pyramid shrinks a tile below one of the
        # 15 px coarse patches of a model that keeps the ROIs (a text edit from the coarsest scale;
        # regeneration, which leaves them out, copies 7 px patches at every scale)
        import json

        from safetensors.torch import save_file

        from tiny_clip import CONFIGS, TINY_VIT, tiny_open_clip_model

        large = inputs / "large.tif"
        if not large.exists():
            write_textured_scene(large, 2 * SIZE, nodata=0)
        weights = inputs / "RSEditTinyText.safetensors"  # with its open_clip config beside it, as users have
        save_file({k: v.contiguous() for k, v in tiny_open_clip_model(TINY_VIT).state_dict().items()}, str(weights))
        weights.with_suffix(".json").write_text(json.dumps(CONFIGS[TINY_VIT]))
        text = dict(mode="text", prompt="a lake", clip_model="RSEditTinyText", clip_weights=str(weights), start_scale=0)
        return Failure(large, {**regenerate, **text, "tile_size": 64, "context_size": 2 * SIZE},
                       "rsedit:edittext", {**qgis_regenerate, "PROMPT": "a lake", "CLIP_MODEL": "RSEditTinyText",
                                           "CLIP_WEIGHTS": str(weights), "START_SCALE": 0, "TILE_SIZE": 64,
                                           "CONTEXT_SIZE": 2 * SIZE},
                       ModelError, (r"15x15 px patches", r"choose a tile size of at least \d+ px",
                                    "smaller training context"))
    if name == "checkpoint of other bands":
        grey = inputs / "grey.tif"
        with rasterio.open(scene) as src:
            write_raster(grey, src.read(1)[None], nodata=0)
        return Failure(grey, {**SMALL, "checkpoint": str(trained_checkpoint)}, "rsedit:regenerate",
                       {**QGIS_SMALL, "CHECKPOINT": str(trained_checkpoint)}, InputError,
                       (r"trained on 3 band\(s\) but the raster has 1", "train a model on this raster"))
    if name == "checkpoint with NaN weights":
        diverged = nan_weights_checkpoint(trained_checkpoint, inputs)
        return Failure(scene, {**SMALL, "checkpoint": str(diverged)}, "rsedit:regenerate",
                       {**QGIS_SMALL, "CHECKPOINT": str(diverged)}, InputError,
                       ("NaN or infinite weights", "train the model again"))
    if name == "unreadable CLIP weights":
        garbage = inputs / "RemoteCLIP-ViT-B-32.pt"
        garbage.write_bytes(b"<html>403 Forbidden</html>\n" * 8)  # what a failed download leaves
        return Failure(scene, dict(mode="text", prompt="a lake", clip_weights=str(garbage), **regenerate),
                       "rsedit:edittext", {"PROMPT": "a lake", "CLIP_WEIGHTS": str(garbage), **qgis_regenerate},
                       CheckpointError, ("Cannot read CLIP weights", "not a PyTorch or safetensors checkpoint",
                                         "Download it again"))
    if name == "CLIP weights of another architecture":
        from safetensors.torch import save_file

        from tiny_clip import TINY_VIT, TINY_VIT_WIDE, tiny_open_clip_model

        weights = inputs / f"{TINY_VIT}.safetensors"
        save_file({k: v.contiguous() for k, v in tiny_open_clip_model(TINY_VIT).state_dict().items()}, str(weights))
        return Failure(scene, dict(mode="text", prompt="a lake", clip_model=TINY_VIT_WIDE, clip_weights=str(weights),
                                   **regenerate),
                       "rsedit:edittext", {"PROMPT": "a lake", "CLIP_MODEL": TINY_VIT_WIDE,
                                           "CLIP_WEIGHTS": str(weights), **qgis_regenerate},
                       CheckpointError, (f"do not fit the CLIP architecture '{TINY_VIT_WIDE}'",
                                         f"suggests '{TINY_VIT}': choose that architecture"))
    if name == "broken diffusers folder":
        from rsedit.models.latent.latent_pipeline import REQUIRED_PARTS

        folder = inputs / "stable-diffusion"
        for part in REQUIRED_PARTS:  # every part is there; the index is damaged
            if part != "model_index.json":
                (folder / part).mkdir(parents=True, exist_ok=True)
        (folder / "model_index.json").write_text("{ not json")
        return Failure(scene, dict(mode="pretrained", prompt="a lake", pretrained={"model": str(folder)}),
                       "rsedit:editpretrained", {"MODEL": str(folder), "PROMPT": "a lake"}, ModelError,
                       ("Cannot load a Stable Diffusion model from the folder", "not a valid JSON file",
                        "give a complete diffusers Stable Diffusion folder"))
    if name == "device out of memory":
        oom = torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB (GPU 0; 7.79 GiB total)\n"
                                     "If reserved but unallocated memory is large try setting PYTORCH_CUDA_ALLOC_CONF")
        return Failure(scene, regenerate, "rsedit:regenerate", qgis_regenerate, RSEditError,
                       ("The device ran out of memory during the edit", "choose a smaller tile size, or the CPU"),
                       lambda monkeypatch: monkeypatch.setattr(PatchDenoiser, "__call__", _raise(oom)))
    if name == "NaN from the model":
        def nan_denoiser(self: PatchDenoiser, x_t: torch.Tensor, t: torch.Tensor, scale: int) -> torch.Tensor:
            return torch.full_like(x_t, float("nan"))

        return Failure(scene, regenerate, "rsedit:regenerate", qgis_regenerate, ModelError,
                       ("produced .* NaN or infinite values", "Train the model again", "training-free backend"),
                       lambda monkeypatch: monkeypatch.setattr(PatchDenoiser, "__call__", nan_denoiser))
    raise AssertionError(name)


CASES = ("striped nodata", "NaN band", "tile too small", "checkpoint of other bands", "checkpoint with NaN weights",
         "unreadable CLIP weights", "CLIP weights of another architecture", "broken diffusers folder",
         "device out of memory", "NaN from the model")


@pytest.mark.parametrize("name", CASES)
def test_a_model_failure_is_a_one_line_message_from_the_python_api(name, inputs, trained_checkpoint, tmp_path,
                                                                    monkeypatch):
    failure = case(name, inputs, trained_checkpoint)
    failure.patch(monkeypatch)
    with pytest.raises(RSEditError) as raised:
        edit_scene(failure.raster, [pixel_box(*ROI)], tmp_path / "out.tif", rois_crs=CRS, **failure.api)
    assert type(raised.value) is failure.error, raised.value
    assert_says(str(raised.value), *failure.says)
    assert os.listdir(tmp_path) == []  # no output, no temporary


@pytest.mark.usefixtures("qgis_app")
@pytest.mark.parametrize("name", CASES)
def test_a_model_failure_is_a_one_line_processing_error(name, inputs, trained_checkpoint, tmp_path, monkeypatch):
    import processing
    from qgis.core import QgsProcessingException

    from qgis_helpers import box_polygons

    failure = case(name, inputs, trained_checkpoint)
    failure.patch(monkeypatch)
    with pytest.raises(QgsProcessingException) as raised:
        processing.run(failure.algorithm, {"INPUT": str(failure.raster), "ROIS": box_polygons([ROI]),
                                           "OUTPUT": str(tmp_path / "out.tif"), **failure.params})
    assert_says(str(raised.value), *failure.says)
    assert os.listdir(tmp_path) == []


def test_the_least_tile_size_the_message_names_is_enough(inputs, trained_checkpoint, tmp_path):
    failure = case("tile too small", inputs, trained_checkpoint)
    with pytest.raises(ModelError) as raised:
        edit_scene(failure.raster, [pixel_box(*ROI)], tmp_path / "refused.tif", rois_crs=CRS, **failure.api)
    least = int(re.search(r"at least (\d+) px", str(raised.value)).group(1))
    assert failure.api["tile_size"] < least
    edit_scene(failure.raster, [pixel_box(*ROI)], tmp_path / "out.tif", rois_crs=CRS,
               **{**failure.api, "tile_size": least, "start_t": 30})
    assert (tmp_path / "out.tif").is_file()


@pytest.mark.usefixtures("qgis_app")
def test_training_on_a_nan_band_says_what_to_change_in_python_and_qgis(inputs, tmp_path):
    import processing
    from qgis.core import QgsProcessingException

    from qgis_helpers import box_polygons

    raster = nan_band_scene(inputs)
    with pytest.raises(InputError) as raised:
        train_scene(raster, [pixel_box(*ROI)], tmp_path / "model.safetensors", rois_crs=CRS, preset=TINY,
                    context_size=96)
    assert_says(str(raised.value), "trained scene model cannot learn", "band 2 holds only NaN", "nodata value")
    with pytest.raises(QgsProcessingException) as raised:
        processing.run("rsedit:trainscenemodel", {"INPUT": str(raster), "ROIS": box_polygons([ROI]),
                                                  "CONTEXT_SIZE": 96, "OUTPUT": str(tmp_path / "model.safetensors")})
    assert_says(str(raised.value), "band 2 holds only NaN", "nodata value")
    assert os.listdir(tmp_path) == []


def test_the_pairs_say_the_same_as_the_edit(inputs, tmp_path):
    from rsedit.core.before_after_pairs import generate_pairs
    from rsedit.core.settings import RegenerateSettings

    failure = case("striped nodata", inputs, Path())
    settings = RegenerateSettings(**failure.api)
    with pytest.raises(InputError) as raised:
        generate_pairs(failure.raster, [pixel_box(*ROI)], tmp_path, settings, rois_crs=CRS)
    assert_says(str(raised.value), *failure.says)
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("error", [ValueError("shapes (3, 7) and (5,)\nnot aligned"),
                                   type("LibraryError", (Exception,), {})("a library's own failure")])
def test_a_fault_is_an_rsedit_error_with_the_traceback_in_the_log(error, tmp_path, monkeypatch, caplog):
    """A library's own exception type (not only ValueError & co) stops at the boundary."""
    scene = write_textured_scene(tmp_path / "scene.tif", SIZE, nodata=0)
    monkeypatch.setattr(PatchDenoiser, "__call__", _raise(error))
    with caplog.at_level(logging.ERROR), pytest.raises(RSEditError) as raised:
        edit_scene(scene, [pixel_box(*ROI)], tmp_path / "out.tif", rois_crs=CRS, backend="training-free", **SMALL)
    assert type(raised.value) is RSEditError
    assert_says(str(raised.value), "The edit failed", "fault in RSEdit; the log has the details")
    assert "Traceback" in caplog.text and str(error).splitlines()[0] in caplog.text
    assert sorted(os.listdir(tmp_path)) == ["scene.tif"]


def test_qgis_process_reports_a_model_failure_in_one_line_and_writes_nothing(tmp_path):
    """rsedit:regenerate run by qgis_process on a scene whose ROI's surroundings are striped with nodata."""
    from conftest import PLUGINS_DIR
    from qgis_helpers import qgis_process

    raster = striped_nodata_scene(tmp_path)
    (x0, y0), (x1, y1) = TRANSFORM * ROI[:2], TRANSFORM * ROI[2:]
    rois = tmp_path / "rois.geojson"
    rois.write_text(json.dumps({
        "type": "FeatureCollection", "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::32633"}},
        "features": [{"type": "Feature", "properties": {}, "geometry": box(x0, y1, x1, y0).__geo_interface__}]}))
    out_folder = tmp_path / "out"
    out_folder.mkdir()
    home = tmp_path / "home"
    home.mkdir()
    assert qgis_process(["plugins", "enable", "rsedit"], PLUGINS_DIR, home).returncode == 0
    run = qgis_process(["run", "rsedit:regenerate", "--", f"INPUT={raster}", f"ROIS={rois}", "BACKEND=1",
                        "TILE_SIZE=64", "OVERLAP=8", "MARGIN=4", "CONTEXT_SIZE=96",
                        f"OUTPUT={out_folder / 'out.tif'}"], PLUGINS_DIR, home, timeout=300)
    text = run.stdout + run.stderr
    assert run.returncode != 0, text
    assert "Traceback" not in text and 'File "' not in text, text
    errors = [line for line in text.splitlines() if "cannot learn from the area around ROI 0" in line]
    assert errors, text
    # the whole message, what to change included, is on each line that reports it
    assert all("context_size, now 96 px" in line and "trained backend" in line for line in errors), errors
    assert os.listdir(out_folder) == []  # no output, and no hidden temporary either


def test_the_boundary_puts_a_message_on_one_line_and_keeps_its_type_and_what_it_carries():
    from rsedit.core.error_boundary import user_errors
    from rsedit.core.errors import TrainingCancelled

    learnt = object()
    with pytest.raises(TrainingCancelled) as raised, user_errors("training the scene model"):
        raise TrainingCancelled("Training was cancelled\n  at step 3 of 10.", partial=learnt)
    assert str(raised.value) == "Training was cancelled at step 3 of 10." and raised.value.partial is learnt


def test_a_missing_package_says_what_to_install(inputs, tmp_path, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "open_clip", None)  # as in a QGIS Python without it
    failure = case("unreadable CLIP weights", inputs, Path())
    with pytest.raises(RSEditError) as raised:
        edit_scene(failure.raster, [pixel_box(*ROI)], tmp_path / "out.tif", rois_crs=CRS, **failure.api)
    assert_says(str(raised.value), "needs the Python package 'open_clip'", "requirements.txt")
    assert os.listdir(tmp_path) == []


@pytest.mark.usefixtures("qgis_app")
@pytest.mark.parametrize("where", ["models", "ui"])
def test_a_fault_in_qgis_is_one_line_and_its_traceback_is_in_the_qgis_log(where, tmp_path, monkeypatch):
    """A fault raised under core's boundary (in models/) or outside it (in the algorithm's own code)."""
    import processing
    from qgis.core import QgsApplication, QgsProcessingException

    from qgis_helpers import box_polygons
    from rsedit.ui.algorithms import edit_base

    error = type("LibraryError", (Exception,), {})("a library's own failure\nover two lines")
    if where == "models":
        monkeypatch.setattr(PatchDenoiser, "__call__", _raise(error))
    else:
        monkeypatch.setattr(edit_base, "FeedbackBridge", _raise(error))
    logged: list[str] = []
    record = lambda message, tag, level: logged.append(message) if tag == "RSEdit" else None  # noqa: E731
    QgsApplication.messageLog().messageReceived.connect(record)
    try:
        scene = write_textured_scene(tmp_path / "scene.tif", SIZE, nodata=0)
        with pytest.raises(QgsProcessingException) as raised:
            processing.run("rsedit:regenerate", {"INPUT": str(scene), "ROIS": box_polygons([ROI]),
                                                 "OUTPUT": str(tmp_path / "out.tif"), "BACKEND": TRAINING_FREE,
                                                 **QGIS_SMALL})
    finally:
        QgsApplication.messageLog().messageReceived.disconnect(record)
    assert_says(str(raised.value), "a library's own failure over two lines", "fault in RSEdit; the log has the details")
    assert any("Traceback" in message and "LibraryError" in message for message in logged), logged
    assert sorted(os.listdir(tmp_path)) == ["scene.tif"]
