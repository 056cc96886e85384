"""Guided quilting of regenerated ROIs (models/patch/quilt.py): its FFT costs against brute force,
the texture bias it removes, the seam cut, the gradient-domain blend, and a whole fill."""
from __future__ import annotations

import numpy as np
import torch

from rsedit.models.patch.quilt import ContextSpectra, gradient_blend, not_repeated, quilt, seam, tone_lengths


def brute_force_ssd(image: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    rows, cols = target.shape[-2:]
    out = torch.empty(image.shape[-2] - rows + 1, image.shape[-1] - cols + 1, dtype=torch.float64)
    for y in range(out.shape[0]):
        for x in range(out.shape[1]):
            out[y, x] = (((image[:, y:y + rows, x:x + cols] - target) ** 2) * mask).sum()
    return out


def test_masked_ssd_is_the_brute_force_sum_at_every_window():
    generator = torch.Generator().manual_seed(0)
    image = torch.rand(3, 23, 19, generator=generator, dtype=torch.float64)
    target = torch.rand(3, 6, 5, generator=generator, dtype=torch.float64)
    mask = (torch.rand(6, 5, generator=generator) > 0.4).double()
    fast = ContextSpectra.of(image).masked_ssd(target, mask)
    assert fast.shape == (18, 15)
    assert torch.allclose(fast, brute_force_ssd(image, target, mask), atol=1e-9)


def test_texture_distance_prefers_a_speckled_window_to_a_flat_one_where_ssd_prefers_flat():
    """Plain SSD fills a speckled sea with calm water: a flat window is nearer on average to specks
    that do not line up. The texture distance asks for the target's contrast."""
    rng = np.random.default_rng(0)
    side = 12
    speckled_target = (rng.random((3, side, side)) < 0.1) * 1.0
    other_specks = (rng.random((3, side, side)) < 0.1) * 1.0  # same statistics, other positions
    flat = np.full((3, side, side), speckled_target.mean())
    image = torch.from_numpy(np.concatenate([other_specks, flat], axis=2))  # window 0: specks, window `side`: flat
    spectra = ContextSpectra.of(image)
    target, mask = torch.from_numpy(speckled_target), torch.ones(side, side, dtype=torch.float64)
    ssd = spectra.masked_ssd(target, mask)[0]
    texture = spectra.texture_distance(target, mask)[0]
    assert ssd[side] < ssd[0]  # the bias: flat wins under SSD
    assert texture[0] < texture[side]  # removed: the speckled window wins
    assert float(texture[0]) >= 0.0


def test_seam_follows_the_cheapest_valley():
    errors = np.ones((10, 6))
    path = [2, 2, 3, 3, 4, 4, 3, 2, 1, 1]
    errors[np.arange(10), path] = 0.0
    assert seam(errors).tolist() == path


def test_gradient_blend_removes_a_tone_offset_but_keeps_the_copys_detail_and_ignores_a_bright_speck():
    rng = np.random.default_rng(1)
    texture = rng.normal(0.0, 0.1, (1, 40, 40))
    roi = np.zeros((40, 40), dtype=bool)
    roi[10:30, 10:30] = True
    image = texture.copy()
    image[:, roi] += 0.5  # the copy is right in detail but half a unit too bright
    speck = (9, 20)  # a bright known pixel beside the ROI, which the copy does not continue
    image[(0, *speck)] = 3.0
    source = np.full((2, 40, 40), -1)
    source[0][roi], source[1][roi] = np.nonzero(roi)  # copied from the same place of a context that is the texture
    out = gradient_blend(image, roi, source, texture)
    error = np.abs(out[0][roi] - texture[0][roi])
    assert error.mean() < 0.03  # tone fixed, detail kept
    assert abs(out[0, 10, 20] - texture[0, 10, 20]) < 0.2  # the speck did not bleed into the ROI
    assert np.array_equal(out[:, ~roi], image[:, ~roi])  # outside the ROI: untouched


def copied_from(roi: np.ndarray) -> np.ndarray:
    source = np.full((2, *roi.shape), -1)
    source[0][roi], source[1][roi] = np.nonzero(roi)  # each ROI pixel copied from its own place in the context
    return source


def test_gradient_blend_takes_the_broad_tone_from_the_layout_not_from_where_the_blocks_came_from():
    """Blocks copied from a brighter part of the scene bring that part's slope of tone: the plain
    Poisson solve keeps it (it is in the copied gradients); held to the layout, the broad tone is the layout's."""
    rng = np.random.default_rng(2)
    side = 96
    texture = rng.normal(0.0, 0.05, (1, side, side))
    roi = np.zeros((side, side), dtype=bool)
    roi[16:80, 16:80] = True
    rows = np.arange(side, dtype=np.float64)[:, None]
    context = texture + np.sin(np.pi * rows / side)[None] * 1.0  # a broad bright band across the middle
    image = texture.copy()
    image[:, roi] = context[:, roi]  # the copy: right detail, the band's tone
    layout = np.zeros_like(texture)  # the coarse scales' layout: the surroundings' flat tone

    def gap(out: np.ndarray) -> float:
        return float(abs(out[0][roi].mean() - texture[0][~roi].mean()))

    plain = gradient_blend(image, roi, copied_from(roi), context)
    held = gradient_blend(image, roi, copied_from(roi), context, tone=layout)
    assert gap(plain) > 0.1  # the band's bulge is kept inside (0.155)
    assert gap(held) < 0.6 * gap(plain)  # 0.54: the ROI is four tone lengths across
    inner = roi[:, 1:] & roi[:, :-1]
    detail = np.diff(held[0], axis=1)[inner]
    assert np.corrcoef(detail, np.diff(texture[0], axis=1)[inner])[0, 1] > 0.95  # the copy's detail is kept
    assert np.array_equal(held[:, ~roi], image[:, ~roi])


def test_a_mark_the_layout_lacks_keeps_its_colour_and_rings_nothing_around_it():
    """A painted mark beside the ROI, continued into it by the copy but not in the coarse layout: held
    to the layout there, the mark washed out and the field around it took the opposite colour."""
    rng = np.random.default_rng(3)
    side = 120
    texture = rng.normal(0.0, 0.05, (3, side, side))
    roi = np.zeros((side, side), dtype=bool)
    roi[30:100, 20:100] = True
    image = texture.copy()
    image[0, 8:70, 50:70] += 3.0  # a red bar from outside the ROI 40 px into it, in the copy
    layout = np.zeros_like(texture)  # the layout has field only
    out = gradient_blend(image, roi, copied_from(roi), image, tone=layout)  # copied from a context with the mark
    bar = out[0, 34:66, 52:68] - texture[0, 34:66, 52:68]
    assert float(bar.mean()) > 2.7  # the mark keeps its colour
    beside = np.concatenate([out[0, 34:66, 30:46] - texture[0, 34:66, 30:46],
                             out[0, 34:66, 74:90] - texture[0, 34:66, 74:90]], axis=1)
    assert abs(float(beside.mean())) < 0.05  # no ring of the opposite colour around it
    assert np.abs(out[1:, roi] - texture[1:, roi]).mean() < 0.03  # the other bands: as copied


def test_a_narrow_roi_takes_its_tone_from_the_layout_at_shorter_wavelengths_than_a_wide_one():
    roi = np.zeros((200, 200), dtype=bool)
    roi[10:42, 10:42] = True  # 32 px: depth 16
    roi[60:180, 60:180] = True  # 120 px: depth 60
    lengths = tone_lengths(roi, 16.0)
    assert np.allclose(lengths[10:42, 10:42], 12.0)
    assert np.allclose(lengths[60:180, 60:180], 16.0)


def stripes(height: int, width: int, period: int = 12) -> np.ndarray:
    rows, cols = np.mgrid[0:height, 0:width]
    phase = 2 * np.pi * (cols + 0.5 * rows) / period
    return np.stack([np.sin(phase), np.cos(phase), 0.5 * np.sin(2 * phase)]).astype(np.float64)


def specks(rng: np.random.Generator, rows: int, cols: int, share: float) -> torch.Tensor:
    """[3, rows, cols] grey specks (1) on 0, covering about `share` of the pixels."""
    return torch.from_numpy(np.repeat((rng.random((1, rows, cols)) < share) * 1.0, 3, axis=0))


def blurred(image: torch.Tensor) -> torch.Tensor:
    """A 7 px box blur: the layout and the context's blurry level are alike blurred, as the sampler's x~
    and the pyramid's blurry levels are."""
    return torch.nn.functional.avg_pool2d(torch.nn.functional.pad(image[None], (3,) * 4, mode="replicate"), 7,
                                          stride=1)[0]


def test_quilt_continues_a_periodic_texture_from_valid_context_pixels_only():
    """A hole in slanted stripes comes back as the stripes with their phase (each window lines up with
    the stripes around it), never from the context's invalid pixels, and nothing outside the hole changes."""
    tile = torch.from_numpy(stripes(96, 96))
    roi = torch.zeros(96, 96, dtype=torch.bool)
    roi[30:70, 24:64] = True
    context = torch.from_numpy(stripes(160, 160))
    valid = torch.ones(160, 160, dtype=torch.bool)
    valid[40:120, 40:120] = False
    context[:, ~valid] = 5.0  # what invalid pixels hold must never show up
    known = tile.clone()
    known[:, roi] = -3.0  # what the ROI held is to disappear
    guide = blurred(known)
    guide[:, roi] = 0.0  # no layout inside the hole: the phase must come from the stripes around it
    out = quilt(guide, known, roi, context, blurred(context), valid, generator=torch.Generator().manual_seed(0))
    assert out is not None
    assert torch.equal(out[:, ~roi], known[:, ~roi])
    assert float(out[:, roi].max()) < 2.0 and float(out[:, roi].min()) > -2.0
    assert float((out[:, roi] - tile[:, roi]).abs().mean()) < 0.01  # the stripes, in phase


def test_a_speckled_layout_is_quilted_from_speckled_blocks_not_from_flat_ones_of_its_mean():
    """The layout asks for a sea with small cumulus; the context holds calm water of the same mean tone
    and the speckled sea. Under plain SSD the calm water was nearer the layout wherever the specks did not
    line up, and the ROI came out calm (then smeared by the tone solve); the layout's distance asks for
    its contrast, so the ROI takes the speckled blocks."""
    rng = np.random.default_rng(3)
    context = np.concatenate([np.full((3, 160, 80), 0.1), specks(rng, 160, 80, 0.1).numpy()], axis=2)  # calm | speckled
    tile = specks(rng, 96, 96, 0.1)
    roi = torch.zeros(96, 96, dtype=torch.bool)
    roi[24:72, 24:72] = True
    valid = torch.ones(160, 160, dtype=torch.bool)
    context_t = torch.from_numpy(context)
    # the layout alone decides (the overlap term weighs nothing), and the copies are read unblended
    out = quilt(tile, tile, roi, context_t, context_t, valid, generator=torch.Generator().manual_seed(0),
                guidance_weight=1.0, blend=False, local_search=False)
    assert out is not None
    assert torch.equal(out[:, ~roi], tile[:, ~roi])
    speckled_share = float((out[0][roi] > 0.5).double().mean())
    assert 0.05 < speckled_share < 0.15  # the specks' own share (0.1); calm blocks would give 0


def test_a_source_near_an_earlier_one_is_left_out_unless_it_continues_that_copy_or_nothing_else_is_eligible():
    taken = [(100, 100, 40, 40)]  # the block whose window lies at (40, 40) took the source at (100, 100)
    eligible = torch.tensor([[100, 110],  # beside it, for a window 48 px away: the same content at a second place
                             [100, 148],  # the earlier copy continued: 48 px along for the window 48 px along
                             [10, 10]])  # far from it
    kept = not_repeated(eligible, (0, 0), (40, 88), taken, 24).tolist()
    assert kept == [[100, 148], [10, 10]]
    only_repeats = torch.tensor([[100, 110], [95, 105]])
    assert not_repeated(only_repeats, (0, 0), (40, 88), taken, 24).tolist() == only_repeats.tolist()
    assert not_repeated(only_repeats, (0, 0), (40, 88), [], 24).tolist() == only_repeats.tolist()


def test_two_rois_asking_for_the_same_rare_texture_do_not_show_one_source_twice():
    """The context holds the speckled texture the layout asks for in two islands only, so few windows are
    eligible. The draw among them took overlapping windows of one island for both ROIs at about every second
    seed: the same specks twice, as the repeated row of cumulus puffs in `make demo`'s sea."""
    rng = np.random.default_rng(5)
    context = torch.full((3, 160, 160), 0.1, dtype=torch.float64)
    context[:, 20:44, 20:44] = specks(rng, 24, 24, 0.15)
    context[:, 100:124, 110:134] = specks(rng, 24, 24, 0.15)
    tile = torch.full((3, 96, 96), 0.1, dtype=torch.float64)
    roi = torch.zeros(96, 96, dtype=torch.bool)
    roi[8:32, 8:32] = True
    roi[56:80, 56:80] = True  # one block each, two blocks apart
    guide = tile.clone()
    guide[:, roi] = specks(rng, 48, 24, 0.15).reshape(3, -1)
    valid = torch.ones(160, 160, dtype=torch.bool)
    windows = np.lib.stride_tricks.sliding_window_view(context[0].numpy(), (24, 24))

    def source_of(fill: torch.Tensor) -> np.ndarray:
        """Where in the context the ROI's pixels were copied from (unblended, they are found there exactly)."""
        found = np.argwhere((windows == fill[0].numpy()).all(axis=(2, 3)))
        assert len(found) > 0
        return found[0]

    for seed in range(8):
        out = quilt(guide, tile, roi, context, context, valid, generator=torch.Generator().manual_seed(seed),
                    guidance_weight=1.0, blend=False, local_search=False)
        assert out is not None
        first, second = out[:, 8:32, 8:32], out[:, 56:80, 56:80]
        assert float((first[0] > 0.5).double().mean()) > 0.02 and float((second[0] > 0.5).double().mean()) > 0.02
        apart = np.abs(source_of(first) - source_of(second))
        assert apart.max() >= 24, (seed, source_of(first), source_of(second))


def test_quilt_gives_up_when_no_context_window_is_usable():
    tile = torch.zeros(3, 40, 40, dtype=torch.float64)
    roi = torch.zeros(40, 40, dtype=torch.bool)
    roi[10:20, 10:20] = True
    context = torch.zeros(3, 30, 30, dtype=torch.float64)
    valid = torch.zeros(30, 30, dtype=torch.bool)
    assert quilt(tile, tile, roi, context, context, valid, generator=torch.Generator().manual_seed(0)) is None


def test_a_trained_models_regeneration_is_quilted_from_the_scene_through_edit_scene(tmp_path):
    """The trained model holds no context pixels: the editor is given the learning context and its
    finest scale is quilted from it. A barely trained SinDDM alone fills a hole in stripes with noise
    (checked here as the model's own result); with the quilt the stripes come back in phase."""
    import rasterio
    from rasterio.transform import from_origin
    from shapely.geometry import box

    from golden_edits import _tiny_training
    from rsedit.core.scene_edit import edit_scene

    size = 128
    image = np.clip((stripes(size, size) * 0.4 + 0.5) * 255, 0, 255).astype(np.uint8)
    transform = from_origin(500000, 4000000, 1, 1)
    path = tmp_path / "stripes.tif"
    with rasterio.open(path, "w", driver="GTiff", width=size, height=size, count=3, dtype="uint8",
                       crs="EPSG:32633", transform=transform) as dataset:
        dataset.write(image)
    c0, r0, c1, r1 = 44, 40, 84, 80
    roi = box(*(transform * (c0, r1)), *(transform * (c1, r0)))
    options = dict(mode="regenerate", backend="trained", preset=_tiny_training(), seed=0,
                   cache_dir=str(tmp_path / "cache"))
    edit_scene(path, [roi], tmp_path / "quilted.tif", **options)
    with rasterio.open(tmp_path / "quilted.tif") as dataset:
        quilted = dataset.read()
    outside = np.ones((size, size), dtype=bool)
    outside[r0:r1, c0:c1] = False
    assert np.array_equal(quilted[:, outside], image[:, outside])
    error = np.abs(quilted[:, r0:r1, c0:c1].astype(float) - image[:, r0:r1, c0:c1]).mean()
    assert error < 3.0, error  # stripes in phase (their amplitude is ~100 grey levels)

    from rsedit.core import scene_models

    original = scene_models.quilt_context
    scene_models.quilt_context = lambda *args, **kwargs: None  # the model's own result, for comparison
    try:
        edit_scene(path, [roi], tmp_path / "model_only.tif", **options)
    finally:
        scene_models.quilt_context = original
    with rasterio.open(tmp_path / "model_only.tif") as dataset:
        model_only = dataset.read()
    assert np.abs(model_only[:, r0:r1, c0:c1].astype(float) - image[:, r0:r1, c0:c1]).mean() > 5 * error


def test_blocks_search_near_their_own_place_once_the_tile_is_found_in_a_large_context():
    """The tile is located in the context by its pixels around the ROI; a block's search area is then
    its place +- SEARCH_RADIUS (bounded, whatever the context's size), and a central one where the
    tile is not found."""
    from rsedit.models.patch.quilt import SEARCH_RADIUS, _Sources

    generator = torch.Generator().manual_seed(3)
    context = torch.rand(3, 1500, 1300, generator=generator, dtype=torch.float64)
    valid = torch.ones(1500, 1300, dtype=torch.bool)
    valid[900:960, 500:560] = False  # the ROI, left out of the context
    tile = context[:, 800:1056, 420:676].clone()
    roi = np.zeros((256, 256), dtype=bool)
    roi[100:160, 80:140] = True
    sources = _Sources(context, context, valid)
    assert sources.locate(tile, roi) == (800, 420)
    other = torch.rand(3, 256, 256, generator=generator, dtype=torch.float64)
    assert sources.locate(other, roi) is None

    side = 40
    y0, y1, x0, x1 = sources.area_around((900, 500), side)
    assert y0 <= 900 - SEARCH_RADIUS and y1 - side >= 900 + SEARCH_RADIUS
    assert x0 <= 500 - SEARCH_RADIUS and x1 - side >= 500 + SEARCH_RADIUS
    assert y1 - y0 < 1500 / 2 and x1 - x0 < 1300 / 2  # bounded, not the whole context
    assert sources.area_around((5, 1290), side)[::3] == (0, 1300)  # clipped at the context's edges
    assert sources.area_around(None, side)[1] - sources.area_around(None, side)[0] == y1 - y0


def test_blocks_are_placed_from_the_roi_border_inwards_in_raster_order_within_a_depth():
    from rsedit.models.patch.quilt import fill_order

    roi = np.zeros((120, 120), dtype=bool)
    roi[10:110, 12:100] = True  # 5 x 4 blocks of 24 px
    order = fill_order(roi, 24)
    ring = [(10, 12), (10, 36), (10, 60), (10, 84), (34, 12), (34, 84), (58, 12), (58, 84), (82, 12), (82, 84),
            (106, 12), (106, 36), (106, 60), (106, 84)]
    assert order[:len(ring)] == ring  # every block at the border first, in raster order
    assert sorted(order[len(ring):]) == [(34, 36), (34, 60), (58, 36), (58, 60), (82, 36), (82, 60)]
    assert order[-2:] == [(34, 36), (58, 36)]  # the deepest last: 25 px from the border at most
    raster = [(top, left) for top in range(10, 110, 24) for left in range(12, 100, 24)]
    assert fill_order(roi, 24, from_border=False) == raster
    small = np.zeros((40, 40), dtype=bool)
    small[4:36, 4:36] = True  # two blocks deep: the same order either way
    assert fill_order(small, 24) == fill_order(small, 24, from_border=False)

