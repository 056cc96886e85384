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
