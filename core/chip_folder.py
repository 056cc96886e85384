"""A folder of image chips (georeferenced or not) edited into a change-detection dataset.

    from rsedit.core.chip_folder import edit_chip_folder
    from rsedit.core.chip_rois import ChipRois
    result = edit_chip_folder("chips/", "dataset/", RegenerateSettings(backend="training-free", tile_size=64),
                              pattern="*.png", rois=ChipRois("mask", mask_folder="masks/"))

Writes the LEVIR-CD layout: A/ (before: the chip's own pixels), B/ (after: edited), label/ (0/255:
255 where the edit weight is above 0) and label_soft/ (the 0-255 edit weight), the same file name in
each; pairs.csv (core/chip_index.py) and, optionally, train/val/test lists. A chip without
georeferencing keeps a lossless format: PNG (JPEG chips too) stays PNG; anything else is GeoTIFF.

A pair's four files are renamed into place together (B last) and only then listed in the index, so
a cancel keeps every complete pair and nothing else; a run with the same settings skips the pairs
its index already lists. A chip that cannot be used (unreadable, too small, an empty mask, ...) is
listed in `unusable` with its reason and the run goes on; it fails only if no chip could be edited.
"""
from __future__ import annotations

import fnmatch
import hashlib
import json
import logging
import os
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any, Optional, Sequence, Union

import numpy as np
import rasterio
from rasterio.windows import Window

from . import defaults
from .before_after_pairs import PairsCancelledError, write_source_chip
from .chip_index import LAYOUT, append_row, check_split, read_index, write_rows, write_splits
from .chip_rois import ChipRois
from .error_boundary import user_errors
from .errors import CancelledError, InputError, RSEditError
from .group_editors import GroupEditors
from .engine import edit_raster
from .leftovers import temporary_path
from .memory_budget import check_edit_memory
from .output import commit_renames, geotiff_profile, remove_with_sidecars
from .png_output import PNG_DTYPES, atomic_output
from .progress import CancelCheck, ProgressCallback
from .scene import Scene, open_scene
from .scene_edit import backend_name, check_device, check_rois_and_tell_nodata, grouped_model_tags, provenance_tags
from .scene_models import SceneModel
from .settings import RegenerateSettings, TextSettings
from .shared_scene_model import build_shared_model
from .variant_editor import VariantEditor

log = logging.getLogger(__name__)

SCENE_MODELS = ("per_chip", "shared")
PLAIN_SUFFIXES = (".png", ".jpg", ".jpeg", ".jpe", ".jfif")  # chips that stay (or become) PNG
SIDECARS = (".aux.xml", ".msk", ".ovr", ".pgw", ".wld", ".jgw", ".tfw")  # never chips themselves


@dataclass
class ChipFolderResult:
    folder: str
    index_path: str
    written: list[str]  # pairs written by this run (file names, the same in A/, B/, label/, label_soft/)
    skipped: list[str]  # complete pairs of an earlier run with the same settings
    unusable: list[tuple[str, str]]  # (chip file name, why it could not be used)
    splits: dict[str, str]  # split name -> list file, when a split was asked for
    model: dict  # the shared model's provenance, or {} for one model per chip


class ChipsCancelledError(PairsCancelledError):
    """Cancelled: the complete pairs, and an index listing exactly them, stay; no partial pair does."""


def list_chips(folder: Path, pattern: str) -> list[Path]:
    """The files of `folder` matching `pattern` (case-insensitive), sidecars and hidden files left out."""
    return sorted(p for p in folder.iterdir()
                  if p.is_file() and not p.name.startswith(".") and fnmatch.fnmatch(p.name.lower(), pattern.lower())
                  and not p.name.lower().endswith(SIDECARS))


def edit_chip_folder(folder: Union[str, os.PathLike], out_folder: Union[str, os.PathLike],
                     settings: Union[RegenerateSettings, TextSettings], *, pattern: str = "*.png",
                     rois: Optional[ChipRois] = None, prompts: Sequence[str] = (), variants: int = 1,
                     scene_model: str = "per_chip", shared_sample: int = 8, split: Optional[Sequence[float]] = None,
                     split_seed: int = 0, clip: Any = None, progress: Optional[ProgressCallback] = None,
                     is_cancelled: Optional[CancelCheck] = None) -> ChipFolderResult:
    """Edit every chip of `folder` matching `pattern` inside its ROIs (`rois`, default the whole chip)
    into `out_folder` (A/, B/, label/, label_soft/, pairs.csv; train/val/test.txt with `split`).

    `settings` is a RegenerateSettings or a TextSettings (its prompt, plus `prompts`: every chip is
    edited with each, paraphrases as in edit_scene); variants use seeds seed, seed+1, ... `scene_model`
    is "per_chip" (each chip its own scene) or "shared" (one model learnt from `shared_sample` chips
    drawn with the seed). Every setting is checked before any chip is read.
    """
    source, out = Path(folder), Path(out_folder)
    rois = rois if rois is not None else ChipRois()
    plan = _checked(source, out, settings, pattern, rois, prompts, variants, scene_model, shared_sample, split)
    report = progress or (lambda fraction, message: None)
    stop = is_cancelled or (lambda: False)
    with user_errors("editing the chip folder"):
        check_device(settings.device)
        return _ChipRun(plan, source, out, settings, rois, scene_model, shared_sample, clip, report, stop).run(
            check_split(split), split_seed)


