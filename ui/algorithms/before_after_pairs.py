"""rsedit:beforeafterpairs: pre/post GeoTIFF pairs per ROI x prompt x variant, plus a GeoPackage index."""
from __future__ import annotations

from typing import Any

from qgis.core import (
    QgsProcessing,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProcessingOutputNumber,
    QgsProcessingOutputVectorLayer,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
    QgsProcessingParameterFolderDestination,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterLayer,
)

from ..feedback import FeedbackBridge
from ..i18n import tr
from ..layers import pixel_rois_of_plain_raster, raster_path, roi_features
from .clip_parameters import add_clip_parameters, clip_settings
from .edit_base import SceneEditAlgorithm
from .mask_parameters import add_mask_parameters, mask_help, roi_mask
from .prompt_parameters import add_prompt_list_parameters, lines_of

PAIR_MODES = ["text", "regenerate"]


def kept_pairs(cancelled: Any, rerun: str = "") -> Exception:
    """What to raise for a cancel that kept complete pairs (a PairsCancelledError): say so, and `rerun`."""
    if not cancelled.pairs_done:
        return cancelled
    return QgsProcessingException(tr(
        "Cancelled after {count} complete pairs: they and their index {index} were kept; no partial pair "
        "was left.").format(count=cancelled.pairs_done, index=cancelled.index_path) + rerun)


