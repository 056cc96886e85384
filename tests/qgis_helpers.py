"""Shared helpers for tests that drive QGIS: layers from files and the qgis_process command line."""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
VENV_SITE = REPO / ".venv" / "lib" / "python3.11" / "site-packages"
ALGORITHM_IDS = ("rsedit:edittext", "rsedit:regenerate", "rsedit:copyroi", "rsedit:trainscenemodel",
                 "rsedit:previewtiles", "rsedit:beforeafterpairs", "rsedit:editchipfolder", "rsedit:clearcache", "rsedit:bufferregenerateclip",
                 "rsedit:editpretrained")


def box_polygons(boxes_px, prompts=None, kind: str = "Polygon", crs: str | None = None, transform=None):
    """A memory layer with one rectangle per (col0, row0, col1, row1) pixel box of the textured test
    scene (textured_scene.py) and a "prompt" field (None, or one prompt per box)."""
    from qgis.core import QgsFeature, QgsField, QgsGeometry, QgsRectangle, QgsVectorLayer
    from qgis.PyQt.QtCore import QVariant

    from textured_scene import CRS, TRANSFORM

    crs, transform = crs or CRS, transform or TRANSFORM
    layer = QgsVectorLayer(f"{kind}?crs={crs}", "rois", "memory")
    layer.dataProvider().addAttributes([QgsField("prompt", QVariant.String)])
    layer.updateFields()
    features = []
    for index, (c0, r0, c1, r1) in enumerate(boxes_px):
        x0, y0 = transform * (c0, r1)
        x1, y1 = transform * (c1, r0)
        feature = QgsFeature(layer.fields())
        feature.setGeometry(QgsGeometry.fromRect(QgsRectangle(x0, y0, x1, y1)))
        feature.setAttributes([prompts[index] if prompts else None])
        features.append(feature)
    layer.dataProvider().addFeatures(features)
    return layer


def vector_layer(path: Path | str, name: str = "rois"):
    from qgis.core import QgsVectorLayer

    layer = QgsVectorLayer(str(path), name, "ogr")
    assert layer.isValid(), f"cannot open {path}"
    return layer


def raster_layer(path: Path | str, name: str = "raster"):
    from qgis.core import QgsRasterLayer

    layer = QgsRasterLayer(str(path), name, "gdal")
    assert layer.isValid(), f"cannot open {path}"
    return layer


def qgis_process(args: list[str], plugin_path: Path, home: Path, with_venv: bool = True,
                 timeout: int = 600, extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run qgis_process.bin (Debian's wrapper adds a flag the tool rejects) in its own profile."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "QGIS_CUSTOM_CONFIG_PATH")}
    env.update(QT_QPA_PLATFORM="offscreen", QGIS_PLUGINPATH=str(plugin_path), HOME=str(home), **(extra_env or {}))
    if with_venv:
        env["PYTHONPATH"] = str(VENV_SITE)
    return subprocess.run(["qgis_process.bin", *args], env=env, capture_output=True, text=True, timeout=timeout)


def qgis_process_json(args: list[str], plugin_path: Path, home: Path, **kwargs) -> dict:
    result = qgis_process(["--json", *args], plugin_path, home, **kwargs)
    assert result.returncode == 0, f"qgis_process {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return json.loads(result.stdout[result.stdout.index("{"):])


def cancel_on_progress(above: float = 0.0):
    """A feedback that cancels as soon as progress beyond `above` percent is reported (the Cancel
    button pressed at a known point of the run, whatever the machine's speed)."""
    from qgis.core import QgsProcessingFeedback

    feedback = QgsProcessingFeedback()
    feedback.progressChanged.connect(lambda value: feedback.cancel() if value > above else None)
    return feedback


def warning_feedback():
    """A QgsProcessingFeedback that keeps what the algorithm pushed as warnings, in .warnings."""
    from qgis.core import QgsProcessingFeedback

    class WarningFeedback(QgsProcessingFeedback):
        def __init__(self) -> None:
            super().__init__()
            self.warnings: list[str] = []

        def pushWarning(self, text: str) -> None:  # noqa: N802 (QGIS's name)
            self.warnings.append(text)
            super().pushWarning(text)

    return WarningFeedback()
