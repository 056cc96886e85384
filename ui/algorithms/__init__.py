"""Every algorithm the provider offers."""
from .before_after_pairs import BeforeAfterPairsAlgorithm
from .clear_cache import ClearCacheAlgorithm
from .copy_roi import CopyRoiAlgorithm
from .edit_chip_folder import EditChipFolderAlgorithm
from .edit_pretrained import EditPretrainedAlgorithm
from .edit_text import EditTextAlgorithm
from .preview_tiles import PreviewTilesAlgorithm
from .regenerate import RegenerateAlgorithm
from .train_model import TrainSceneModelAlgorithm

ALGORITHMS = [EditTextAlgorithm, RegenerateAlgorithm, CopyRoiAlgorithm, TrainSceneModelAlgorithm,
              PreviewTilesAlgorithm]
ALGORITHMS += [BeforeAfterPairsAlgorithm, EditChipFolderAlgorithm, ClearCacheAlgorithm]
ALGORITHMS += [EditPretrainedAlgorithm]
