"""Maps QgsProcessingFeedback onto the plain callables rsedit.core takes."""
from __future__ import annotations

import time

from qgis.core import QgsProcessingFeedback


class FeedbackBridge:
    """progress(fraction, message) and is_cancelled() for core, reporting to a Processing feedback."""

    #: progress messages (training steps, tiles) reach the log at most this often
    LOG_INTERVAL_S = 10.0
    #: and the progress text at most this often (qgis_process prints every change on its own line)
    TEXT_INTERVAL_S = 2.0

    def __init__(self, feedback: QgsProcessingFeedback | None, start: float = 0.0, end: float = 1.0) -> None:
        self.feedback = feedback
        self.start = start
        self.end = end
        self._last_message = ""
        self._last_logged = float("-inf")
        self._last_text = float("-inf")

    def progress(self, fraction: float, message: str = "") -> None:
        if self.feedback is None:
            return
        self.feedback.setProgress(100.0 * (self.start + (self.end - self.start) * min(max(fraction, 0.0), 1.0)))
        now = time.monotonic()
        if message and message != self._last_message and (now - self._last_logged >= self.LOG_INTERVAL_S or fraction >= 1.0):
            self.feedback.pushInfo(message)
            self._last_message = message
            self._last_logged = now
        elif message and now - self._last_text >= self.TEXT_INTERVAL_S:
            self.feedback.setProgressText(message)
            self._last_text = now

    def is_cancelled(self) -> bool:
        return self.feedback is not None and self.feedback.isCanceled()
