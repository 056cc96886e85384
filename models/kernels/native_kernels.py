"""Optional C kernels for CPU training: Winograd tile transforms and a depthwise weight gradient.

Written as eager torch ops, the Winograd transforms (winograd_conv.py) take ~a dozen passes over
arrays several times the activations and cost about as much as the GEMMs themselves; as C loops
over channel vectors they are one pass each, which also makes F(4x4, 3x3) affordable. The
depthwise weight gradient (depthwise_conv.py) is one pass instead of oneDNN's slow AVX2 path.

No input runs code: the kernels are compiled and loaded only when the user enabled them in their
own environment, `RSEDIT_NATIVE_KERNELS=1` (`RSEDIT_NO_NATIVE=1` still forces them off). Then the
source, cpu_kernels.c beside this file, is compiled on first use with the system C compiler
(`cc`, ~1 s) into `$RSEDIT_CACHE_DIR/native/` or else `$XDG_CACHE_HOME/rsedit/native/` (default
`~/.cache/rsedit/native/`), a folder that must be the user's own with mode 0700 (created so; a
folder others can write to is refused). Nothing is compiled where the compiler would prompt the
user: on macOS only once `xcode-select -p` finds the Command Line Tools (without them /usr/bin/cc
opens Apple's installer dialog), never on Windows. The library is
named after its own sha256, which a sidecar keyed by the build digest records when it is built;
a library whose bytes do not match the recorded sha256 is never loaded (it is rebuilt). It is
called through ctypes, which releases the GIL, so the work is split over torch's CPU thread count
with Python threads (no second OpenMP runtime in the process). Off, or without a compiler,
`load()` returns None: Winograd runs F(2x2, 3x3) as torch ops and the
depthwise convolution stays oneDNN's; same results up to fp32 rounding, slower. Only CPU training
uses this.
"""
from __future__ import annotations

import ctypes
import hashlib
import logging
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable

import torch

log = logging.getLogger(__name__)

# Winograd F(m x m, 3x3) matrices (Lavin & Gray 2016): Y = A^T [(G w G^T) * (B^T d B)] A on
# (m + 2)-px input tiles at stride m
MATRICES: dict[int, dict[str, tuple[tuple[float, ...], ...]]] = {
    2: {
        "BT": ((1, 0, -1, 0), (0, 1, 1, 0), (0, -1, 1, 0), (0, 1, 0, -1)),
        "G": ((1, 0, 0), (0.5, 0.5, 0.5), (0.5, -0.5, 0.5), (0, 0, 1)),
        "AT": ((1, 1, 1, 0), (0, 1, -1, -1)),
    },
    4: {
        "BT": (
            (4, 0, -5, 0, 1, 0),
            (0, -4, -4, 1, 1, 0),
            (0, 4, -4, -1, 1, 0),
            (0, -2, -1, 2, 1, 0),
            (0, 2, -1, -2, 1, 0),
            (0, 4, 0, -5, 0, 1),
        ),
        "G": (
            (1 / 4, 0, 0),
            (-1 / 6, -1 / 6, -1 / 6),
            (-1 / 6, 1 / 6, -1 / 6),
            (1 / 24, 1 / 12, 1 / 6),
            (1 / 24, -1 / 12, 1 / 6),
            (0, 0, 1),
        ),
        "AT": ((1, 1, 1, 1, 1, 0), (0, 1, -1, 2, -2, 0), (0, 1, 1, 4, 4, 0), (0, 1, -1, 8, -8, 1)),
    },
}

COMPILED_TILES = (4,)  # F(2x2) stays as torch ops (winograd_conv.py): it only serves machines without a compiler
SOURCE_FILE = Path(__file__).with_name("cpu_kernels.c")  # the C source, read when a build needs it


def _source() -> str:
    return SOURCE_FILE.read_text(encoding="ascii")


