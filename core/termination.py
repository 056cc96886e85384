"""SIGTERM during a write in the main thread becomes a cancel: the run raises CancelledError where it
is, its temporaries are discarded, and the previous handler is back afterwards.

Only the default handler is replaced: a program that handles or ignores SIGTERM itself (or installed
a C handler Python cannot restore) keeps its own behaviour. A SIGTERM that arrives while files are
being renamed or cleaned up (`uninterruptible`) waits until that is done: if the run then completed,
the signal is delivered again once the default handler is back, so the process still terminates.
"""
from __future__ import annotations

import signal
import threading
from contextlib import contextmanager
from typing import Iterator

from .errors import CancelledError


class _State:
    installed = False
    critical = 0  # depth of uninterruptible sections
    pending = False  # a SIGTERM arrived during one
    fired = False  # the run was cancelled already; later signals wait for the cleanup


def _on_sigterm(signum: int, frame: object) -> None:
    if _State.fired:
        return
    if _State.critical:
        _State.pending = True
        return
    _State.fired = True
    raise CancelledError("The edit was stopped by a termination request (SIGTERM); no output was written.")


@contextmanager
def sigterm_cancels() -> Iterator[None]:
    """Within the block, SIGTERM raises CancelledError in the main thread (see the module's notes)."""
    if (_State.installed or threading.current_thread() is not threading.main_thread()
            or not hasattr(signal, "SIGTERM") or signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL):
        yield
        return
    signal.signal(signal.SIGTERM, _on_sigterm)
    _State.installed, _State.pending, _State.fired = True, False, False
    try:
        yield
    finally:
        with uninterruptible():
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            deliver = _State.pending and not _State.fired
            _State.installed, _State.pending, _State.fired = False, False, False
        if deliver:
            signal.raise_signal(signal.SIGTERM)


@contextmanager
def uninterruptible() -> Iterator[None]:
    """A section (renames, cleanup) that a SIGTERM must not cut in two."""
    if threading.current_thread() is not threading.main_thread():
        yield  # the handler only ever interrupts the main thread
        return
    _State.critical += 1
    try:
        yield
    finally:
        _State.critical -= 1
