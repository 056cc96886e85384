"""rsedit:edittext: text-guided edits in ROIs (CLIP / RemoteCLIP guidance, prompt ensembling)."""
from __future__ import annotations

import logging
import shlex
import threading
from pathlib import Path
from typing import Any

from qgis.core import (
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingFeedback,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterEnum,
    QgsProcessingParameterField,
    QgsProcessingParameterFile,
    QgsProcessingParameterString,
    QgsSettings,
)

from ...core.settings import ALLOW_PARAPHRASE_COMMAND_ENV, QGIS_ALLOW_PARAPHRASE_COMMAND_KEY, allow_paraphrase_command
from ..i18n import tr
from .clip_parameters import add_clip_parameters, clip_settings
from .edit_base import SceneEditAlgorithm, advanced
from .executor_parameters import executor_help
from .mask_parameters import mask_help


def paraphrase_command_enabled() -> bool:
    """The user's own QGIS setting: whether external paraphrase commands may run. Never a parameter,
    since parameters also arrive from shared .model3 files, projects and the Processing history."""
    return bool(QgsSettings().value(QGIS_ALLOW_PARAPHRASE_COMMAND_KEY, False, type=bool))


class _FeedbackLog(logging.Handler):
    """Forwards this run's log records (the command line a paraphrase command runs with) to the
    Processing log; records of other threads (another run) are left out."""

    def __init__(self, feedback: QgsProcessingFeedback) -> None:
        super().__init__(logging.INFO)
        self.feedback, self.thread = feedback, threading.get_ident()

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread:
            self.feedback.pushWarning(record.getMessage())


def weight_map_choices() -> list[tuple[str, str]]:
    """(core name, label) of NGDM's weight maps, in the order of the WEIGHT_MAP parameter."""
    return [("roi", tr("ROI: fade in from the polygon border")),
            ("clip", tr("CLIP: strongest where the image disagrees with the prompt"))]


def clip_view_choices() -> list[tuple[str, str]]:
    """(core name, label) of what CLIP looks at, in the order of the CLIP_VIEWS parameter."""
    return [("roi", tr("Each ROI: its box and some context")),
            ("tile", tr("The whole tile (earlier guidance, for comparison)"))]