@dataclass
class _Plan:
    chips: list[Path]
    prompts: list[str]
    variants: int
    key: str  # what makes two runs' pairs the same: settings, ROI source, prompts, scene-model choice


def _checked(source: Path, out: Path, settings: Any, pattern: str, rois: Any, prompts: Sequence[str], variants: Any,
             scene_model: str, shared_sample: Any, split: Any) -> _Plan:
    if not isinstance(settings, (RegenerateSettings, TextSettings)):
        raise InputError(f"A chip folder is edited with the modes regenerate or text (got "
                         f"{getattr(settings, 'mode', settings)!r}).")
    if not isinstance(rois, ChipRois):
        raise InputError("rois is a ChipRois (core/chip_rois.py): the whole chip, a mask folder, a pixel box or a "
                         "vector file.")
    if scene_model not in SCENE_MODELS:
        raise InputError(f"Unknown scene model choice {scene_model!r}: choose one of {', '.join(SCENE_MODELS)}.")
    if isinstance(variants, bool) or not isinstance(variants, int) or variants < 1:
        raise InputError(f"The number of variants must be a whole number of at least 1 (got {variants!r}).")
    if isinstance(shared_sample, bool) or not isinstance(shared_sample, int) or shared_sample < 1:
        raise InputError(f"The shared model's sample is a whole number of chips, at least 1 (got {shared_sample!r}).")
    check_split(split)
    if rois.kind == "whole" and scene_model == "per_chip" and not settings.learns_rois:
        raise InputError("Regenerating whole chips leaves each chip's own model nothing to learn from (the ROI is "
                         "the whole chip): choose the shared scene model, or give a mask folder or a pixel box.")
    texts = [*([settings.prompt] if isinstance(settings, TextSettings) and settings.prompt else []), *prompts]
    texts = list(dict.fromkeys(t.strip() for t in texts if t and t.strip()))
    if isinstance(settings, TextSettings) and not texts:
        raise InputError("Give at least one prompt (e.g. 'a damaged house') for text edits.")
    if isinstance(settings, RegenerateSettings) and texts:
        raise InputError("The regenerate mode uses no prompt: leave the prompts empty or choose the text mode.")
    if not source.is_dir():
        raise InputError(f"The chip folder {str(source)!r} does not exist: give the folder that holds the chips.")
    if not isinstance(pattern, str) or not pattern.strip():
        raise InputError("Give a file pattern for the chips, e.g. '*.png' or '*.tif'.")
    chips = list_chips(source, pattern.strip())
    if not chips:
        raise InputError(f"No file in {str(source)!r} matches {pattern!r}: check the pattern (e.g. '*.png').")
    if out.exists() and not out.is_dir():
        raise InputError(f"The output folder {str(out)!r} is a file; choose a folder.")
    inputs = [source] + ([Path(rois.mask_folder)] if rois.mask_folder is not None else [])
    if any(out.resolve() == folder.resolve() for folder in inputs):
        raise InputError("The output folder must not be the chip folder or the mask folder: choose another one.")
    try:
        for part in LAYOUT:
            (out / part).mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise InputError(f"Cannot create the output folders in {str(out)!r} ({error.strerror}); choose a writable "
                         "location.") from None
    identity = {f.name: getattr(settings, f.name) for f in fields(settings)}
    identity.update(mode=settings.mode, rois=rois.describe(), prompts=texts, scene_model=scene_model,
                    shared_sample=shared_sample if scene_model == "shared" else None)
    key = hashlib.sha256(json.dumps(identity, sort_keys=True, default=str).encode()).hexdigest()[:16]
    return _Plan(chips, texts or [""], variants, key)


def output_name(chip: Path, suffix: str, prompt_index: int, prompts: int, variant: int, variants: int) -> str:
    """The pair's file name: the chip's stem, _pNN with several prompts, _vNN with several variants."""
    return (chip.stem + (f"_p{prompt_index + 1:02d}" if prompts > 1 else "")
            + (f"_v{variant + 1:02d}" if variants > 1 else "") + suffix)


