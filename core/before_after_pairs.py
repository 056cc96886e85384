"""Before/after pairs for training change-detection and damage-assessment models.

    from rsedit.core.before_after_pairs import generate_pairs
    result = generate_pairs("scene.tif", "buildings.gpkg", "pairs/", prompts=["a damaged house"], variants=3)

For every ROI, every prompt and every variant (seeds seed, seed+1, ...), the ROI's chip (a
tile_size square window centred on it, or several when it is larger) is written twice: the
untouched source pixels (pre) and the same window with the ROI edited (post), plus the edit mask
(the change label). One scene model is trained (or taken from the cache) for the whole batch and
every pair samples from it through the same tile editor as edit_scene. A GeoPackage index lists
one footprint polygon per pair with its ROI id, prompt, seed, variant and file names.

Every file appears only when complete; a pair appears only when all its files are complete.
"""
from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Optional, Sequence, Union

import numpy as np
from rasterio.windows import Window
from rasterio.windows import transform as window_transform
from shapely.affinity import affine_transform, translate
from shapely.geometry import Polygon, box

from .engine import describe_like, edit_raster
from .errors import CancelledError, InputError, RSEditError
from .leftovers import temporary_path
from .output import commit_renames, remove_with_sidecars, fsync_path, geotiff_profile
from .png_output import atomic_output
from .termination import sigterm_cancels
from .rois import Roi
from .scene import Scene, open_scene
from .editors import build_editor
from .error_boundary import user_errors
from .memory_budget import check_edit_memory
from .progress import CancelCheck, ProgressCallback
from .scene_edit import (RoiInput, check_device, check_rois_and_tell_nodata, model_fingerprint,
                         provenance_tags, scene_rois)
from .edit_units import plan_edit_units
from .group_editors import model_record, with_rois
from .roi_groups import group_units
from .scene_models import SURROUND, obtain_scene_model
from .settings import RegenerateSettings, TextSettings
from .variant_editor import VariantEditor
from .version import plugin_version


PAIR_MODES = ("text", "regenerate")
INDEX_LAYER = "pairs"
MIN_CHIP_ROI_PIXELS = 1.0  # a chip must hold at least this much ROI area (pixels) to be worth a pair


@dataclass(frozen=True)
class PairRecord:
    """One pre/post pair: where it lies, what made it, and its files (names relative to the folder)."""

    roi_id: Any
    chip: int
    prompt: str
    seed: int
    variant: int
    window: tuple[int, int, int, int]  # col_off, row_off, width, height in the source raster
    footprint: Polygon  # the chip in the raster's CRS
    pre_path: str
    post_path: str
    mask_path: str
    mode: str
    backend: str
    fingerprint: str


@dataclass
class PairsResult:
    folder: str
    index_path: str
    pairs: list[PairRecord]
    model: dict  # provenance of the scene model
    trained_now: bool


class PairsCancelledError(CancelledError):
    """Cancelled between or during pairs: complete pairs (and their index) stay, no partial pair does."""

    def __init__(self, message: str, pairs_done: int, index_path: Optional[str]) -> None:
        super().__init__(message)
        self.pairs_done = pairs_done
        self.index_path = index_path


def roi_chips(roi: Roi, width: int, height: int, size: int, margin: int) -> list[Window]:
    """Windows of size x size pixels (smaller only where the raster is) covering the ROI plus
    `margin`, centred on it and kept inside the raster; only those that hold part of the ROI."""
    if size < 16:
        raise InputError(f"The chip (tile) size must be at least 16 pixels (got {size}).")
    minx, miny, maxx, maxy = roi.pixel_geometry.bounds
    cols = _axis_starts(minx - margin, maxx + margin, size, width)
    rows = _axis_starts(miny - margin, maxy + margin, size, height)
    chip_w, chip_h = min(size, width), min(size, height)
    chips = []
    for row in rows:
        for col in cols:
            inside = roi.pixel_geometry.intersection(box(col, row, col + chip_w, row + chip_h))
            if inside.area >= MIN_CHIP_ROI_PIXELS:
                chips.append(Window(col, row, chip_w, chip_h))
    return chips


def _axis_starts(low: float, high: float, size: int, extent: int) -> list[int]:
    if extent <= size:
        return [0]
    count = max(1, math.ceil((high - low) / size))
    first = round((low + high) / 2 - count * size / 2)
    return sorted({int(np.clip(first + i * size, 0, extent - size)) for i in range(count)})


