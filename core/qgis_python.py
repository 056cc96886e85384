"""QGIS's own Python interpreter, the one that must install and import RSEdit's packages.

Inside the desktop sys.executable is the QGIS program, not Python, and a `python3` found on PATH
is often another interpreter (Homebrew's on macOS, the system's on Windows) whose wheels QGIS
cannot import. Each platform lays QGIS's interpreter out differently:
- Linux: the distribution's /usr/bin/python3.X (QGIS links libpython3.X), or the venv/conda
  interpreter when sys.executable is that installation's Python (inside the desktop it is the
  first `python3` on PATH, e.g. a pyenv shim: not QGIS's);
- macOS: inside the app bundle, <sys.prefix>/bin/python3.X (the bundled Python.framework of the
  official installer) or QGIS.app/Contents/MacOS/bin/python3 (older bundles);
- Windows: python3.exe or python.exe in sys.exec_prefix (OSGeo4W's apps/Python3X, the
  standalone installer's).
"""
from __future__ import annotations

import os
import sys
from pathlib import Path, PurePath
from typing import Callable, Optional, Sequence


def interpreter_candidates(platform: str, executable: str, prefix: str, exec_prefix: str,
                           version: Sequence[int]) -> list[Path]:
    """Where QGIS's interpreter may be, most specific first."""
    major, minor = version[0], version[1]
    names = [f"python{major}.{minor}", f"python{major}"]
    running = Path(executable) if executable else None
    candidates: list[Path] = []
    if running is not None and running.name.lower().startswith("python") \
            and _in_installation(running, prefix, exec_prefix, platform):
        candidates.append(running)  # a Python already (a venv, conda, python-qgis.bat's interpreter)
    if platform in ("win32", "cygwin"):
        for folder in (exec_prefix, prefix):
            candidates += [Path(folder) / f"python{major}.exe", Path(folder) / "python.exe"]
    elif platform == "darwin":
        candidates += [Path(prefix) / "bin" / name for name in names]
        bundle = _app_contents(running)
        if bundle is not None:
            candidates += [bundle / "MacOS" / "bin" / name for name in names]
        candidates += [Path(exec_prefix) / "bin" / name for name in names]
    else:  # the installation's own first (conda, a QGIS built into /opt), then the distribution's
        candidates += [Path(folder) / "bin" / names[0] for folder in (prefix, exec_prefix)]
        candidates += [Path("/usr/bin") / names[0], Path(prefix) / "bin" / names[1]]
    return list(dict.fromkeys(candidates))


def _in_installation(executable: Path, prefix: str, exec_prefix: str, platform: str) -> bool:
    """Whether `executable` is this installation's own: embedded in QGIS, sys.executable is whatever
    `python3` comes first on PATH (a pyenv shim, Homebrew's), which is another Python."""
    folders = [prefix, exec_prefix] if platform in ("win32", "cygwin") else \
        [os.path.join(prefix, "bin"), os.path.join(exec_prefix, "bin")]
    return os.path.realpath(executable.parent) in {os.path.realpath(folder) for folder in folders}


def _app_contents(executable: Optional[Path]) -> Optional[Path]:
    """The Contents folder of the .app bundle that holds `executable`, if any."""
    if executable is None:
        return None
    for parent in PurePath(executable).parents:
        if parent.name == "Contents" and parent.parent.name.endswith(".app"):
            return Path(parent)
    return None


def find_python_executable(platform: str = sys.platform, executable: str = sys.executable,
                           prefix: str = sys.prefix, exec_prefix: str = sys.exec_prefix,
                           version: Sequence[int] = tuple(sys.version_info[:2]),
                           exists: Callable[[Path], bool] = Path.is_file) -> Optional[Path]:
    """The first candidate that exists, or None."""
    return next((path for path in interpreter_candidates(platform, executable, prefix, exec_prefix, version)
                 if exists(path)), None)


def python_executable() -> str:
    """QGIS's interpreter; where none is found, the first place it should be, so that a message
    quoting it points into QGIS's installation rather than at some other Python."""
    found = find_python_executable()
    if found is None:
        found = interpreter_candidates(sys.platform, sys.executable, sys.prefix, sys.exec_prefix,
                                       sys.version_info[:2])[0]
    return str(found)
