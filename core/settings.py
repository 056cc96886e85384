"""The settings of an edit: one class per mode, every field checked when the object is built.

    from rsedit.core.settings import RegenerateSettings, TextSettings, settings_for_mode
    settings = TextSettings(prompt="a forest on fire", clip_weights="RemoteCLIP-ViT-B-32.pt", seed=3)
    settings = settings_for_mode("regenerate", backend="trained", preset="fast")

A field that does not apply to the chosen mode is an error, not silently ignored; a value of the
wrong type or out of range is an InputError that says what is allowed. The objects are frozen:
`dataclasses.replace(settings, seed=4)` builds (and checks) a new one.
"""
from __future__ import annotations

import math
import numbers
import os
import shlex
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, ClassVar, Iterator, Mapping, Optional, Sequence, Union

from . import defaults
from .errors import InputError


# No input runs code: an external paraphrase command is a program run on this computer, and a
# parameter can arrive from a shared .model3, a project file or the Processing history. So it runs
# only where the user enabled it in their own settings: this environment variable, or the QGIS
# setting below, which ui/ reads and passes down with `allow_paraphrase_command` (core/ never reads QGIS).
ALLOW_PARAPHRASE_COMMAND_ENV = "RSEDIT_ALLOW_PARAPHRASE_COMMAND"
QGIS_ALLOW_PARAPHRASE_COMMAND_KEY = "rsedit/allow_paraphrase_command"
# a context variable, not a global: one Processing run's allowance does not leak into another thread's
_paraphrase_allowance: ContextVar[bool] = ContextVar("rsedit_paraphrase_command_allowed", default=False)


def paraphrase_command_allowed() -> bool:
    """Whether the user enabled external paraphrase commands (environment, or the caller's allowance)."""
    return os.environ.get(ALLOW_PARAPHRASE_COMMAND_ENV, "").strip() == "1" or _paraphrase_allowance.get()


@contextmanager
def allow_paraphrase_command(allowed: bool = True) -> Iterator[None]:
    """Settings built inside the block accept a paraphrase command when `allowed` (the ui passes the
    user's QGIS setting here; scripts may use it as their own explicit opt-in)."""
    token = _paraphrase_allowance.set(bool(allowed))
    try:
        yield
    finally:
        _paraphrase_allowance.reset(token)


def paraphrase_command_refusal(command: Sequence[str]) -> str:
    """The message for a paraphrase command that the user has not enabled: how to enable it."""
    return (f"The paraphrase command {shlex.join(command)!r} was not run: external commands are off unless you "
            f"enable them in your own settings, because a parameter can come from a shared model, a project or "
            f"the Processing history. To enable them, set the environment variable "
            f"{ALLOW_PARAPHRASE_COMMAND_ENV}=1 before starting Python, QGIS or qgis_process, or set the QGIS "
            f"setting {QGIS_ALLOW_PARAPHRASE_COMMAND_KEY} to true (QGIS Python console: "
            f"QgsSettings().setValue('{QGIS_ALLOW_PARAPHRASE_COMMAND_KEY}', True)). Otherwise leave the command "
            f"empty: the built-in paraphrases need none.")


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(float(value))


def check_int(name: str, value: Any, low: Optional[int] = None, high: Optional[int] = None) -> int:
    if not _is_int(value):
        raise InputError(f"{name} must be a whole number (got {value!r}).")
    if (low is not None and value < low) or (high is not None and value > high):
        raise InputError(f"{name} must be in {_range(low, high)} (got {value}).")
    return int(value)


def check_number(name: str, value: Any, low: Optional[float] = None, high: Optional[float] = None,
                 low_open: bool = False) -> float:
    if not _is_number(value):
        raise InputError(f"{name} must be a finite number (got {value!r}).")
    value = float(value)
    too_low = low is not None and (value <= low if low_open else value < low)
    if too_low or (high is not None and value > high):
        bracket = "(" if low_open else "["
        raise InputError(f"{name} must be in {bracket}{low:g}, {high:g}] (got {value:g})."
                         if high is not None else f"{name} must be {'above' if low_open else 'at least'} "
                                                  f"{low:g} (got {value:g}).")
    return value


def check_choice(name: str, value: Any, choices: Sequence[str], optional: bool = False) -> Optional[str]:
    if value is None and optional:
        return None
    if value not in choices:
        raise InputError(f"Unknown {name} {value!r}: choose one of {', '.join(choices)}.")
    return value


def check_bool(name: str, value: Any, optional: bool = False) -> Optional[bool]:
    if value is None and optional:
        return None
    if not isinstance(value, bool):
        raise InputError(f"{name} must be True or False (got {value!r}).")
    return value


def _range(low: Optional[int], high: Optional[int]) -> str:
    return f"{low if low is not None else '-inf'}..{high if high is not None else 'inf'}"


def _text(name: str, value: Any) -> Optional[str]:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InputError(f"{name} must be text (got {type(value).__name__}).")
    return value.strip() or None