def roi_prompts(roi: Roi, mode: str, prompts: Sequence[str], prompt_field: Optional[str]) -> list[str]:
    """The prompts one ROI is edited with: its own field value when it has one, else the list."""
    if mode == "regenerate":
        return [""]
    if prompt_field:
        value = roi.properties.get(prompt_field)
        if value not in (None, "") and str(value).strip():
            return [str(value).strip()]
    if not prompts:
        raise InputError(f"ROI {roi.id} has no prompt: fill its '{prompt_field}' field or give a prompt list.")
    return list(prompts)


def _safe_name(value: Any) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", str(value)).strip("-") or "x"


def _crop_roi(roi: Roi, chip: Window, scene_transform: Any) -> Roi:
    """The part of `roi` inside `chip`, in the chip's own pixels and CRS coordinates."""
    col, row = int(chip.col_off), int(chip.row_off)
    inside = roi.pixel_geometry.intersection(box(col, row, col + int(chip.width), row + int(chip.height)))
    pixels = translate(inside, -col, -row)
    t = window_transform(chip, scene_transform)
    world = affine_transform(pixels, [t.a, t.b, t.d, t.e, t.c, t.f])
    return Roi(id=roi.id, geometry=world, pixel_geometry=pixels, properties=dict(roi.properties))


def _footprint(chip: Window, scene_transform: Any) -> Polygon:
    c0, r0 = int(chip.col_off), int(chip.row_off)
    c1, r1 = c0 + int(chip.width), r0 + int(chip.height)
    return Polygon([scene_transform * corner for corner in ((c0, r0), (c1, r0), (c1, r1), (c0, r1))])


def write_source_chip(scene: Scene, chip: Window, path: str, tags: dict[str, str], compress: str) -> None:
    """The source pixels of `chip`, every band and mask as stored, georeferenced to the chip (a PNG for a
    .png name, core/png_output.py)."""
    block = 16 * math.ceil(max(int(chip.width), int(chip.height)) / 16)
    output = atomic_output(path, geotiff_profile(int(chip.width), int(chip.height), scene.count, scene.dtype.name,
                                                 scene.crs, window_transform(chip, scene.transform), scene.nodata,
                                                 block, compress))
    try:
        dst = output.open()
        describe_like(dst, scene, tags, synthetic=False)  # the pre chip: source pixels only
        dst.write(scene.read_all_bands(chip))
        if scene.has_internal_mask:
            dst.write_mask(scene.read_internal_mask(chip))
        output.commit()
    except BaseException:
        output.discard()
        raise


def _remove(paths: Sequence[str]) -> None:
    for path in paths:
        remove_with_sidecars(path)


def _check_folder(folder: Path) -> None:
    if folder.exists() and not folder.is_dir():
        raise InputError(f"The output folder {str(folder)!r} is a file; choose a folder.")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise InputError(f"Cannot create the output folder {str(folder)!r} ({error.strerror}); choose a "
                         "writable location.") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InputError(f"The output folder {str(folder)!r} is not writable; choose another location.")


