"""edit_raster: stream a scene block by block, editing the tiles that cover its ROIs."""
from __future__ import annotations

import math
import os
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Callable, Optional, Sequence, Union

import numpy as np
import rasterio
from rasterio import Affine
from rasterio.enums import ColorInterp, Resampling
from rasterio.features import rasterize
from rasterio.errors import RasterioError
from rasterio.io import DatasetWriter
from rasterio.windows import Window
from rasterio.windows import transform as window_transform

from . import defaults
from .blocks import BlockSchedule
from .editor import TileContext, TileEditor, checked_edit
from .executors import TileSource
from .errors import CancelledError, InputError
from .masks import RoiMask, tile_weights
from .leftovers import remember_output_folder, sweep_leftovers
from .output import COMPRESSIONS, SIDECAR_SUFFIXES, geotiff_profile, written_together
from .png_output import atomic_output
from .progress import CancelCheck, ProgressCallback
from .provenance_markers import provenance_markers
from .rois import Roi
from .scene import Scene, open_scene
from .scene_window import SceneWindow
from .termination import sigterm_cancels
from .edit_units import plan_edit_units
from .tiling import Tile, plan_tiles


BLOCK_SIZE = 512
# GDAL's default block cache is 5% of RAM; streaming needs only a few blocks of it.
GDAL_CACHE_BYTES = 64 * 2**20
OVERVIEW_MIN_SIZE = 256


@dataclass(frozen=True)
class EditResult:
    out_path: str
    mask_path: Optional[str]
    tiles_planned: int
    tiles_edited: int
    seconds: float


