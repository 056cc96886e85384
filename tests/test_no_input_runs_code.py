"""No input runs code: external commands and compiled code run only where the user enabled them.

- The CPU training kernels (models/kernels/native_kernels.py) are compiled and loaded only with
  RSEDIT_NATIVE_KERNELS=1, only from a private (0700, own) cache folder, and only when the
  library's sha256 is the one recorded when it was built. A library planted in the cache must
  never be loaded: its constructor would run in the process. Those tests run in a subprocess, so
  each starts with no library loaded.
- An external paraphrase command (core/settings.py TextSettings) is refused when the settings are
  built, with the ways to enable it, unless RSEDIT_ALLOW_PARAPHRASE_COMMAND=1 or (in QGIS) the
  user's setting rsedit/allow_paraphrase_command allows it; when it runs, its command line is logged.
"""
from __future__ import annotations

import json
import logging
import os
import shlex
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from rsedit.core.errors import InputError
from rsedit.core.settings import (
    ALLOW_PARAPHRASE_COMMAND_ENV,
    QGIS_ALLOW_PARAPHRASE_COMMAND_KEY,
    TextSettings,
    allow_paraphrase_command,
)
from rsedit.models.kernels import native_kernels

PLUGINS_DIR = Path(__file__).resolve().parents[1] / "build" / "plugins"  # conftest links the package there
COMPILER = native_kernels._compiler()
needs_compiler = pytest.mark.skipif(
    COMPILER is None or not (sys.platform.startswith("linux") or sys.platform == "darwin"),
    reason="no C compiler here (or not Linux/macOS): nothing is ever compiled or loaded")

_PLANTED_C = r"""
#include <stdio.h>
/* runs as soon as the library is loaded: what a planted library would do */
__attribute__((constructor)) static void planted(void) {
    FILE *f = fopen(MARKER, "w");
    if (f) { fputs("the planted library ran\n", f); fclose(f); }
}
void depthwise_weight_grad(void) {}
"""

# what CPU training does: load the kernels, then a forward/backward pass with the CPU kernels on
_PROBE = r"""
import json, sys
import torch
from rsedit.models.kernels import native_kernels
from rsedit.models.sinddm.denoiser_net import SinDDMNet, SinDDMNetConfig
lib = native_kernels.load()
net = SinDDMNet(SinDDMNetConfig(channels=3, width=16)).use_cpu_kernels(True)
net(torch.randn(1, 3, 8, 8), torch.tensor([3]), torch.tensor([1.0])).abs().mean().backward()
print(json.dumps({"loaded": None if lib is None else lib._name}))
"""


def _planted_library(folder: Path, marker: Path) -> Path:
    """A shared library whose constructor writes `marker`."""
    source = folder / "planted.c"
    source.write_text(_PLANTED_C, encoding="ascii")
    library = folder / "planted.so"
    subprocess.run([COMPILER, "-shared", "-fPIC", f'-DMARKER="{marker}"', str(source), "-o", str(library)],
                   check=True, capture_output=True, timeout=120)
    return library


def _probe(xdg: Path, enabled: bool) -> tuple[str | None, str]:
    """(the path of the library CPU training loaded or None, the log) in a fresh Python process."""
    env = {k: v for k, v in os.environ.items()
           if k not in (native_kernels.ENABLE_ENV, native_kernels.DISABLE_ENV, "RSEDIT_CACHE_DIR")}
    env.update(XDG_CACHE_HOME=str(xdg), PYTHONPATH=str(PLUGINS_DIR), OMP_NUM_THREADS="1")
    if enabled:
        env[native_kernels.ENABLE_ENV] = "1"
    done = subprocess.run([sys.executable, "-c", _PROBE], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])["loaded"], done.stderr


def _sha256(path: Path) -> str:
    return native_kernels._file_sha256(path)


def _plant_everywhere(xdg: Path, library: Path, sidecar_sha: str | None) -> list[Path]:
    """Copies of `library` under every name the kernels had or have, and a sidecar recording
    `sidecar_sha` (None: no sidecar) for the current build."""
    digest = native_kernels.build_digest(COMPILER)
    private = xdg / "rsedit" / "native"
    private.mkdir(parents=True, exist_ok=True)
    os.chmod(private, 0o700)
    names = [xdg / "rsedit" / f"winograd_{digest}.so",  # the old, predictable name
             private / f"winograd_{digest}.so"]
    if sidecar_sha is not None:
        (private / f"winograd_{digest}.sha256").write_text(sidecar_sha + "\n", encoding="ascii")
        names.append(native_kernels._library_path(private, digest, sidecar_sha))
    for name in names:
        shutil.copy(library, name)
    return names