def _texts(name: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, Sequence) or not all(isinstance(v, str) for v in value):
        raise InputError(f"{name} must be a list of texts (got {value!r}).")
    return tuple(value)


@dataclass(frozen=True)
class EditSettings:
    """What every mode shares: the seed, the device, the ROI blending and the output file."""

    mode: ClassVar[str] = ""
    seed: int = 0
    device: str = "auto"
    overlap: int = defaults.OVERLAP
    margin: int = defaults.MARGIN
    feather: int = defaults.FEATHER
    compress: str = defaults.COMPRESS
    extra_tags: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_int("The seed", self.seed, 0, 2**31 - 1)
        check_choice("device", self.device, defaults.DEVICES)
        check_int("The tile overlap", self.overlap, 0, defaults.MAX_TILE_SIZE)
        check_int("The ROI margin", self.margin, 0, defaults.MAX_TILE_SIZE)
        check_int("The feather width", self.feather, 0, defaults.MAX_FEATHER)
        object.__setattr__(self, "compress", str(self.compress or "NONE").upper())
        check_choice("compression", self.compress, defaults.COMPRESSIONS)
        if not isinstance(self.extra_tags, Mapping):
            raise InputError(f"extra_tags must be a mapping of tag names to values (got {self.extra_tags!r}).")
        object.__setattr__(self, "extra_tags", {str(k): str(v) for k, v in self.extra_tags.items()})

    @property
    def weight_map_name(self) -> str:
        return "roi"


@dataclass(frozen=True)
class SampledEditSettings(EditSettings):
    """The modes that sample from a model of the scene itself (SinDDM or the training-free model)."""

    learns_rois: ClassVar[bool] = True  # the scene model learns the ROIs' pixels with their surroundings

    tile_size: int = defaults.TILE_SIZE
    backend: Optional[str] = None  # "trained" or "training-free"; None: trained with a GPU, else training-free
    preset: Any = "fast"  # a preset name or a models.sinddm.training_settings.TrainingSettings
    checkpoint: Optional[str] = None  # a trained scene model (.safetensors) to reuse
    context_size: int = defaults.CONTEXT_SIZE
    cache_dir: Optional[str] = None
    use_cache: bool = True
    start_scale: Optional[int] = None  # None: the mode's default (0, or 1 for text)
    start_t: Optional[int] = None  # step to start from at the start scale; None: the mode's default
    fill_roi: Optional[bool] = None  # start the ROI from a fill of its surroundings; None: the mode's default
    soft_mask: bool = True  # NGDM soft weights; False: a hard mask (for comparison)

    def __post_init__(self) -> None:
        super().__post_init__()
        check_int("The tile size", self.tile_size, defaults.MIN_TILE_SIZE, defaults.MAX_TILE_SIZE)
        if self.overlap >= self.tile_size:
            raise InputError(f"The tile overlap ({self.overlap}) must be smaller than the tile size "
                             f"({self.tile_size}).")
        check_choice("backend", self.backend, defaults.BACKENDS, optional=True)
        if isinstance(self.preset, str):
            check_choice("preset", self.preset, defaults.PRESETS)
        elif not (hasattr(self.preset, "to_dict") and hasattr(self.preset, "with_changes")):
            raise InputError(f"The preset must be one of {', '.join(defaults.PRESETS)} or a TrainingSettings "
                             f"(got {self.preset!r}).")
        if self.checkpoint is not None:
            object.__setattr__(self, "checkpoint", str(self.checkpoint))
            if not Path(self.checkpoint).is_file():
                raise InputError(f"The scene model file {self.checkpoint} does not exist: check the path, or leave "
                                 "it empty to train (or reuse a cached) model.")
        check_int("The training context size", self.context_size, defaults.MIN_CONTEXT_SIZE,
                  defaults.MAX_CONTEXT_SIZE)
        if self.cache_dir is not None:
            object.__setattr__(self, "cache_dir", str(self.cache_dir))
        check_bool("use_cache", self.use_cache)
        if self.start_scale is not None:
            check_int("The start scale", self.start_scale, 0, defaults.MAX_START_SCALE)
        if self.start_t is not None:
            check_int("The start step", self.start_t, 0, defaults.NUM_TIMESTEPS - 1)
        check_bool("fill_roi", self.fill_roi, optional=True)
        check_bool("soft_mask", self.soft_mask)


@dataclass(frozen=True)
class RegenerateSettings(SampledEditSettings):
    """Re-sample the ROIs from the scene model so they agree with their surroundings."""

    mode: ClassVar[str] = "regenerate"
    learns_rois: ClassVar[bool] = False  # what regeneration removes (clouds, objects) must not be learnt


