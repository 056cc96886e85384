"""Maps QgsProcessingFeedback onto the plain callables rsedit.core takes."""
from __future__ import annotations

from typing import Callable

from qgis.core import QgsProcessingFeedback


class FeedbackBridge:
    """progress(fraction, message) and is_cancelled() for core, reporting to a Processing feedback."""

    def __init__(self, feedback: QgsProcessingFeedback | None, start: float = 0.0, end: float = 1.0) -> None:
        self.feedback = feedback
        self.start = start
        self.end = end
        self._last_message = ""

    def progress(self, fraction: float, message: str = "") -> None:
        if self.feedback is None:
            return
        self.feedback.setProgress(100.0 * (self.start + (self.end - self.start) * min(max(fraction, 0.0), 1.0)))
        if message and message != self._last_message:
            self.feedback.pushInfo(message)
            self._last_message = message

    def is_cancelled(self) -> bool:
        return self.feedback is not None and self.feedback.isCanceled()

    def phase(self, start: float, end: float) -> "FeedbackBridge":
        """A bridge reporting into the [start, end] share of this one's progress bar."""
        span = self.end - self.start
        return FeedbackBridge(self.feedback, self.start + span * start, self.start + span * end)

    @property
    def callbacks(self) -> tuple[Callable[[float, str], None], Callable[[], bool]]:
        return self.progress, self.is_cancelled
