"""rsedit:editchipfolder: a folder of image chips edited into a change-detection dataset (LEVIR-CD layout)."""
from __future__ import annotations

from typing import Any

from qgis.core import (
    QgsProcessing,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingOutputFile,
    QgsProcessingOutputNumber,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterFile,
    QgsProcessingParameterFolderDestination,
    QgsProcessingParameterNumber,
    QgsProcessingParameterString,
)

from ..feedback import FeedbackBridge
from ..i18n import tr
from ..layers import roi_features
from .before_after_pairs import kept_pairs
from .clip_parameters import add_clip_parameters, clip_settings
from .edit_base import SceneEditAlgorithm, advanced
from .edit_text import paraphrase_command_enabled
from .prompt_parameters import add_prompt_list_parameters, lines_of

MODES = ["regenerate", "text"]
ROI_SOURCES = ["whole", "mask", "box", "vector"]
SCENE_MODELS = ["per_chip", "shared"]


class EditChipFolderAlgorithm(SceneEditAlgorithm):
    group_id = "datasets"

    def name(self) -> str:
        return "editchipfolder"

    def displayName(self) -> str:  # noqa: N802
        return tr("Edit a folder of chips into a change-detection dataset")

    def shortHelpString(self) -> str:  # noqa: N802
        return tr(
            "Edits every image chip of a folder (PNG, JPEG or TIFF, georeferenced or not) and writes a dataset in "
            "the LEVIR-CD layout that change-detection code reads: <i>A/</i> the chip as it was, <i>B/</i> the "
            "edited chip, <i>label/</i> the change label (255 where the edit changed pixels, else 0) and "
            "<i>label_soft/</i> the soft edit weight (0-255), with the same file name in each. PNG and JPEG chips "
            "without georeferencing give PNG files (never a re-compressed JPEG). <i>pairs.csv</i> lists chip, "
            "variant, seed, prompt, mode, model fingerprint and ROI source; train.txt, val.txt and test.txt are "
            "written when a split is given (by chip, so the variants of a chip stay in one split).\n\n"
            "<b>ROIs</b>: the whole chip; a mask image with the chip's file name in the mask folder (non-zero = "
            "ROI); a pixel box col0,row0,col1,row1 (x = column, y = row from the top-left corner); or the polygons "
            "of a layer (georeferenced chips only).\n"
            "<b>Scene model</b>: one per chip (each chip is its own scene), or one shared model learnt from a "
            "sample of the folder's chips (faster for many chips from one sensor; regenerating whole chips needs "
            "it).\n"
            "<b>Prompts</b> (text mode): one per line and/or a prompt file; each chip is edited with each prompt. "
            "Paraphrases as in 'Edit with text prompt in ROIs'.\n\n"
            "A chip that cannot be used (unreadable, too small, an empty mask) is listed in the log with the "
            "reason and the run goes on. Cancel keeps the complete pairs and an index listing them; running again "
            "with the same settings skips them.\n\n"
            "Example: 2,000 tsunami chips (160 x 160 px PNGs) and their building masks in a mask folder, regenerate, "
            "one shared model, tile size 96 and a 0.7,0.15,0.15 split: a dataset that LEVIR-CD loaders read.")

    def initAlgorithm(self, config: dict[str, Any] | None = None) -> None:  # noqa: N802
        self.addParameter(QgsProcessingParameterFile(
            "INPUT_FOLDER", tr("Folder of chips"), behavior=QgsProcessingParameterFile.Folder))
        self.addParameter(QgsProcessingParameterString("PATTERN", tr("File pattern"), "*.png"))
        self.addParameter(QgsProcessingParameterEnum(
            "ROI_SOURCE", tr("ROIs"), [tr("The whole chip"), tr("A mask with the same name in the mask folder"),
                                      tr("A pixel box"), tr("Polygons of a layer (georeferenced chips)")],
            defaultValue=1))
        self.addParameter(QgsProcessingParameterFile(
            "MASK_FOLDER", tr("Mask folder (non-zero = ROI)"), behavior=QgsProcessingParameterFile.Folder,
            optional=True))
        self.addParameter(QgsProcessingParameterString(
            "PIXEL_BOX", tr("Pixel box: col0,row0,col1,row1"), optional=True))
        self.addParameter(QgsProcessingParameterFeatureSource(
            self.ROIS, tr("ROI polygons"), [QgsProcessing.TypeVectorPolygon], optional=True))
        self.addParameter(QgsProcessingParameterEnum(
            "MODE", tr("Mode"), [tr("Regenerate (no prompt)"), tr("Text prompts")], defaultValue=0))
        add_prompt_list_parameters(self)
        self.addParameter(QgsProcessingParameterString(
            "PARAPHRASES", tr("Paraphrases (one per line)"), multiLine=True, optional=True))
        self.addParameter(QgsProcessingParameterFile(
            "PARAPHRASE_FILE", tr("Paraphrases file (text, one per line)"), optional=True))
        add_clip_parameters(self)
        self.addParameter(QgsProcessingParameterNumber(
            "VARIANTS", tr("Variants per chip and prompt"), QgsProcessingParameterNumber.Integer, 1, False, 1, 1000))
        self.addParameter(QgsProcessingParameterNumber(
            "SEED", tr("Random seed of the first variant"), QgsProcessingParameterNumber.Integer, 0, False, 0))
        self.addParameter(QgsProcessingParameterEnum(
            "SCENE_MODEL", tr("Scene model"), [tr("One per chip"), tr("One shared, learnt from a sample of chips")],
            defaultValue=0))
        self.addParameter(advanced(QgsProcessingParameterNumber(
            "SHARED_SAMPLE", tr("Chips the shared model learns from"), QgsProcessingParameterNumber.Integer, 8,
            False, 1, 1000)))
        self.addParameter(QgsProcessingParameterString(
            "SPLIT", tr("Train/val/test split, e.g. 0.7,0.15,0.15 (empty: no split lists)"), optional=True))
        self.addParameter(advanced(QgsProcessingParameterNumber(
            "SPLIT_SEED", tr("Seed of the split"), QgsProcessingParameterNumber.Integer, 0, False, 0)))
        self.add_model_parameters()
        self.removeParameter("OVERLAP")  # edit units are sampled whole: nothing overlaps
        self.addParameter(QgsProcessingParameterFolderDestination("OUTPUT_FOLDER", tr("Output folder")))
        self.addOutput(QgsProcessingOutputFile("INDEX", tr("Pair index (pairs.csv)")))
        self.addOutput(QgsProcessingOutputNumber("PAIRS", tr("Pairs written")))
        self.addOutput(QgsProcessingOutputNumber("UNUSABLE", tr("Chips left out")))

    def _numbers(self, parameters: dict[str, Any], context: QgsProcessingContext, name: str, label: str,
                 kind: type) -> list[Any] | None:
        text = self.parameterAsString(parameters, name, context).strip()
        if not text:
            return None
        try:
            return [kind(part) for part in text.replace(";", ",").split(",") if part.strip()]
        except ValueError:
            raise QgsProcessingException(tr("'{label}' takes numbers separated by commas (got '{text}').").format(
                label=label, text=text)) from None

    def _rois(self, parameters: dict[str, Any], context: QgsProcessingContext) -> Any:
        from ...core.chip_rois import ChipRois

        kind = ROI_SOURCES[self.parameterAsEnum(parameters, "ROI_SOURCE", context)]
        if kind == "mask":
            folder = self.parameterAsFile(parameters, "MASK_FOLDER", context)
            if not folder:
                raise QgsProcessingException(tr("Choose the mask folder: it holds one mask per chip, with the chip's "
                                                "file name."))
            return ChipRois("mask", mask_folder=folder)
        if kind == "box":
            box = self._numbers(parameters, context, "PIXEL_BOX", tr("Pixel box: col0,row0,col1,row1"), int)
            if box is None:
                raise QgsProcessingException(tr("Give the pixel box as col0,row0,col1,row1, e.g. 40,40,120,120."))
            return ChipRois("box", box=tuple(box))
        if kind == "vector":
            source = self.parameterAsSource(parameters, self.ROIS, context)
            features, crs_wkt = roi_features(source, tr("ROI polygons"))
            return ChipRois("vector", vector=source.sourceName(), polygons=features, polygons_crs=crs_wkt)
        return ChipRois()

    def perform(self, parameters, context, feedback) -> dict[str, Any]:
        from ...core.chip_folder import ChipsCancelledError, edit_chip_folder
        from ...core.settings import allow_paraphrase_command, settings_for_mode

        mode = MODES[self.parameterAsEnum(parameters, "MODE", context)]
        prompts = lines_of(self, parameters, context, "PROMPTS", "PROMPTS_FILE")
        if mode == "regenerate" and prompts:
            feedback.pushWarning(tr("The regenerate mode uses no prompt: the prompts given are ignored."))
            prompts = []
        fields = dict(self.scene_model_settings(parameters, context),
                      tile_size=self.parameterAsInt(parameters, "TILE_SIZE", context),
                      margin=self.parameterAsInt(parameters, "MARGIN", context))
        if mode == "text":
            if not prompts:
                raise QgsProcessingException(tr("Give at least one prompt (e.g. 'a damaged house') or a prompt file, "
                                                "or choose the regenerate mode."))
            fields.update(clip_settings(self, parameters, context), prompt=prompts[0],
                          paraphrases=lines_of(self, parameters, context, "PARAPHRASES", "PARAPHRASE_FILE"))
        with allow_paraphrase_command(paraphrase_command_enabled()):
            settings = settings_for_mode(mode, **fields)
        bridge = FeedbackBridge(feedback)
        try:
            result = edit_chip_folder(
                self.parameterAsFile(parameters, "INPUT_FOLDER", context),
                self.parameterAsFileOutput(parameters, "OUTPUT_FOLDER", context), settings,
                pattern=self.parameterAsString(parameters, "PATTERN", context), rois=self._rois(parameters, context),
                prompts=prompts[1:], variants=self.parameterAsInt(parameters, "VARIANTS", context),
                scene_model=SCENE_MODELS[self.parameterAsEnum(parameters, "SCENE_MODEL", context)],
                shared_sample=self.parameterAsInt(parameters, "SHARED_SAMPLE", context),
                split=self._numbers(parameters, context, "SPLIT", tr("Train/val/test split"), float),
                split_seed=self.parameterAsInt(parameters, "SPLIT_SEED", context),
                progress=bridge.progress, is_cancelled=bridge.is_cancelled)
        except ChipsCancelledError as cancelled:
            raise kept_pairs(cancelled, " " + tr("Run again with the same settings to make the rest.")) from None
        for chip, reason in result.unusable:
            feedback.pushWarning(tr("Chip {chip} left out: {reason}").format(chip=chip, reason=reason))
        feedback.pushInfo(tr("{written} pairs written, {skipped} already complete, {unusable} chips left out; "
                             "index: {index}").format(written=len(result.written), skipped=len(result.skipped),
                                                      unusable=len(result.unusable), index=result.index_path))
        return {"OUTPUT_FOLDER": result.folder, "INDEX": result.index_path, "PAIRS": len(result.written),
                "UNUSABLE": len(result.unusable)}
