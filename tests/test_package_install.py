"""The dependency installer without a GUI: a tiny wheel built here is installed offline with this
interpreter's pip into a target folder, all or nothing; a failed or cancelled install keeps the
previous set; the import check reports the package and its version."""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from rsedit.core.dependency_report import dependency_report
from rsedit.core.package_install import InstallPlan, finish_pending_install, install_packages, pending_path

from pip_stand_in import PIDS_ENV, hanging_pip
from tiny_wheel import NAME, build_tiny_wheel

MODULES = {NAME: f"{NAME}==1.2.3"}


@pytest.fixture
def previous_set(tmp_path) -> Path:
    """A package folder as an earlier install left it."""
    target = tmp_path / "profile" / "python" / "rsedit-packages"
    target.mkdir(parents=True)
    (target / "previous_package.py").write_text("WORKS = True\n")
    return target


def _install(plan: InstallPlan, is_cancelled=lambda: False):
    log: list[str] = []
    phases: list[tuple[float, str]] = []
    outcome = install_packages(plan, log.append, lambda fraction, phase: phases.append((fraction, phase)),
                               is_cancelled)
    return outcome, log, phases


def _beside(target: Path) -> list[str]:
    return sorted(entry.name for entry in target.parent.iterdir())


def test_an_offline_install_replaces_the_previous_set_and_reports_the_package(tmp_path, previous_set):
    wheels = tmp_path / "wheels"
    build_tiny_wheel(wheels)
    plan = InstallPlan(sys.executable, previous_set, MODULES, wheel_folder=wheels)
    outcome, log, phases = _install(plan)
    assert outcome.status == "installed", "\n".join(log[-20:])
    assert (previous_set / NAME / "__init__.py").read_text() == "VALUE = 42\n"
    assert not (previous_set / "previous_package.py").exists()  # swapped, not merged
    assert _beside(previous_set) == ["rsedit-packages"]  # no staging or retired folder left
    assert any("--no-index" in line and "--find-links" in line for line in log)
    assert [fraction for fraction, _ in phases] == sorted(fraction for fraction, _ in phases) and phases[-1][0] == 1.0
    found = outcome.report.packages[NAME]
    assert found["version"] == "1.2.3" and Path(found["file"]).is_relative_to(previous_set)
    assert f"{NAME} 1.2.3" in outcome.report.text()


def test_the_dependency_report_lists_versions_and_what_does_not_import(tmp_path, previous_set):
    wheels = tmp_path / "wheels"
    build_tiny_wheel(wheels, version="2.0.1")
    plan = InstallPlan(sys.executable, previous_set, {NAME: f"{NAME}==2.0.1"}, wheel_folder=wheels)
    assert _install(plan)[0].succeeded
    report = dependency_report(sys.executable, previous_set, {NAME: f"{NAME}==2.0.1", "rsedit_absent": "rsedit-absent==1"})
    assert report.packages[NAME]["version"] == "2.0.1"
    assert report.missing == ["rsedit_absent"] and not report.ok
    text = report.text()
    assert f"{NAME} 2.0.1" in text and "rsedit_absent: cannot be imported (ModuleNotFoundError" in text
    assert f"Python: {sys.executable}" in text


def test_the_report_names_the_torch_device_this_interpreter_uses(tmp_path):
    torch = pytest.importorskip("torch")
    report = dependency_report(sys.executable, tmp_path, {"torch": "torch==0"})
    expected = "cuda" if torch.cuda.is_available() else "mps" if torch.backends.mps.is_available() else "cpu"
    assert report.device["type"] == expected
    assert report.packages["torch"]["version"] == torch.__version__
    if expected == "cuda":
        assert report.device["name"] == torch.cuda.get_device_name(0)