def edit_raster(src: Union[str, os.PathLike, Scene], rois: Sequence[Roi], editor: TileEditor, out_path: str, *,
                window: Optional[Window] = None, mask_path: Optional[str] = None,
                tile_size: int = defaults.TILE_SIZE, overlap: int = defaults.OVERLAP,
                margin: int = defaults.MARGIN, feather: float = defaults.FEATHER, compress: str = defaults.COMPRESS,
                overviews: bool = False, tags: Optional[dict[str, Any]] = None,
                progress: Optional[ProgressCallback] = None,
                is_cancelled: Optional[CancelCheck] = None,
                allow_ungeoreferenced: bool = False, block_size: int = BLOCK_SIZE,
                whole_rois: bool = False, late_tags: Optional[Callable[[], dict[str, Any]]] = None,
                tile_source: Optional[TileSource] = None) -> EditResult:
    """Edit `rois` (from prepare_rois on this raster) of `src` (a path, or a scene opened with
    open_scene, which stays open) with `editor`, writing a tiled GeoTIFF (a PNG for a .png name,
    core/png_output.py) to `out_path` (and the 0-255 edit mask to `mask_path` if given). With `window`, only that window of the raster is
    read and written, as a raster of its own (a chip): the ROIs are then in the window's pixels.

    The editor is called on a regular grid of tiles of `tile_size`, blended with cosine weights
    over `overlap`; with `whole_rois`, on edit units instead (core/edit_units.py): each ROI, or
    cluster of ROIs within two margins, whole, widened to at least `tile_size`, written unblended.
    Pixels outside the ROIs are copied bit for bit; the edit is mixed in through the feathered ROI
    mask. Nothing is left at either path if the run fails or is cancelled. `late_tags()` gives
    tags known only once every tile is edited (which model edited which ROI); they go on both files.
    With `tile_source` (core/executors.py), the edited tiles come from it (a Dask cluster) instead of
    `editor`; they are blended and written exactly as tiles edited here.
    """
    started = time.perf_counter()
    src_path = src.path if isinstance(src, Scene) else str(src)
    compress = _checked_compression(compress)
    if feather < 0:
        raise InputError(f"The feather width must be at least 0 pixels (got {feather}).")
    if block_size < 16 or block_size % 16:
        raise InputError(f"The output block size must be a multiple of 16 pixels (got {block_size}).")
    input_files = _files_read_by(src)
    _check_output_path(out_path, input_files, "output")
    if mask_path is not None:
        _check_output_path(mask_path, input_files, "edit-mask output")
        if os.path.abspath(mask_path) == os.path.abspath(out_path):
            raise InputError("The edit-mask output and the edited raster must be different files.")
    rois = list(rois)
    if not rois or not all(isinstance(roi, Roi) for roi in rois):
        raise InputError("Give the ROIs returned by prepare_rois for this raster (at least one).")

    with _opened(src, window, allow_ungeoreferenced) as scene:
        _check_rois_fit(rois, scene)
        tiles = plan_unit_tiles(scene.width, scene.height, rois, tile_size, margin) if whole_rois \
            else plan_tiles(scene.width, scene.height, rois, tile_size, overlap, margin)
        # GeoTIFF tiles are multiples of 16; a small raster needs no block larger than itself.
        block = min(block_size, 16 * math.ceil(max(scene.width, scene.height) / 16))
        run = _SceneEdit(scene, rois, tiles, editor, overlap, feather, block, progress, is_cancelled, tile_source)
        for folder in {os.path.dirname(os.path.abspath(path)) for path in (out_path, mask_path) if path}:
            sweep_leftovers(folder)  # temporaries of earlier runs that were killed
            remember_output_folder(folder)  # so that clearcache sweeps it too
        image = atomic_output(out_path, geotiff_profile(
            scene.width, scene.height, scene.count, scene.dtype.name, scene.crs, scene.transform,
            scene.nodata, block, compress), with_overviews=overviews)
        edit_mask = None
        if mask_path is not None:
            mask_profile = geotiff_profile(scene.width, scene.height, 1, "uint8", scene.crs,
                                           scene.transform, None, block, compress)
            mask_profile["SPARSE_OK"] = "TRUE"  # unedited blocks are not stored; they read as 0
            edit_mask = atomic_output(mask_path, mask_profile, with_overviews=overviews)
        outputs = [output for output in (image, edit_mask) if output is not None]

        # Both are flushed and checked before either is renamed, and a cancel (or SIGTERM) counts
        # until the rename; on any failure nothing changes at either path.
        with rasterio.Env(GDAL_CACHEMAX=_gdal_cache_bytes(scene, block), GDAL_TIFF_INTERNAL_MASK=True), \
                sigterm_cancels(), written_together(outputs, before_commit=run.check_cancelled):
            dst = image.open()
            describe_like(dst, scene, tags)
            mask_dst = edit_mask.open() if edit_mask is not None else None
            if mask_dst is not None:
                mask_dst.set_band_description(1, "edit weight (0-255)")
                mask_dst.update_tags(**{**_as_tag_strings(tags or {}), **provenance_markers()})
            try:
                run.write(dst, mask_dst)
            finally:
                if tile_source is not None:
                    tile_source.close()  # outstanding tiles of a failed or cancelled run are cancelled
            if late_tags is not None:
                for dataset in (dst, mask_dst):
                    if dataset is not None:
                        dataset.update_tags(**_as_tag_strings(late_tags()))
            if overviews:
                run.check_cancelled()
                run.report(1.0, "Building overviews", force=True)
                for output in outputs:
                    _build_overviews(output.dataset)
        run.report(1.0, "Done", force=True)
        return EditResult(out_path=image.path, mask_path=edit_mask.path if edit_mask else None,
                          tiles_planned=len(tiles), tiles_edited=run.tiles_edited,
                          seconds=time.perf_counter() - started)


def plan_unit_tiles(width: int, height: int, rois: Sequence[Roi], tile_size: int, margin: int) -> list[Tile]:
    """The edit units of `rois` as tiles the engine edits; row and col are the window's pixel offsets
    (what seeds the unit's sample, so a unit's result does not depend on the others)."""
    return [Tile(row=int(unit.window.row_off), col=int(unit.window.col_off), window=unit.window,
                 roi_ids=unit.roi_ids, core=unit.core)
            for unit in plan_edit_units(width, height, rois, tile_size, margin)]


@contextmanager
def _opened(src: Union[str, os.PathLike, Scene], window: Optional[Window], allow_ungeoreferenced: bool):
    """The scene to edit: an open scene as it is (the caller closes it), else opened and closed here."""
    if isinstance(src, Scene):
        yield SceneWindow.of(src, window) if window is not None else src
        return
    with open_scene(str(src), allow_ungeoreferenced=allow_ungeoreferenced) as scene:
        yield SceneWindow.of(scene, window) if window is not None else scene


