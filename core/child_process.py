"""A child process whose output is streamed line by line and that a cancel stops, with its own
children (pip runs build and install helpers): the installer's pip runs and its import checks."""
from __future__ import annotations

import os
import queue
import signal
import subprocess
import threading
from typing import Callable, Mapping, Optional, Sequence

POLL_SECONDS = 0.1  # how often a cancel is noticed while the child is quiet
STOP_GRACE_SECONDS = 10.0  # after SIGTERM, before SIGKILL


def run_streaming(command: Sequence[str], on_line: Callable[[str], None],
                  is_cancelled: Callable[[], bool] = lambda: False,
                  env: Optional[Mapping[str, str]] = None) -> Optional[int]:
    """Run `command`, passing each line of its stdout and stderr to `on_line`; its exit status, or
    None when `is_cancelled` turned true first (the child and its process group are then stopped)."""
    # a session of its own, so that a cancel reaches pip's helpers too (Windows: a process group)
    isolation = ({"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP} if os.name == "nt"  # type: ignore[attr-defined]
                 else {"start_new_session": True})
    process = subprocess.Popen(list(command), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL, text=True, errors="replace", bufsize=1,
                               env=None if env is None else dict(env), **isolation)
    lines: queue.Queue[Optional[str]] = queue.Queue()

    def read() -> None:  # a thread, so that a silent child does not keep a cancel waiting
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line.rstrip("\r\n"))
        lines.put(None)

    reader = threading.Thread(target=read, name="rsedit-child-output", daemon=True)
    reader.start()
    try:
        while True:
            if is_cancelled():
                _stop(process)
                return None
            try:
                line = lines.get(timeout=POLL_SECONDS)
            except queue.Empty:
                continue
            if line is None:
                return process.wait()
            on_line(line)
    except BaseException:  # a failing callback (or KeyboardInterrupt) must not leave the child running
        _stop(process)
        raise
    finally:
        reader.join(timeout=STOP_GRACE_SECONDS)
        if not reader.is_alive():  # else a grandchild still holds the pipe: the reader thread closes nothing
            process.stdout.close()  # type: ignore[union-attr]


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM to the child's session, then SIGKILL if it is still running after the grace time."""
    if os.name == "nt":
        process.terminate()
        process.wait()
        return
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            break
        try:
            process.wait(timeout=STOP_GRACE_SECONDS)
            break
        except subprocess.TimeoutExpired:
            continue
    process.wait()
