"""Atomic GeoTIFF output: written under a temporary name in its folder, then flushed, checked and
synced, and renamed only when all of it is on disk; a failure (a full disk included) or a cancel
leaves the final path as it was and no temporary behind."""
from __future__ import annotations

import errno
import math
import os
import shutil
import uuid
import warnings
from contextlib import contextmanager
from typing import Any, Callable, Iterable, Iterator, Optional, Sequence

import numpy as np
import rasterio
from rasterio.errors import NotGeoreferencedWarning, RasterioError, RasterioIOError
from rasterio.io import DatasetWriter

from .errors import CancelledError, RSEditError
from .leftovers import temporary_path
from .termination import uninterruptible

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

COMPRESSIONS = ("NONE", "LZW", "DEFLATE", "ZSTD")
# Files GDAL may write next to a GeoTIFF; they follow it on rename and go with it on discard.
SIDECAR_SUFFIXES = (".aux.xml", ".msk", ".ovr")
# The same value in every file of one commit (an edit and its mask): which run wrote them.
RUN_ID_TAG = "RSEDIT_RUN_ID"
_FULL_DISK_TEXTS = ("no space left", "disk quota", "disk full", "not enough space")
_FULL_DISK_ERRNOS = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}
MIN_FREE_BYTES = 2**20  # less free than this (or than two blocks) after a write error: the disk is full


class _WriteFailed(RSEditError):
    """Creating, flushing or checking a temporary file failed; written_together tells a full disk apart."""


def geotiff_profile(width: int, height: int, count: int, dtype: str, crs: Any, transform: Any,
                    nodata: Optional[float], block_size: int, compress: str) -> dict[str, Any]:
    """Creation profile of a tiled, pixel-interleaved GeoTIFF that may grow past 4 GB."""
    profile: dict[str, Any] = dict(
        driver="GTiff", width=width, height=height, count=count, dtype=dtype, crs=crs,
        transform=transform, nodata=nodata, tiled=True, blockxsize=block_size,
        blockysize=block_size, interleave="pixel", BIGTIFF="IF_SAFER")
    if compress != "NONE":
        profile["compress"] = compress
    return profile


class AtomicGeoTIFF:
    """A GeoTIFF that appears at `path` only on commit(); discard() leaves nothing behind."""

    def __init__(self, path: str, profile: dict[str, Any], with_overviews: bool = False) -> None:
        self.path = os.path.abspath(path)
        self.folder = os.path.dirname(self.path)
        self.temp_path = temporary_path(self.path)  # names this process, so a sweep can tell it is alive
        self.profile = profile
        self.with_overviews = with_overviews  # only for the estimate of the space needed
        self.sparse = str(profile.get("SPARSE_OK", "")).upper() in ("TRUE", "YES", "1")
        self.dataset: Optional[DatasetWriter] = None
        self.verified = False  # read back and synced: safe to rename

    @property
    def needed_bytes(self) -> int:
        """The most the file can take: uncompressed pixels, plus a third for overviews."""
        itemsize = np.dtype(self.profile["dtype"]).itemsize
        pixels = self.profile["width"] * self.profile["height"] * self.profile["count"] * itemsize
        return int(pixels * (4 / 3 if self.with_overviews else 1)) + 64 * 1024  # + headers and tags

    @property
    def block_bytes(self) -> int:
        itemsize = np.dtype(self.profile["dtype"]).itemsize
        return int(self.profile["blockxsize"] * self.profile["blockysize"] * self.profile["count"] * itemsize)

    def open(self) -> DatasetWriter:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", NotGeoreferencedWarning)
                self.dataset = rasterio.open(self.temp_path, "w", **self.profile)
        except RasterioIOError as exc:
            raise _WriteFailed(f"Cannot create the output {self.path!r}: {exc}. Check that the folder "
                               "is writable and has free space.") from exc
        return self.dataset

    def close(self, run_id: Optional[str] = None) -> None:
        """Flush, close, check and sync the file; any write error surfaces here, before anything is
        renamed. rasterio 1.3 only logs what GDAL reports while closing (a full disk among it), so
        the file is read back: every block of every level must lie within it."""
        if self.dataset is None:
            return
        if not self.dataset.closed:
            if run_id is not None:
                self.dataset.update_tags(**{RUN_ID_TAG: run_id})
            _reset_gdal_error()
            try:
                self.dataset.close()
            except Exception as exc:  # rasterio versions that raise on a failed close
                raise _WriteFailed(f"Writing the output {self.path!r} failed: {exc}.") from exc
            failure = _gdal_failure()
            if failure:
                raise _WriteFailed(f"Writing the output {self.path!r} failed: {failure}.")
        if not self.verified:  # also when the dataset was closed by other means
            _check_blocks(self.temp_path, self.path, self.sparse)
            for path in self._temp_files():
                fsync_path(path)
            self.verified = True

    def commit(self) -> None:
        """Close, check and rename; on failure the temporary is removed (see written_together)."""
        with written_together([self]):
            pass

    def discard(self) -> None:
        if self.dataset is not None and not self.dataset.closed:
            try:
                self.dataset.close()
            except Exception:
                pass  # the file is being thrown away; the original error matters
        for path in [self.temp_path] + [self.temp_path + s for s in SIDECAR_SUFFIXES]:
            try:
                os.remove(path)
            except FileNotFoundError:
                pass

    def _temp_files(self) -> list[str]:
        return [p for p in [self.temp_path] + [self.temp_path + s for s in SIDECAR_SUFFIXES] if os.path.exists(p)]


