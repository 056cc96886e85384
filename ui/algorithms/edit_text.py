"""rsedit:edittext: text-guided edits in ROIs (CLIP / RemoteCLIP guidance, prompt ensembling)."""
from __future__ import annotations

from typing import Any

from qgis.core import (
    QgsProcessingException,
    QgsProcessingParameterField,
    QgsProcessingParameterFile,
    QgsProcessingParameterNumber,
    QgsProcessingParameterString,
)

from ..i18n import tr
from .edit_base import SceneEditAlgorithm, advanced


class EditTextAlgorithm(SceneEditAlgorithm):
    mode = "text"

    def name(self) -> str:
        return "edittext"

    def displayName(self) -> str:  # noqa: N802
        return tr("Edit with text prompt in ROIs")

    def shortHelpString(self) -> str:  # noqa: N802
        return tr(
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
            "<b>Guidance strength</b>: how hard each step moves towards the prompt.\n\n"
            "Example: a Sentinel-2 scene, a forest polygon, prompt 'a forest on fire', RemoteCLIP-ViT-B-32.pt.")

    def add_mode_parameters(self) -> None:
        self.addParameter(QgsProcessingParameterString("PROMPT", tr("Prompt"), optional=True))
        self.addParameter(QgsProcessingParameterField(
            "PROMPT_FIELD", tr("Prompt field (one prompt per polygon)"), parentLayerParameterName=self.ROIS,
            type=QgsProcessingParameterField.String, optional=True))
        self.addParameter(QgsProcessingParameterString(
            "PARAPHRASES", tr("Paraphrases (one per line)"), multiLine=True, optional=True))
        self.addParameter(QgsProcessingParameterString("CLIP_MODEL", tr("CLIP architecture"), "ViT-B-32"))
        self.addParameter(QgsProcessingParameterFile(
            "CLIP_WEIGHTS", tr("CLIP weights file (e.g. RemoteCLIP-ViT-B-32.pt)"), optional=True))
        self.addParameter(advanced(QgsProcessingParameterString(
            "CLIP_PRETRAINED", tr("…or an open_clip pretrained tag (downloads once)"), optional=True)))
        self.addParameter(QgsProcessingParameterNumber(
            "GUIDANCE_STRENGTH", tr("Guidance strength"), QgsProcessingParameterNumber.Double, 0.5, False, 0.0, 5.0))

    def mode_settings(self, parameters, context, features, crs_wkt) -> tuple[dict[str, Any], dict[str, Any]]:
        prompt = self.parameterAsString(parameters, "PROMPT", context).strip()
        field = self.parameterAsString(parameters, "PROMPT_FIELD", context) or None
        if not prompt and not field:
            raise QgsProcessingException(tr("Give a prompt (e.g. 'a forest on fire') or a prompt field."))
        weights = self.parameterAsFile(parameters, "CLIP_WEIGHTS", context) or \
            self.parameterAsString(parameters, "CLIP_PRETRAINED", context).strip() or None
        paraphrases = [line.strip() for line in self.parameterAsString(parameters, "PARAPHRASES", context).splitlines()
                       if line.strip()]
        return dict(prompt=prompt or None, prompt_field=field, paraphrases=paraphrases,
                    clip_model=self.parameterAsString(parameters, "CLIP_MODEL", context).strip() or "ViT-B-32",
                    clip_weights=weights,
                    guidance_strength=self.parameterAsDouble(parameters, "GUIDANCE_STRENGTH", context)), {}
