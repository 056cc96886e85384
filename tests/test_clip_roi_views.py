"""CLIP guidance that looks at each ROI: views cut from the ROI's box plus context, one guidance per
ROI with its own prompt and views, pixels outside the ROIs untouched. Mechanics with the tiny random
CLIP of tiny_clip.py (no weights to download)."""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from tiny_clip import tiny_guidance_clip
from tiny_sampler import TinySceneModel, smooth_image

from rsedit.core.errors import InputError, ModelError
from rsedit.core.settings import TextSettings
from rsedit.models.clip.clip_guidance import ClipTextGuidance
from rsedit.models.clip.prompts import embed_prompts
from rsedit.models.clip.roi_views import CONTEXT_SHARE, MIN_CONTEXT_PX, box_at, roi_view_box
from rsedit.models.clip.view_augment import resize_image
from rsedit.models.editing.editor import EditTile
from rsedit.models.editing.text import TextEditor

SEA, CLOUD = "the open sea", "a thick white cloud"


@pytest.fixture(scope="module")
def clip():
    return tiny_guidance_clip(seed=0)


@pytest.fixture(scope="module")
def texts(clip):
    return {prompt: embed_prompts(clip, [prompt]).embedding for prompt in (SEA, CLOUD)}


def _image(seed: int, shape=(1, 3, 64, 64)) -> torch.Tensor:
    return torch.rand(shape, generator=torch.Generator().manual_seed(seed)) * 2 - 1


def _square(size: tuple[int, int], rows: slice, cols: slice) -> torch.Tensor:
    roi = torch.zeros(size)
    roi[rows, cols] = 1.0
    return roi


class RecordingClip:
    """The tiny CLIP, recording the views it is shown (to check what guidance looks at)."""

    def __init__(self, clip: Any) -> None:
        self.clip, self.views = clip, []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.clip, name)

    def encode_views(self, views: torch.Tensor) -> torch.Tensor:
        self.views.append(views.detach().clone())
        return self.clip.encode_views(views)


def _loss_gradient(guidance: ClipTextGuidance, image: torch.Tensor) -> torch.Tensor:
    x = image.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(guidance.clip_loss(x).sum(), x)
    return grad.norm(dim=1)[0]  # [H, W]


def test_the_view_box_is_the_roi_box_plus_context_clipped_to_the_tile():
    roi = _square((100, 120), slice(40, 60), slice(10, 90))  # 20 x 80 px
    row_margin, col_margin = max(MIN_CONTEXT_PX, round(CONTEXT_SHARE * 20)), round(CONTEXT_SHARE * 80)
    assert roi_view_box(roi) == (40 - row_margin, 0, 60 + row_margin, 90 + col_margin)  # left edge clipped
    tiny = _square((100, 120), slice(50, 52), slice(60, 63))
    assert roi_view_box(tiny) == (50 - MIN_CONTEXT_PX, 60 - MIN_CONTEXT_PX, 52 + MIN_CONTEXT_PX, 63 + MIN_CONTEXT_PX)
    assert roi_view_box(torch.zeros(8, 8)) is None
    # on a coarser pyramid level the box covers the same ground, grown outwards to whole pixels
    assert box_at((30, 0, 70, 110), (100, 120), (50, 60)) == (15, 0, 35, 55)
    assert box_at((31, 1, 69, 109), (100, 120), (50, 60)) == (15, 0, 35, 55)
    assert box_at((99, 119, 100, 120), (100, 120), (10, 12)) == (9, 11, 10, 12)


def test_guidance_looks_only_at_the_roi_box_at_every_scale(clip, texts):
    roi = _square((64, 64), slice(6, 14), slice(8, 18))
    row0, col0, row1, col1 = roi_view_box(roi)
    assert (row1, col1) == (22, 26)  # 8 px of context: the rest of the tile is far outside
    focused = ClipTextGuidance(clip, texts[SEA], roi_mask=roi, n_views=6, seed=0)
    grad = _loss_gradient(focused, _image(0))
    assert grad[row1:, :].max() == 0 and grad[:, col1:].max() == 0
    assert (grad[row0:row1, col0:col1] > 0).float().mean() > 0.9
    # at half the size (a coarser pyramid level) the box halves with the image
    half = _loss_gradient(focused, _image(1, (1, 3, 32, 32)))
    assert half[11:, :].max() == 0 and half[:, 13:].max() == 0 and half[:11, :13].min() > 0
    # whole-tile views, as before, look everywhere
    whole = _loss_gradient(ClipTextGuidance(clip, texts[SEA], roi_mask=roi, n_views=6, seed=0, view_focus="tile"),
                           _image(0))
    assert (whole[row1:, col1:] > 0).float().mean() > 0.9