def output_suffix(chip: Path, scene: Scene) -> str:
    """PNG for a PNG or JPEG chip without georeferencing (lossless, never a re-compressed JPEG); else GeoTIFF."""
    plain = chip.suffix.lower() in PLAIN_SUFFIXES and not scene.georeferenced
    return ".png" if plain and scene.dtype.name in PNG_DTYPES and scene.count <= 4 else ".tif"


class _ChipRun:
    def __init__(self, plan: _Plan, source: Path, out: Path, settings: Any, rois: ChipRois, scene_model: str,
                 shared_sample: int, clip: Any, report: ProgressCallback, stop: CancelCheck) -> None:
        self.plan, self.source, self.out, self.settings, self.rois = plan, source, out, settings, rois
        self.scene_model, self.shared_sample, self.clip = scene_model, shared_sample, clip
        self.report, self.stop = report, stop
        self.shared: Optional[SceneModel] = None
        self.shared_record: dict = {}
        self.written: list[str] = []
        self.skipped: list[str] = []
        self.unusable: list[tuple[str, str]] = []
        self.rows: list[dict[str, str]] = []  # the index as on disk

    def run(self, split: Optional[tuple[float, float, float]], split_seed: int) -> ChipFolderResult:
        self.rows = read_index(self.out)
        done = {(row["chip"], row["prompt"], row["variant"]): row for row in self.rows
                if row["settings"] == self.plan.key}
        index_path = write_rows(self.out, self.rows)  # only complete pairs, whatever an earlier run left
        chips = self.plan.chips
        pending = {chip: [(p, prompt, v) for p, prompt in enumerate(self.plan.prompts)
                          for v in range(self.plan.variants) if (chip.name, prompt, str(v + 1)) not in done]
                   for chip in chips}
        self.skipped = [row["name"] for key, row in done.items() if key[0] in {chip.name for chip in chips}]
        try:
            if self.scene_model == "shared" and any(pending.values()):
                self._build_shared_model()  # a run that only skips complete pairs builds none
            for number, chip in enumerate(chips):
                if self.stop():
                    raise CancelledError("Cancelled.")
                if not pending[chip]:
                    continue
                share = 1 / len(chips)
                progress = (lambda f, m, n=number, s=share, name=chip.name: self.report(
                    n * s + s * f, f"Chip {n + 1} of {len(chips)} ({name}): {m}"))
                try:
                    self._edit_chip(chip, pending[chip], progress)
                except CancelledError:
                    raise
                except RSEditError as error:  # an InputError (the chip's own fault) or a model's refusal
                    reason = str(error)
                    self.unusable.append((chip.name, reason))
                    log.warning("Chip %s left out: %s", chip.name, reason)
                self.report((number + 1) / len(chips), f"Chip {number + 1} of {len(chips)} done")
        except CancelledError:
            raise ChipsCancelledError(f"Cancelled after {len(self.written)} new pairs; the index {index_path} lists "
                                      "every complete pair and no partial pair was left.", len(self.written),
                                      str(index_path)) from None
        if not self.written and not self.skipped:
            reasons = "; ".join(f"{name}: {reason}" for name, reason in self.unusable[:5])
            raise InputError(f"No chip could be edited ({len(self.unusable)} unusable). {reasons}")
        splits = {k: str(v) for k, v in write_splits(self.out, self.rows, split, split_seed).items()} if split else {}
        return ChipFolderResult(str(self.out), str(index_path), self.written, self.skipped, self.unusable, splits,
                                self.shared_record)

    def _edit_chip(self, chip: Path, jobs: list[tuple[int, str, int]], progress: ProgressCallback) -> None:
        settings = self.settings
        with open_scene(str(chip), allow_ungeoreferenced=True) as scene:
            least = defaults.MIN_CONTEXT_SIZE
            if min(scene.width, scene.height) < least:
                raise InputError(f"the chip is {scene.width}x{scene.height} px: the scene model needs at least "
                                 f"{least} px on each side")
            roi_list = self.rois.rois(scene, chip)
            check_rois_and_tell_nodata(roi_list, scene, progress, log_prefix=f"{chip.name}: ")
            model = self.shared
            if model is not None and len(scene.data_bands) != self.shared_record.get("bands", len(scene.data_bands)):
                raise InputError(f"the chip has {len(scene.data_bands)} bands but the shared scene model learnt "
                                 f"{self.shared_record['bands']}")
            suffix = output_suffix(chip, scene)
            for prompt_index, prompt in enumerate(self.plan.prompts):
                variants = [variant for p, _, variant in jobs if p == prompt_index]
                if not variants:
                    continue
                prompt_settings = replace(settings, prompt=prompt) if prompt else settings
                # one editor (and per-chip model) for the prompt's variants, as edit_scene's variants share theirs
                groups = GroupEditors(scene, roi_list, prompt_settings, clip=self.clip, model=model,
                                      is_cancelled=self.stop)
                check_edit_memory(prompt_settings, scene.width, scene.height, len(scene.data_bands),
                                  largest_unit_pixels=groups.largest_unit_pixels)
                for variant in variants:
                    name = output_name(chip, suffix, prompt_index, len(self.plan.prompts), variant,
                                       self.plan.variants)
                    seed = settings.seed + variant
                    self._write_pair(scene, chip, name, roi_list, groups, prompt_settings, seed, progress)
                    self.clip = groups.clip  # CLIP is loaded once, for the first chip
                    records = groups.provenance()
                    self._index({"chip": chip.name, "name": name, "variant": str(variant + 1), "seed": str(seed),
                                 "prompt": prompt, "mode": settings.mode,
                                 "backend": ",".join(dict.fromkeys(r["backend"] for r in records)),
                                 "model_fingerprint": ",".join(dict.fromkeys(r["fingerprint"] for r in records)),
                                 "roi_source": self.rois.describe(), "settings": self.plan.key})
                    self.written.append(name)

    def _index(self, row: dict[str, str]) -> None:
        """List a pair just committed: appended, or the index rewritten where it replaced a pair that an
        earlier run with other settings made under the same name."""
        replaced = [r for r in self.rows if r["name"] == row["name"]]
        self.rows = [r for r in self.rows if r["name"] != row["name"]] + [row]
        if replaced:
            write_rows(self.out, self.rows)
        else:
            append_row(self.out, row)

    def _build_shared_model(self) -> None:
        # a whole-chip ROI is the chip itself: its model learns whole chips (of other scenes), not their surroundings
        leave_out = not self.settings.learns_rois and self.rois.kind != "whole"
        self.shared, names = build_shared_model(
            self.plan.chips, self.rois.rois, self.settings, sample=self.shared_sample, seed=self.settings.seed,
            leave_out_rois=leave_out, progress=lambda f, m: self.report(0.0, f"Shared scene model: {m}"),
            is_cancelled=self.stop)
        fingerprint = self.shared.description["fingerprint"]
        self.shared_record = {"backend": self.shared.backend, "chips": names, "bands": fingerprint["bands"],
                              "fingerprint": fingerprint["sha256"]}
        log.info("Shared scene model learnt from %d chips: %s", len(names), ", ".join(names))

    def _write_pair(self, scene: Scene, chip: Path, name: str, roi_list: list, groups: GroupEditors, settings: Any,
                    seed: int, progress: ProgressCallback) -> None:
        """A, B, label and label_soft staged under hidden names, then renamed together, B last."""
        final = {part: self.out / part / name for part in LAYOUT}
        staged = {part: temporary_path(path, "staged", Path(name).suffix) for part, path in final.items()}
        tags = provenance_tags(settings, SceneModel(backend_name(settings), None, {}), seed, {}, self.rois.describe())
        tags.update(RSEDIT_CHIP_SOURCE=str(chip))
        try:
            write_source_chip(scene, Window(0, 0, scene.width, scene.height), staged["A"],
                              {"RSEDIT_CHIP_SOURCE": str(chip), "RSEDIT_PAIR_ROLE": "A: before (source pixels)"},
                              settings.compress)
            groups.start_pass()
            edit_raster(scene, roi_list, VariantEditor(groups, seed, roi_list, scene.width, scene.height,
                                                       settings.feather, self.stop),
                        staged["B"], mask_path=staged["label_soft"], tile_size=settings.tile_size,
                        margin=settings.margin, feather=settings.feather, compress=settings.compress, tags=tags,
                        whole_rois=True, late_tags=lambda: grouped_model_tags(groups.provenance(), groups.prompts_used),
                        progress=progress, is_cancelled=self.stop)
            _write_label(staged["label_soft"], staged["label"], settings.compress)
            if self.stop():
                raise CancelledError("Cancelled.")
            commit_renames([(staged[part], str(final[part])) for part in ("A", "label", "label_soft", "B")])
        except BaseException:
            for path in staged.values():
                remove_with_sidecars(path)
            raise


def _write_label(soft_path: str, path: str, compress: str) -> None:
    """The binary change label: 255 wherever the edit weight is above 0 (the ROI's pixels), else 0."""
    with rasterio.open(soft_path) as soft:
        weight = soft.read(1)
        profile = geotiff_profile(soft.width, soft.height, 1, "uint8", soft.crs, soft.transform, None,
                                  16 * -(-max(soft.width, soft.height) // 16), compress)
    output = atomic_output(path, profile)
    try:
        output.open().write(np.where(weight > 0, 255, 0).astype(np.uint8), 1)
        output.commit()
    except BaseException:
        output.discard()
        raise
