"""Where the models run: device choice (cuda -> mps -> cpu) and CPU thread count."""
from __future__ import annotations

import torch

from ..core.errors import ModelError

DEVICE_CHOICES = ("auto", "cuda", "mps", "cpu")


def _mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def select_device(preference: str | torch.device | None = "auto") -> torch.device:
    """The device to run on: `auto` picks cuda, then mps, then cpu; other values force one."""
    if isinstance(preference, torch.device):
        return preference
    choice = (preference or "auto").lower()
    if choice.startswith("cuda:") and torch.cuda.is_available():
        return torch.device(choice)
    if choice not in DEVICE_CHOICES:
        raise ModelError(f"Unknown device {preference!r}: use one of {', '.join(DEVICE_CHOICES)}.")
    if choice == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if _mps_available():
            return torch.device("mps")
        return torch.device("cpu")
    if choice == "cuda" and not torch.cuda.is_available():
        raise ModelError("CUDA was requested but no CUDA GPU is usable here: choose 'auto' or 'cpu'.")
    if choice == "mps" and not _mps_available():
        raise ModelError("Apple MPS was requested but is not available here: choose 'auto' or 'cpu'.")
    return torch.device(choice)


def set_cpu_threads(num_threads: int | None) -> int:
    """Use `num_threads` CPU threads for torch (None keeps the current setting); returns the count.

    torch's setting is process-wide, so inside QGIS this also bounds what other torch users get.
    """
    if num_threads is not None:
        if num_threads < 1:
            raise ModelError(f"The CPU thread count must be at least 1, not {num_threads}.")
        torch.set_num_threads(int(num_threads))
    return torch.get_num_threads()


def prefers_channels_last(device: torch.device) -> bool:
    """oneDNN's CPU convolutions run faster on NHWC tensors (docs/benchmarks.md, "Precision and memory format").

    On CUDA the net runs under fp16/bf16 autocast, where tensor cores also prefer NHWC.
    """
    return device.type in ("cpu", "cuda")


def autocast_dtype(device: torch.device) -> torch.dtype | None:
    """Reduced precision that is actually faster on the device, or None for plain fp32.

    CPU bf16 without native support (AVX2-only CPUs) is far slower than fp32 (docs/benchmarks.md,
    "Precision and memory format"), so CPUs stay in fp32 unless they report AMX/AVX512-BF16 through oneDNN.
    """
    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    if device.type == "cpu" and _cpu_has_fast_bf16():
        return torch.bfloat16
    return None


def _cpu_has_fast_bf16() -> bool:
    return _cpu_flag("avx512_bf16") or _cpu_flag("amx_bf16")


def _cpu_flag(flag: str) -> bool:
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="ignore") as info:
            for line in info:
                if line.startswith("flags"):
                    return flag in line.split()
    except OSError:
        pass
    return False
