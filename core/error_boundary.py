"""The edge of the package: whatever an edit raises reaches the caller as an RSEditError with a
message a user can act on, never as a library's own exception type."""
from __future__ import annotations

import errno
import logging
from contextlib import contextmanager
from typing import Iterator

from rasterio.errors import RasterioError, RasterioIOError

from .errors import InputError, RSEditError

log = logging.getLogger(__name__)


@contextmanager
def user_errors(what: str) -> Iterator[None]:
    """Translate the failures that libraries raise during `what` (e.g. "the edit") into RSEditErrors."""
    try:
        yield
    except RSEditError:
        raise
    except (RasterioError, RasterioIOError) as error:
        raise InputError(f"Cannot read or write a raster during {what}: {error}. The file may be truncated or "
                         "corrupt: check it with gdalinfo -checksum, or write it again.") from None
    except MemoryError:
        raise RSEditError(f"Out of memory during {what}: choose a smaller tile size or training context, or "
                          "close other programs.") from None
    except OSError as error:
        if error.errno == errno.ENOSPC:
            raise RSEditError(f"The disk is full ({error.filename or 'output folder'}) during {what}: free some "
                              "space and run again.") from None
        raise RSEditError(f"A file could not be read or written during {what}: {error}. Check the paths and "
                          "their permissions.") from None
    except RuntimeError as error:
        # torch reports device faults (CUDA out of memory, a lost GPU) as RuntimeError
        text = str(error).splitlines()[0] if str(error) else type(error).__name__
        if "out of memory" in text.lower():
            raise RSEditError(f"The device ran out of memory during {what}: choose a smaller tile size, or the "
                              "CPU.") from None
        log.exception("Unexpected failure during %s", what)
        raise RSEditError(f"{what.capitalize()} failed: {text}. This is a fault in RSEdit or a library; the log "
                          "has the details.") from None
    except (ValueError, TypeError, KeyError, IndexError, ArithmeticError) as error:
        log.exception("Unexpected failure during %s", what)
        raise RSEditError(f"{what.capitalize()} failed: {error}. This is a fault in RSEdit; the log has the "
                          "details, please report them.") from None
