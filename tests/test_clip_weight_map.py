"""The CLIP weight map for NGDM: zero outside the ROI, in [0, 1], and high where a change moves the
image towards the prompt most (under the tiny random CLIP model that builds it)."""
from __future__ import annotations

import numpy as np
import pytest
import rasterio
import torch
from safetensors.torch import save_file
from shapely.geometry import box
from tiny_clip import TINY_VIT, register_tiny_configs, tiny_guidance_clip, tiny_open_clip_model

from rsedit.core.errors import InputError
from rsedit.core.scene_edit import edit_scene
from rsedit.models.clip.clip_weight_map import clip_weight_map
from rsedit.models.clip.prompts import embed_prompts

from textured_scene import CRS, TRANSFORM, write_textured_scene

PROMPT = "a flooded river"


@pytest.fixture(scope="module")
def clip():
    return tiny_guidance_clip(seed=3)


def _source(seed: int = 0) -> torch.Tensor:
    return torch.rand(3, 40, 48, generator=torch.Generator().manual_seed(seed)) * 2 - 1


def _roi() -> torch.Tensor:
    roi = torch.zeros(40, 48)
    roi[8:32, 10:40] = 1.0
    return roi


def test_map_is_zero_outside_the_roi_and_scaled_inside(clip):
    text = embed_prompts(clip, [PROMPT]).embedding
    roi = _roi()
    weights = clip_weight_map(clip, text, _source(), roi, seed=1)
    assert weights.shape == roi.shape
    assert torch.all(weights[roi == 0] == 0)
    inside = weights[roi > 0]
    assert float(inside.min()) >= 0.0 and float(inside.max()) == pytest.approx(1.0)
    assert float(inside.std()) > 0.05  # a map, not a constant


def test_changing_the_high_weight_pixels_raises_similarity_more(clip):
    """A step of the same size towards the prompt, on the map's top quarter of ROI pixels vs its
    bottom quarter: the top quarter must move the image-text similarity more."""
    text = embed_prompts(clip, [PROMPT]).embedding
    source, roi = _source(5), _roi()
    weights = clip_weight_map(clip, text, source, roi, seed=2, sigma=0.5)
    inside = weights[roi > 0]
    high = (weights >= torch.quantile(inside, 0.75)) & (roi > 0)
    low = (weights <= torch.quantile(inside, 0.25)) & (roi > 0)
    x = source[None].clone().requires_grad_(True)
    similarity = clip.image_text_similarity(x, text)
    (grad,) = torch.autograd.grad(similarity.sum(), x)

    def gain(where: torch.Tensor) -> float:
        step = grad * where[None, None]
        step = 0.05 * step / step.norm()
        with torch.no_grad():
            return float(clip.image_text_similarity(source[None] + step, text) - similarity.detach())

    assert gain(high) > gain(low)


def _pixel_box(col0: int, row0: int, col1: int, row1: int):
    x0, y0 = TRANSFORM * (col0, row0)
    x1, y1 = TRANSFORM * (col1, row1)
    return box(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))


def test_text_edit_with_the_clip_weight_map_keeps_the_outside(tmp_path):
    register_tiny_configs()
    weights_file = tmp_path / "tiny_clip.safetensors"
    save_file({k: v.contiguous() for k, v in tiny_open_clip_model(TINY_VIT, seed=4).state_dict().items()}, str(weights_file))
    scene = write_textured_scene(tmp_path / "scene.tif", 64, nodata=0)
    roi = _pixel_box(16, 16, 44, 48)
    out, mask = tmp_path / "out.tif", tmp_path / "mask.tif"
    edit_scene(scene, [roi], out, rois_crs=CRS, mask_out=mask, mode="text", prompt=PROMPT, clip_model=TINY_VIT,
               clip_weights=str(weights_file), weight_map="clip", backend="training-free", guidance_views=2,
               tile_size=64, overlap=16, margin=8, feather=4, context_size=64, start_t=40, seed=0)
    with rasterio.open(scene) as src, rasterio.open(out) as dst, rasterio.open(mask) as m:
        source, edited, weights, tags = src.read(), dst.read(), m.read(1), dst.tags()
    assert np.array_equal(edited[:, weights == 0], source[:, weights == 0])
    assert not np.array_equal(edited, source)
    assert tags["RSEDIT_MASK"] == "soft (NGDM, clip weight map)"


def test_the_clip_weight_map_needs_a_text_edit(tmp_path):
    scene = write_textured_scene(tmp_path / "scene.tif", 32, nodata=0)
    with pytest.raises(InputError, match="weight_map does not apply to regenerate edits .it is a setting of text"):
        edit_scene(scene, [_pixel_box(4, 4, 20, 20)], tmp_path / "x.tif", rois_crs=CRS,
                   mode="regenerate", weight_map="clip")
    assert not (tmp_path / "x.tif").exists()


def test_guidance_strength_zero_samples_the_same_edit_unguided(tmp_path):
    """Strength 0 is the unguided baseline: the prompt then changes nothing, while with guidance it does."""
    register_tiny_configs()
    weights_file = tmp_path / "tiny_clip.safetensors"
    save_file({k: v.contiguous() for k, v in tiny_open_clip_model(TINY_VIT, seed=4).state_dict().items()}, str(weights_file))
    scene = write_textured_scene(tmp_path / "scene.tif", 64, nodata=0)
    common = dict(rois_crs=CRS, mode="text", clip_model=TINY_VIT, clip_weights=str(weights_file),
                  backend="training-free", guidance_views=2, tile_size=64, overlap=16, margin=8, feather=4,
                  context_size=64, start_t=40, seed=0)
    outputs = {}
    for strength in (0.0, 1.0):
        for prompt in (PROMPT, "a forest on fire"):
            out = tmp_path / f"out_{strength}_{prompt[2:8]}.tif"
            edit_scene(scene, [_pixel_box(16, 16, 44, 48)], out, prompt=prompt, guidance_strength=strength, **common)
            with rasterio.open(out) as dst:
                outputs[strength, prompt] = dst.read()
    assert np.array_equal(outputs[0.0, PROMPT], outputs[0.0, "a forest on fire"])
    assert not np.array_equal(outputs[1.0, PROMPT], outputs[1.0, "a forest on fire"])
    assert not np.array_equal(outputs[0.0, PROMPT], outputs[1.0, PROMPT])
