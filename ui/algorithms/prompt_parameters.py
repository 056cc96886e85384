"""Lists typed in a multi-line box and/or read from a text file, one item a line (prompts, paraphrases)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from qgis.core import (
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingParameterFile,
    QgsProcessingParameterString,
)

from ..i18n import tr
from .base import RSEditAlgorithm


def add_prompt_list_parameters(algorithm: RSEditAlgorithm) -> None:
    """PROMPTS (one per line) and PROMPTS_FILE (a text file, one per line): read with lines_of."""
    algorithm.addParameter(QgsProcessingParameterString(
        "PROMPTS", tr("Prompts (one per line)"), multiLine=True, optional=True))
    algorithm.addParameter(QgsProcessingParameterFile(
        "PROMPTS_FILE", tr("Prompt file (one prompt per line)"), extension="txt", optional=True))


def lines_of(algorithm: RSEditAlgorithm, parameters: dict[str, Any], context: QgsProcessingContext,
             text_name: str, file_name: str) -> list[str]:
    """The non-empty lines of the `text_name` parameter, then of the file `file_name` names."""
    lines = algorithm.parameterAsString(parameters, text_name, context).splitlines()
    path = algorithm.parameterAsFile(parameters, file_name, context)
    if path:
        try:
            lines += Path(path).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as error:
            raise QgsProcessingException(tr("Cannot read the file {path}: {error}. Give a UTF-8 text file with one "
                                            "entry per line.").format(path=path, error=error)) from None
    return [line.strip() for line in lines if line.strip()]