def write_pair_index(path: Union[str, os.PathLike], pairs: Sequence[PairRecord], crs_wkt: str) -> str:
    """A GeoPackage with one polygon per pair (written under a temporary name, then renamed)."""
    from osgeo import ogr, osr

    target = Path(path)
    temporary = Path(temporary_path(target, "part", ".gpkg"))
    srs = None
    if crs_wkt:
        srs = osr.SpatialReference()
        srs.ImportFromWkt(crs_wkt)
        srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    fields = [("roi_id", ogr.OFTString), ("prompt", ogr.OFTString), ("seed", ogr.OFTInteger64),
              ("variant", ogr.OFTInteger), ("chip", ogr.OFTInteger), ("pre_path", ogr.OFTString),
              ("post_path", ogr.OFTString), ("mask_path", ogr.OFTString), ("mode", ogr.OFTString),
              ("backend", ogr.OFTString), ("model_fingerprint", ogr.OFTString), ("col_off", ogr.OFTInteger),
              ("row_off", ogr.OFTInteger), ("width", ogr.OFTInteger), ("height", ogr.OFTInteger)]
    try:
        dataset = ogr.GetDriverByName("GPKG").CreateDataSource(str(temporary))
        if dataset is None:
            raise InputError(f"Cannot create the pair index {str(target)!r}: check that its folder is writable.")
        layer = dataset.CreateLayer(INDEX_LAYER, srs, ogr.wkbPolygon)
        for name, kind in fields:
            layer.CreateField(ogr.FieldDefn(name, kind))
        definition = layer.GetLayerDefn()
        layer.StartTransaction()
        for pair in pairs:
            feature = ogr.Feature(definition)
            feature.SetGeometry(ogr.CreateGeometryFromWkb(pair.footprint.wkb))
            values = dict(roi_id=str(pair.roi_id), prompt=pair.prompt, seed=pair.seed, variant=pair.variant,
                          chip=pair.chip, pre_path=pair.pre_path, post_path=pair.post_path, mask_path=pair.mask_path,
                          mode=pair.mode, backend=pair.backend, model_fingerprint=pair.fingerprint,
                          col_off=pair.window[0], row_off=pair.window[1], width=pair.window[2], height=pair.window[3])
            for name, value in values.items():
                feature.SetField(name, value)
            if layer.CreateFeature(feature) != 0:
                raise InputError(f"Cannot write the pair index {str(target)!r}: is the disk full?")
        if layer.CommitTransaction() != 0:
            raise InputError(f"Cannot write the pair index {str(target)!r}: is the disk full?")
        dataset = None  # closes and flushes the GeoPackage
        fsync_path(str(temporary))
        commit_renames([(str(temporary), str(target))])
    except BaseException:
        dataset = None
        _remove([str(temporary), str(temporary) + "-wal", str(temporary) + "-shm"])
        raise
    return str(target)


def generate_pairs(raster: Union[str, os.PathLike], rois: RoiInput, folder: Union[str, os.PathLike],
                   settings: Union[TextSettings, RegenerateSettings], *, rois_crs: Any = None,
                   rois_layer: Optional[str] = None, prompts: Sequence[str] = (), variants: int = 1,
                   index_name: str = "pairs.gpkg", clip: Any = None, progress: Optional[ProgressCallback] = None,
                   is_cancelled: Optional[CancelCheck] = None) -> PairsResult:
    """Write pre/post/mask GeoTIFFs for every ROI x prompt x variant into `folder`, plus the index.

    `settings` is a TextSettings (prompts: its prompt, `prompts`, and its ROI field prompt_field)
    or a RegenerateSettings (no prompt); its tile_size is the chip size and its margin the least
    context kept around each ROI inside its chip. `clip` is an already loaded CLIP
    (models.clip.clip_model.GuidanceClip) to use instead of loading clip_weights.
    """
    if not isinstance(settings, (TextSettings, RegenerateSettings)):
        raise InputError(f"Before/after pairs are made with the modes {', '.join(PAIR_MODES)} (got "
                         f"{getattr(settings, 'mode', settings)!r}).")
    prompt_field = settings.prompt_field if isinstance(settings, TextSettings) else None
    given = [*prompts, settings.prompt or ""] if isinstance(settings, TextSettings) else []
    prompts = list(dict.fromkeys(p.strip() for p in given if p and p.strip()))  # each prompt once, in order
    if isinstance(settings, TextSettings) and not prompts and not prompt_field:
        raise InputError("Give at least one prompt (e.g. 'a damaged house') or a ROI field holding one per polygon.")
    if isinstance(variants, bool) or not isinstance(variants, int) or variants < 1:
        raise InputError(f"The number of variants must be a whole number of at least 1 (got {variants!r}).")
    out_folder = Path(folder)
    _check_folder(out_folder)
    index_path = out_folder / index_name
    report = progress or (lambda fraction, message: None)
    stop = is_cancelled or (lambda: False)
    with user_errors("making the pairs"), sigterm_cancels():  # SIGTERM: complete pairs and their index stay
        check_device(settings.device)
        return _generate_pairs(raster, rois, out_folder, settings, rois_crs, rois_layer, prompts, prompt_field, variants,
                               index_path, clip, report, stop)


