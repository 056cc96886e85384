"""Which optional Python packages are importable, and how to install the missing ones.

The plugin runs in QGIS's own Python, which often lacks torch & co. The scene engine needs none
of them; the model-backed features do, so they check first and say exactly what to install.
"""
from __future__ import annotations

import importlib.util

from .qgis_python import python_executable

# import name -> pip requirement (pins match requirements.txt)
MODEL_PACKAGES: dict[str, str] = {
    "torch": "torch==2.14.1",
    "torchvision": "torchvision==0.29.1",
    "open_clip": "open_clip_torch==3.3.0",
    "diffusers": "diffusers==0.42.1",
    "safetensors": "safetensors==0.8.0",
}
# the pretrained latent-diffusion backend also needs these (lpips only for perceptual guidance)
LATENT_PACKAGES: dict[str, str] = {
    "transformers": "transformers==5.23.0",
    "lpips": "lpips==0.1.4",
}

# the optional Dask executor (core/dask_session.py)
DASK_PACKAGES: dict[str, str] = {
    "dask": "dask==2026.8.0",
    "distributed": "distributed==2026.8.0",
}


def is_importable(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # ValueError: a module blocked with sys.modules[name] = None
        return False


def missing_modules(modules: tuple[str, ...] | list[str]) -> list[str]:
    return [m for m in modules if not is_importable(m)]


class MissingDependencies(Exception):
    def __init__(self, modules: tuple[str, ...], target_dir: str | None = None) -> None:
        super().__init__(modules)
        self.modules = modules
        self.target_dir = target_dir

    @property
    def requirements(self) -> list[str]:
        return [MODEL_PACKAGES.get(m, LATENT_PACKAGES.get(m, m)) for m in self.modules]

    def install_command(self) -> str:
        target = f' --target "{self.target_dir}"' if self.target_dir else ""
        reqs = " ".join(f'"{r}"' for r in self.requirements)
        return f'"{python_executable()}" -m pip install{target} {reqs}'

    def __str__(self) -> str:
        return (
            f"RSEdit needs the Python package(s) {', '.join(self.requirements)}, which QGIS's Python "
            f"cannot import. Install them with:\n    {self.install_command()}\n"
            "then restart QGIS."
        )


def require(modules: tuple[str, ...] | list[str], target_dir: str | None = None) -> None:
    """Raise MissingDependencies naming every module in `modules` that cannot be imported."""
    missing = missing_modules(modules)
    if missing:
        raise MissingDependencies(tuple(missing), target_dir)
