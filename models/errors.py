"""Errors raised by the diffusion models.

Messages are written for the person running the plugin: they say what went wrong and what to do.
"""
from __future__ import annotations


class ModelError(Exception):
    """A model cannot be trained, loaded or used as asked."""


class CheckpointError(ModelError):
    """A checkpoint file is missing, corrupt, truncated or does not fit the data it is used with."""


class Cancelled(ModelError):
    """The user cancelled a long operation (sampling); nothing was produced."""
