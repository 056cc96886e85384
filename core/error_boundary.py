"""The edge of the package: whatever an edit raises reaches the caller as an RSEditError with a
one-line message a user can act on, never as a library's own exception type."""
from __future__ import annotations

import errno
import logging
from contextlib import contextmanager
from typing import Any, Iterator, Optional, Sequence

from rasterio.errors import RasterioError, RasterioIOError

from .errors import InputError, RSEditError, TrainingDataError

log = logging.getLogger(__name__)


def one_line(text: str) -> str:
    """`text` on one line: QGIS and qgis_process show messages line by line, and a library's
    multi-line text (torch, diffusers) would otherwise read like a traceback."""
    return " ".join(text.split())


@contextmanager
def user_errors(what: str) -> Iterator[None]:
    """Translate the failures that libraries raise during `what` (e.g. "the edit") into RSEditErrors.
    An unexpected one is a fault: its traceback goes to the log and the message says so."""
    try:
        yield
    except RSEditError as error:
        if error.args and "\n" in str(error):
            # in place, so the type and its attributes (TrainingCancelled.partial, ...) stay
            error.args = (one_line(str(error)),) + error.args[1:]
        raise
    except (RasterioError, RasterioIOError) as error:
        raise InputError(f"Cannot read or write a raster during {what}: {one_line(str(error))}. The file may be "
                         "truncated or corrupt: check it with gdalinfo -checksum, or write it again.") from None
    except MemoryError:
        raise _out_of_memory(what) from None
    except OSError as error:
        if error.errno == errno.ENOSPC:
            raise RSEditError(f"The disk is full ({error.filename or 'output folder'}) during {what}: free some "
                              "space and run again.") from None
        raise RSEditError(f"A file could not be read or written during {what}: {one_line(str(error))}. Check the "
                          "paths and their permissions.") from None
    except ImportError as error:
        log.exception("A package failed to import during %s", what)
        raise RSEditError(f"{what.capitalize()} needs the Python package '{error.name or '?'}', which is missing or "
                          f"broken ({one_line(str(error))}): install the packages of RSEdit's requirements.txt "
                          "into QGIS's Python, then restart QGIS.") from None
    except RuntimeError as error:
        # torch reports device faults (CUDA out of memory, a lost GPU) and a failed CPU allocation as RuntimeError
        text = str(error).lower()
        if "out of memory" in text:
            raise RSEditError(f"The device ran out of memory during {what}: choose a smaller tile size, or the "
                              "CPU.") from None
        if "can't allocate memory" in text:
            raise _out_of_memory(what) from None
        raise _fault(what, error, "This is a fault in RSEdit or a library") from None
    except Exception as error:  # noqa: BLE001 (the boundary: no library type may pass it)
        raise _fault(what, error, "This is a fault in RSEdit") from None


def _out_of_memory(what: str) -> RSEditError:
    return RSEditError(f"Out of memory during {what}: choose a smaller tile size or training context, or close "
                       "other programs.")


def _fault(what: str, error: Exception, whose: str) -> RSEditError:
    """The message of an unexpected failure; its traceback goes to the log, where the message points."""
    log.exception("Unexpected failure during %s", what)
    text = one_line(str(error))[:300] or type(error).__name__  # the log has all of it
    return RSEditError(f"{what.capitalize()} failed: {text}. {whose}; the log has the details, please report "
                       "them.")


@contextmanager
def scene_model_errors(rois: Sequence[Any], backend: Optional[str], context_size: int) -> Iterator[None]:
    """Say what to change when the pixels around `rois` cannot train or index the scene model: the
    model knows what is wrong with its pixels, only the caller knows which ROIs and settings chose them."""
    try:
        yield
    except TrainingDataError as error:
        name = f"{backend} scene model" if backend else "scene model"
        other = ", or choose the trained backend" if backend == "training-free" else ""
        action = error.action or (f"enlarge the training context (context_size, now {context_size} px) so it takes "
                                  f"in more valid pixels, or move the ROIs away from nodata areas{other}")
        raise InputError(f"The {name} cannot learn from the area around {roi_names(rois)}: {error.reason}: "
                         f"{action}.") from None


def roi_names(rois: Sequence[Any], most: int = 8) -> str:
    """ "ROI 3" or "ROIs 1, 2 and 5" (the first `most` ids, then how many more)."""
    ids = [str(getattr(roi, "id", roi)) for roi in rois]
    if len(ids) == 1:
        return f"ROI {ids[0]}"
    shown = ids[:most] if len(ids) > most else ids[:-1]
    rest = f"{len(ids) - most} more" if len(ids) > most else ids[-1]
    return f"ROIs {', '.join(shown)} and {rest}"
