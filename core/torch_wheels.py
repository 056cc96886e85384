"""Which torch wheels suit this machine: a CUDA build the NVIDIA driver supports, or the CPU build.

The commonest failure of ML plugins' installers is a CUDA build newer than the driver ("GPU
detected but CUDA didn't work"): torch then silently runs on the CPU or fails to load. The driver
version (from nvidia-smi) decides; the choice is shown to the user, who may override it.
"""
from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from typing import Optional, Sequence

TORCH_INDEX = "https://download.pytorch.org/whl"
NVIDIA_SMI = ("nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader")


@dataclass(frozen=True)
class TorchVariant:
    name: str  # "cu128", "cpu", or "default" (PyPI's own wheels: MPS on Apple Silicon)
    label: str
    min_driver_linux: tuple[int, ...] = ()
    min_driver_windows: tuple[int, ...] = ()

    @property
    def index_url(self) -> Optional[str]:
        """The extra index that holds this variant's torch wheels; None: PyPI's default."""
        return None if self.name == "default" else f"{TORCH_INDEX}/{self.name}"


# newest first; minimum drivers as in NVIDIA's CUDA release notes ("CUDA Toolkit and Corresponding
# Driver Versions", the GA release of each toolkit)
CUDA_VARIANTS = (
    TorchVariant("cu130", "CUDA 13.0", (580, 65, 6), (580, 88)),
    TorchVariant("cu128", "CUDA 12.8", (570, 26), (570, 65)),
    TorchVariant("cu126", "CUDA 12.6", (560, 28, 3), (560, 76)),
)
CPU = TorchVariant("cpu", "CPU only")
DEFAULT = TorchVariant("default", "PyPI default (Apple Silicon: MPS)")
VARIANTS = CUDA_VARIANTS + (CPU, DEFAULT)


@dataclass(frozen=True)
class TorchChoice:
    variant: TorchVariant
    driver: Optional[str]  # the NVIDIA driver version found, if any
    reason: str


def nvidia_driver_version(command: Sequence[str] = NVIDIA_SMI) -> Optional[str]:
    """The driver version nvidia-smi reports for the first GPU, or None (no NVIDIA driver)."""
    try:
        done = subprocess.run(list(command), capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.SubprocessError):
        return None
    lines = [line.strip() for line in done.stdout.splitlines() if line.strip()]
    if done.returncode != 0 or not lines or not re.fullmatch(r"\d+(\.\d+)*", lines[0]):
        return None
    return lines[0]


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


def choose_torch_variant(platform: str, driver: Optional[str]) -> TorchChoice:
    """The newest CUDA build `driver` supports on `platform` (a sys.platform value), else the CPU
    build; macOS gets PyPI's wheels, which use MPS on Apple Silicon."""
    if platform == "darwin":
        return TorchChoice(DEFAULT, driver, "macOS: PyPI's torch wheels, which use the GPU through MPS on Apple Silicon")
    if driver is None:
        return TorchChoice(CPU, None, "no NVIDIA driver found (nvidia-smi): the CPU build")
    windows = platform in ("win32", "cygwin")
    for variant in CUDA_VARIANTS:
        needed = variant.min_driver_windows if windows else variant.min_driver_linux
        if _version(driver) >= needed:
            return TorchChoice(variant, driver, f"NVIDIA driver {driver} supports {variant.label}")
    oldest = CUDA_VARIANTS[-1]
    needed = ".".join(map(str, oldest.min_driver_windows if windows else oldest.min_driver_linux))
    return TorchChoice(CPU, driver, f"NVIDIA driver {driver} is older than {oldest.label} needs ({needed}): "
                                    "the CPU build; update the driver to use the GPU")


def variant_named(name: str) -> TorchVariant:
    for variant in VARIANTS:
        if variant.name == name:
            return variant
    raise ValueError(f"Unknown torch build {name!r}; one of {', '.join(v.name for v in VARIANTS)}.")
