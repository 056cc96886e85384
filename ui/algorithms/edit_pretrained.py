"""rsedit:editpretrained: edit ROIs with a pretrained text-to-image latent diffusion model
(Stable Diffusion): three-way text guidance from a DDIM inversion, optional LPIPS guidance, NGDM soft masks."""
from __future__ import annotations

from typing import Any

from qgis.core import (
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingFeedback,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFile,
    QgsProcessingParameterNumber,
    QgsProcessingParameterString,
)

from ..feedback import FeedbackBridge
from ..i18n import tr
from ...core import defaults
from .edit_base import DEVICES, SceneEditAlgorithm, advanced, device_labels, feather_parameter
from .mask_parameters import mask_help

VARIANTS = ["source", "null"]
REPLACEMENTS = ["inversion", "noise"]
LPIPS_NETS = ["alex", "vgg"]


class EditPretrainedAlgorithm(SceneEditAlgorithm):
    mode = "pretrained"
    required_modules = ("torch", "diffusers", "safetensors", "transformers")

    def name(self) -> str:
        return "editpretrained"

    def displayName(self) -> str:  # noqa: N802
        return tr("Edit with pretrained diffusion model")

    def shortHelpString(self) -> str:  # noqa: N802
        text = tr(
            "Edits each polygon with a pretrained text-to-image latent diffusion model (a Stable Diffusion 1.x/2.x "
            "folder in diffusers format, or a hub id): the tile is inverted with DDIM under the source caption, then "
            "re-sampled with three predictions per step (null text, source caption, edit prompt), optionally pulled "
            "towards the source with LPIPS perceptual guidance. NGDM soft masks start each latent cell at its own "
            "step, so the edit fades in at the ROI border. Pixels outside the polygons are unchanged.\n\n"
            "<b>Model</b>: a folder with model_index.json, unet/, vae/, text_encoder/, tokenizer/, scheduler/.\n"
            "<b>Source caption</b>: what the image shows now; <b>Edit prompt</b>: what the polygons should show.\n"
            "<b>γ</b> scales guidance towards the caption (1 = as inverted); <b>β</b> the push towards the edit.\n"
            "<b>NGDM a, b</b>: Λ = sigmoid(A/a + b) turns the ROI (or DiffEdit) map into per-cell noise weights.\n"
            "<b>LPIPS weights</b>: a torchvision AlexNet/VGG16 state dict; without it perceptual guidance is off.\n"
            "<b>Scale</b>: model pixels per scene pixel (e.g. 2 to show a 1 m scene at 0.5 m); tiles are the "
            "model's native size (512 px for SD 1.x) divided by the scale unless a tile size is given.\n\n"
            "Each tile costs one model pass per step for the inversion and three per sampling step: without a GPU, "
            "use few steps or small ROIs.\n\n"
            "<b>Example</b>: a river scene with a polygon along its banks; model ~/models/stable-diffusion-v1-5, "
            "source caption 'an aerial photograph of a river', edit prompt 'an aerial photograph of a flooded "
            "river', γ 1, β 7.5, 25 steps.")
        return text + "\n\n" + mask_help()

    def add_mode_parameters(self) -> None:
        self.addParameter(QgsProcessingParameterString(
            "MODEL", tr("Model folder (diffusers Stable Diffusion) or hub id")))
        self.addParameter(QgsProcessingParameterString("SOURCE_PROMPT", tr("Source caption (what the image shows)"),
                                                       optional=True))
        self.addParameter(QgsProcessingParameterString("PROMPT", tr("Edit prompt (what the ROIs should show)")))
        self.addParameter(QgsProcessingParameterNumber(
            "GAMMA", tr("γ: guidance towards the source caption"), QgsProcessingParameterNumber.Double, 1.0, False, 0.0, 30.0))
        self.addParameter(QgsProcessingParameterNumber(
            "BETA", tr("β: guidance towards the edit prompt"), QgsProcessingParameterNumber.Double, 7.5, False, 0.0, 30.0))
        self.addParameter(QgsProcessingParameterNumber(
            "NGDM_A", tr("NGDM a (Λ = sigmoid(A/a + b))"), QgsProcessingParameterNumber.Double, 1.0 / 12.0, False,
            1e-4, 100.0))
        self.addParameter(QgsProcessingParameterNumber(
            "NGDM_B", tr("NGDM b"), QgsProcessingParameterNumber.Double, -6.0, False, -100.0, 100.0))
        self.addParameter(QgsProcessingParameterNumber(
            "STEPS", tr("Sampling steps"), QgsProcessingParameterNumber.Integer, 50, False, 1, 1000))
        self.addParameter(QgsProcessingParameterFile(
            "LPIPS_WEIGHTS", tr("LPIPS backbone weights (torchvision AlexNet/VGG16 state dict)"), optional=True))

    def add_model_parameters(self) -> None:
        self.addParameter(advanced(QgsProcessingParameterEnum(
            "VARIANT", tr("Guidance form: eq. (1)-(2) edit − source, or eq. (3)-(4) edit − null"),
            [tr("edit − source (eq. 2)"), tr("edit − null (eq. 4)")], defaultValue=0)))
        self.addParameter(advanced(QgsProcessingParameterNumber(
            "DIFFEDIT_SEEDS", tr("DiffEdit map seeds (0 = NGDM weights from the ROI alone)"),
            QgsProcessingParameterNumber.Integer, 0, False, 0, 50)))
        self.addParameter(advanced(QgsProcessingParameterEnum(
            "REPLACEMENT", tr("Noised source for NGDM"), [tr("DDIM inversion trajectory"), tr("Source + fixed noise")],
            defaultValue=0)))
        self.addParameter(advanced(QgsProcessingParameterEnum("LPIPS_NET", tr("LPIPS backbone"), LPIPS_NETS,
                                                              defaultValue=0)))
        self.addParameter(advanced(QgsProcessingParameterNumber(
            "PERCEPTUAL_WEIGHT", tr("Perceptual guidance step (latent std; 0 = off)"),
            QgsProcessingParameterNumber.Double, 0.05, False, 0.0, 10.0)))
        self.addParameter(advanced(QgsProcessingParameterNumber(
            "PERCEPTUAL_STOP", tr("Perceptual guidance over the first … of the steps (fraction)"),
            QgsProcessingParameterNumber.Double, 0.4, False, 0.0, 1.0)))
        self.addParameter(advanced(QgsProcessingParameterNumber(
            "SCALE", tr("Scale (model pixels per scene pixel)"), QgsProcessingParameterNumber.Double, 1.0, False,
            1.0 / 16.0, 16.0)))
        self.addParameter(advanced(QgsProcessingParameterNumber(
            "TILE_SIZE", tr("Tile size in scene pixels (0 = the model's native size / scale)"),
            QgsProcessingParameterNumber.Integer, 0, False, 0, defaults.MAX_TILE_SIZE)))
        self.addParameter(advanced(QgsProcessingParameterNumber(
            "OVERLAP", tr("Tile overlap (pixels)"), QgsProcessingParameterNumber.Integer, defaults.PRETRAINED_OVERLAP,
            False, 0, defaults.MAX_TILE_SIZE)))
        self.addParameter(advanced(QgsProcessingParameterNumber(
            "MARGIN", tr("Context margin around ROIs (pixels)"), QgsProcessingParameterNumber.Integer,
            defaults.PRETRAINED_MARGIN, False, 0, defaults.MAX_TILE_SIZE)))
        self.addParameter(advanced(feather_parameter()))
        self.addParameter(advanced(QgsProcessingParameterBoolean(
            "HALF_PRECISION", tr("Half precision on a GPU (bf16/fp16)"), True)))
        self.addParameter(advanced(QgsProcessingParameterEnum("DEVICE", tr("Device"), device_labels(), defaultValue=0)))

    def perform(self, parameters: dict[str, Any], context: QgsProcessingContext,
                feedback: QgsProcessingFeedback) -> dict[str, Any]:
        from ...core.pretrained import PretrainedOptions
        from ...core.scene_edit import edit_scene

        path, features, crs_wkt = self.read_inputs(parameters, context, feedback)
        out, mask_out = self.read_outputs(parameters, context)
        prompt = self.parameterAsString(parameters, "PROMPT", context).strip()
        if not prompt:
            raise QgsProcessingException(tr("Give an edit prompt: what the polygons should show, e.g. 'a lake'."))
        model = self.parameterAsString(parameters, "MODEL", context).strip()
        if not model:
            raise QgsProcessingException(tr("Give the model: a diffusers Stable Diffusion folder or a hub id."))
        tile_size = self.parameterAsInt(parameters, "TILE_SIZE", context)
        options = PretrainedOptions(
            model=model,
            source_prompt=self.parameterAsString(parameters, "SOURCE_PROMPT", context).strip(),
            gamma=self.parameterAsDouble(parameters, "GAMMA", context),
            beta=self.parameterAsDouble(parameters, "BETA", context),
            variant=VARIANTS[self.parameterAsEnum(parameters, "VARIANT", context)],
            steps=self.parameterAsInt(parameters, "STEPS", context),
            ngdm_a=self.parameterAsDouble(parameters, "NGDM_A", context),
            ngdm_b=self.parameterAsDouble(parameters, "NGDM_B", context),
            diffedit_seeds=self.parameterAsInt(parameters, "DIFFEDIT_SEEDS", context),
            replacement=REPLACEMENTS[self.parameterAsEnum(parameters, "REPLACEMENT", context)],
            lpips_weights=self.parameterAsFile(parameters, "LPIPS_WEIGHTS", context) or None,
            lpips_net=LPIPS_NETS[self.parameterAsEnum(parameters, "LPIPS_NET", context)],
            perceptual_weight=self.parameterAsDouble(parameters, "PERCEPTUAL_WEIGHT", context),
            perceptual_stop=self.parameterAsDouble(parameters, "PERCEPTUAL_STOP", context),
            scale=self.parameterAsDouble(parameters, "SCALE", context),
            tile_size=tile_size or None,
            dtype=None if self.parameterAsBool(parameters, "HALF_PRECISION", context) else "float32",
        )
        if options.lpips_weights is None and options.perceptual_weight > 0:
            feedback.pushWarning(tr("Perceptual-similarity guidance is off: no LPIPS backbone weights were given."))
        bridge = FeedbackBridge(feedback)
        result = edit_scene(
            path, features, out, rois_crs=crs_wkt, mask_out=mask_out, progress=bridge.progress,
            is_cancelled=bridge.is_cancelled, mode=self.mode, prompt=prompt, pretrained=options,
            seed=self.parameterAsInt(parameters, "SEED", context),
            device=DEVICES[self.parameterAsEnum(parameters, "DEVICE", context)],
            feather=self.parameterAsInt(parameters, "FEATHER", context),
            overlap=self.parameterAsInt(parameters, "OVERLAP", context),
            margin=self.parameterAsInt(parameters, "MARGIN", context))
        feedback.pushInfo(tr("Model: {model}").format(model=result.model.get("model")))
        outputs = {self.OUTPUT: result.outputs[0].out_path}
        if mask_out:
            outputs[self.OUTPUT_MASK] = result.outputs[0].mask_path
        return outputs