@needs_compiler
@pytest.mark.parametrize("enabled", [False, True], ids=["default", "enabled"])
def test_a_planted_library_is_neither_loaded_nor_run(tmp_path, enabled):
    marker = tmp_path / "marker"
    library = _planted_library(tmp_path, marker)
    # enabled: the sidecar names the planted file, but its bytes are not the recorded sha256
    planted = _plant_everywhere(tmp_path / "xdg", library, "0" * 64 if enabled else None)
    loaded, log = _probe(tmp_path / "xdg", enabled)
    assert not marker.exists(), "the planted library's constructor ran"
    if enabled:  # rebuilt from source under a name of its own, and that one is loaded
        assert loaded is not None and Path(loaded) not in planted, log
        assert "do not match the sha256 recorded" in log
        recorded = native_kernels._recorded_sha256(Path(loaded).parent, native_kernels.build_digest(COMPILER))
        assert recorded == _sha256(Path(loaded))
    else:  # off by default: nothing is compiled or loaded
        assert loaded is None
        assert sorted(p.name for p in (tmp_path / "xdg" / "rsedit" / "native").iterdir()) == sorted(
            p.name for p in planted if p.parent.name == "native")


@needs_compiler
def test_built_kernels_live_in_a_private_folder_and_a_changed_file_is_rebuilt(tmp_path):
    xdg = tmp_path / "xdg"
    loaded, _ = _probe(xdg, enabled=True)
    assert loaded is not None
    built = Path(loaded)
    folder = built.parent
    assert folder == xdg / "rsedit" / "native"
    info = os.lstat(folder)
    assert stat.S_IMODE(info.st_mode) == 0o700 and info.st_uid == os.getuid()
    digest = native_kernels.build_digest(COMPILER)
    assert (folder / f"winograd_{digest}.sha256").read_text().strip() == _sha256(built)

    again, _ = _probe(xdg, enabled=True)  # recorded and unchanged: reused as it is
    assert again == loaded

    marker = tmp_path / "marker"
    shutil.copy(_planted_library(tmp_path, marker), built)  # same name, other bytes
    rebuilt, log = _probe(xdg, enabled=True)
    assert not marker.exists(), "a library that does not match its recorded sha256 was loaded"
    assert "do not match the sha256 recorded" in log
    assert rebuilt is not None and _sha256(Path(rebuilt)) == (folder / f"winograd_{digest}.sha256").read_text().strip()


@needs_compiler
def test_a_world_writable_cache_folder_is_refused(tmp_path):
    marker = tmp_path / "marker"
    library = _planted_library(tmp_path, marker)
    xdg = tmp_path / "xdg"
    # the planted file even matches its sidecar: only the folder's mode gives it away
    planted = _plant_everywhere(xdg, library, _sha256(library))
    folder = xdg / "rsedit" / "native"
    os.chmod(folder, 0o777)
    before = sorted(p.name for p in folder.iterdir())
    loaded, log = _probe(xdg, enabled=True)
    assert loaded is None and not marker.exists()
    assert "Refusing the kernel cache folder" in log and "written by other users" in log
    assert sorted(p.name for p in folder.iterdir()) == before  # nothing compiled into it either
    assert all(p.exists() for p in planted)


@needs_compiler
@pytest.mark.skipif(not hasattr(os, "getuid") or os.getuid() != 0, reason="giving a folder to another user needs root")
def test_a_cache_folder_of_another_user_is_refused(tmp_path):
    marker = tmp_path / "marker"
    library = _planted_library(tmp_path, marker)
    xdg = tmp_path / "xdg"
    _plant_everywhere(xdg, library, _sha256(library))
    folder = xdg / "rsedit" / "native"
    os.chown(folder, 65534, 65534)  # nobody
    loaded, log = _probe(xdg, enabled=True)
    assert loaded is None and not marker.exists()
    assert "Refusing the kernel cache folder" in log and "belongs to user id 65534" in log


# ---------------------------------------------------------------- the external paraphrase command
def _marker_command(tmp_path: Path) -> tuple[list[str], Path]:
    """A paraphrase command that leaves a marker file when it runs, and that marker."""
    marker = tmp_path / "paraphraser-ran"
    script = tmp_path / "paraphraser.py"
    script.write_text(f"import pathlib, sys\npathlib.Path({str(marker)!r}).write_text(sys.stdin.read())\n"
                      "print('a forest in flames')\n", encoding="utf-8")
    return [sys.executable, str(script), "--a flag"], marker