def test_the_first_view_is_the_unaugmented_roi_box(clip, texts):
    recording = RecordingClip(clip)
    roi = _square((64, 64), slice(30, 40), slice(20, 50))
    guidance = ClipTextGuidance(recording, texts[SEA], roi_mask=roi, n_views=5, seed=3)
    image = _image(2)
    guidance.clip_loss(image)
    (views,) = recording.views
    row0, col0, row1, col1 = roi_view_box(roi)
    box = (image[:, :, row0:row1, col0:col1] + 1) * 0.5
    expected = resize_image(box, tuple(clip.image_size))
    assert views.shape == (5, 3, *clip.image_size)
    torch.testing.assert_close(views[:1], expected)
    assert all(not torch.equal(views[i], views[0]) for i in range(1, 5))  # augmented within the box


def test_the_same_seed_gives_the_same_roi_views_and_edit(clip, texts):
    roi = _square((64, 64), slice(10, 30), slice(30, 60))

    def run(seed: int) -> torch.Tensor:
        guidance = ClipTextGuidance(clip, texts[CLOUD], n_scales=1, start_scale=0, roi_mask=roi, n_views=4, seed=seed)
        x = _image(3)
        for t in range(8, 3, -1):
            x = guidance.step(x, t, 0)
        return x

    first, again, other = run(7), run(7), run(8)
    assert torch.equal(first, again)
    assert not torch.equal(first, other)


def test_a_bad_view_focus_is_refused(clip, texts):
    with pytest.raises(ModelError, match="view focus"):
        ClipTextGuidance(clip, texts[SEA], view_focus="roi-box")
    with pytest.raises(InputError, match="clip_views.*roi, tile"):
        TextSettings(prompt=SEA, clip_views="box")
    assert TextSettings(prompt=SEA).clip_views == "roi"


# ---------------------------------------------------------------------------------- several ROIs

def _two_roi_guidances(clip, texts, focus: str) -> tuple[list[ClipTextGuidance], list[torch.Tensor]]:
    """Two ROIs in opposite corners of a 64 px tile, one towards SEA, one towards CLOUD."""
    rois = [_square((64, 64), slice(4, 20), slice(4, 20)), _square((64, 64), slice(44, 60), slice(44, 60))]
    prompts = [SEA, CLOUD]
    if focus == "roi":
        guidances = [ClipTextGuidance(clip, texts[p], n_scales=1, start_scale=0, roi_mask=r, n_views=6, seed=i,
                                      strength=0.3, fill_factor=1.0) for i, (p, r) in enumerate(zip(prompts, rois))]
    else:
        guidances = [ClipTextGuidance(clip, texts[p], n_scales=1, start_scale=0, roi_mask=r, n_views=6, seed=0,
                                      strength=0.3, fill_factor=1.0, view_focus="tile")
                     for p, r in zip(prompts, rois)]
    return guidances, rois


def _box_similarity(clip, image: torch.Tensor, roi: torch.Tensor, text: torch.Tensor) -> float:
    row0, col0, row1, col1 = roi_view_box(roi)
    return float(clip.image_text_similarity(image[:, :, row0:row1, col0:col1], text))


def _guided_gains(clip, texts, focus: str) -> tuple[list[tuple[float, float]], torch.Tensor, torch.Tensor, list]:
    """Each ROI's box similarity gain (to its own prompt, to the other's) after 16 guided steps."""
    guidances, rois = _two_roi_guidances(clip, texts, focus)
    image = _image(4)
    x = image
    for t in range(15, -1, -1):
        for guidance in guidances:
            x = guidance.step(x, t, 0)
    gains = []
    for roi, (own, other) in zip(rois, [(SEA, CLOUD), (CLOUD, SEA)]):
        gains.append(tuple(_box_similarity(clip, x, roi, texts[p]) - _box_similarity(clip, image, roi, texts[p])
                           for p in (own, other)))
    return gains, image, x, rois


