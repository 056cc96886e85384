"""Regeneration with the training-free model: the finer scales take the scene's own texture along
block correspondences (models/patch/patch_transfer.py), and coarse patches shrink until they fit
around the ROIs left out of the context (patch_denoiser.fitting_patch_size)."""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import torch

from rsedit.models.diffusion.pyramid import plan_pyramid
from rsedit.models.diffusion.resample import bilinear_resize, lanczos_resize
from rsedit.models.diffusion.schedule import DiffusionSchedule
from rsedit.models.editing.tile_edit import EditSchedule, edit_image
from rsedit.models.patch.patch_denoiser import PatchDenoiser
from rsedit.models.patch.patch_scene_model import PatchSceneModel
from rsedit.models.patch.patch_transfer import BlockTransfer, block_transfer

SIZE = 96


def leafy_texture(size: int = SIZE, seed: int = 0) -> np.ndarray:
    """[3, size, size] in [-1, 1]: blobs and strokes at several sizes, so blocks have something to match."""
    rng = np.random.default_rng(seed)
    image = np.zeros((3, size, size))
    rows, cols = np.mgrid[0:size, 0:size]
    for _ in range(60):
        r, c, radius = rng.uniform(0, size), rng.uniform(0, size), rng.uniform(2, 7)
        colour = rng.uniform(-1, 1, 3)
        inside = (rows - r) ** 2 + (cols - c) ** 2 < radius**2
        image[:, inside] = colour[:, None]
    return np.clip(image + rng.normal(0, 0.05, image.shape), -1, 1).astype(np.float32)


def hole(size: int = SIZE, top: int = 36, side: int = 24) -> torch.Tensor:
    mask = torch.zeros(size, size, dtype=torch.bool)
    mask[top:top + side, top:top + side] = True
    return mask


def denoiser_without(image: np.ndarray, roi: torch.Tensor) -> PatchDenoiser:
    plan = plan_pyramid(SIZE, SIZE, max_pixels=None)
    return PatchDenoiser.from_image(torch.from_numpy(image), plan, DiffusionSchedule.cosine(), valid=~roi)


