"""What the benchmarks share: the plugin on sys.path, and the sample Landsat scene and crops of it."""
from __future__ import annotations

import os
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np

REPO = Path(__file__).resolve().parents[1]
# RSEDIT_BENCH_LANDSAT: the scene elsewhere, e.g. on a GPU machine that has no ../shared beside the repository
LANDSAT = Path(os.environ.get("RSEDIT_BENCH_LANDSAT") or REPO.parent / "shared" / "data" / "landsat" / "RGB.byte.tif")
WINDOW = (231, 178, 256, 256)  # row, col, height, width: the fully valid 256 px window nearest the centre


def plugin_on_path() -> None:
    """Puts rsedit on sys.path as the tests import it (build/plugins/rsedit -> the repository)."""
    plugins = REPO / "build" / "plugins"
    plugins.mkdir(parents=True, exist_ok=True)
    link = plugins / "rsedit"
    if not link.exists():
        link.symlink_to(Path("..", ".."), target_is_directory=True)
    if str(plugins) not in sys.path:
        sys.path.insert(0, str(plugins))


def import_models() -> SimpleNamespace:
    """plugin_on_path(), then the model names the benchmarks use, each from its module in models/."""
    plugin_on_path()
    from rsedit.models.device import select_device, set_cpu_threads
    from rsedit.models.diffusion.normalization import BandNormalization
    from rsedit.models.diffusion.pyramid import plan_pyramid
    from rsedit.models.diffusion.sampler import MultiScaleSampler
    from rsedit.models.diffusion.schedule import DiffusionSchedule
    from rsedit.models.metrics import sliced_wasserstein_distance
    from rsedit.models.sinddm.presets import get_preset
    from rsedit.models.sinddm.trainer import train_sinddm
    from rsedit.models.sinddm.training_settings import TrainingSettings

    return SimpleNamespace(
        BandNormalization=BandNormalization, DiffusionSchedule=DiffusionSchedule, MultiScaleSampler=MultiScaleSampler,
        TrainingSettings=TrainingSettings, get_preset=get_preset, plan_pyramid=plan_pyramid,
        select_device=select_device, set_cpu_threads=set_cpu_threads,
        sliced_wasserstein_distance=sliced_wasserstein_distance, train_sinddm=train_sinddm)


def load_window() -> np.ndarray:
    """The pixels of WINDOW; refuses a window that touches the scene's nodata collar."""
    import rasterio
    from rasterio.windows import Window

    row, col, height, width = WINDOW
    with rasterio.open(LANDSAT) as dataset:
        window = Window(col, row, width, height)
        data = dataset.read(window=window)
        valid = dataset.dataset_mask(window=window) > 0
    if not valid.all():
        raise SystemExit(f"benchmark window {WINDOW} is not fully inside the scene footprint")
    return data


def crop_scene(folder: Path, col: int, row: int, size: int) -> tuple[Path, object]:
    """A size x size GeoTIFF crop of the scene at (col, row), written to folder/crop.tif: (path, transform)."""
    import rasterio
    from rasterio.windows import Window, transform

    window = Window(col, row, size, size)
    with rasterio.open(LANDSAT) as src:
        data = src.read(window=window)
        profile = src.profile | {"width": size, "height": size, "transform": transform(window, src.transform)}
    path = folder / "crop.tif"
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data)
    return path, profile["transform"]
