"""A stand-in for QGIS's python whose `-m pip install --target DIR ...` writes part of a package into
DIR, starts a helper process (as pip does to build), says what it is collecting and then hangs: the
installer's cancel is tested against it. It writes its own and its helper's pid to $RSEDIT_TEST_PIDS
(when set)."""
from __future__ import annotations

import stat
import sys
from pathlib import Path

PIDS_ENV = "RSEDIT_TEST_PIDS"
_HANGING_PIP = r"""
import os, pathlib, subprocess, sys, time
target = pathlib.Path(sys.argv[sys.argv.index("--target") + 1])
(target / "half_installed").mkdir(parents=True)
(target / "half_installed" / "__init__.py").write_text("")
helper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
if os.environ.get("RSEDIT_TEST_PIDS"):
    pathlib.Path(os.environ["RSEDIT_TEST_PIDS"]).write_text(f"{os.getpid()} {helper.pid}")
print("Collecting rsedit_tinypkg==1.2.3", flush=True)
time.sleep(120)
"""


def hanging_pip(folder: Path) -> Path:
    """An executable `python3` in `folder` that behaves as above (POSIX: a shell script)."""
    script = folder / "hanging_pip.py"
    script.write_text(_HANGING_PIP)
    python = folder / "python3"
    python.write_text(f"#!/bin/sh\nexec {sys.executable} {script} \"$@\"\n")
    python.chmod(python.stat().st_mode | stat.S_IXUSR)
    return python