class BeforeAfterPairsAlgorithm(SceneEditAlgorithm):
    def name(self) -> str:
        return "beforeafterpairs"

    def displayName(self) -> str:  # noqa: N802
        return tr("Generate before/after pairs")

    def shortHelpString(self) -> str:  # noqa: N802
        text = tr(
            "Builds training data for change-detection and damage-assessment models. For every polygon, every "
            "prompt and every variant it writes a pair of GeoTIFFs of the polygon's chip (a square of tile size "
            "pixels centred on it; larger polygons get several chips): <i>pre</i> holds the untouched source "
            "pixels, <i>post</i> the same window with the polygon edited, and <i>mask</i> the edit weight "
            "(0 = unchanged, 255 = fully synthetic), which is the change label. One scene model is trained or "
            "taken from the cache for the whole batch. A GeoPackage index (pairs.gpkg) holds one chip footprint "
            "per pair with roi_id, prompt, seed, variant, mode, the model fingerprint and the file names "
            "(relative to the folder). Pairs appear only when complete; Cancel keeps the complete ones.\n\n"
            "<b>Mode</b>: text prompts (CLIP-guided edits) or regenerate (no prompt: the polygon's content is "
            "replaced from the scene model, e.g. buildings removed).\n"
            "<b>Prompts</b>: one per line, and/or a text file with one per line. <b>Prompt field</b>: a field "
            "of the polygon layer; a polygon with a value there is edited with that prompt only, the others "
            "with every prompt of the list.\n"
            "<b>Variants</b>: how many versions of each pair, with seeds seed, seed+1, ...\n"
            "<b>CLIP architecture / weights</b>: as in 'Edit with text prompt in ROIs' (e.g. ViT-B-32 and "
            "RemoteCLIP-ViT-B-32.pt).\n"
            "<b>Tile size</b> (advanced) is the chip size (256 by default; much smaller chips leave the scene "
            "model too little room); <b>context margin</b> the least distance in pixels between a polygon and "
            "its chip's border. The other advanced settings are those of the editing algorithms.\n\n"
            "Example: a post-event orthophoto, 50 building polygons, prompts 'a damaged house' and 'a "
            "collapsed roof', 3 variants: 300 pairs and their index.")
        return text + "\n\n" + mask_help()

    def initAlgorithm(self, config: dict[str, Any] | None = None) -> None:  # noqa: N802
        self.addParameter(QgsProcessingParameterRasterLayer(self.INPUT, tr("Raster")))
        self.addParameter(QgsProcessingParameterFeatureSource(
            self.ROIS, self.rois_label(), [QgsProcessing.TypeVectorPolygon], optional=True))
        add_mask_parameters(self)
        self.addParameter(QgsProcessingParameterEnum(
            "MODE", tr("Mode"), [tr("Text prompts"), tr("Regenerate (no prompt)")], defaultValue=0))
        add_prompt_list_parameters(self)
        self.addParameter(QgsProcessingParameterField(
            "PROMPT_FIELD", tr("Prompt field (one prompt per polygon)"), parentLayerParameterName=self.ROIS,
            type=QgsProcessingParameterField.String, optional=True))
        self.addParameter(QgsProcessingParameterNumber(
            "VARIANTS", tr("Variants per polygon and prompt"), QgsProcessingParameterNumber.Integer, 2, False, 1, 1000))
        self.addParameter(QgsProcessingParameterNumber(
            "SEED", tr("Random seed of the first variant"), QgsProcessingParameterNumber.Integer, 0, False, 0))
        add_clip_parameters(self)
        self.add_model_parameters()
        self.removeParameter("OVERLAP")  # one chip is one tile: nothing overlaps
        self.addParameter(QgsProcessingParameterFolderDestination("OUTPUT_FOLDER", tr("Output folder")))
        self.addOutput(QgsProcessingOutputVectorLayer("INDEX", tr("Before/after pair index"),
                                                      QgsProcessing.TypeVectorPolygon))
        self.addOutput(QgsProcessingOutputNumber("PAIRS", tr("Number of pairs written")))

    def perform(self, parameters, context, feedback) -> dict[str, Any]:
        from ...core.before_after_pairs import PairsCancelledError, generate_pairs

        layer = self.parameterAsRasterLayer(parameters, self.INPUT, context)
        path = raster_path(layer, tr("Raster"))
        mask = roi_mask(self, parameters, context, self.ROIS, self.rois_label())
        if mask is None:
            source = self.parameterAsSource(parameters, self.ROIS, context)
            rois, crs_wkt = roi_features(source, self.rois_label())
            rois, crs_wkt = pixel_rois_of_plain_raster(path, rois, crs_wkt, feedback)
            roi_source = source.sourceName()  # the layer's name, as the dialog shows it
        else:
            rois, crs_wkt, roi_source = mask, None, mask.describe()
        folder = self.parameterAsFileOutput(parameters, "OUTPUT_FOLDER", context)
        mode = PAIR_MODES[self.parameterAsEnum(parameters, "MODE", context)]
        prompts = lines_of(self, parameters, context, "PROMPTS", "PROMPTS_FILE")
        field = self.parameterAsString(parameters, "PROMPT_FIELD", context) or None
        if mode == "text" and not prompts and not field:
            raise QgsProcessingException(tr("Give at least one prompt (e.g. 'a damaged house'), a prompt file or a "
                                            "prompt field, or choose the regenerate mode."))
        if mode == "regenerate" and (prompts or field):
            feedback.pushWarning(tr("The regenerate mode uses no prompt: the prompts given are ignored."))
        from ...core.settings import settings_for_mode

        fields = dict(self.scene_model_settings(parameters, context),
                      tile_size=self.parameterAsInt(parameters, "TILE_SIZE", context),
                      margin=self.parameterAsInt(parameters, "MARGIN", context),
                      extra_tags={"RSEDIT_ROI_SOURCE": roi_source})
        if mode == "text":
            fields.update(clip_settings(self, parameters, context), prompt=prompts[0] if prompts else None,
                          prompt_field=field)
        settings = settings_for_mode(mode, **fields)
        bridge = FeedbackBridge(feedback)
        try:
            result = generate_pairs(
                path, rois, folder, settings, rois_crs=crs_wkt, prompts=prompts,
                variants=self.parameterAsInt(parameters, "VARIANTS", context),
                progress=bridge.progress, is_cancelled=bridge.is_cancelled)
        except PairsCancelledError as cancelled:
            raise kept_pairs(cancelled) from None
        feedback.pushInfo(tr("{count} before/after pairs written to {folder}; index: {index}").format(
            count=len(result.pairs), folder=result.folder, index=result.index_path))
        feedback.pushInfo(tr("Scene model: {model}").format(model=result.model.get("backend")))
        context.addLayerToLoadOnCompletion(result.index_path, QgsProcessingContext.LayerDetails(
            tr("Before/after pairs"), context.project(), "INDEX"))
        return {"OUTPUT_FOLDER": result.folder, "INDEX": result.index_path, "PAIRS": len(result.pairs)}
