"""The one home of every default and name list an edit uses; core/, ui/ and the tests import them
from here, so that a dialog's defaults and a default Python edit agree."""
from __future__ import annotations

MODES = ("regenerate", "text", "copy", "pretrained")
BACKENDS = ("training-free", "trained")
PRESETS = ("fast", "standard", "paper")  # models/sinddm/presets.py defines them; a test checks they agree
DEVICES = ("auto", "cpu", "cuda", "mps")
WEIGHT_MAPS = ("roi", "clip")  # NGDM's map A: feathered distance to the ROI border, or the CLIP gradient
CLIP_VIEWS = ("roi", "tile")  # what CLIP guidance looks at: each ROI's box plus context, or the whole tile
COMPRESSIONS = ("NONE", "LZW", "DEFLATE", "ZSTD")

# Tiles of the sampled modes: a 256 px tile is what a CPU samples in seconds and what the scene
# model (learnt on a 256 px context) has seen; the overlap is cross-faded, the margin gives context.
TILE_SIZE = 256
OVERLAP = 32
MARGIN = 16
FEATHER = 8
CONTEXT_SIZE = 256
COMPRESS = "DEFLATE"
# The pretrained model's tiles are larger (its native 512 px): they overlap and reach further.
PRETRAINED_OVERLAP = 64
PRETRAINED_MARGIN = 32

# Upper bounds checked before any work starts. A tile is sampled whole on the model's device: at
# 4096 px a 3-band float32 tile with the denoiser's widest activations (160 channels) takes about
# 10 GB, the most a 24 GB machine or a consumer GPU can hold next to everything else.
MAX_TILE_SIZE = 4096
MIN_TILE_SIZE = 16
MAX_FEATHER = 512
MIN_CONTEXT_SIZE = 32
MAX_CONTEXT_SIZE = 4096
MAX_GUIDANCE_VIEWS = 64
NUM_TIMESTEPS = 100  # SinDDM's diffusion steps: start steps are 0..99
MAX_START_SCALE = 16
MIN_TARGET_PIXELS = 4  # a ROI narrower than this (in pixels) has nothing to edit, in every mode
MAX_MASK_DILATION = 512  # a raster mask's dilation (pixels): each block is read with this halo around it
