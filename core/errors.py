"""The exceptions of RSEdit, shared by core/, models/ and ui/. Messages say what is wrong and what the user can do."""
from __future__ import annotations


class RSEditError(Exception):
    """Any failure of an RSEdit operation."""


class InputError(RSEditError):
    """The user's input (raster, ROIs, parameters, paths) cannot be used as given."""


class CancelledError(RSEditError):
    """The user cancelled the operation; nothing was written."""


class TrainingCancelled(CancelledError):
    """Training was cancelled; `partial` holds what was learnt so far, to save or resume from."""

    def __init__(self, message: str, partial: object = None) -> None:
        super().__init__(message)
        self.partial = partial


class ModelError(RSEditError):
    """A model cannot be trained, loaded or used as asked."""


class CheckpointError(ModelError):
    """A checkpoint file is missing, corrupt, truncated or does not fit the data it is used with."""


class TrainingDataError(ModelError):
    """The pixels a scene model is to learn from cannot be used. `reason` says what is wrong with them;
    `action` what to change when that does not depend on where they come from (None: too few valid
    pixels, and the core, which knows the ROIs and the settings, says how to give it more)."""

    def __init__(self, reason: str, action: str | None = None) -> None:
        super().__init__(f"{reason[:1].upper()}{reason[1:]}: {action or 'give the model an area with more valid pixels'}.")
        self.reason = reason  # lower case, to follow "cannot learn from ...: "
        self.action = action