def _generate_pairs(raster: Union[str, os.PathLike], rois: RoiInput, out_folder: Path, settings: Any, rois_crs: Any,
                    rois_layer: Optional[str], prompts: list[str], prompt_field: Optional[str], variants: int,
                    index_path: Path, clip: Any, report: ProgressCallback, stop: CancelCheck) -> PairsResult:
    with open_scene(str(raster), allow_ungeoreferenced=True) as scene:  # see scene_edit.check_rois_crs_fits
        roi_list = scene_rois(rois, rois_crs, scene, rois_layer)
        check_rois_and_tell_nodata(roi_list, scene, report)
        check_edit_memory(settings, scene.width, scene.height, len(scene.data_bands))
        jobs = []  # (roi, chip index, chip window, prompt)
        for roi in roi_list:
            chips = roi_chips(roi, scene.width, scene.height, settings.tile_size, settings.margin)
            for prompt in roi_prompts(roi, settings.mode, prompts, prompt_field):
                jobs.extend((roi, index, chip, prompt) for index, chip in enumerate(chips))
        total = len(jobs) * variants
        if not total:
            raise InputError("No ROI covers a whole pixel of the raster, so there is no pair to make: draw larger "
                             "polygons.")
        if isinstance(settings, TextSettings) and clip is None:
            from ..models.editing.text import load_guidance_clip

            # before training, so that a bad CLIP choice fails at once
            clip = load_guidance_clip(settings.clip_model, settings.clip_weights, settings.device)
        editors = _PairEditors(scene, roi_list, settings, clip, stop)
        # the ROIs of one group share its model: make their pairs one after another
        jobs.sort(key=lambda job: editors.group_of[job[0].id])
        start = 0.0
        crs_wkt = scene.crs.to_wkt() if scene.crs is not None else ""  # no CRS: footprints in pixels
        pairs: list[PairRecord] = []
        pres_written: set[tuple[Any, int]] = set()
        try:
            for roi, chip_index, chip, prompt in jobs:
                prompt_index = prompts.index(prompt) + 1 if prompt in prompts else 0
                stem = f"roi{_safe_name(roi.id)}_c{chip_index + 1:02d}"
                pre_name = f"{stem}_pre.tif"
                for variant in range(variants):
                    if stop():
                        raise CancelledError("Cancelled.")
                    seed = settings.seed + variant
                    name = f"{stem}_p{prompt_index:02d}_v{variant + 1:02d}"
                    done = start + (1 - start) * len(pairs) / total
                    share = (1 - start) / total
                    try:
                        editor, model = editors.get(roi, prompt, lambda f, m, d=done, s=share: report(d + s * f, m))
                        _write_pair(scene, roi, chip, settings, editor, model, seed, prompt, out_folder,
                                    pre_name, f"{name}_post.tif", f"{name}_mask.tif",
                                    (roi.id, chip_index) not in pres_written,
                                    lambda f, m, d=done, s=share: report(d + s * f, m), stop, raster, rois)
                    except (CancelledError, InputError):
                        raise
                    except RSEditError as error:
                        raise RSEditError(f"{error} (while editing the {int(chip.width)}x{int(chip.height)} px chip "
                                          f"of ROI {roi.id}; a larger tile size gives the scene model more "
                                          "room)") from None
                    pres_written.add((roi.id, chip_index))
                    pairs.append(PairRecord(
                        roi_id=roi.id, chip=chip_index + 1, prompt=prompt, seed=seed, variant=variant + 1,
                        window=(int(chip.col_off), int(chip.row_off), int(chip.width), int(chip.height)),
                        footprint=_footprint(chip, scene.transform), pre_path=pre_name, post_path=f"{name}_post.tif",
                        mask_path=f"{name}_mask.tif", mode=settings.mode, backend=model.backend,
                        fingerprint=model_fingerprint(model)))
                    report(start + (1 - start) * len(pairs) / total, f"Pair {len(pairs)} of {total} written")
        except CancelledError:
            written = write_pair_index(index_path, pairs, crs_wkt) if pairs else None
            raise PairsCancelledError(f"Cancelled after {len(pairs)} of {total} pairs; no partial pair was left.",
                                      len(pairs), written) from None
        write_pair_index(index_path, pairs, crs_wkt)
    records = editors.records
    description = {**(records[0] if len(records) == 1 else {}), "backend": records[0]["backend"] if records else "",
                   "groups": records}
    return PairsResult(str(out_folder), str(index_path), pairs, description, editors.trained_now)