def test_each_roi_moves_towards_its_own_prompt_with_roi_views(clip, texts):
    """Under the guiding (tiny) model: each ROI's box gains more similarity to its own prompt
    than to the other ROI's prompt, more than whole-tile views give it, and nothing outside the two
    ROIs changes."""
    gains, image, x, rois = _guided_gains(clip, texts, "roi")
    for gain_own, gain_other in gains:
        assert gain_own > 0 and gain_own > gain_other, gains
    tile_gains, _, _, _ = _guided_gains(clip, texts, "tile")  # each guidance sees both ROIs and the rest
    assert all(roi[0] > tile[0] for roi, tile in zip(gains, tile_gains)), (gains, tile_gains)
    outside = (rois[0] + rois[1]) == 0
    assert torch.equal(x[:, :, outside], image[:, :, outside])
    assert (x != image).any(dim=1)[0][~outside].float().mean() > 0.9


def _tile(masks: dict[Any, np.ndarray], seed: int = 11) -> EditTile:
    data = (np.clip(smooth_image(5, (3, 48, 48)).numpy() + 1, 0, 2) * 127.5).astype(np.uint8)
    union = np.maximum.reduce(list(masks.values()))

    def group_weight(ids):
        return np.maximum.reduce([masks[i] for i in ids if i in masks] or [np.zeros_like(union)])

    return EditTile(data=data, roi_weight=union, valid=np.ones(union.shape, bool), roi_ids=tuple(masks), seed=seed,
                    tile_seed=seed + 1, group_weight=group_weight, roi_box=lambda roi_id: ((0, 0, 1, 1), None),
                    progress=lambda fraction, message="": None, is_cancelled=lambda: False)


def _masks() -> dict[Any, np.ndarray]:
    a, b, c = (np.zeros((48, 48), np.float32) for _ in range(3))
    a[4:14, 4:16] = 1.0
    b[30:44, 28:44] = 1.0
    c[4:12, 34:44] = 1.0
    return {"a": a, "b": b, "c": c}


def test_the_text_editor_guides_each_roi_with_views_of_its_own(clip):
    masks = _masks()
    prompts = {"a": SEA, "b": CLOUD, "c": SEA}  # a and c share a prompt, not their views
    editor = TextEditor(TinySceneModel(), prompts, clip=clip, guidance_views=2, device="cpu", start_t=30)
    tile = _tile(masks)
    guidances = editor.guidances(tile)
    assert [g.prompts[0] for g in guidances] == [SEA, SEA, CLOUD]  # grouped by prompt, one per ROI
    assert [torch.equal(g.roi_mask, torch.from_numpy(masks[i] > 0).float()) for g, i in zip(guidances, "acb")] == [
        True] * 3
    assert [g.view_box for g in guidances] == [roi_view_box(torch.from_numpy(masks[i])) for i in "acb"]
    assert len({g.seed for g in guidances}) == 3
    assert torch.equal(guidances[0].text_embedding, guidances[1].text_embedding)
    # the same ROI draws the same views in every tile it reaches, whatever else is there
    alone = editor.guidances(_tile({"c": masks["c"]}))
    assert alone[0].seed == guidances[1].seed

    # whole-tile views: one guidance per prompt over its ROIs, as before
    tiled = TextEditor(TinySceneModel(), prompts, clip=clip, guidance_views=2, device="cpu", view_focus="tile")
    per_prompt = tiled.guidances(tile)
    assert [g.prompts[0] for g in per_prompt] == [SEA, CLOUD] and all(g.view_box is None for g in per_prompt)
    assert torch.equal(per_prompt[0].roi_mask, torch.from_numpy((masks["a"] + masks["c"]) > 0).float())
    with pytest.raises(ModelError, match="view focus"):
        TextEditor(TinySceneModel(), prompts, clip=clip, device="cpu", view_focus="box")


