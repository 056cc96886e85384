"""Installing RSEdit's packages into the profile's package folder with QGIS's own interpreter,
all or nothing.

pip installs into a hidden staging folder beside the package folder (same file system, so the
swap is a rename); the staging folder is checked by importing every package with that interpreter,
and only then swapped in. A cancel, a pip failure or a package that does not import leaves the
previous folder as it was. Where the swap itself is refused (Windows keeps the DLLs of a loaded
torch open) the new folder waits beside it and is swapped in when the plugin next loads, before
anything of it is imported.
"""
from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping, Optional

from .child_process import run_streaming
from .dependency_report import DependencyReport, dependency_report
from .leftovers import is_leftover, temporary_path

LineCallback = Callable[[str], None]
ProgressCallback = Callable[[float, str], None]
# pip's phases as its output shows them, and how far along each one is
PIP_PHASES = (("Processing ", 0.1, "Reading the wheels"), ("Collecting ", 0.1, "Resolving the packages"),
              ("Downloading ", 0.3, "Downloading"), ("Installing collected packages", 0.6, "Installing"),
              ("Successfully installed", 0.8, "Installed"))


@dataclass(frozen=True)
class InstallPlan:
    python: str  # QGIS's interpreter (core/qgis_python.py)
    target: Path  # the profile's rsedit-packages folder
    modules: Mapping[str, str]  # import name -> pinned pip requirement
    torch_index: Optional[str] = None  # an extra index with the chosen torch build (core/torch_wheels.py)
    wheel_folder: Optional[Path] = None  # offline: only the wheels in this folder
    driver: Optional[str] = None  # the NVIDIA driver found, for the report

    def pip_command(self, folder: Path) -> list[str]:
        command = [self.python, "-m", "pip", "install", "--target", str(folder), "--no-input",
                   "--disable-pip-version-check", "--progress-bar", "off",
                   "--only-binary=:all:"]  # wheels only: building from source would call a compiler
        if self.wheel_folder is not None:
            command += ["--no-index", "--find-links", str(self.wheel_folder)]
        elif self.torch_index:
            command += ["--extra-index-url", self.torch_index]
        return command + list(dict.fromkeys(self.modules.values()))


@dataclass(frozen=True)
class InstallOutcome:
    status: str  # "installed", "pending-restart", "cancelled" or "failed"
    message: str
    report: Optional[DependencyReport] = None

    @property
    def succeeded(self) -> bool:
        return self.status in ("installed", "pending-restart")


def install_packages(plan: InstallPlan, on_line: LineCallback, on_progress: ProgressCallback,
                     is_cancelled: Callable[[], bool] = lambda: False) -> InstallOutcome:
    """Install `plan` all or nothing; `on_line` receives pip's log, `on_progress` (fraction, phase)."""
    target = Path(plan.target)
    target.parent.mkdir(parents=True, exist_ok=True)
    sweep_staging(target)
    staging = Path(temporary_path(target, "staged", ".dir"))
    try:
        on_progress(0.0, "Starting pip")
        on_line("$ " + " ".join(plan.pip_command(staging)))
        status = run_streaming(plan.pip_command(staging), _with_progress(on_line, on_progress), is_cancelled,
                               env={**os.environ, "PIP_REQUIRE_VIRTUALENV": "0"})  # --target needs no venv
        if status is None:
            return InstallOutcome("cancelled", "Cancelled; the packages installed before are unchanged.")
        if status != 0:
            return InstallOutcome("failed", f"pip failed (exit status {status}); the packages installed before are "
                                            "unchanged. The log above says why.")
        on_progress(0.85, "Checking that every package imports")
        report = dependency_report(plan.python, staging, plan.modules, plan.driver, is_cancelled)
        if report is None:
            return InstallOutcome("cancelled", "Cancelled; the packages installed before are unchanged.")
        if not report.ok:
            return InstallOutcome("failed", "The new packages do not all import ("
                                            + ", ".join(report.missing) + "); the packages installed before are "
                                            "unchanged.", report)
        on_progress(0.95, "Putting the new packages in place")
        if swap_in(staging, target):
            # the report users see is of the folder in place (imports resolve to it now)
            final = dependency_report(plan.python, target, plan.modules, plan.driver) or report
            on_progress(1.0, "Done")
            return InstallOutcome("installed", "Installed. Restart QGIS to use the new packages.", final)
        on_progress(1.0, "Done")
        return InstallOutcome("pending-restart", "Installed; QGIS holds the previous packages open, so the new "
                                                 "ones take their place when QGIS restarts.", report)
    finally:
        shutil.rmtree(staging, ignore_errors=True)  # gone already after a swap


def _with_progress(on_line: LineCallback, on_progress: ProgressCallback) -> LineCallback:
    """`on_line`, and `on_progress` at each phase; pip alternates Collecting and Downloading per
    package, so the fraction never goes back."""
    reached = [0.0]

    def handle(line: str) -> None:
        on_line(line)
        for start, fraction, phase in PIP_PHASES:
            if line.startswith(start):
                reached[0] = max(reached[0], fraction)
                on_progress(reached[0], phase)
                break
    return handle


def pending_path(target: Path) -> Path:
    return target.with_name(f".{target.name}.pending")


def swap_in(staging: Path, target: Path) -> bool:
    """Rename `staging` to `target` (the previous `target` is then deleted); False when the system
    refused to move the previous one, in which case `staging` waits as pending_path(target)."""
    retired = Path(temporary_path(target, "retired", ".dir"))
    had_target = target.exists()
    try:
        if had_target:
            os.rename(target, retired)
        os.rename(staging, target)
    except OSError:
        if had_target and retired.exists() and not target.exists():
            os.rename(retired, target)  # put the previous set back
        pending = pending_path(target)
        if staging != pending:  # else it waits already
            shutil.rmtree(pending, ignore_errors=True)
            os.rename(staging, pending)
        return False
    shutil.rmtree(retired, ignore_errors=True)  # Windows may keep some files: swept next time
    return True


def finish_pending_install(target: Path) -> bool:
    """Swap in an install that waited for a restart (before the folder joins sys.path)."""
    pending = pending_path(target)
    return pending.is_dir() and swap_in(pending, target)


def sweep_staging(target: Path) -> None:
    """Remove staging and retired folders beside `target` whose installer is gone."""
    prefix = f".{target.name}."
    try:
        entries = list(os.scandir(target.parent))
    except OSError:
        return
    for entry in entries:
        if entry.name.startswith(prefix) and entry.is_dir(follow_symlinks=False) \
                and is_leftover(entry.name, entry.stat(follow_symlinks=False).st_mtime):
            shutil.rmtree(entry.path, ignore_errors=True)