def test_a_failed_install_keeps_the_previous_set(tmp_path, previous_set):
    wheels = tmp_path / "wheels"
    build_tiny_wheel(wheels, version="1.0.0")  # not the pinned version
    outcome, log, _ = _install(InstallPlan(sys.executable, previous_set, MODULES, wheel_folder=wheels))
    assert outcome.status == "failed" and "unchanged" in outcome.message
    assert any("No matching distribution" in line for line in log), "\n".join(log[-20:])
    assert sorted(p.name for p in previous_set.iterdir()) == ["previous_package.py"]
    assert _beside(previous_set) == ["rsedit-packages"]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie waits only for its parent to reap it: it runs no more
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(os.name == "nt", reason="the stand-in interpreter is a shell script")
def test_cancel_mid_install_stops_pip_and_keeps_the_previous_set(tmp_path, previous_set, monkeypatch):
    pids = tmp_path / "pids"
    monkeypatch.setenv(PIDS_ENV, str(pids))
    plan = InstallPlan(str(hanging_pip(tmp_path)), previous_set, MODULES, wheel_folder=tmp_path)
    log: list[str] = []
    started = time.monotonic()
    # the user presses Cancel once pip is busy: after its first "Collecting" line
    outcome = install_packages(plan, log.append, lambda fraction, phase: None,
                               lambda: any(line.startswith("Collecting") for line in log))
    assert outcome.status == "cancelled", log
    assert time.monotonic() - started < 30  # stopped, not waited for
    assert sorted(p.name for p in previous_set.iterdir()) == ["previous_package.py"]
    assert _beside(previous_set) == ["rsedit-packages"]  # the half-installed staging folder is gone
    pip_pid, helper_pid = map(int, pids.read_text().split())
    deadline = time.monotonic() + 10
    while (_alive(pip_pid) or _alive(helper_pid)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(pip_pid) and not _alive(helper_pid)  # pip and its helper were stopped


def test_an_install_waiting_for_a_restart_is_swapped_in_on_load(previous_set):
    pending = pending_path(previous_set)
    pending.mkdir()
    (pending / "new_package.py").write_text("")
    assert finish_pending_install(previous_set)
    assert sorted(p.name for p in previous_set.iterdir()) == ["new_package.py"]
    assert _beside(previous_set) == ["rsedit-packages"]
    assert not finish_pending_install(previous_set)  # nothing waits any more


def test_progress_follows_pips_phases_and_never_goes_back():
    from rsedit.core.package_install import _with_progress

    seen: list[tuple[float, str]] = []
    lines: list[str] = []
    handle = _with_progress(lines.append, lambda fraction, phase: seen.append((fraction, phase)))
    for line in ["Collecting torch==2.14.1", "  Downloading torch-2.14.1.whl (800 MB)", "Collecting numpy",
                 "  Using cached numpy.whl", "Installing collected packages: numpy, torch",
                 "Successfully installed numpy-1.26 torch-2.14.1"]:
        handle(line.strip())
    fractions = [fraction for fraction, _ in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 0.8
    assert [phase for _, phase in seen] == ["Resolving the packages", "Downloading", "Resolving the packages",
                                            "Installing", "Installed"]
    assert len(lines) == 6  # every line reaches the log


def test_where_the_previous_set_is_held_open_the_new_one_waits_for_the_next_load(tmp_path, previous_set,
                                                                                 monkeypatch):
    """Windows refuses to rename a folder whose DLLs a running QGIS has loaded: simulated here."""
    import rsedit.core.package_install as package_install

    real_rename = os.rename

    def held_open(source, destination):
        if Path(source) == previous_set:
            raise PermissionError(32, "The process cannot access the file because it is being used", str(source))
        real_rename(source, destination)

    wheels = tmp_path / "wheels"
    build_tiny_wheel(wheels)
    monkeypatch.setattr(package_install.os, "rename", held_open)
    outcome, log, _ = _install(InstallPlan(sys.executable, previous_set, MODULES, wheel_folder=wheels))
    assert outcome.status == "pending-restart" and outcome.succeeded, "\n".join(log[-20:])
    assert sorted(p.name for p in previous_set.iterdir()) == ["previous_package.py"]  # still the one in use
    assert (pending_path(previous_set) / NAME / "__init__.py").is_file()
    monkeypatch.setattr(package_install.os, "rename", real_rename)  # QGIS restarted: nothing holds it
    assert finish_pending_install(previous_set)
    assert (previous_set / NAME / "__init__.py").is_file() and not (previous_set / "previous_package.py").exists()
    assert _beside(previous_set) == ["rsedit-packages"]