@contextmanager
def written_together(outputs: Sequence[AtomicGeoTIFF],
                     before_commit: Optional[Callable[[], None]] = None) -> Iterator[str]:
    """The block writes `outputs`; then every one is flushed and checked before any is renamed,
    `before_commit` runs (a last cancel check: a cancel counts until the rename), and all are renamed
    in the order given under the folders' locks, so that two runs never interleave their files.
    Every file gets the same RUN_ID_TAG (the value the block receives). On any failure or cancel all
    temporaries are removed, the final paths stay as they were, and a full disk is reported as such."""
    run_id = uuid.uuid4().hex
    try:
        yield run_id
        for output in outputs:
            output.close(run_id)
        if before_commit is not None:
            before_commit()
        commit_renames([(output.temp_path, output.path) for output in outputs])
    except BaseException as error:
        with uninterruptible():  # a SIGTERM now would leave temporaries behind
            full = _looks_like_full_disk(error, outputs)  # before the temporaries free their space
            for output in outputs:
                output.discard()
        if full:
            raise _full_disk_error(outputs) from None
        raise


def commit_renames(renames: Sequence[tuple[str, str]]) -> None:
    """Rename each (temporary, final) pair, sidecars with it, in this order, holding every folder's
    lock (taken in a fixed order), then sync the folders so that the renames survive a power cut."""
    folders = sorted({os.path.dirname(os.path.abspath(final)) for _, final in renames})
    with uninterruptible(), _locked(folders):
        for temporary, final in renames:
            _replace_with_sidecars(temporary, final)
        for folder in folders:
            _fsync_folder(folder)