_I64 = ctypes.c_longlong
_PTR = ctypes.c_void_p
_SIGNATURES = {
    "wino_input": [_PTR] + [_I64] * 6 + [_PTR, _PTR] + [_I64] * 5,
    "wino_output": [_PTR, _PTR, _PTR] + [_I64] * 8,
    "wino_grad_output": [_PTR] + [_I64] * 6 + [_PTR, _PTR] + [_I64] * 5,
    "wino_input_grad": [_PTR, _PTR] + [_I64] * 9,
}

_lock = threading.Lock()
_state: dict[str, object] = {}


ENABLE_ENV = "RSEDIT_NATIVE_KERNELS"  # "1": the user allows compiling and loading the C kernels
DISABLE_ENV = "RSEDIT_NO_NATIVE"  # any value: off, whatever ENABLE_ENV says
# finite-math and no signed zeros let the compiler drop the transforms' multiplications by 0 and 1
_FLAGS = ("-O3", "-march=native", "-fno-signed-zeros", "-ffinite-math-only", "-fno-trapping-math", "-shared", "-fPIC",
          "-std=c99")
_SHA256 = re.compile(r"[0-9a-f]{64}")


def enabled() -> bool:
    """Whether the user enabled the compiled kernels (environment only: no parameter, project or
    model file can switch on compiled code)."""
    return os.environ.get(ENABLE_ENV, "").strip() == "1" and not os.environ.get(DISABLE_ENV)


def _cache_dir() -> Path:
    """$RSEDIT_CACHE_DIR/native when set (as the scene models' cache), else the user's cache folder."""
    if os.environ.get("RSEDIT_CACHE_DIR"):
        return Path(os.environ["RSEDIT_CACHE_DIR"]) / "native"
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "rsedit" / "native"


def _cpu_key() -> str:
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="ignore") as info:
            return next((line for line in info if line.startswith("flags")), "")
    except OSError:
        return ""


def _compiler() -> str | None:
    return os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")


def build_digest(compiler: str, source: str | None = None) -> str:
    """Key of one build: the source (by default cpu_kernels.c as it is now), the compiler, its
    flags and the CPU (-march=native)."""
    text = _source() if source is None else source
    return hashlib.sha256("\n".join([text, compiler, " ".join(_FLAGS), _cpu_key()]).encode()).hexdigest()[:16]


def _sidecar(folder: Path, digest: str) -> Path:
    """Where the sha256 of the library of build `digest` is recorded."""
    return folder / f"winograd_{digest}.sha256"


def _library_path(folder: Path, digest: str, sha256: str) -> Path:
    # named after its own content: concurrent builders never overwrite each other's recorded file
    return folder / f"winograd_{digest}_{sha256[:16]}.so"


def _private_folder(folder: Path) -> bool:
    """Create `folder` with mode 0700, or check that it is the user's own and nobody else can write
    into it: a library planted there would run its constructors in this process when loaded."""
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.mkdir(folder, 0o700)
        except FileExistsError:
            pass
        info = os.lstat(folder)
    except OSError as error:
        log.warning("Cannot create the kernel cache folder %s (%s); CPU training uses torch ops.", folder, error)
        return False
    if not stat.S_ISDIR(info.st_mode):  # a symlink could point anywhere
        problem = "is not a folder (a link or a file)"
    elif info.st_uid != os.getuid():
        problem = f"belongs to user id {info.st_uid}, not to you ({os.getuid()})"
    elif info.st_mode & 0o022:
        problem = f"can be written by other users (mode {stat.S_IMODE(info.st_mode):o})"
    else:
        if info.st_mode & 0o077:  # readable by others but written only by us: nothing foreign in it, tighten
            os.chmod(folder, 0o700)
        return True
    log.warning("Refusing the kernel cache folder %s: it %s. Remove it (it is rebuilt with mode 0700) or point "
                "RSEDIT_CACHE_DIR or XDG_CACHE_HOME elsewhere; CPU training uses torch ops.", folder, problem)
    return False


def _own_file(path: Path) -> bool:
    """A regular file (not a link) of this user that no one else can write."""
    try:
        info = os.lstat(path)
    except OSError:
        return False
    return stat.S_ISREG(info.st_mode) and info.st_uid == os.getuid() and not info.st_mode & 0o022


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _recorded_sha256(folder: Path, digest: str) -> str | None:
    sidecar = _sidecar(folder, digest)
    if not _own_file(sidecar):
        return None
    try:
        text = sidecar.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return text if _SHA256.fullmatch(text) else None


