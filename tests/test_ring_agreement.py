"""Coarse drafts of a large regenerated ROI: the draft that agrees with the ROI's surroundings is kept,
per ROI, and the sampler goes on from it (models/editing/ring_agreement.py)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from rsedit.core.errors import ModelError
from rsedit.models.diffusion.sampling_hooks import SamplingHooks
from rsedit.models.editing.editor import EditTile
from rsedit.models.editing.ring_agreement import RingAgreement
from rsedit.models.editing.sampling_editor import REGENERATE_START_T, SamplingEditor
from tiny_sampler import TinySceneModel, smooth_image, tiny_sampler

SEA = torch.tensor([-0.8, -0.7, -0.5])
LAND = torch.tensor([-0.3, -0.2, -0.6])
SIZE = 40
SIZES = ((16, 16), (24, 24), (48, 48))  # the tiny scene model's scales


def _surface(colour: torch.Tensor, seed: int) -> torch.Tensor:
    """[3, SIZE, SIZE] of `colour` with a little texture."""
    generator = torch.Generator().manual_seed(seed)
    return colour[:, None, None] + 0.03 * torch.randn((3, SIZE, SIZE), generator=generator)


def _disk(cy: float, cx: float, radius: float) -> torch.Tensor:
    yy, xx = torch.meshgrid(torch.arange(SIZE), torch.arange(SIZE), indexing="ij")
    return (yy - cy) ** 2 + (xx - cx) ** 2 <= radius**2


def test_open_sea_keeps_the_draft_without_an_island():
    roi = _disk(20, 20, 10)
    island = _disk(20, 22, 5)
    drafts = []
    for seed in range(4):
        draft = _surface(SEA, seed)
        if seed != 2:  # every draft but one puts land into the sea
            draft[:, island] = _surface(LAND, 10 + seed)[:, island]
        drafts.append(draft)
    choice = RingAgreement(roi, count=4)
    kept = choice(torch.stack(drafts))
    assert choice.kept == [2]
    assert kept.shape == (1, 3, SIZE, SIZE)
    assert torch.equal(kept[0][:, roi], drafts[2][:, roi])


def test_a_coast_runs_on_into_the_roi():
    """Land on the left, sea on the right, the ROI across the coast: the draft that continues the coast
    beats the one with the covers swapped and the one of sea only."""
    xx = torch.arange(SIZE)[None, :].expand(SIZE, SIZE)
    land_left = xx < SIZE // 2
    roi = _disk(20, 20, 9)

    def draft(land: torch.Tensor, seed: int) -> torch.Tensor:
        return torch.where(land[None], _surface(LAND, seed), _surface(SEA, seed + 50))

    scene = draft(land_left, 0)
    continued = draft(land_left, 1)
    swapped = torch.where(roi[None], draft(~land_left, 2), scene)
    sea_only = torch.where(roi[None], _surface(SEA, 3), scene)
    continued = torch.where(roi[None], continued, scene)
    choice = RingAgreement(roi, count=3)
    choice(torch.stack([swapped, sea_only, continued]))
    assert choice.kept == [2]
    assert choice.scores[0][2] < min(choice.scores[0][:2])


def test_each_separate_roi_keeps_its_own_draft():
    """One ROI in the sea and one on land: draft 0 suits the first only, draft 1 the second only; the
    image kept takes each ROI, and the pixels nearest it, from its own best draft."""
    xx = torch.arange(SIZE)[None, :].expand(SIZE, SIZE)
    land = xx >= SIZE // 2
    scene = torch.where(land[None], _surface(LAND, 0), _surface(SEA, 1))
    at_sea, ashore = _disk(20, 8, 5), _disk(20, 31, 5)
    roi = at_sea | ashore
    first = torch.where(roi[None], _surface(SEA, 2), scene)  # sea in both ROIs
    second = torch.where(roi[None], _surface(LAND, 3), scene)  # land in both
    choice = RingAgreement(roi, count=2)
    kept = choice(torch.stack([first, second]))
    assert choice.kept == [0, 1]
    assert torch.equal(kept[0][:, at_sea], first[:, at_sea])
    assert torch.equal(kept[0][:, ashore], second[:, ashore])


def test_drafts_are_compared_at_the_last_scale_a_third_of_the_finest():
    choice = RingAgreement(torch.ones(8, 8, dtype=torch.bool))
    assert choice.last_scale([(29, 41), (41, 59), (60, 86), (86, 124), (124, 179), (259, 374)]) == 3
    assert choice.last_scale([(40, 40), (60, 60)]) == 0


class TakeDraft:
    """A DraftChoice that records what it is shown and keeps draft `index`."""

    def __init__(self, count: int, scale: int, index: int) -> None:
        self.count, self.scale, self.index = count, scale, index
        self.seen: list[tuple[int, ...]] = []
        self.drafts: torch.Tensor | None = None

    def last_scale(self, sizes):
        return self.scale

    def __call__(self, drafts: torch.Tensor) -> torch.Tensor:
        self.seen.append(tuple(drafts.shape))
        self.drafts = drafts.clone()
        return drafts[self.index:self.index + 1]


def test_the_sampler_draws_drafts_up_to_the_named_scale_and_goes_on_from_the_one_kept():
    sampler = tiny_sampler()
    steps_seen: list[int] = []

    def batch(state):
        steps_seen.append((state.scale, state.x0_hat.shape[0]))

    outputs = []
    for index in (0, 1):
        choice = TakeDraft(count=3, scale=1, index=index)
        steps_seen.clear()
        out = sampler.sample((32, 40), seed=5, hooks=SamplingHooks(x0_hook=batch, drafts=choice))
        assert choice.seen == [(3, 3, 24, 30)]  # once, at the end of scale 1
        assert not torch.allclose(choice.drafts[0], choice.drafts[1])  # distinct draws
        assert {scale: size for scale, size in steps_seen} == {0: 3, 1: 3, 2: 1}
        assert out.shape == (1, 3, 32, 40)
        outputs.append(out)
    assert not torch.allclose(outputs[0], outputs[1])
    with pytest.raises(ModelError, match="one at a time"):
        sampler.sample((32, 40), count=2, hooks=SamplingHooks(drafts=TakeDraft(3, 1, 0)))


def _tile(roi: np.ndarray) -> EditTile:
    data = (np.clip(smooth_image(5, (3, 48, 48)).numpy() + 1, 0, 2) * 127.5).astype(np.uint8)
    weight = roi.astype(np.float32)
    return EditTile(data=data, roi_weight=weight, valid=np.ones(roi.shape, bool), roi_ids=(1,), seed=0,
                    tile_seed=1, group_weight=lambda ids: weight, roi_box=lambda roi_id: ((0, 0, 1, 1), None),
                    progress=lambda fraction, message="": None, is_cancelled=lambda: False)


def test_only_regeneration_from_more_noise_than_the_usual_start_draws_drafts():
    """A ROI wide at the coarsest scale starts from more noise (schedule_for) and is drafted; a small
    one, or one started at the usual step, is drawn once, as before; the edit keeps pixels outside it."""
    editor = SamplingEditor(TinySceneModel(SIZES), device="cpu", fill_roi=True)
    large, small = np.zeros((48, 48), bool), np.zeros((48, 48), bool)
    large[4:44, 4:44] = True
    small[20:24, 20:24] = True
    large_schedule = editor.schedule_for(large)
    assert large_schedule.start_t > REGENERATE_START_T
    assert isinstance(editor.drafts(_tile(large), large_schedule), RingAgreement)
    assert editor.drafts(_tile(small), editor.schedule_for(small)) is None
    fixed = SamplingEditor(TinySceneModel(SIZES), device="cpu", fill_roi=True, start_t=REGENERATE_START_T)
    assert fixed.drafts(_tile(large), fixed.schedule_for(large)) is None
    tile = _tile(large)
    edited = editor.edit(tile)
    assert np.array_equal(edited[:, ~large], tile.data[:, ~large])
    assert not np.array_equal(edited[:, large], tile.data[:, large])