class _SceneEdit:
    """One run over the output blocks, with the edited tiles each block needs cached until the
    last block that uses them has been written."""

    def __init__(self, scene: Scene, rois: Sequence[Roi], tiles: list[Tile], editor: TileEditor,
                 overlap: int, feather: float, block_size: int,
                 progress: Optional[ProgressCallback], is_cancelled: Optional[CancelCheck],
                 tile_source: Optional[TileSource] = None) -> None:
        self.scene = scene
        self.tiles = tiles
        self.editor = editor
        self.overlap = overlap
        self.mask = RoiMask(rois, scene.width, scene.height, feather, cell_size=block_size)
        self.rois = {roi.id: roi for roi in rois}
        self.piece = "ROI unit" if any(tile.core is not None for tile in tiles) else "tile"  # for progress
        self.schedule = BlockSchedule(scene.width, scene.height, block_size, tiles)
        self.progress = progress
        self.is_cancelled = is_cancelled
        self.data_indexes = [band - 1 for band in scene.data_bands]
        self.edited: dict[int, np.ndarray] = {}
        self.tiles_edited = 0
        self._tiles_settled = 0
        self._blocks_done = 0
        self._last_fraction = -1.0
        self.source = tile_source
        self._tiles_done_elsewhere = 0  # by the tile source, which may be ahead of the writer

    def write(self, dst: DatasetWriter, mask_dst: Optional[DatasetWriter]) -> None:
        if self.source is not None:
            self.source.start(self.tiles, self.schedule.first_need_order(), self.schedule.block_size,
                              self.check_cancelled, self._remote_progress)
        pass_mask = self.scene.has_internal_mask
        # a tile not yet edited writes below this block row's top, and reads its window from at most
        # this far above where it writes
        tallest_tile = max((int(t.written.row_off + t.written.height - t.window.row_off) for t in self.tiles),
                           default=0)
        for block_index, window in self.schedule:
            self.check_cancelled()
            if int(window.col_off) == 0:
                # Tiles still to be edited read from at most tallest_tile rows above this block row.
                self.mask.release_rows_before(int(window.row_off) - tallest_tile)
            bands = self.scene.read_all_bands(window)
            tile_ids = self.schedule.tiles_for_block(block_index)
            levels = self._edit_levels(window) if tile_ids else None
            if levels is not None:
                bands[self.data_indexes] = self._edited_block(window, bands[self.data_indexes],
                                                              levels, tile_ids)
            dst.write(bands, window=window)
            if pass_mask:
                dst.write_mask(self.scene.read_internal_mask(window), window=window)
            if mask_dst is not None and levels is not None:
                mask_dst.write(levels, 1, window=window)  # blocks left out read as 0 (sparse)
            for tile_id in tile_ids:
                if self.schedule.last_block_of_tile[tile_id] == block_index:
                    if self.edited.pop(tile_id, None) is None:
                        self._tiles_settled += 1  # never needed editing; edited ones counted already
                    if self.source is not None:
                        self.source.release(tile_id)
            self._blocks_done += 1
            self.report(self._fraction(), f"Writing block {self._blocks_done} of {len(self.schedule)}")

    def check_cancelled(self) -> None:
        if self.is_cancelled is not None and self.is_cancelled():
            raise CancelledError("The edit was cancelled; no output was written.")

    def report(self, fraction: float, message: str, force: bool = False) -> None:
        if self.progress is None:
            return
        if force or fraction - self._last_fraction >= 0.002:
            self._last_fraction = fraction
            self.progress(min(fraction, 1.0), message)

    def _tile_progress(self, fraction: float, message: str = "") -> None:
        fraction = min(max(fraction, 0.0), 1.0)
        doing = f": {message}" if message else ""  # what the model is doing, e.g. its sampling step
        self.report(self._fraction(tile_part=fraction),
                    f"Editing {self.piece} {self.tiles_edited + 1} of at most {len(self.tiles)}{doing} "
                    f"({100 * fraction:.0f}%)")

    def _remote_progress(self, done: int, message: str = "") -> None:
        # tiles edited elsewhere count as they complete, ahead of the blocks that write them
        self._tiles_done_elsewhere = max(self._tiles_done_elsewhere, done)
        self.report(self._fraction(), message or f"Edited {done} of at most {len(self.tiles)} tiles on the cluster")

    def _fraction(self, tile_part: float = 0.0) -> float:
        # Blocks and tiles each count for half: editing dominates small ROIs, I/O large scenes.
        # tile_part: how much of the tile being edited is done.
        blocks = self._blocks_done / max(len(self.schedule), 1)
        if not self.tiles:
            return blocks
        tiles = max(self._tiles_settled + tile_part, self._tiles_done_elsewhere)
        return 0.5 * blocks + 0.5 * tiles / len(self.tiles)

    def _edit_levels(self, window: Window) -> Optional[np.ndarray]:
        """M = soft ROI mask x validity as uint8 levels (M = level / 255), exactly the edit-mask
        output, so a 0 there means the pixel was copied unchanged. None where M is all 0."""
        levels = self.mask.window_levels(window)
        if not levels.any():
            return None
        levels *= self.scene.read_valid(window)
        return levels if levels.any() else None

    def _edited_block(self, window: Window, data: np.ndarray, levels: np.ndarray,
                      tile_ids: list[int]) -> np.ndarray:
        """out = in*(1-M) + M*(sum w_i e_i / sum w_i) over the tiles covering each pixel."""
        # Work on the part of the block that changes; the rest stays bit-identical.
        rows = np.flatnonzero(levels.any(axis=1))
        cols = np.flatnonzero(levels.any(axis=0))
        r0, r1, c0, c1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
        row0, col0 = int(window.row_off) + r0, int(window.col_off) + c0
        height, width = r1 - r0, c1 - c0
        work = _work_dtype(data.dtype)
        weight = levels[r0:r1, c0:c1].astype(work) / work.type(255)
        weighted_sum = np.zeros((data.shape[0], height, width), dtype=work)
        weight_sum = np.zeros((height, width), dtype=work)
        for tile_id in tile_ids:
            tile = self.tiles[tile_id]
            tw, written = tile.window, tile.written
            t_row0, t_col0 = int(tw.row_off), int(tw.col_off)
            top, bottom = max(row0, int(written.row_off)), min(row0 + height, int(written.row_off + written.height))
            left, right = max(col0, int(written.col_off)), min(col0 + width, int(written.col_off + written.width))
            if top >= bottom or left >= right:
                continue
            in_block = (slice(top - row0, bottom - row0), slice(left - col0, right - col0))
            if not weight[in_block].any():
                continue  # the tile would change nothing here; do not run the editor for it
            in_tile = (slice(top - t_row0, bottom - t_row0), slice(left - t_col0, right - t_col0))
            if tile.core is not None:
                # a unit writes its own ROIs' pixels, unblended; a pixel two units claim goes to the first
                own = self._inside_rois(tile.roi_ids, top, bottom, left, right) & (weight_sum[in_block] == 0)
                if not (own & (weight[in_block] > 0)).any():
                    continue
                w = own.astype(work)
                edited = self._edited_tile(tile_id)
            else:
                edited = self._edited_tile(tile_id)
                row_weights, col_weights = tile_weights(tw, self.scene.width, self.scene.height, self.overlap)
                w = np.outer(row_weights[in_tile[0]], col_weights[in_tile[1]]).astype(work)
            weighted_sum[:, in_block[0], in_block[1]] += w * edited[:, in_tile[0], in_tile[1]]
            weight_sum[in_block] += w

        # Pixels no tile covers cannot occur with plan_tiles' plans; keep them unchanged anyway.
        covered = weight_sum > 0
        weight[~covered] = 0
        weight_sum[~covered] = 1
        part = data[:, r0:r1, c0:c1]
        weighted_sum /= weight_sum
        weighted_sum -= part
        weighted_sum *= weight
        weighted_sum += part  # in + M * (blend - in)
        edited_part = _to_dtype(weighted_sum, data.dtype)
        changed = weight > 0
        _move_off_nodata(edited_part, changed, self.scene.nodata)
        out = data.copy()
        np.copyto(out[:, r0:r1, c0:c1], edited_part, where=changed[np.newaxis])
        return out

    def _inside_rois(self, roi_ids: Sequence[Any], top: int, bottom: int, left: int, right: int) -> np.ndarray:
        """Pixels (by centre, as the ROI mask counts them) of rows top..bottom, cols left..right inside
        any of these ROIs."""
        shapes = [(self.rois[roi_id].pixel_geometry, 1) for roi_id in roi_ids]
        return rasterize(shapes, out_shape=(bottom - top, right - left), transform=Affine.translation(left, top),
                         fill=0, dtype="uint8").astype(bool)

    def _edited_tile(self, tile_id: int) -> np.ndarray:
        cached = self.edited.get(tile_id)
        if cached is not None:
            return cached
        self.check_cancelled()
        result = self._edit_here(tile_id) if self.source is None else self.source.edited(tile_id)
        self.edited[tile_id] = result
        self.tiles_edited += 1
        self._tiles_settled += 1
        self.report(self._fraction(), f"Edited {self.piece} {self.tiles_edited} of at most {len(self.tiles)}",
                    force=True)
        return result

    def _edit_here(self, tile_id: int) -> np.ndarray:
        tile = self.tiles[tile_id]
        data, valid = self.scene.read(tile.window)
        context = TileContext(data=data, roi_mask=self.mask.window_mask(tile.window), valid=valid,
                              window=tile.window,
                              transform=window_transform(tile.window, self.scene.transform),
                              crs=self.scene.crs, roi_ids=tile.roi_ids, tile=tile,
                              progress=self._tile_progress)
        try:
            result = self.editor(context)
        except Exception as exc:
            exc.add_note(f"(while editing tile row {tile.row}, col {tile.col}, window {tile.window})")
            raise
        result = checked_edit(result, context)
        if result.base is not None:
            result = result.copy()  # a view into a buffer the editor may reuse
        return result