def fsync_path(path: str) -> None:
    """Force a file's data to the disk (errors such as a full disk on a network share show here)."""
    fd = os.open(path, os.O_RDWR | getattr(os, "O_BINARY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove_with_sidecars(path: str) -> None:
    """Remove a file and the sidecars GDAL may have written beside it, where they exist."""
    for candidate in [path] + [path + suffix for suffix in SIDECAR_SUFFIXES]:
        try:
            os.remove(candidate)
        except FileNotFoundError:
            pass


def _replace_with_sidecars(temporary: str, final: str) -> None:
    os.replace(temporary, final)
    for suffix in SIDECAR_SUFFIXES:
        stale = final + suffix
        if os.path.exists(temporary + suffix):
            os.replace(temporary + suffix, stale)
        elif os.path.exists(stale):
            os.remove(stale)  # e.g. an .aux.xml describing a previous file of that name


@contextmanager
def _locked(folders: Iterable[str]) -> Iterator[None]:
    """Exclusive locks on the folders themselves (no lock file is left): they serialise commits, so
    an edit and its mask always come from the same run. Windows: no lock (its renames are rare
    enough between QGIS sessions that a lock file left behind would cost more than it saves)."""
    held: list[int] = []
    try:
        if fcntl is not None:
            for folder in folders:
                fd = os.open(folder, os.O_RDONLY)
                held.append(fd)
                fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        for fd in reversed(held):
            os.close(fd)  # closing releases the lock


def _fsync_folder(folder: str) -> None:
    if os.name != "posix":
        return  # folders cannot be opened, nor synced, on Windows
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems cannot sync a folder; the files themselves are synced already
    finally:
        os.close(fd)


def _check_blocks(temp_path: str, path: str, sparse: bool) -> None:
    """A full disk leaves blocks unwritten (offset 0, which GDAL reads back as 0 without a word) or
    cut short (beyond the end of the file): every block of every level must lie within the file.
    Outputs written with SPARSE_OK may leave blocks out on purpose; theirs only have to fit."""
    size = os.path.getsize(temp_path)
    try:
        with rasterio.open(temp_path) as dataset:
            levels = [None] + list(range(len(dataset.overviews(1))))
        for level in levels:
            with rasterio.open(temp_path, overview_level=level) as dataset:
                block_height, block_width = dataset.block_shapes[0]  # pixel interleaved: one set of blocks
                for row in range(math.ceil(dataset.height / block_height)):
                    for col in range(math.ceil(dataset.width / block_width)):
                        offset = int(dataset.get_tag_item(f"BLOCK_OFFSET_{col}_{row}", "TIFF", bidx=1) or 0)
                        length = int(dataset.get_tag_item(f"BLOCK_SIZE_{col}_{row}", "TIFF", bidx=1) or 0)
                        if (offset == 0 and not sparse) or offset + length > size:
                            what = "full resolution" if level is None else f"overview {level + 1}"
                            raise _WriteFailed(f"Writing the output {path!r} failed: block {col},{row} of the "
                                               f"{what} is missing from the file.")
    except RasterioError as exc:
        raise _WriteFailed(f"Writing the output {path!r} failed: the file written cannot be read back "
                           f"({exc}).") from exc


def _looks_like_full_disk(error: BaseException, outputs: Sequence[AtomicGeoTIFF]) -> bool:
    """A full disk says so (ENOSPC, or GDAL's text), or shows as a write error with next to no space left."""
    if not isinstance(error, Exception) or isinstance(error, CancelledError) or not outputs:
        return False
    chain: list[BaseException] = []
    cause: Optional[BaseException] = error
    while cause is not None and cause not in chain:
        chain.append(cause)
        cause = cause.__cause__ or cause.__context__
    for cause in chain:
        if isinstance(cause, OSError) and cause.errno in _FULL_DISK_ERRNOS:
            return True
        if any(text in str(cause).lower() for text in _FULL_DISK_TEXTS):
            return True
    if not any(isinstance(cause, (OSError, RasterioError, _WriteFailed)) for cause in chain):
        return False
    margin = max(MIN_FREE_BYTES, 2 * max(output.block_bytes for output in outputs))
    return any(_free_bytes(output.folder) < margin for output in outputs)


def _full_disk_error(outputs: Sequence[AtomicGeoTIFF]) -> RSEditError:
    """How much to free: what the outputs on the fullest disk may need, less what is free there now."""
    disks: dict[Any, list[AtomicGeoTIFF]] = {}
    for output in outputs:
        try:
            disk = os.stat(output.folder).st_dev
        except OSError:
            disk = output.folder
        disks.setdefault(disk, []).append(output)
    shortfalls = []
    for group in disks.values():
        needed = sum(output.needed_bytes for output in group)
        shortfalls.append((needed - _free_bytes(group[0].folder), needed, group[0].folder))
    short, needed, folder = max(shortfalls)
    # at least a tenth of the need: the disk filled although the estimate said it would fit
    megabytes = max(math.ceil(short / 1e6), math.ceil(needed / 1e7), 1)
    return RSEditError(f"The disk holding {folder} is full: free {megabytes} MB and run again (the output needs "
                       f"up to {math.ceil(needed / 1e6)} MB before compression; it was not written and any "
                       "previous file of that name is unchanged).")


def _free_bytes(folder: str) -> int:
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return 0


def _osgeo_gdal() -> Any:
    try:
        from osgeo import gdal
    except ImportError:
        return None
    return gdal


def _reset_gdal_error() -> None:
    gdal = _osgeo_gdal()
    if gdal is not None:
        gdal.ErrorReset()


def _gdal_failure() -> Optional[str]:
    """GDAL's last error in this thread, where rasterio and osgeo share one GDAL (QGIS's, Debian's):
    a failure while closing that rasterio 1.3 only logs. Elsewhere _check_blocks still finds it."""
    gdal = _osgeo_gdal()
    if gdal is None or gdal.GetLastErrorType() < gdal.CE_Failure:
        return None
    return gdal.GetLastErrorMsg() or "GDAL reported an error while closing the file"
