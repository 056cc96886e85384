"""Regenerate the graphical-modeler models the provider ships (ui/processing_models/*.model3).

    .venv/bin/python scripts/build_processing_models.py

The models are built with the QGIS Python API, so what is committed is exactly what the modeler
would save; open them in the modeler to inspect or extend them.
"""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MODELS_DIR = REPO / "ui" / "processing_models"
PLUGINS_DIR = REPO / "build" / "plugins"

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_HASH_SEED", "0")  # a fixed XML attribute order, so a rebuild gives the same file
os.environ.setdefault("QGIS_CUSTOM_CONFIG_PATH", tempfile.mkdtemp(prefix="rsedit-model-build-"))


def start_qgis():
    from qgis.core import QgsApplication

    app = QgsApplication([], False)
    QgsApplication.setPrefixPath("/usr", True)
    app.initQgis()
    sys.path.append("/usr/share/qgis/python/plugins")
    from processing.core.Processing import Processing

    Processing.initialize()
    PLUGINS_DIR.mkdir(parents=True, exist_ok=True)
    if not (PLUGINS_DIR / "rsedit").exists():
        (PLUGINS_DIR / "rsedit").symlink_to(Path("..", ".."), target_is_directory=True)
    sys.path.insert(0, str(PLUGINS_DIR))
    from rsedit.ui.provider import RSEditProvider

    provider = RSEditProvider()
    QgsApplication.processingRegistry().addProvider(provider)
    return app, provider


def with_defaults(child):
    """Every parameter not wired to an input gets its default, as the modeler does when adding a step."""
    from qgis.core import QgsApplication, QgsProcessingDestinationParameter
    from qgis.core import QgsProcessingModelChildParameterSource as Source

    algorithm = QgsApplication.processingRegistry().algorithmById(child.algorithmId())
    if algorithm is None:
        raise SystemExit(f"the algorithm {child.algorithmId()} is not available")
    sources = child.parameterSources()
    for definition in algorithm.parameterDefinitions():
        if definition.name() not in sources and not isinstance(definition, QgsProcessingDestinationParameter):
            child.addParameterSources(definition.name(), [Source.fromStaticValue(definition.defaultValue())])
    return child


def buffer_regenerate_clip():
    """Buffer the ROI polygons, regenerate them (remove clouds or objects), clip to their extent."""
    from qgis.core import (
        QgsProcessing,
        QgsProcessingModelAlgorithm,
        QgsProcessingModelChildAlgorithm,
        QgsProcessingModelChildParameterSource as Source,
        QgsProcessingModelOutput,
        QgsProcessingModelParameter,
        QgsProcessingParameterDistance,
        QgsProcessingParameterFeatureSource,
        QgsProcessingParameterNumber,
        QgsProcessingParameterRasterLayer,
    )
    from qgis.PyQt.QtCore import QPointF

    model = QgsProcessingModelAlgorithm("bufferregenerateclip", "Workflows", "workflows")
    inputs = [
        (QgsProcessingParameterRasterLayer("RASTER", "Raster"), QPointF(120, 60)),
        (QgsProcessingParameterFeatureSource("ROIS", "Regions to edit (polygons)",
                                             [QgsProcessing.TypeVectorPolygon]), QPointF(120, 140)),
        (QgsProcessingParameterDistance("BUFFER", "Buffer around each polygon", 30.0, "ROIS", False, 0.0),
         QPointF(120, 220)),
        (QgsProcessingParameterNumber("SEED", "Random seed", QgsProcessingParameterNumber.Integer, 0, False, 0),
         QPointF(120, 300)),
    ]
    for definition, position in inputs:
        component = QgsProcessingModelParameter(definition.name())
        component.setPosition(position)
        model.addModelParameter(definition, component)

    buffer = QgsProcessingModelChildAlgorithm("native:buffer")
    buffer.setChildId("buffer")
    buffer.setDescription("Buffer the polygons")
    buffer.setPosition(QPointF(400, 140))
    buffer.addParameterSources("INPUT", [Source.fromModelParameter("ROIS")])
    buffer.addParameterSources("DISTANCE", [Source.fromModelParameter("BUFFER")])
    buffer.addParameterSources("SEGMENTS", [Source.fromStaticValue(8)])
    buffer.addParameterSources("DISSOLVE", [Source.fromStaticValue(False)])
    model.addChildAlgorithm(with_defaults(buffer))

    regenerate = QgsProcessingModelChildAlgorithm("rsedit:regenerate")
    regenerate.setChildId("regenerate")
    regenerate.setDescription("Regenerate the buffered polygons")
    regenerate.setPosition(QPointF(650, 100))
    regenerate.addParameterSources("INPUT", [Source.fromModelParameter("RASTER")])
    regenerate.addParameterSources("ROIS", [Source.fromChildOutput("buffer", "OUTPUT")])
    regenerate.addParameterSources("SEED", [Source.fromModelParameter("SEED")])
    model.addChildAlgorithm(with_defaults(regenerate))

    clip = QgsProcessingModelChildAlgorithm("gdal:cliprasterbyextent")
    clip.setChildId("clip")
    clip.setDescription("Clip the edited raster to the buffered polygons")
    clip.setPosition(QPointF(900, 140))
    clip.addParameterSources("INPUT", [Source.fromChildOutput("regenerate", "OUTPUT")])
    clip.addParameterSources("PROJWIN", [Source.fromChildOutput("buffer", "OUTPUT")])
    clip.addParameterSources("NODATA", [Source.fromStaticValue(None)])
    clip.addParameterSources("OPTIONS", [Source.fromStaticValue("")])
    clip.addParameterSources("DATA_TYPE", [Source.fromStaticValue(0)])
    output = QgsProcessingModelOutput("CLIPPED", "Edited raster, clipped to the buffered polygons")
    output.setChildOutputName("OUTPUT")
    output.setPosition(QPointF(1100, 180))
    clip.setModelOutputs({"CLIPPED": output})
    model.addChildAlgorithm(with_defaults(clip))

    model.setHelpContent({
        "ALG_DESC": "Buffers the polygons, regenerates them with rsedit:regenerate and clips the edited raster "
                    "to the buffered polygons' extent.",
        "ALG_CREATOR": "RSEdit",
    })
    model.updateDestinationParameters()
    return model


MODELS = {"bufferregenerateclip.model3": buffer_regenerate_clip}


def main() -> None:
    app, _provider = start_qgis()
    MODELS_DIR.mkdir(parents=True, exist_ok=True)
    for file_name, build in MODELS.items():
        model = build()
        problems = model.validate()[1] if hasattr(model, "validate") else []
        if problems:
            raise SystemExit(f"{file_name}: {'; '.join(problems)}")
        target = MODELS_DIR / file_name
        temporary = target.with_suffix(".model3.part")
        if not model.toFile(str(temporary)):
            raise SystemExit(f"cannot write {temporary}")
        temporary.replace(target)
        print(target)
    app.exitQgis()


if __name__ == "__main__":
    main()