class EditTextAlgorithm(SceneEditAlgorithm):
    mode = "text"
    offers_dask = True

    def name(self) -> str:
        return "edittext"

    def displayName(self) -> str:  # noqa: N802
        return tr("Edit with text prompt in ROIs")

    def shortHelpString(self) -> str:  # noqa: N802
        text = tr(
            "Edits each polygon towards a text prompt, e.g. 'a forest on fire', 'a flooded river' or 'a damaged "
            "house', while keeping the scene's own look. A CLIP model (RemoteCLIP recommended for remote sensing) "
            "steers a diffusion model of the scene; the prompt is averaged with paraphrases (prompt ensembling) "
            "so that one wording does not drag in unrelated content. Pixels outside the polygons are unchanged.\n\n"
            "<b>Prompt</b>: what the polygons should show. <b>Prompt field</b>: optionally, a field of the ROI layer "
            "holding each polygon's own prompt (empty values fall back to the prompt).\n"
            "<b>Paraphrases</b>: optional, one per line; without them RSEdit uses built-in remote-sensing "
            "paraphrases. The prompts used are listed in the log and stored in the output's metadata.\n"
            "<b>CLIP model / weights</b>: an open_clip architecture (ViT-B-32, ViT-L-14, RN50) and a weights file, "
            "e.g. RemoteCLIP-ViT-B-32.pt, or an open_clip pretrained tag such as 'openai' (downloaded once).\n"
            "<b>Guidance strength</b>: how hard each step moves towards the prompt; 0 samples the same edit unguided, for comparison.\n"
            "<b>Paraphrases file</b>: more paraphrases, one per line. <b>External paraphrase command</b> (advanced, "
            "off unless set): a program such as a local LLM client that reads the prompt on standard input and "
            "prints paraphrases, one per line.\n"
            "<b>Soft-mask weight map</b> (advanced): ROI fades the edit in from the polygon border; CLIP makes "
            "pixels change most where CLIP finds the image furthest from the prompt.\n\n"
            "Example: a Sentinel-2 scene, a forest polygon, prompt 'a forest on fire', RemoteCLIP-ViT-B-32.pt.") + "\n\n" + tr(
            # a sentence of its own, so the translated help above stays translated
            "The external paraphrase command runs only if you enabled commands in your own settings (a parameter may "
            "come from a shared model, a project or the history): set the QGIS setting {key} to true, or the "
            "environment variable {env}=1. Its command line is written to the log when it runs.").format(
            key=QGIS_ALLOW_PARAPHRASE_COMMAND_KEY, env=ALLOW_PARAPHRASE_COMMAND_ENV)
        views = tr(  # a sentence of its own, so the translated help above stays translated
            "<b>CLIP views</b> (advanced): what CLIP looks at while it guides. Each ROI (the default) guides every "
            "polygon towards its own prompt with views of its box and a little context; the whole tile is the "
            "earlier guidance, in which a small polygon is a small part of what CLIP sees.")
        texture = tr(  # a sentence of its own, so the translated help above stays translated
            "<b>Texture from the scene</b> (advanced, on by default): with the training-free backend, the finest "
            "detail of each edited polygon is copied from real pixels of the scene that look like the edit (e.g. "
            "the scene's own maize for 'a crop field'), so the edit does not get CLIP's painted texture. Where "
            "the scene holds nothing like the edit, CLIP's result stays. It has no effect with a trained model.")
        return text + "\n\n" + views + "\n\n" + texture + "\n\n" + mask_help() + "\n\n" + executor_help()

    def add_mode_parameters(self) -> None:
        self.addParameter(QgsProcessingParameterString("PROMPT", tr("Prompt"), optional=True))
        self.addParameter(QgsProcessingParameterField(
            "PROMPT_FIELD", tr("Prompt field (one prompt per polygon)"), parentLayerParameterName=self.ROIS,
            type=QgsProcessingParameterField.String, optional=True))
        self.addParameter(QgsProcessingParameterString(
            "PARAPHRASES", tr("Paraphrases (one per line)"), multiLine=True, optional=True))
        self.addParameter(QgsProcessingParameterFile(
            "PARAPHRASE_FILE", tr("Paraphrases file (text, one per line)"), optional=True))
        self.addParameter(advanced(QgsProcessingParameterString(
            "PARAPHRASE_COMMAND", tr("External paraphrase command (reads the prompt on stdin, prints one per line)"),
            optional=True)))
        add_clip_parameters(self)
        self.addParameter(advanced(QgsProcessingParameterEnum(
            "WEIGHT_MAP", tr("Soft-mask weight map"), [label for _, label in weight_map_choices()], defaultValue=0)))
        self.addParameter(advanced(QgsProcessingParameterEnum(
            "CLIP_VIEWS", tr("CLIP views"), [label for _, label in clip_view_choices()], defaultValue=0)))
        self.addParameter(advanced(QgsProcessingParameterBoolean(
            "PROMPT_ENSEMBLING", tr("Prompt ensembling (guide towards the prompt and its paraphrases together)"),
            defaultValue=True)))
        self.addParameter(advanced(QgsProcessingParameterBoolean(
            "TEXTURE_FROM_SCENE",
            tr("Texture from the scene (copy the edit's fine detail from real pixels of the scene)"), defaultValue=True)))

    def perform(self, parameters: dict[str, Any], context: QgsProcessingContext,
                feedback: QgsProcessingFeedback) -> dict[str, Any]:
        from ...models.clip import prompts  # cheap: torch is imported by the embedding functions only

        handler = _FeedbackLog(feedback)
        prompts.log.addHandler(handler)
        try:
            # the settings, built inside, refuse a paraphrase command unless the user enabled commands
            with allow_paraphrase_command(paraphrase_command_enabled()):
                return super().perform(parameters, context, feedback)
        finally:
            prompts.log.removeHandler(handler)

    def mode_settings(self, parameters, context, features, crs_wkt) -> tuple[dict[str, Any], dict[str, Any]]:
        prompt = self.parameterAsString(parameters, "PROMPT", context).strip()
        field = self.parameterAsString(parameters, "PROMPT_FIELD", context) or None
        if not prompt and not field:
            raise QgsProcessingException(tr("Give a prompt (e.g. 'a forest on fire') or a prompt field."))
        lines = self.parameterAsString(parameters, "PARAPHRASES", context).splitlines()
        paraphrase_file = self.parameterAsFile(parameters, "PARAPHRASE_FILE", context)
        if paraphrase_file:
            try:
                lines += Path(paraphrase_file).read_text(encoding="utf-8").splitlines()
            except (OSError, UnicodeDecodeError) as error:
                raise QgsProcessingException(tr("Cannot read the paraphrases file {0}: {1}. Give a UTF-8 text file "
                                                "with one paraphrase per line.").format(paraphrase_file, error)) from None
        paraphrases = [line.strip() for line in lines if line.strip()]
        command = self.parameterAsString(parameters, "PARAPHRASE_COMMAND", context).strip()
        try:
            command_argv = shlex.split(command) if command else None
        except ValueError as error:
            raise QgsProcessingException(tr("The paraphrase command cannot be parsed ({0}): check its quotes.").format(
                error)) from None
        weight_map = weight_map_choices()[self.parameterAsEnum(parameters, "WEIGHT_MAP", context)][0]
        clip_views = clip_view_choices()[self.parameterAsEnum(parameters, "CLIP_VIEWS", context)][0]
        ensembling = self.parameterAsBoolean(parameters, "PROMPT_ENSEMBLING", context)
        texture = self.parameterAsBoolean(parameters, "TEXTURE_FROM_SCENE", context)
        return dict(prompt=prompt or None, prompt_field=field, paraphrases=paraphrases,
                    paraphrase_command=command_argv, weight_map=weight_map, clip_views=clip_views,
                    prompt_ensembling=ensembling, texture_from_scene=texture,
                    **clip_settings(self, parameters, context)), {}