def _matches(path: Path, sha256: str) -> bool:
    """`path` is our own file whose bytes hash to `sha256` (checked right before loading it)."""
    return _own_file(path) and _file_sha256(path) == sha256


def _compile(folder: Path, compiler: str, digest: str, source_text: str) -> tuple[Path, str] | None:
    """Build `source_text` (the text `digest` was computed from: a copy, so an edit of the package
    file meanwhile cannot slip in) into `folder`: (the library's path, its sha256, also recorded in
    the sidecar)."""
    command = [compiler, *_FLAGS]
    try:
        with tempfile.TemporaryDirectory(dir=folder) as build:
            source = Path(build) / "winograd.c"
            source.write_text(source_text, encoding="ascii")
            output = Path(build) / "winograd.so"
            log.info("Compiling the CPU training kernels: %s %s -o %s", " ".join(command), source, output)
            subprocess.run([*command, str(source), "-o", str(output)], check=True, capture_output=True, timeout=120)
            sha256 = _file_sha256(output)
            target = _library_path(folder, digest, sha256)
            os.replace(output, target)  # atomic: concurrent builders never see a partial file
            record = Path(build) / "sha256"
            record.write_text(sha256 + "\n", encoding="ascii")
            os.replace(record, _sidecar(folder, digest))  # written last: it only ever names a complete library
    except (OSError, subprocess.SubprocessError) as error:
        detail = getattr(error, "stderr", b"") or b""
        log.warning("Could not compile the Winograd kernels (%s %s); using torch ops.", error, detail[-500:].decode(errors="replace"))
        return None
    return target, sha256


def xcode_developer_dir(command: tuple[str, ...] = ("xcode-select", "-p")) -> str | None:
    """The folder of Apple's developer tools, or None when they are not installed (then /usr/bin/cc
    is a stub that opens Apple's installer dialog). `xcode-select -p` itself never prompts."""
    try:
        done = subprocess.run(list(command), capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    folder = done.stdout.strip()
    return folder if done.returncode == 0 and folder and os.path.isdir(folder) else None


def compile_refusal(platform: str, developer_dir: Callable[[], str | None] = xcode_developer_dir) -> str | None:
    """Why nothing may be compiled on `platform` (a sys.platform value), or None where the compiler
    runs without asking the user anything: Linux; macOS once the Command Line Tools are installed."""
    if platform.startswith("linux"):
        return None
    if platform == "darwin":
        if developer_dir() is None:
            return ("Apple's Command Line Tools are not installed (`xcode-select -p` fails), and calling cc would "
                    "open Apple's installer")
        return None
    if platform in ("win32", "cygwin"):
        return "Windows has no C compiler RSEdit may use"
    return f"compiling is only done on Linux and macOS, not on {platform}"


def _open(path: Path) -> ctypes.CDLL | None:
    try:
        library = ctypes.CDLL(str(path))
        library.depthwise_weight_grad.argtypes = [_PTR, _PTR, _PTR] + [_I64] * 12
        library.depthwise_weight_grad.restype = None
        for name, argtypes in _SIGNATURES.items():
            for m in COMPILED_TILES:
                function = getattr(library, f"{name}_{m}")
                function.argtypes, function.restype = argtypes, None
    except (OSError, AttributeError) as error:
        log.warning("Could not load the Winograd kernels (%s); using torch ops.", error)
        return None
    return library


def _build() -> ctypes.CDLL | None:
    if not enabled():
        log.info("The C kernels for CPU training are off (CPU training uses torch ops, slower); set %s=1 in "
                 "the environment to compile and use them.", ENABLE_ENV)
        return None
    refusal = compile_refusal(sys.platform)
    if refusal is not None:
        log.info("The C kernels for CPU training are not built: %s. CPU training uses torch ops (slower).", refusal)
        return None
    compiler = _compiler()
    if compiler is None:
        log.info("No C compiler found: Winograd transforms run as torch ops (slower training on CPU).")
        return None
    folder = _cache_dir()
    if not _private_folder(folder):
        return None
    source_text = _source()
    digest = build_digest(compiler, source_text)
    recorded = _recorded_sha256(folder, digest)
    if recorded is not None:
        path = _library_path(folder, digest, recorded)
        if _matches(path, recorded):
            return _open(path)
        if path.exists():
            log.warning("The compiled kernels %s do not match the sha256 recorded when they were built: not "
                        "loading them, rebuilding.", path)
    built = _compile(folder, compiler, digest, source_text)
    if built is None:
        return None
    path, sha256 = built
    if not _matches(path, sha256):  # changed between the build and now: never load it
        log.warning("The kernels just built at %s changed on disk before loading; using torch ops.", path)
        return None
    return _open(path)


def load() -> ctypes.CDLL | None:
    """The compiled kernels, or None where they are off or no compiler is available (built once per process)."""
    if "library" not in _state:
        with _lock:
            if "library" not in _state:
                _state["library"] = _build()
    return _state["library"]  # type: ignore[return-value]


def reset() -> None:
    """Forget the loaded kernels, so that the next `load()` reads the switch again (tests)."""
    with _lock:
        _state.pop("library", None)


def _pool(workers: int) -> ThreadPoolExecutor:
    pool = _state.get("pool")
    if pool is None or pool._max_workers < workers:  # type: ignore[attr-defined]
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="rsedit-kernels")
        _state["pool"] = pool
    return pool  # type: ignore[return-value]


