"""What an edit will hold in memory, estimated from its settings and the raster before any work
starts, so that a tile size, feather or context too large for the machine is refused with the
estimate and the limit instead of failing (or swapping) hours later.

The per-pixel costs were measured on the CPU (docs/benchmarks.md, "Memory per tile pixel"); the
estimate is deliberately simple: the largest of the parts that are alive at the same time."""
from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Any, Optional

from . import defaults
from .errors import InputError

MB = 2**20
# The SinDDM denoiser's peak while sampling one tile, per pixel and per channel of its widest block.
TRAINED_BYTES_PER_PIXEL_AND_WIDTH = 21
# The training-free patch model's peak while denoising one tile, per tile pixel (its patch search).
TRAINING_FREE_BYTES_PER_PIXEL = 3500
# Building its patch index over the training context: a fixed part and a part per context pixel.
PATCH_INDEX_BYTES = 200 * MB
PATCH_INDEX_BYTES_PER_PIXEL = 160
# Sampling one edit unit (a ROI, or ROIs close together, whole): the images the sampler and its
# hooks keep at full size (iterate, estimates, source, blurry version, NGDM noise, weights, fill),
# per pixel and band, plus the per-pixel start steps and masks. The denoiser itself runs per tile.
UNIT_BYTES_PER_PIXEL_AND_BAND = 4 * 24
UNIT_BYTES_PER_PIXEL = 48
# What the process holds before the edit (torch, GDAL and the plugin, measured at about 560 MB).
BASELINE_BYTES = 600 * MB
# A share of the free memory: the rest stays for the OS, QGIS and whatever else runs.
FREE_MEMORY_SHARE = 0.8


@dataclass(frozen=True)
class MemoryEstimate:
    parts: dict[str, int]  # what -> bytes

    @property
    def total(self) -> int:
        return BASELINE_BYTES + max(self.parts.values(), default=0)

    @property
    def largest(self) -> str:
        return max(self.parts, key=self.parts.get)


def memory_limit() -> tuple[int, str]:
    """(bytes an edit may use, where that figure comes from). RSEDIT_MEMORY_LIMIT_MB overrides."""
    override = os.environ.get("RSEDIT_MEMORY_LIMIT_MB", "").strip()
    if override:
        try:
            return int(float(override) * MB), "RSEDIT_MEMORY_LIMIT_MB"
        except ValueError:
            raise InputError(f"RSEDIT_MEMORY_LIMIT_MB must be a number of megabytes (got {override!r}).") from None
    free = _available_bytes()
    if free is None:
        return 2**62, "no limit known on this system"
    return int(free * FREE_MEMORY_SHARE), f"{FREE_MEMORY_SHARE:.0%} of the {free / 2**30:.1f} GB free now"


def _available_bytes() -> Optional[int]:
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def estimate_edit_memory(settings: Any, width: int, height: int, bands: int, block_size: int = 512,
                         largest_unit_pixels: int = 0) -> MemoryEstimate:
    """The parts of an edit of a `width` x `height` raster of `bands` bands with `settings`, whose
    largest edit unit (core/edit_units.py) has `largest_unit_pixels` pixels (0: tiles only)."""
    parts: dict[str, int] = {}
    feather = int(getattr(settings, "feather", 0))
    # one feathered mask cell: the block grown by the feather on each side, float32 distances + flags
    cell = min(block_size + 2 * (feather + 1), max(width, height) + 2 * (feather + 1)) ** 2
    parts[f"the {feather} px feather"] = cell * 6
    tile_size = getattr(settings, "tile_size", None)
    if tile_size is not None and hasattr(settings, "backend"):  # the modes that sample a scene model
        tile_pixels = min(tile_size, width) * min(tile_size, height)
        per_pixel = _model_bytes_per_tile_pixel(settings, bands)
        # edited tiles wait in memory until the last block that needs them is written: one row of tiles
        waiting = math.ceil(width / max(tile_size - settings.overlap, 1)) + 1
        parts[f"the {tile_size} px tiles"] = tile_pixels * (per_pixel + waiting * bands * 4)
        if largest_unit_pixels:
            # the largest unit's images are held while the denoiser runs on its tiles: both at once,
            # named after the larger share
            unit = largest_unit_pixels * (UNIT_BYTES_PER_PIXEL_AND_BAND * bands + UNIT_BYTES_PER_PIXEL)
            tiles = parts.pop(f"the {tile_size} px tiles")
            parts["the largest ROI sampled whole" if unit > tiles else f"the {tile_size} px tiles"] = tiles + unit
        context = min(settings.context_size, width) * min(settings.context_size, height)
        if _backend(settings) == "training-free":
            parts[f"the {settings.context_size} px training context"] = (PATCH_INDEX_BYTES
                                                                          + context * PATCH_INDEX_BYTES_PER_PIXEL)
    return MemoryEstimate(parts)


def check_edit_memory(settings: Any, width: int, height: int, bands: int,
                      largest_unit_pixels: int = 0) -> MemoryEstimate:
    """Refuse, before any work starts, an edit whose estimate exceeds the memory limit."""
    estimate = estimate_edit_memory(settings, width, height, bands, largest_unit_pixels=largest_unit_pixels)
    limit, source = memory_limit()
    if estimate.total > limit:
        raise InputError(
            f"This edit would need about {estimate.total / 2**30:.1f} GB of memory, mostly for "
            f"{estimate.largest}; the limit is {limit / 2**30:.1f} GB ({source}). "
            f"{_advice(settings, width, height, bands, limit, estimate.largest)}")
    return estimate


def _advice(settings: Any, width: int, height: int, bands: int, limit: int, largest: str) -> str:
    if "tiles" in largest:
        fits = [size for size in range(defaults.MIN_TILE_SIZE, settings.tile_size, 16)
                if _fits(settings, width, height, bands, limit, tile_size=size,
                         overlap=min(settings.overlap, size // 4))]
        if fits:
            return f"Use a tile size of at most {fits[-1]} px, or free memory and run again."
    if "ROI sampled whole" in largest:
        return ("Split the largest ROI (or ROIs within two margins of each other) into parts edited in "
                "separate runs, or free memory and run again.")
    if "feather" in largest:
        return "Use a smaller feather width, or free memory and run again."
    if "context" in largest:
        return "Use a smaller training context, or free memory and run again."
    return "Free memory (close other programs) and run again, or set RSEDIT_MEMORY_LIMIT_MB."


def _fits(settings: Any, width: int, height: int, bands: int, limit: int, **changes: int) -> bool:
    import dataclasses

    return estimate_edit_memory(dataclasses.replace(settings, **changes), width, height, bands).total <= limit


def _backend(settings: Any) -> str:
    if settings.backend is not None:
        return settings.backend
    if settings.checkpoint:
        return "trained"
    from .scene_models import default_backend

    return default_backend()


def _model_bytes_per_tile_pixel(settings: Any, bands: int) -> int:
    if _backend(settings) == "training-free":
        return TRAINING_FREE_BYTES_PER_PIXEL
    return TRAINED_BYTES_PER_PIXEL_AND_WIDTH * _denoiser_width(settings) + 16 * bands * 4


def _denoiser_width(settings: Any) -> int:
    if settings.checkpoint:
        from ..models.sinddm.checkpoint import read_checkpoint_info

        try:
            return int(read_checkpoint_info(settings.checkpoint)["net"]["width"])
        except Exception:  # an unreadable checkpoint is reported where it is loaded, with its reason
            pass
    preset = settings.preset
    if isinstance(preset, str):
        from ..models.sinddm.presets import get_preset

        preset = get_preset(preset)
    return int(preset.width)
