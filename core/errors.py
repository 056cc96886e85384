"""Exceptions of the scene engine. Messages say what is wrong and what the user can do."""
from __future__ import annotations


class RSEditError(Exception):
    """Any failure of an RSEdit operation."""


class InputError(RSEditError):
    """The user's input (raster, ROIs, parameters, paths) cannot be used as given."""


class CancelledError(RSEditError):
    """The user cancelled the operation; nothing was written."""
