"""Every algorithm the provider offers."""
from .preview_tiles import PreviewTilesAlgorithm

ALGORITHMS = [PreviewTilesAlgorithm]