class _PairEditors:
    """The scene model of each ROI group (core/roi_groups.py, as edit_scene groups them), built when
    its first pair is made and dropped when the next group starts; one editor per prompt on it (one
    in all for regenerate). CLIP is loaded once."""

    def __init__(self, scene: Scene, rois: Sequence[Roi], settings: Any, clip: Any, stop: CancelCheck) -> None:
        self.scene, self.settings, self.clip, self.stop = scene, settings, clip, stop
        self.rois = {roi.id: roi for roi in rois}
        units = plan_edit_units(scene.width, scene.height, rois, settings.tile_size, settings.margin)
        self.groups = group_units(units, SURROUND)
        self.group_of = {roi_id: group.index for group in self.groups for roi_id in group.roi_ids}
        self.records: list[dict] = []
        self.trained_now = False
        self._group: Optional[int] = None
        self._model: Any = None
        self._editors: dict[str, Any] = {}

    def get(self, roi: Roi, prompt: str, progress: ProgressCallback) -> tuple[Any, Any]:
        """(the editor, the scene model) for a pair of `roi` with `prompt`."""
        group = self.groups[self.group_of[roi.id]]
        rois = [self.rois[roi_id] for roi_id in group.roi_ids]
        if group.index != self._group:
            self._editors.clear()
            self._model = None  # the previous group's model goes before the next one is built
            try:
                self._model, trained_now = obtain_scene_model(self.scene, rois, self.settings, progress=progress,
                                                              is_cancelled=self.stop)
            except RSEditError as error:
                if isinstance(error, CancelledError):
                    raise
                raise with_rois(error, group.roi_ids) from None
            self._group = group.index
            self.trained_now |= trained_now
            self.records.append({"group": group.index, "roi_ids": list(group.roi_ids), **model_record(self._model)})
        if prompt not in self._editors:
            settings = self.settings
            if isinstance(settings, TextSettings):
                settings = replace(settings, prompt=prompt, prompt_field=None)
            editor = build_editor(settings, self.scene, rois, self._model, clip=self.clip)
            self.clip = getattr(editor, "clip", self.clip)
            self._editors[prompt] = editor
        return self._editors[prompt], self._model


def _write_pair(scene: Scene, roi: Roi, chip: Window, settings: Any, editor: Any, model: Any, seed: int,
                prompt: str, folder: Path, pre_name: str, post_name: str, mask_name: str, write_pre: bool,
                progress: ProgressCallback, is_cancelled: CancelCheck, raster: Union[str, os.PathLike],
                roi_source: RoiInput) -> None:
    """Stage pre (when new), post and mask under hidden names, then rename them: all or nothing."""
    staged_pre = temporary_path(folder / pre_name, "staged") if write_pre else str(folder / pre_name)
    staged_post = temporary_path(folder / post_name, "staged")
    staged_mask = temporary_path(folder / mask_name, "staged")
    window_tag = ",".join(str(int(v)) for v in (chip.col_off, chip.row_off, chip.width, chip.height))
    common = {"RSEDIT_PAIR_ROI_ID": str(roi.id), "RSEDIT_PAIR_SOURCE": str(raster),
              "RSEDIT_PAIR_SOURCE_WINDOW": window_tag, "RSEDIT_VERSION": plugin_version()}
    try:
        if write_pre:
            write_source_chip(scene, chip, staged_pre, {**common, "RSEDIT_PAIR_ROLE": "pre: untouched source pixels"},
                        settings.compress)
        crop = _crop_roi(roi, chip, scene.transform)
        pair_settings = replace(settings, seed=seed, **({"prompt": prompt} if prompt else {}))
        tags = provenance_tags(pair_settings, model, seed, editor.prompts_used, roi_source)
        tags.update(common, RSEDIT_PAIR_ROLE="post: edited (synthetic where the mask is above 0)",
                    RSEDIT_PAIR_PRE=pre_name)
        variant = VariantEditor(editor, seed, [crop], int(chip.width), int(chip.height), settings.feather,
                                is_cancelled)
        edit_raster(scene, [crop], variant, staged_post, window=chip, mask_path=staged_mask,
                    tile_size=max(int(chip.width), int(chip.height)), overlap=0, margin=0,
                    feather=settings.feather, compress=settings.compress, tags=tags,
                    progress=progress, is_cancelled=is_cancelled)
        renames = [(staged_pre, str(folder / pre_name))] if write_pre else []
        # the post file last: a post file means a complete pair; under the folder's lock, as one commit
        commit_renames(renames + [(staged_mask, str(folder / mask_name)), (staged_post, str(folder / post_name))])
    except BaseException:
        _remove([staged_post, staged_mask] + ([staged_pre] if write_pre else []))
        raise
