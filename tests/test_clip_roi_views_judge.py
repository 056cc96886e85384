"""ROI-focused CLIP views, judged: in one text edit of a Landsat crop with two ROIs and two prompts, each
ROI's score under the *judge* (a small CLIP of another architecture and seed, trained on the sample
scenes by bench/small_clip.py) rises towards its own prompt more than towards the other ROI's. The
*guide* steers the edit; the judge never sees the gradients, so a gain that only fools the guide does
not pass. The scene texture is off: the views' guidance is under test here, the quilt that follows it
has its own tests (tests/test_scene_texture.py)."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import rasterio
import torch

from single_thread import one_cpu_thread  # noqa: F401 (autouse fixture: small models, shared CPU)

sys.path.append(str(Path(__file__).resolve().parents[1] / "bench"))  # after site-packages: bench/distributed.py must not shadow dask's distributed
from bench_scene import crop_scene  # noqa: E402
from clip_views import BoxScorer, pixel_square, scene_units  # noqa: E402
from small_clip import SmallClips  # noqa: E402

from rsedit.core.rois import RoiFeature  # noqa: E402
from rsedit.core.scene_edit import edit_scene  # noqa: E402

pytestmark = pytest.mark.usefixtures("data_dir")  # trained on, and measured on, the sample scenes

CROP = (340, 300, 96)  # col, row, size in the Landsat scene: the island's east coast and the channel
# (row0, col0, row1, col1) in the crop, and the prompt: a land (vegetation) ROI and an open-sea ROI
ROIS = [((48, 10, 68, 30), "the sea"), ((16, 74, 36, 94), "clouds")]
# the normalised step moves the masked pixels by strength x their own norm: at 1.0 a ROI-sized view
# overshoots (bench/clip_views.py, docs/benchmarks.md "CLIP views")
GUIDANCE_STRENGTH = 0.3


@pytest.fixture
def clips(small_clips) -> SmallClips:
    return small_clips  # tests/conftest.py


def test_each_roi_rises_towards_its_own_prompt_under_the_judge(clips, tmp_path):
    col, row, size = CROP
    scene, transform = crop_scene(tmp_path, col, row, size)
    features = [RoiFeature(i, pixel_square(transform, box), {"prompt": prompt}) for i, (box, prompt) in enumerate(ROIS)]
    common = dict(rois_crs="EPSG:32618", mode="text", prompt_field="prompt", backend="training-free",
                  clip_model=clips.guide_architecture, clip_weights=str(clips.guide_path), guidance_views=8,
                  tile_size=size, overlap=16, margin=8, feather=4, context_size=size, device="cpu", seed=0,
                  texture_from_scene=False)
    edited = {}
    for name, strength in (("unguided", 0.0), ("guided", GUIDANCE_STRENGTH)):
        edit_scene(scene, features, tmp_path / f"{name}.tif", mask_out=tmp_path / "mask.tif",
                   guidance_strength=strength, clip_views="roi", **common)
        with rasterio.open(tmp_path / f"{name}.tif") as dataset:
            edited[name] = dataset.read()
    with rasterio.open(scene) as source, rasterio.open(tmp_path / "mask.tif") as mask:
        original, outside = source.read(), mask.read(1) == 0
    assert np.array_equal(edited["guided"][:, outside], original[:, outside])

    judge = BoxScorer(clips.judge_architecture, str(clips.judge_path), scene_units())
    gains = []
    for index, (box, own) in enumerate(ROIS):
        other = ROIS[1 - index][1]
        gain_own, gain_other = (judge.score(edited["guided"], box, p) - judge.score(edited["unguided"], box, p)
                                for p in (own, other))
        gains.append((own, round(gain_own, 2), round(gain_other, 2)))
    for own, gain_own, gain_other in gains:
        assert gain_own > 0 and gain_own > gain_other, gains