@dataclass(frozen=True)
class TextSettings(SampledEditSettings):
    """Steer the ROIs towards a prompt and its paraphrases with CLIP or RemoteCLIP."""

    mode: ClassVar[str] = "text"
    prompt: Optional[str] = None
    prompt_field: Optional[str] = None  # ROI property holding a per-polygon prompt
    paraphrases: Sequence[str] = ()
    paraphrase_command: Optional[Sequence[str]] = None  # argv of an external paraphraser; off by default
    clip_model: str = "ViT-B-32"
    clip_weights: Optional[str] = None  # a RemoteCLIP/open_clip checkpoint file, or an open_clip pretrained tag
    guidance_strength: float = 0.5  # 0: the same edit sampled unguided
    guidance_views: int = 8
    weight_map: str = "roi"
    clip_views: str = "roi"  # CLIP's views around each ROI ("roi") or of the whole tile ("tile", as before)
    prompt_ensembling: bool = True  # False: guide with the prompt alone (paraphrases and command unused)
    # the finest detail quilted from the scene's real pixels along the guided layout (training-free backend;
    # models/patch/scene_texture.py); False: CLIP's gradients make that detail too (docs/benchmarks.md)
    texture_from_scene: bool = True

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "prompt", _text("The prompt", self.prompt))
        object.__setattr__(self, "prompt_field", _text("The prompt field", self.prompt_field))
        if not self.prompt and not self.prompt_field:
            raise InputError("Text edits need a prompt, e.g. 'a forest on fire' (or a ROI field with one prompt "
                             "per polygon).")
        object.__setattr__(self, "paraphrases", _texts("The paraphrases", self.paraphrases))
        if self.paraphrase_command is not None:
            object.__setattr__(self, "paraphrase_command", _texts("The paraphrase command", self.paraphrase_command))
            if not self.paraphrase_command:
                object.__setattr__(self, "paraphrase_command", None)
            elif not paraphrase_command_allowed():  # refused here, before any work
                raise InputError(paraphrase_command_refusal(self.paraphrase_command))
        if not isinstance(self.clip_model, str) or not self.clip_model.strip():
            raise InputError(f"The CLIP architecture must be a name such as ViT-B-32 (got {self.clip_model!r}).")
        if self.clip_weights is not None:
            object.__setattr__(self, "clip_weights", str(self.clip_weights))
        check_number("The guidance strength", self.guidance_strength, 0.0, 100.0)
        check_int("The number of guidance views", self.guidance_views, 1, defaults.MAX_GUIDANCE_VIEWS)
        check_choice("weight map", self.weight_map, defaults.WEIGHT_MAPS)
        check_choice("CLIP view focus (clip_views)", self.clip_views, defaults.CLIP_VIEWS)
        check_bool("prompt_ensembling", self.prompt_ensembling)
        check_bool("texture_from_scene", self.texture_from_scene)

    @property
    def weight_map_name(self) -> str:
        return self.weight_map


@dataclass(frozen=True)
class CopySettings(SampledEditSettings):
    """Place the content of a source polygon into every target ROI and blend it in."""

    mode: ClassVar[str] = "copy"
    copy_step: float = 0.8  # how closely the copy follows the source (1: exactly)

    def __post_init__(self) -> None:
        super().__post_init__()
        check_number("The copy strength", self.copy_step, 0.0, 1.0, low_open=True)


@dataclass(frozen=True)
class PretrainedSettings(EditSettings):
    """Edit with a pretrained Stable Diffusion from a source caption to the prompt."""

    mode: ClassVar[str] = "pretrained"
    overlap: int = defaults.PRETRAINED_OVERLAP
    margin: int = defaults.PRETRAINED_MARGIN
    prompt: Optional[str] = None
    pretrained: Any = None  # a core.pretrained.PretrainedOptions or a dict of its fields

    def __post_init__(self) -> None:
        from .pretrained import PretrainedOptions

        super().__post_init__()
        object.__setattr__(self, "prompt", _text("The prompt", self.prompt))
        if not self.prompt:
            raise InputError("Pretrained-model edits need an edit prompt: what the ROIs should show, e.g. 'a lake'.")
        object.__setattr__(self, "pretrained", PretrainedOptions.coerce(self.pretrained))


SETTINGS_CLASSES: dict[str, type[EditSettings]] = {
    cls.mode: cls for cls in (RegenerateSettings, TextSettings, CopySettings, PretrainedSettings)}
assert tuple(SETTINGS_CLASSES) == defaults.MODES


def settings_for_mode(mode: str, **values: Any) -> EditSettings:
    """The settings class of `mode` built from `values`; a value the mode does not use is an InputError."""
    check_choice("edit mode", mode, defaults.MODES)
    cls = SETTINGS_CLASSES[mode]
    known = {f.name for f in fields(cls)}
    foreign = sorted(name for name in values if name not in known)
    if foreign:
        name = foreign[0]
        users = [m for m, c in SETTINGS_CLASSES.items() if name in {f.name for f in fields(c)}]
        where = f" (it is a setting of {' and '.join(users)} edits)" if users else ""
        raise InputError(f"{name} does not apply to {mode} edits{where}; the {mode} settings are: "
                         f"{', '.join(sorted(known))}.")
    return cls(**values)


