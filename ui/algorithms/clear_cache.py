"""rsedit:clearcache: delete the cached scene models, and the partial outputs of killed runs, to free disk space."""
from __future__ import annotations

import os
from typing import Any

from qgis.core import (QgsProcessingException, QgsProcessingOutputNumber, QgsProcessingOutputString,
                       QgsProcessingParameterFile)

from ..i18n import tr
from .base import RSEditAlgorithm


class ClearCacheAlgorithm(RSEditAlgorithm):
    group_id = "models"

    def name(self) -> str:
        return "clearcache"

    def displayName(self) -> str:  # noqa: N802
        return tr("Clear the scene-model cache")

    def shortHelpString(self) -> str:  # noqa: N802
        return tr(
            "Deletes the scene models that editing with the trained backend caches, so that they are trained "
            "again the next time they are needed. Use it to free disk space or after changing training "
            "settings by hand. Models saved with 'Train scene model' elsewhere are not touched.\n\n"
            "The cache is ~/.cache/rsedit/models, or the folder named by the "
            "RSEDIT_CACHE_DIR environment variable. Only the scene model files (.safetensors) and leftovers of "
            "interrupted saves are deleted; any other file in that folder stays.\n"
            "It also removes the hidden partial outputs (.<name>.rsedit.<host>.<pid>.….part.tif) that a run "
            "killed before it finished left in the folders RSEdit wrote to, and in the optional folder given; "
            "files of runs still going are kept. (Every edit also removes them from its own output folder "
            "when it starts.)\n"
            "Outputs: the number of models removed, the bytes freed, the cache folder and the number of "
            "partial outputs removed; the log says the same.\n\n"
            "Example: after editing ten scenes with the trained backend, run it to reclaim their models' space.")

    def initAlgorithm(self, config: dict[str, Any] | None = None) -> None:  # noqa: N802
        self.addParameter(QgsProcessingParameterFile(
            "FOLDER", tr("Also remove partial outputs of killed runs from this folder"),
            behavior=QgsProcessingParameterFile.Folder, optional=True))
        self.addOutput(QgsProcessingOutputNumber("MODELS_REMOVED", tr("Scene models removed")))
        self.addOutput(QgsProcessingOutputNumber("BYTES_FREED", tr("Bytes freed")))
        self.addOutput(QgsProcessingOutputString("CACHE_FOLDER", tr("Cache folder")))
        self.addOutput(QgsProcessingOutputNumber("LEFTOVERS_REMOVED", tr("Partial outputs removed")))

    def perform(self, parameters, context, feedback) -> dict[str, Any]:
        from ...core.leftovers import sweep_remembered_folders
        from ...core.scene_models import clear_model_cache_report

        folder = self.parameterAsFile(parameters, "FOLDER", context)
        if folder and not os.path.isdir(folder):
            raise QgsProcessingException(tr("The folder {folder} does not exist.").format(folder=folder))
        cleared = clear_model_cache_report()
        feedback.pushInfo(tr("Removed {models} cached scene models ({megabytes:.1f} MB) from {folder}.").format(
            models=cleared.models, megabytes=cleared.bytes / 1e6, folder=cleared.folder))
        swept = sweep_remembered_folders((folder,) if folder else ())
        for sweep in swept:
            for path in sweep.removed:
                feedback.pushInfo(tr("Removed the partial output {path} of a run that was killed.").format(path=path))
        removed = sum(len(sweep.removed) for sweep in swept)
        freed = sum(sweep.bytes for sweep in swept)
        feedback.pushInfo(tr("Removed {count} partial outputs ({megabytes:.1f} MB) from {folders} folders.").format(
            count=removed, megabytes=freed / 1e6, folders=len(swept)))
        return {"MODELS_REMOVED": cleared.models, "BYTES_FREED": cleared.bytes + freed,
                "CACHE_FOLDER": cleared.folder, "LEFTOVERS_REMOVED": removed}