def test_transfer_copies_whole_blocks_of_valid_context_pixels_into_the_roi_only():
    image, roi = leafy_texture(), hole()
    denoiser = denoiser_without(image, roi)
    scale = 2
    data = denoiser.scales_data[scale]
    size = tuple(data.sharp.shape[-2:])
    coarser = tuple(denoiser.scales_data[scale - 1].sharp.shape[-2:])
    source = torch.from_numpy(image)[None]
    blurry = bilinear_resize(lanczos_resize(source, coarser), size)
    x0 = torch.full((1, 3, *size), 0.25)
    hook = BlockTransfer(denoiser, roi, from_scale=scale)
    out = hook(SimpleNamespace(scale=scale, blurry=blurry, x0_hat=x0))

    level_roi = torch.nn.functional.interpolate(roi.float()[None, None], size=size, mode="area")[0, 0] > 0.5
    assert torch.equal(out[0][:, ~level_roi], x0[0][:, ~level_roi])  # outside the ROI: untouched
    changed = (out[0] != x0[0]).any(dim=0)
    assert changed[level_roi].float().mean() > 0.9  # the ROI received the context's pixels
    # every transferred pixel is a pixel of the context's level, taken from outside the hole
    sharp = data.sharp.reshape(3, -1).T
    valid = (torch.nn.functional.interpolate((~roi).float()[None, None], size=size, mode="area")[0, 0] > 0.999).reshape(-1)
    for value in out[0][:, changed].T[:50]:
        same = (sharp == value).all(dim=1)
        assert bool((same & valid).any())
    # one offset per block: the copy is coherent texture, not scattered pixels
    offsets = hook.offsets[:, roi]
    assert torch.isfinite(offsets).all()
    assert len({(round(float(dy)), round(float(dx))) for dy, dx in offsets.T}) <= 2 * (24 // 8 + 2) ** 2
    # the same call again on the same scale is the sampler's next step: no second transfer
    assert hook(SimpleNamespace(scale=scale, blurry=blurry, x0_hat=x0)) is None


def test_regenerated_hole_keeps_the_scenes_detail():
    """With the transfer the regenerated hole has about the texture energy and the colour of its
    surroundings, and nothing outside it changes. (Whether it looks real is bench/regeneration.py's
    and test_regeneration_realism.py's question: texture energy alone rewards noise.)"""
    image, roi = leafy_texture(seed=1), hole()
    model = PatchSceneModel.from_image(((image + 1) * 100).astype(np.float32), valid=~roi.numpy())
    sampler = model.sampler("cpu")
    source = model.to_model_units(((image + 1) * 100).astype(np.float32))
    weight = roi.float()

    def detail(result: torch.Tensor, where: torch.Tensor) -> float:
        gy = (result[:, 1:, :] - result[:, :-1, :]).abs()[:, :, :-1]
        gx = (result[:, :, 1:] - result[:, :, :-1]).abs()[:, :-1, :]
        return float((gy + gx).mean(dim=0)[where[:-1, :-1]].mean())

    schedule = EditSchedule(start_scale=0, start_t=35, fill_roi=True)
    transferred = edit_image(sampler, source, weight, schedule, x0_hook=block_transfer(sampler.denoiser, roi), seed=0)[0]
    ring = torch.from_numpy(np.pad(np.ones((40, 40), dtype=bool), 28)) & ~roi
    real = detail(source, ring)
    assert torch.equal(transferred[:, ~roi], source[:, ~roi])
    assert 0.6 * real <= detail(transferred, roi) <= 1.5 * real
    colour_gap = (transferred[:, roi].mean(dim=1) - source[:, ring].mean(dim=1)).abs().max()
    assert float(colour_gap) < 0.5 * float(source[:, ring].std(dim=1).mean())


def test_block_transfer_only_for_the_training_free_model():
    class Other:
        pass

    assert block_transfer(Other(), hole()) is None
    image, roi = leafy_texture(), hole()
    assert block_transfer(denoiser_without(image, roi), torch.zeros(SIZE, SIZE, dtype=torch.bool)) is None


def test_a_context_with_its_rois_left_out_copies_fine_patches_at_every_scale():
    from rsedit.core.scene_models import training_free_model
    from rsedit.models.patch.patch_denoiser import FINE_PATCH_SIZE

    image = ((leafy_texture() + 1) * 100).astype(np.float32)
    valid = ~hole().numpy()
    left_out = training_free_model(image, valid, {"sha256": "x", "rois_left_out": True})
    kept = training_free_model(image, np.ones_like(valid), {"sha256": "x", "rois_left_out": False})
    assert set(left_out.model.denoiser.patch_sizes) == {FINE_PATCH_SIZE}
    assert kept.model.denoiser.patch_sizes[0] > FINE_PATCH_SIZE  # coarse layout patches where nothing is left out


def test_a_smooth_deep_block_takes_texture_of_its_colour_where_squared_distance_takes_a_flat_block():
    """A block deep in a ROI holds only the coarser scales' smooth layout. Against it, squared distance
    prefers a flat block of another colour (open water for land) to the textured block of its own
    colour; the texture distance takes the textured one. Both shown on the same candidates."""
    from rsedit.models.patch.patch_transfer import _best_matches, texture_matches

    rng = np.random.default_rng(0)
    side, channels = 16, 3
    textured = 0.2 + rng.choice([-1.0, 1.0], size=(channels, side, side))  # mean 0.2, sd 1 (land with cumulus)
    flat = np.full((channels, side, side), 0.2 - 0.8)  # calm water 0.8 darker
    # the layout: the textured block smoothed to a quarter of its contrast, as a posterior mean leaves it
    layout = 0.2 + 0.25 * rng.choice([-1.0, 1.0], size=(channels, side, side))
    candidates = torch.tensor(np.stack([flat.reshape(-1), textured.reshape(-1)]), dtype=torch.float32)
    query = torch.tensor(layout.reshape(1, -1), dtype=torch.float32)
    assert int(_best_matches(query, candidates, torch.Generator().manual_seed(0))[0]) == 0  # the flat block
    assert int(texture_matches(query, candidates, channels)[0]) == 1  # the textured one