def test_a_text_edit_of_several_rois_keeps_every_outside_pixel_and_reproduces(clip):
    masks = _masks()
    editor = TextEditor(TinySceneModel(), {"a": SEA, "b": CLOUD, "c": SEA}, clip=clip, guidance_views=2,
                        guidance_strength=1.0, device="cpu", start_t=20)
    tile = _tile(masks)
    edited, again = editor.edit(tile), editor.edit(tile)
    inside = tile.roi_weight > 0
    assert np.array_equal(edited[:, ~inside], tile.data[:, ~inside])
    assert np.array_equal(edited, again)
    for mask in masks.values():
        assert not np.array_equal(edited[:, mask > 0], tile.data[:, mask > 0])
    unguided = TextEditor(TinySceneModel(), {"a": SEA, "b": CLOUD, "c": SEA}, clip=clip, guidance_strength=0.0,
                          device="cpu", start_t=20).edit(tile)
    assert not np.array_equal(edited, unguided)


def test_the_clip_weight_map_looks_at_the_roi_box_too(clip, texts):
    """NGDM's CLIP map (weight_map="clip") with ROI views depends on the ROI's box alone: pixels far
    outside it change nothing; with whole-tile views they do. Either way the map stays inside the ROI."""
    from rsedit.models.clip.clip_weight_map import clip_weight_map

    roi = _square((64, 64), slice(8, 20), slice(10, 24))
    source = _image(6)[0]
    elsewhere = source.clone()
    elsewhere[:, 40:, 40:] = -source[:, 40:, 40:]  # far outside the box (it ends at row 28, column 32)
    maps = {focus: [clip_weight_map(clip, texts[SEA], image, roi, seed=2, view_focus=focus)
                    for image in (source, elsewhere)] for focus in ("roi", "tile")}
    assert torch.equal(maps["roi"][0], maps["roi"][1])
    assert not torch.equal(maps["tile"][0], maps["tile"][1])
    assert all(torch.all(m[roi == 0] == 0) for pair in maps.values() for m in pair)


def test_roi_similarity_reads_the_rois_own_pixels_on_fixed_views_and_leaves_the_run_alone(clip, texts):
    """scene_texture's check: the same image scores the same however often it is asked, pixels outside
    the ROI's own box (its view context included) do not count, and the guidance's run is untouched."""
    recording = RecordingClip(clip)
    roi = _square((64, 64), slice(20, 36), slice(24, 44))
    guidance = ClipTextGuidance(recording, texts[SEA], roi_mask=roi, n_views=4, seed=5)
    image = _image(4)
    guidance.clip_loss(image)  # a guided step's views move the run's generator
    state = guidance.generator.get_state()
    first = guidance.roi_similarity(image)
    around = image.clone()
    around[:, :, :20] = around[:, :, 36:] = around[:, :, :, :24] = around[:, :, :, 44:] = 1.0
    assert guidance.roi_similarity(around) == first
    assert torch.equal(guidance.generator.get_state(), state) and len(guidance.similarity_history) == 1
    # its first view is the ROI's own box, without the guidance views' context
    expected = resize_image((image[:, :, 20:36, 24:44] + 1) * 0.5, tuple(clip.image_size))
    torch.testing.assert_close(recording.views[-1][:1], expected)
    inside = image.clone()
    inside[:, :, 24:32, 28:40] = 1.0
    assert guidance.roi_similarity(inside) != first


def test_window_similarity_scores_each_window_as_the_rois_box_is_seen_and_leaves_the_run_alone(clip, texts):
    """scene_texture's sources: the prompt's cosine with every `side` px window on a `stride` grid,
    each resized to the model's input as roi_similarity's first view sees a box; no state is touched."""
    roi = _square((64, 64), slice(20, 36), slice(24, 44))
    guidance = ClipTextGuidance(clip, texts[SEA], roi_mask=roi, n_views=4, seed=5)
    image = _image(4)[0]
    guidance.clip_loss(image[None])
    state = guidance.generator.get_state()
    scores = guidance.window_similarity(image, 16, 8)
    assert scores.shape == (7, 7)
    assert torch.equal(guidance.generator.get_state(), state) and len(guidance.similarity_history) == 1
    for row, col in ((0, 0), (3, 5), (6, 6)):
        window = (image[None, :, row * 8:row * 8 + 16, col * 8:col * 8 + 16] + 1) * 0.5
        with torch.no_grad():
            expected = clip.encode_views(resize_image(window, tuple(clip.image_size)))[0] @ guidance.text_embedding
        assert float(scores[row, col]) == pytest.approx(float(expected), abs=1e-5)
    # batches that split the grid's rows give every window its own score, in grid order
    assert torch.allclose(guidance.window_similarity(image, 16, 8, batch=5), scores, atol=1e-5)
