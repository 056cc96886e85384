"""The one progress and cancel contract of every long operation, in core/ and models/ alike:
`progress(fraction, message)` with fraction in 0..1, and `is_cancelled()` polled between units of
work; a cancelled operation raises CancelledError (core/errors.py)."""
from __future__ import annotations

from typing import Callable, Optional

from .errors import CancelledError

ProgressCallback = Callable[[float, str], None]
CancelCheck = Callable[[], bool]


def raise_if_cancelled(is_cancelled: Optional[CancelCheck], message: str) -> None:
    """Raise CancelledError(message) when the caller asked to stop."""
    if is_cancelled is not None and is_cancelled():
        raise CancelledError(message)
