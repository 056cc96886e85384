"""What QGIS's interpreter really imports: each package's version and folder, and the torch device
that edits will use (cuda with its name, mps or cpu). Checked in a child process of that
interpreter, with the package folder last on sys.path as the plugin puts it, so a broken install
cannot crash QGIS and a GPU build that silently falls back to the CPU shows up."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Callable, Mapping, Optional

from .child_process import run_streaming
from .version import plugin_version

REPORT_PREFIX = "RSEDIT-REPORT "
_SCRIPT = r"""
import importlib, importlib.metadata, json, sys
folder, modules = sys.argv[1], json.loads(sys.argv[2])
if folder:
    sys.path.append(folder)  # as the plugin adds it: QGIS's own packages come first
found = {}
for module, distribution in modules.items():
    try:
        imported = importlib.import_module(module)
    except Exception as error:  # any failure to import is what the report is for
        found[module] = {"error": f"{type(error).__name__}: {error}"}
        continue
    version = getattr(imported, "__version__", None)
    if not isinstance(version, str):
        try:
            version = importlib.metadata.version(distribution)
        except importlib.metadata.PackageNotFoundError:
            version = "unknown"
    found[module] = {"version": version, "file": getattr(imported, "__file__", None) or ""}
device = None
if "version" in found.get("torch", {}):
    import torch
    if torch.cuda.is_available():
        device = {"type": "cuda", "name": torch.cuda.get_device_name(0), "cuda": torch.version.cuda}
    elif getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        device = {"type": "mps", "name": "Apple GPU"}
    else:
        device = {"type": "cpu", "name": "", "cuda_build": torch.version.cuda}
print("RSEDIT-REPORT " + json.dumps({"python": sys.executable, "python_version": sys.version.split()[0],
                                     "packages": found, "device": device}))
"""


@dataclass(frozen=True)
class DependencyReport:
    python: str
    python_version: str
    folder: str
    packages: dict[str, dict[str, str]]  # import name -> {"version", "file"} or {"error"}
    device: Optional[dict[str, str]]  # None when torch was not checked or does not import
    driver: Optional[str] = None  # the NVIDIA driver version, when one was found
    log: list[str] = field(default_factory=list)  # what the check printed besides its result

    @property
    def missing(self) -> list[str]:
        return [module for module, found in self.packages.items() if "error" in found]

    @property
    def ok(self) -> bool:
        return bool(self.packages) and not self.missing

    def text(self) -> str:
        """The report as users paste it into a bug report."""
        lines = [f"RSEdit {plugin_version()} dependency report",
                 f"Python: {self.python} ({self.python_version})", f"Package folder: {self.folder}"]
        for module, found in self.packages.items():
            if "error" in found:
                lines.append(f"{module}: cannot be imported ({found['error']})")
            else:
                lines.append(f"{module} {found['version']} ({found['file']})")
        lines.append(f"Torch device: {_device_text(self.device)}")
        lines.append(f"NVIDIA driver: {self.driver or 'none found'}")
        return "\n".join(lines)


def _device_text(device: Optional[dict[str, str]]) -> str:
    if device is None:
        return "unknown (torch does not import)"
    if device["type"] == "cuda":
        return f"cuda ({device['name']}, CUDA {device.get('cuda')})"
    if device["type"] == "cpu" and device.get("cuda_build"):
        return f"cpu (a CUDA {device['cuda_build']} build of torch that finds no usable GPU: check the driver)"
    return device["type"] if not device.get("name") else f"{device['type']} ({device['name']})"


def dependency_report(python: str, folder: os.PathLike | str, modules: Mapping[str, str],
                      driver: Optional[str] = None,
                      is_cancelled: Callable[[], bool] = lambda: False) -> Optional[DependencyReport]:
    """Import `modules` (import name -> pip requirement) with `python` and `folder` on its path; None
    when cancelled. A child that dies before reporting gives a report with every module failed."""
    distributions = {module: requirement.split("==")[0].strip() for module, requirement in modules.items()}
    printed: list[str] = []
    status = run_streaming([python, "-c", _SCRIPT, str(folder), json.dumps(distributions)], printed.append,
                           is_cancelled)
    if status is None:
        return None
    result = next((json.loads(line[len(REPORT_PREFIX):]) for line in reversed(printed)
                   if line.startswith(REPORT_PREFIX)), None)
    log = [line for line in printed if not line.startswith(REPORT_PREFIX)]
    if result is None:
        failure = f"the check exited with status {status}: {' | '.join(log[-3:])}"
        return DependencyReport(python, "?", str(folder), {m: {"error": failure} for m in modules}, None, driver, log)
    return DependencyReport(python, result["python_version"], str(folder), result["packages"], result["device"],
                            driver, log)
