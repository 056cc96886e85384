"""Every algorithm the provider offers."""
from .copy_roi import CopyRoiAlgorithm
from .edit_text import EditTextAlgorithm
from .preview_tiles import PreviewTilesAlgorithm
from .regenerate import RegenerateAlgorithm
from .train_model import TrainSceneModelAlgorithm

ALGORITHMS = [EditTextAlgorithm, RegenerateAlgorithm, CopyRoiAlgorithm, TrainSceneModelAlgorithm,
              PreviewTilesAlgorithm]