def _work_dtype(dtype: np.dtype) -> np.dtype:
    """float32 is exact enough to blend 8/16-bit integers and float32; wider types need float64."""
    return np.dtype(np.float32) if dtype.itemsize <= 2 or dtype == np.float32 else np.dtype(np.float64)


def _to_dtype(values: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Round and clip to an integer dtype's range; floats are cast."""
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        return np.clip(np.rint(values), info.min, info.max).astype(dtype)
    return values.astype(dtype)


def _move_off_nodata(out: np.ndarray, changed: np.ndarray, nodata: Optional[float]) -> None:
    """An edited valid pixel must not become nodata: move it one unit away."""
    if nodata is None or math.isnan(nodata):
        return
    hits = changed[np.newaxis] & (out == nodata)
    if not hits.any():
        return
    dtype = out.dtype
    if np.issubdtype(dtype, np.integer):
        away = nodata - 1 if nodata >= np.iinfo(dtype).max else nodata + 1
    else:
        away = np.nextafter(dtype.type(nodata), dtype.type(np.inf if nodata < np.finfo(dtype).max else 0))
    out[hits] = away


def describe_like(dst: DatasetWriter, scene: Scene, tags: Optional[dict[str, Any]], synthetic: bool = True) -> None:
    """Band descriptions, colour interpretation, scales, units, palette, dataset tags and the
    provenance markers (`synthetic`: False for a file of source pixels only)."""
    src = scene.dataset
    if src.count >= 1 and ColorInterp.palette in src.colorinterp[:1]:
        try:
            dst.write_colormap(1, src.colormap(1))
        except ValueError:
            pass  # a palette band without a colour table
    dst.colorinterp = src.colorinterp
    for band, description in enumerate(src.descriptions, start=1):
        if description:
            dst.set_band_description(band, description)
    if any(scale != 1.0 for scale in src.scales) or any(offset != 0.0 for offset in src.offsets):
        dst.scales = src.scales
        dst.offsets = src.offsets
    if any(src.units):
        dst.units = [unit or "" for unit in src.units]
    # The source's dataset metadata (e.g. AREA_OR_POINT) carries over, except TIFF baseline
    # tags that describe the file that was read (software, date); then the caller's tags.
    kept = {key: value for key, value in src.tags().items() if not key.startswith("TIFFTAG_")}
    kept.update(_as_tag_strings(tags or {}))
    kept.update(provenance_markers(synthetic))
    dst.update_tags(**kept)


def _as_tag_strings(tags: dict[str, Any]) -> dict[str, str]:
    return {str(key): str(value) for key, value in tags.items()}


def _build_overviews(dataset: DatasetWriter) -> None:
    factors = []
    factor = 2
    while max(dataset.width, dataset.height) / factor >= OVERVIEW_MIN_SIZE:
        factors.append(factor)
        factor *= 2
    if factors:
        dataset.build_overviews(factors, Resampling.average)
        dataset.update_tags(ns="rio_overview", resampling="average")


def _gdal_cache_bytes(scene: Scene, block_size: int) -> int:
    """64 MB, unless the input is striped: then enough to hold the strips under one row of
    output blocks, so a strip is not decoded again for every block along the row."""
    block_height, block_width = scene.dataset.block_shapes[0]
    if block_width < scene.width:
        return GDAL_CACHE_BYTES
    strip_row_bytes = (scene.width * (block_size + block_height) * scene.count
                       * scene.dtype.itemsize)
    return max(GDAL_CACHE_BYTES, int(strip_row_bytes * 1.25))


def _checked_compression(compress: str) -> str:
    name = str(compress or "NONE").upper()
    if name not in COMPRESSIONS:
        raise InputError(f"Unknown compression {compress!r}; choose one of {', '.join(COMPRESSIONS)}.")
    return name


def _files_read_by(src: Union[str, os.PathLike, Scene]) -> list[str]:
    """Every file the input reads: itself, for a VRT its sources, and the sidecars GDAL lists or
    reads beside any of them (.aux.xml, .msk, .ovr, world files). A path that cannot be opened gives
    just itself (its own error follows when it is opened for the edit)."""
    if isinstance(src, Scene):
        path, files = src.path, list(src.dataset.files)
    else:
        path = str(src)
        try:
            with rasterio.open(src) as dataset:
                files = list(dataset.files)
        except RasterioError:
            files = []
    # a VRT lists its sources but not the sources' own sidecars, which GDAL still reads through it
    sidecars = [name + suffix for name in files for suffix in SIDECAR_SUFFIXES if os.path.exists(name + suffix)]
    return [path, *dict.fromkeys(files + sidecars)]


def _same_file(a: str, b: str) -> bool:
    if os.path.realpath(a) == os.path.realpath(b):
        return True
    try:
        return os.path.samefile(a, b)  # hard links, and paths that differ in case on Windows
    except OSError:
        return False


def _check_output_path(path: str, input_files: Sequence[str], what: str) -> None:
    if not path:
        raise InputError(f"No {what} file was given.")
    absolute = os.path.abspath(path)
    folder = os.path.dirname(absolute)
    if os.path.isdir(absolute):
        raise InputError(f"The {what} {path!r} is a folder; give a file name such as "
                         f"{os.path.join(path, 'edited.tif')!r}.")
    if not os.path.isdir(folder):
        raise InputError(f"The folder of the {what} {folder!r} does not exist; create it or choose "
                         "another location.")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InputError(f"The folder {folder!r} is not writable; choose another location for the "
                         f"{what}.")
    source, *read = input_files
    if _same_file(absolute, source):
        raise InputError(f"The {what} {path!r} is the input raster; RSEdit never overwrites its "
                         "input. Choose another file name.")
    # the output replaces its own sidecars too (see output.SIDECAR_SUFFIXES)
    for written in [absolute] + [absolute + suffix for suffix in SIDECAR_SUFFIXES]:
        hit = next((name for name in read if _same_file(written, name)), None)
        if hit is not None:
            raise InputError(f"The {what} {path!r} would overwrite {hit!r}, which the input raster "
                             f"{source!r} reads; RSEdit never writes its input. Choose another file name.")
    if os.path.exists(absolute) and not os.access(absolute, os.W_OK):
        raise InputError(f"The {what} {path!r} exists and is read-only; choose another file name.")


def _check_rois_fit(rois: Sequence[Roi], scene: Scene) -> None:
    """ROIs prepared for a different raster would land in the wrong pixels."""
    for roi in rois:
        minx, miny, maxx, maxy = roi.pixel_geometry.bounds
        if minx < -1e-6 or miny < -1e-6 or maxx > scene.width + 1e-6 or maxy > scene.height + 1e-6:
            raise InputError(f"ROI {roi.id!r} does not fit the raster {scene.path!r}; prepare the "
                             "ROIs with prepare_rois on this raster.")
