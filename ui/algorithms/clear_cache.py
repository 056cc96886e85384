"""rsedit:clearcache: delete the cached scene models to free disk space."""
from __future__ import annotations

from typing import Any

from qgis.core import QgsProcessingOutputNumber, QgsProcessingOutputString

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
            "It takes no parameters: the cache is ~/.cache/rsedit/models, or the folder named by the "
            "RSEDIT_CACHE_DIR environment variable. Only the scene model files (.safetensors) and leftovers of "
            "interrupted saves are deleted; any other file in that folder stays.\n"
            "Outputs: the number of models removed, the bytes freed and the cache folder; the log says the same.\n\n"
            "Example: after editing ten scenes with the trained backend, run it to reclaim their models' space.")

    def initAlgorithm(self, config: dict[str, Any] | None = None) -> None:  # noqa: N802
        self.addOutput(QgsProcessingOutputNumber("MODELS_REMOVED", tr("Scene models removed")))
        self.addOutput(QgsProcessingOutputNumber("BYTES_FREED", tr("Bytes freed")))
        self.addOutput(QgsProcessingOutputString("CACHE_FOLDER", tr("Cache folder")))

    def perform(self, parameters, context, feedback) -> dict[str, Any]:
        from ...core.scene_models import clear_model_cache_report

        cleared = clear_model_cache_report()
        feedback.pushInfo(tr("Removed {models} cached scene models ({megabytes:.1f} MB) from {folder}.").format(
            models=cleared.models, megabytes=cleared.bytes / 1e6, folder=cleared.folder))
        return {"MODELS_REMOVED": cleared.models, "BYTES_FREED": cleared.bytes, "CACHE_FOLDER": cleared.folder}
