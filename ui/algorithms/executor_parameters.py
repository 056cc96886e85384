"""Where the editing algorithms run: the "Dask scheduler address" parameter (empty: on this
computer) and the edit_scene arguments it gives (core/executors.py)."""
from __future__ import annotations

from typing import Any

from qgis.core import QgsProcessingContext, QgsProcessingParameterDefinition, QgsProcessingParameterString

from ..i18n import tr
from .base import RSEditAlgorithm

DASK_SCHEDULER = "DASK_SCHEDULER"


def add_executor_parameter(algorithm: RSEditAlgorithm) -> None:
    parameter = QgsProcessingParameterString(
        DASK_SCHEDULER, tr("Dask scheduler address (e.g. tcp://host:8786; empty = this computer)"), "",
        optional=True)
    parameter.setFlags(parameter.flags() | QgsProcessingParameterDefinition.FlagAdvanced)
    algorithm.addParameter(parameter)


def executor_arguments(algorithm: RSEditAlgorithm, parameters: dict[str, Any],
                       context: QgsProcessingContext) -> dict[str, Any]:
    """edit_scene's executor keywords: none for a local run."""
    address = (algorithm.parameterAsString(parameters, DASK_SCHEDULER, context) or "").strip()
    return {"executor": "dask", "scheduler": address} if address else {}


def executor_help() -> str:
    return tr("<b>Dask scheduler address</b> (advanced): edit the ROIs on a Dask cluster (start it with "
              "`dask scheduler` and `dask worker tcp://host:8786`; the workers need RSEdit and torch, and "
              "open_clip for text edits). The result is the same as on this computer.")