def test_a_paraphrase_command_is_refused_with_how_to_enable_it(tmp_path, monkeypatch):
    from rsedit.core.scene_edit import edit_scene
    from textured_scene import CRS, write_textured_scene

    monkeypatch.delenv(ALLOW_PARAPHRASE_COMMAND_ENV, raising=False)
    command, marker = _marker_command(tmp_path)
    with pytest.raises(InputError) as refused:
        TextSettings(prompt="a forest on fire", paraphrase_command=command)
    message = str(refused.value)
    assert f"{ALLOW_PARAPHRASE_COMMAND_ENV}=1" in message
    assert f"QgsSettings().setValue('{QGIS_ALLOW_PARAPHRASE_COMMAND_KEY}', True)" in message
    assert shlex.join(command) in message
    monkeypatch.setenv(ALLOW_PARAPHRASE_COMMAND_ENV, "yes")  # only "1" enables
    with pytest.raises(InputError, match=ALLOW_PARAPHRASE_COMMAND_ENV):
        TextSettings(prompt="a forest on fire", paraphrase_command=command)
    with allow_paraphrase_command(False), pytest.raises(InputError, match=ALLOW_PARAPHRASE_COMMAND_ENV):
        TextSettings(prompt="a forest on fire", paraphrase_command=command)

    scene = write_textured_scene(tmp_path / "scene.tif", 32)
    out = tmp_path / "out.tif"
    from shapely.geometry import box

    with pytest.raises(InputError, match=ALLOW_PARAPHRASE_COMMAND_ENV):  # the whole edit: refused before any work
        edit_scene(scene, [box(500050, 4999800, 500200, 4999950)], out, rois_crs=CRS, mode="text",
                   prompt="a forest on fire", paraphrase_command=command, backend="training-free")
    assert not marker.exists() and not out.exists()
    assert TextSettings(prompt="a forest", paraphrase_command=[]).paraphrase_command is None  # empty: off


def test_with_the_switch_the_command_runs_and_its_command_line_is_logged(tmp_path, monkeypatch, caplog):
    from rsedit.models.clip.prompts import ensemble_prompts

    command, marker = _marker_command(tmp_path)
    monkeypatch.setenv(ALLOW_PARAPHRASE_COMMAND_ENV, "1")
    settings = TextSettings(prompt="a forest on fire", paraphrase_command=command)
    monkeypatch.delenv(ALLOW_PARAPHRASE_COMMAND_ENV)
    with allow_paraphrase_command():  # the explicit opt-in the QGIS setting passes down
        assert TextSettings(prompt="a forest on fire", paraphrase_command=command).paraphrase_command == tuple(command)
    with caplog.at_level(logging.WARNING, logger="rsedit.models.clip.prompts"):
        used = ensemble_prompts(settings.prompt, command=settings.paraphrase_command)
    assert "a forest in flames" in used
    assert marker.read_text() == "a forest on fire"
    assert any(shlex.join(command) in record.getMessage() for record in caplog.records)


@pytest.fixture
def clip_weights(tmp_path):
    from safetensors.torch import save_file

    from tiny_clip import TINY_VIT, tiny_open_clip_model

    path = tmp_path / "tiny_clip.safetensors"
    save_file({k: v.contiguous() for k, v in tiny_open_clip_model(TINY_VIT).state_dict().items()}, str(path))
    return TINY_VIT, str(path)


@pytest.mark.usefixtures("qgis_app")
def test_the_processing_algorithm_runs_the_command_only_with_the_qgis_setting(tmp_path, monkeypatch, clip_weights):
    import processing
    from qgis.core import QgsProcessingException, QgsProcessingFeedback, QgsSettings

    from qgis_helpers import box_polygons, warning_feedback
    from textured_scene import write_textured_scene


    monkeypatch.delenv(ALLOW_PARAPHRASE_COMMAND_ENV, raising=False)
    monkeypatch.setenv("RSEDIT_CACHE_DIR", str(tmp_path / "models"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    command, marker = _marker_command(tmp_path)
    architecture, weights = clip_weights
    raster = write_textured_scene(tmp_path / "scene.tif", 40, seed=5)

    def run(out: Path, feedback: QgsProcessingFeedback | None = None) -> None:
        processing.run("rsedit:edittext", {
            "INPUT": str(raster), "ROIS": box_polygons([(8, 8, 32, 32)]), "PROMPT": "a forest on fire",
            "PARAPHRASE_COMMAND": shlex.join(command), "CLIP_MODEL": architecture, "CLIP_WEIGHTS": weights,
            "START_SCALE": 0, "OUTPUT": str(out), "TILE_SIZE": 64, "MARGIN": 4, "CONTEXT_SIZE": 40, "FEATHER": 3,
            "BACKEND": 1, "START_STEP": 30, "OVERLAP": 8}, feedback=feedback)

    settings = QgsSettings()
    settings.remove(QGIS_ALLOW_PARAPHRASE_COMMAND_KEY)
    with pytest.raises(QgsProcessingException, match=QGIS_ALLOW_PARAPHRASE_COMMAND_KEY):
        run(tmp_path / "refused.tif")
    assert not marker.exists() and not (tmp_path / "refused.tif").exists()

    settings.setValue(QGIS_ALLOW_PARAPHRASE_COMMAND_KEY, True)
    try:
        log = warning_feedback()
        run(tmp_path / "allowed.tif", log)
    finally:
        settings.remove(QGIS_ALLOW_PARAPHRASE_COMMAND_KEY)
    assert marker.read_text() == "a forest on fire"
    assert any(shlex.join(command) in line for line in log.warnings), log.warnings
    with pytest.raises(QgsProcessingException, match=QGIS_ALLOW_PARAPHRASE_COMMAND_KEY):  # off again
        run(tmp_path / "refused_again.tif")
