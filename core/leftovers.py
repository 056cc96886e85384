"""Temporary files of writers that died: named after their writer (host and pid), removed once it is gone.

Every temporary RSEdit writes is `.<final name>.rsedit.<host>.<pid>.<token>.<part|staged>.<ext>` in the
folder of its final file (sidecars such as `.aux.xml` or a GeoPackage's `-wal` add to that name). A
sweep removes those whose writer is no longer alive:

- same host: the pid is not running, or is a zombie, or (Linux) the process holding that pid started
  after the file was last written, so it is a later process that reused the pid;
- another host (a shared network folder) or a name from before writers were named: we cannot ask
  whether the writer lives, so the file is removed only when nobody has written to it for
  STALE_SECONDS (a week). Containers that share a host name and a folder but not a pid namespace
  must not write to the same folder at the same time.
"""
from __future__ import annotations

import os
import re
import socket
import sys
import time
import uuid
from dataclasses import dataclass, field
from typing import Optional, Union

STALE_SECONDS = 7 * 24 * 3600
_MARK = "rsedit"
_NAMED = re.compile(r"^\..+?\." + _MARK + r"\.(?P<host>[A-Za-z0-9-]+)\.(?P<pid>\d+)\.[0-9a-f]{12}\.(?:part|staged)\.")
# written by RSEdit before temporaries carried their writer: `.<name>.<token>.part.tif` / `.part.gpkg`
_UNNAMED = re.compile(r"^\..+\.[0-9a-f]{12}\.(?:part|staged)\.(?:tif|gpkg)")


def host_tag() -> str:
    """This machine's name as it may stand in a file name (letters, digits and '-')."""
    name = re.sub(r"[^A-Za-z0-9-]+", "-", socket.gethostname()).strip("-")
    return name[:48] or "host"


def temporary_path(final_path: Union[str, os.PathLike], kind: str = "part", suffix: str = ".tif") -> str:
    """A hidden name beside `final_path` that says which process writes it (its pid at this call)."""
    folder, name = os.path.split(os.path.abspath(final_path))
    token = uuid.uuid4().hex[:12]
    return os.path.join(folder, f".{name}.{_MARK}.{host_tag()}.{os.getpid()}.{token}.{kind}{suffix}")


@dataclass
class Swept:
    folder: str
    removed: list[str] = field(default_factory=list)
    bytes: int = 0


def sweep_leftovers(folder: Union[str, os.PathLike]) -> Swept:
    """Remove the temporaries in `folder` whose writers are gone. Best effort: a file that cannot be
    examined or removed (permissions, removed meanwhile) is left, never an error."""
    swept = Swept(os.path.abspath(folder))
    try:
        entries = list(os.scandir(swept.folder))
    except OSError:
        return swept  # a folder that is missing or unreadable has nothing we could remove
    now = time.time()
    host = host_tag()
    for entry in entries:
        if not entry.name.startswith("."):
            continue
        try:
            if not entry.is_file(follow_symlinks=False):
                continue
            stat = entry.stat(follow_symlinks=False)
            if _writer_alive(entry.name, stat.st_mtime, now, host):
                continue
            os.remove(entry.path)
        except OSError:
            continue
        swept.removed.append(entry.path)
        swept.bytes += stat.st_size
    return swept


def is_leftover(name: str, mtime: float) -> bool:
    """Whether the temporary called `name`, last written at `mtime`, belongs to a writer that is gone."""
    return not _writer_alive(name, mtime, time.time(), host_tag())


def _writer_alive(name: str, mtime: float, now: float, host: str) -> bool:
    """False only for a temporary whose writer is known to be gone; True for any other file."""
    named = _NAMED.match(name)
    if named is None:
        return _UNNAMED.match(name) is None or now - mtime < STALE_SECONDS
    if named["host"] != host:
        return now - mtime < STALE_SECONDS
    pid = int(named["pid"])
    if pid == os.getpid():
        return True  # another writer of this process (a thread): alive by definition
    return _pid_alive(pid, mtime)


def _pid_alive(pid: int, mtime: float) -> bool:
    if sys.platform == "win32":
        return _windows_pid_alive(pid)
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the pid exists
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # it exists, under another user
    started = _linux_start_time(pid)
    if started is None:
        return True  # no /proc: the pid exists, so assume it is the writer
    # 2 s: the boot time /proc gives is rounded to seconds
    return started != float("inf") and started <= mtime + 2


def _linux_start_time(pid: int) -> Optional[float]:
    """When the process started (seconds since the epoch); inf for a zombie; None without /proc."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            fields = handle.read().rsplit(b")", 1)[1].split()  # the command name may hold spaces
        with open("/proc/stat", "rb") as handle:
            boot = next(float(line.split()[1]) for line in handle if line.startswith(b"btime "))
    except (OSError, IndexError, StopIteration, ValueError):
        return None
    if fields[0] == b"Z":
        return float("inf")  # killed, not yet reaped by its parent: it writes nothing any more
    return boot + int(fields[19]) / os.sysconf("SC_CLK_TCK")


def _windows_pid_alive(pid: int) -> bool:
    # os.kill(pid, 0) would terminate the process on Windows; ask the kernel instead
    import ctypes

    kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
    handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
    if not handle:
        return kernel32.GetLastError() == 5  # access denied: it exists
    try:
        code = ctypes.c_ulong()
        if not kernel32.GetExitCodeProcess(handle, ctypes.byref(code)):
            return True
        return code.value == 259  # STILL_ACTIVE
    finally:
        kernel32.CloseHandle(handle)


# The folders RSEdit wrote outputs to, so that clearing the cache can sweep them too (a killed run's
# temporaries sit beside its output, not in the cache). Bounded: the most recent folders only.
MAX_REMEMBERED_FOLDERS = 64


def remembered_folders_file() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "rsedit", "output_folders.txt")


def remembered_folders() -> list[str]:
    try:
        with open(remembered_folders_file(), encoding="utf-8") as handle:
            return [line.rstrip("\n") for line in handle if line.strip()]
    except (OSError, UnicodeDecodeError):
        return []


def remember_output_folder(folder: Union[str, os.PathLike]) -> None:
    """Note `folder` as one RSEdit writes to. Best effort: a cache that cannot be written costs only
    the sweep in clearcache, never the edit."""
    folder = os.path.abspath(folder)
    folders = [folder] + [known for known in remembered_folders() if known != folder]
    record = remembered_folders_file()
    try:
        os.makedirs(os.path.dirname(record), exist_ok=True)
        temporary = f"{record}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp"
        with open(temporary, "w", encoding="utf-8") as handle:
            handle.write("".join(f"{known}\n" for known in folders[:MAX_REMEMBERED_FOLDERS]))
        os.replace(temporary, record)  # concurrent runs: the last one wins, no half-written record
    except OSError:
        pass


def sweep_remembered_folders(extra: tuple[Union[str, os.PathLike], ...] = ()) -> list[Swept]:
    """Sweep every folder RSEdit has written to (and `extra`); folders that are gone are skipped."""
    folders = list(dict.fromkeys([os.path.abspath(folder) for folder in extra] + remembered_folders()))
    return [sweep_leftovers(folder) for folder in folders if os.path.isdir(folder)]