def _run(function, total: int, *args) -> None:
    """function(*args, start, end) over [0, total), split across torch's CPU thread count."""
    workers = max(1, min(torch.get_num_threads(), total // 4 or 1))
    if workers == 1:
        function(*args, 0, total)
        return
    pool = _pool(workers)
    bounds = [total * k // workers for k in range(workers + 1)]
    futures = [pool.submit(function, *args, bounds[k], bounds[k + 1]) for k in range(1, workers)]
    function(*args, bounds[0], bounds[1])  # this thread does the first share
    for future in futures:
        future.result()


def _zeros(channels: int) -> torch.Tensor:
    zeros = _state.get("zeros")
    if zeros is None or zeros.numel() < channels:  # type: ignore[union-attr]
        zeros = torch.zeros(max(channels, 1024))
        _state["zeros"] = zeros
    return zeros  # type: ignore[return-value]


def _check_buffers(*tensors: torch.Tensor) -> None:
    """The C loops read and write raw float32 channel vectors: anything else would run past the
    buffers (a bf16 tensor under autocast is half the bytes), so refuse it here. A single channel
    has no channel stride to speak of (torch reports any value for it, e.g. for a one-band image)."""
    for tensor in tensors:
        unit_channels = tensor.stride(-1) == 1 or tensor.shape[-1] == 1
        if tensor.dtype != torch.float32 or tensor.device.type != "cpu" or not unit_channels:
            raise TypeError(
                f"The CPU training kernels take CPU float32 tensors with unit channel stride, got {tensor.dtype} "
                f"on {tensor.device} with strides {tensor.stride()}."
            )


def _check_contiguous(*tensors: torch.Tensor) -> None:
    """Buffers the C loops index as dense arrays (tile matrices, outputs)."""
    _check_buffers(*tensors)
    for tensor in tensors:
        if not tensor.is_contiguous():
            raise TypeError(f"The CPU training kernels need a contiguous buffer here, got strides {tensor.stride()}.")


def _check_shape(tensor: torch.Tensor, shape: tuple[int, ...]) -> None:
    """A tile buffer must hold exactly what the C loop writes or reads there."""
    if tuple(tensor.shape) != tuple(shape):
        raise ValueError(f"The CPU training kernels expected a buffer of shape {tuple(shape)}, got {tuple(tensor.shape)}.")


def input_transform(lib: ctypes.CDLL, m: int, x: torch.Tensor, v: torch.Tensor, th: int, tw: int) -> None:
    """x [N, H, W, C] with unit channel stride -> v [(m+2)^2, N*th*tw, C]."""
    _check_buffers(x)
    _check_contiguous(v)
    n, h, w, c = x.shape
    sn, sh, sw, _ = x.stride()
    total = n * th * tw
    _check_shape(v, ((m + 2) ** 2, total, c))
    function = getattr(lib, f"wino_input_{m}")
    _run(function, total, x.data_ptr(), h, w, c, sn, sh, sw, _zeros(c).data_ptr(), v.data_ptr(), th, tw, total)


def output_transform(lib: ctypes.CDLL, m: int, mm: torch.Tensor, bias: torch.Tensor | None, y: torch.Tensor) -> None:
    """mm [(m+2)^2, N*th*tw, C] -> y contiguous [N, H, W, C] (+ bias)."""
    _check_contiguous(mm, y, *(() if bias is None else (bias,)))
    n, h, w, c = y.shape
    th, tw = -(-h // m), -(-w // m)
    total = n * th * tw
    _check_shape(mm, ((m + 2) ** 2, total, c))
    if bias is not None:
        _check_shape(bias, (c,))
    bias_ptr = None if bias is None else bias.data_ptr()
    _run(getattr(lib, f"wino_output_{m}"), total, mm.data_ptr(), bias_ptr, y.data_ptr(), h, w, c, th, tw, total)


def grad_output_transform(lib: ctypes.CDLL, m: int, gy: torch.Tensor, dm: torch.Tensor, th: int, tw: int) -> None:
    """gy [N, H, W, C] with unit channel stride -> dm [(m+2)^2, N*th*tw, C]."""
    _check_buffers(gy)
    _check_contiguous(dm)
    n, h, w, c = gy.shape
    sn, sh, sw, _ = gy.stride()
    total = n * th * tw
    _check_shape(dm, ((m + 2) ** 2, total, c))
    function = getattr(lib, f"wino_grad_output_{m}")
    _run(function, total, gy.data_ptr(), h, w, c, sn, sh, sw, _zeros(c).data_ptr(), dm.data_ptr(), th, tw, total)


def input_grad_transform(lib: ctypes.CDLL, m: int, dv: torch.Tensor, dx: torch.Tensor) -> None:
    """dx zeroed contiguous [N, H, W, C] += the overlap-added B dV B^T of every tile."""
    _check_contiguous(dv, dx)
    n, h, w, c = dx.shape
    th, tw = -(-h // m), -(-w // m)
    total = n * th * tw
    _check_shape(dv, ((m + 2) ** 2, total, c))
    for parity in (0, 1):
        units = n * ((th - parity + 1) // 2)
        if units:
            _run(getattr(lib, f"wino_input_grad_{m}"), units, dv.data_ptr(), dx.data_ptr(), h, w, c, th, tw, total, parity)


def depthwise_weight_grad(lib: ctypes.CDLL, x: torch.Tensor, gy: torch.Tensor, kernel: int) -> torch.Tensor:
    """x, gy [N, H, W, C] with unit channel stride -> dL/dw of a 'same' depthwise conv, [C, 1, k, k]."""
    _check_buffers(x, gy)
    _check_shape(gy, tuple(x.shape))
    n, h, w, c = x.shape
    rows = n * h
    workers = max(1, min(torch.get_num_threads(), rows))
    partial = torch.empty((workers, kernel * kernel, c), dtype=x.dtype)
    bounds = [rows * t // workers for t in range(workers + 1)]

    def share(t: int) -> None:
        lib.depthwise_weight_grad(
            x.data_ptr(), gy.data_ptr(), partial[t].data_ptr(), h, w, c, kernel, *x.stride()[:3], *gy.stride()[:3], bounds[t], bounds[t + 1]
        )

    if workers == 1:
        share(0)
    else:
        pool = _pool(workers)
        futures = [pool.submit(share, t) for t in range(1, workers)]
        share(0)
        for future in futures:
            future.result()
    return partial.sum(0).t().reshape(c, 1, kernel, kernel)
