"""Scene texture for text edits (models/patch/scene_texture.py): the finest detail of a guided ROI is
real pixels of the scene that look like the edit, never the ROI's own, and only where such pixels exist;
and the texture_from_scene setting through settings, edit_scene and Processing."""
from __future__ import annotations

import json

import numpy as np
import pytest
import rasterio
import torch
import torch.nn.functional as F

from rsedit.models.diffusion.sampling_hooks import StepState
from rsedit.models.patch.patch_scene_model import PatchSceneModel
from rsedit.models.patch.scene_texture import MAX_WINDOWS, GuidedRoi, SceneTexture, own_pixels, typical_sources

SIDE = 96
ROI = (slice(36, 68), slice(60, 92))  # inside the right ("soil") half


def two_cover_scene() -> np.ndarray:
    """[3, 96, 96]: textured green "maize" on the left, textured brown "soil" on the right; every
    pixel's value is unique (continuous noise), so a copied pixel can be traced to its source."""
    rng = np.random.default_rng(3)
    image = np.empty((3, SIDE, SIDE))
    rows = np.sin(np.arange(SIDE) * 0.9)[None, :] * 0.12  # maize rows: a stripe pattern
    image[:, :, :SIDE // 2] = np.array([0.25, 0.65, 0.2])[:, None, None] + rows[:, :SIDE // 2]
    image[:, :, SIDE // 2:] = np.array([0.55, 0.4, 0.3])[:, None, None]
    return (image + rng.normal(0, 0.05, image.shape)).clip(0, 1).astype(np.float32) * 1000


@pytest.fixture(scope="module")
def scene():
    data = two_cover_scene()
    model = PatchSceneModel.from_image(data)
    known = model.to_model_units(data)
    roi = torch.zeros(SIDE, SIDE, dtype=torch.bool)
    roi[ROI] = True
    return model, known, roi


def last_step(x0: torch.Tensor) -> StepState:
    """The finest scale's last step, as the sampler hands it to an x0 hook."""
    return StepState(scale=2, t=0, sizes=[(55, 55), (73, 73), (SIDE, SIDE)], x_t=None, x0_hat=x0[None].clone(),
                     x_prev=None, blurry=None, schedule=None, scales=None, generator=torch.Generator())


def guided(known: torch.Tensor, roi: torch.Tensor, colour: torch.Tensor) -> torch.Tensor:
    """The tile as a guided edit leaves it: the ROI a flat field of `colour` (model units)."""
    x0 = known.clone()
    x0[:, roi] = colour[:, None]
    return x0


def test_a_guided_roi_takes_real_pixels_of_the_matching_cover(scene):
    model, known, roi = scene
    maize = known[:, :, :SIDE // 2]
    hook = SceneTexture(model.denoiser, known, roi, seed=0)
    out = hook(last_step(guided(known, roi, maize.mean(dim=(1, 2)))))
    assert out is not None and hook.accepted_share() > 0.9
    textured = out[0][:, roi]
    maize_values = {tuple(v) for v in maize.reshape(3, -1).T.tolist()}
    copied = [tuple(v) in maize_values for v in textured.T.tolist()]
    assert np.mean(copied) > 0.8  # real maize pixels, copied as they are
    assert float(textured.std(dim=1).mean()) > 0.5 * float(maize.std(dim=(1, 2)).mean())  # its texture, not flat
    assert torch.equal(out[0][:, ~roi], known[:, ~roi])


def test_a_target_the_scene_lacks_keeps_the_guided_result(scene):
    model, known, roi = scene
    hook = SceneTexture(model.denoiser, known, roi, seed=0)
    blue = torch.tensor([-1.0, -1.0, 1.0])  # nothing in the scene is blue
    x0 = guided(known, roi, blue)
    out = hook(last_step(x0))
    assert hook.accepted_share() < 0.02  # a few pixels at the ROI's border at most
    if out is not None:
        assert torch.equal(out[0][:, ~hook.accept], x0[:, ~hook.accept])


def test_the_hook_waits_for_the_last_step_of_the_finest_scale(scene):
    model, known, roi = scene
    hook = SceneTexture(model.denoiser, known, roi, seed=0)
    x0 = guided(known, roi, known[:, :, :SIDE // 2].mean(dim=(1, 2)))
    for scale, t in ((1, 0), (2, 3)):
        state = last_step(x0)
        state.scale, state.t = scale, t
        assert hook(state) is None
    assert hook.accept is None


def test_the_rois_own_pixels_are_found_in_the_context_and_left_out(scene):
    model, known, roi = scene
    context = model.denoiser.scales_data[-1].sharp
    assert torch.equal(own_pixels(context, known, roi), roi)  # the context is the tile itself here
    shifted = torch.roll(known, shifts=(0, 5), dims=(1, 2)) + 0.01  # a tile the context does not hold
    assert not bool(own_pixels(context, shifted, roi).any())
    hook = SceneTexture(model.denoiser, known, roi, seed=0)
    assert not bool(hook.valid[roi].any())
    # even asked for the ROI's own look, the copies come from elsewhere
    out = hook(last_step(guided(known, roi, known[:, roi].mean(dim=1))))
    own_values = {tuple(v) for v in known[:, roi].T.tolist()}
    if out is not None:
        textured = out[0][:, hook.accept]
        assert not any(tuple(v) in own_values for v in textured.T.tolist())


def test_texture_from_scene_is_a_checked_setting():
    from rsedit.core.errors import InputError
    from rsedit.core.settings import TextSettings

    assert TextSettings(prompt="a crop field").texture_from_scene is True
    assert TextSettings(prompt="a crop field", texture_from_scene=False).texture_from_scene is False
    with pytest.raises(InputError, match="texture_from_scene must be True or False"):
        TextSettings(prompt="a crop field", texture_from_scene="yes")


@pytest.mark.usefixtures("qgis_app")
@pytest.mark.parametrize("texture", [True, False])
def test_edittext_passes_texture_from_scene_to_the_edit(texture, tmp_path):
    import processing
    from safetensors.torch import save_file

    from qgis_helpers import box_polygons
    from textured_scene import write_textured_scene
    from tiny_clip import TINY_VIT, tiny_open_clip_model

    raster = write_textured_scene(tmp_path / "scene.tif", 40, seed=5)
    weights = tmp_path / "tiny_clip.safetensors"
    save_file({k: v.contiguous() for k, v in tiny_open_clip_model(TINY_VIT).state_dict().items()}, str(weights))
    out = tmp_path / "text.tif"
    processing.run("rsedit:edittext", {
        "INPUT": str(raster), "ROIS": box_polygons([(8, 8, 32, 32)]), "PROMPT": "a crop field",
        "TEXTURE_FROM_SCENE": texture, "CLIP_MODEL": TINY_VIT, "CLIP_WEIGHTS": str(weights), "OUTPUT": str(out),
        "TILE_SIZE": 64, "MARGIN": 4, "CONTEXT_SIZE": 40, "FEATHER": 3, "BACKEND": 1, "START_STEP": 30, "OVERLAP": 8})
    with rasterio.open(out) as edited:
        tags = edited.tags()
    assert tags["RSEDIT_TEXTURE_FROM_SCENE"] == json.dumps(texture)



def test_in_a_sampling_run_the_pushed_roi_ends_as_real_maize(scene):
    """A whole edit on the training-free sampler, a hook pushing the ROI towards maize's colour at every
    step standing in for CLIP: with the scene texture chained after it, the ROI ends as the scene's own
    maize pixels; without, as the sampler's own blend of patches."""
    from rsedit.models.editing.tile_edit import EditSchedule, chain_x0_hooks, edit_image

    model, known, roi = scene
    maize = known[:, :, :SIDE // 2]
    colour = maize.mean(dim=(1, 2))

    def push(state):  # x0 halfway to maize's mean colour in the ROI, as a guidance step moves it
        out = state.x0_hat.clone()
        here = torch.nn.functional.interpolate(roi.float()[None, None], size=out.shape[-2:])[0, 0] > 0.5
        out[:, :, here] = 0.5 * out[:, :, here] + 0.5 * colour[None, :, None]
        return out

    maize_values = {tuple(v) for v in maize.reshape(3, -1).T.tolist()}
    shares = {}
    for texture in (True, False):
        hooks = [push, SceneTexture(model.denoiser, known, roi, seed=0) if texture else None]
        edited = edit_image(model.sampler("cpu"), known, roi.float(), EditSchedule(start_scale=1),
                            x0_hook=chain_x0_hooks(hooks), seed=0)[0]
        assert torch.equal(edited[:, ~roi], known[:, ~roi])
        shares[texture] = np.mean([tuple(v) in maize_values for v in edited[:, roi].T.tolist()])
    assert shares[True] > 0.8 and shares[False] < 0.05


def test_the_layout_tells_a_mottle_from_a_smooth_surface_of_its_mean_colour():
    """CLIP's "crop field" mottle blurs to about a ploughed field's pale colour: the local-contrast
    channel keeps them apart."""
    from rsedit.models.patch.scene_texture import local_contrast

    rng = np.random.default_rng(0)
    mottle = torch.from_numpy(rng.choice([-0.6, 0.6], size=(3, 32, 32))).float()
    smooth = torch.zeros(3, 32, 32)
    sizes = [(8, 8), (16, 16), (32, 32)]
    assert float(local_contrast(mottle).mean()) > 0.4 > float(local_contrast(smooth).mean())
    mottle_layout, smooth_layout = SceneTexture._layout(mottle, sizes), SceneTexture._layout(smooth, sizes)
    assert mottle_layout.shape == (4, 32, 32)
    colour_gap = float((mottle_layout[:3] - smooth_layout[:3]).abs().mean())
    contrast_gap = float((mottle_layout[3] - smooth_layout[3]).abs().mean())
    assert contrast_gap > 4 * colour_gap


BLOB = (slice(None), slice(40, 54), slice(64, 78))  # 14 px, in the ROI's top-left


def _guided_with_blob(known: torch.Tensor, roi: torch.Tensor) -> torch.Tensor:
    """Maize's colour asked for in the ROI, with a small blob of a colour the scene lacks in it (as the
    finest scale makes of CLIP's saturated specks): the layout test refuses the quilt around the blob."""
    x0 = guided(known, roi, known[:, :, :SIDE // 2].mean(dim=(1, 2)))
    x0[BLOB] = torch.tensor([-1.0, -1.0, 1.0])[:, None, None]
    return x0


def test_a_rois_guidance_that_prefers_the_whole_quilt_takes_it_where_the_layout_test_refused(scene):
    model, known, roi = scene
    alone = SceneTexture(model.denoiser, known, roi, seed=0)
    alone(last_step(_guided_with_blob(known, roi)))
    assert alone.accepted_share() < 0.7  # the blob refuses the quilt around it

    def greenness(image: torch.Tensor) -> float:  # stands in for CLIP's "maize": green, not blue
        return float((image[0, 1, roi] - image[0, 2, roi]).mean())

    checked = SceneTexture(model.denoiser, known, roi, seed=0, guided=[GuidedRoi(roi, score=greenness)])
    out = checked(last_step(_guided_with_blob(known, roi)))
    assert checked.accepted_share() == 1.0
    maize_values = {tuple(v) for v in known[:, :, :SIDE // 2].reshape(3, -1).T.tolist()}
    assert np.mean([tuple(v) in maize_values for v in out[0][:, roi].T.tolist()]) > 0.8


def test_a_rois_guidance_that_prefers_its_own_pixels_keeps_them(scene):
    model, known, roi = scene

    def blueness(image: torch.Tensor) -> float:  # a prompt the blob serves and the scene lacks
        return float(image[0, 2, roi].mean())

    plain = SceneTexture(model.denoiser, known, roi, seed=0)
    plain(last_step(_guided_with_blob(known, roi)))
    checked = SceneTexture(model.denoiser, known, roi, seed=0, guided=[GuidedRoi(roi, score=blueness)])
    out = checked(last_step(_guided_with_blob(known, roi)))
    assert torch.equal(checked.accept, plain.accept)
    assert torch.equal(out[0][BLOB], _guided_with_blob(known, roi)[BLOB])


def _edge_scene() -> np.ndarray:
    """[3, 96, 128]: dense "maize" (columns 0-47), a band of paler maize at its edge (48-79), bare "soil"
    (80-127); both maize surfaces have the same rows, every value is unique (traceable)."""
    rng = np.random.default_rng(5)
    image = np.empty((3, 96, 128))
    rows = np.sin(np.arange(128) * 0.9)[None, :] * 0.08
    image[:, :, :48] = np.array([0.25, 0.6, 0.2])[:, None, None] + rows[:, :48]
    image[:, :, 48:80] = np.array([0.45, 0.72, 0.4])[:, None, None] + rows[:, 48:80]
    image[:, :, 80:] = np.array([0.6, 0.4, 0.3])[:, None, None]
    return (image + rng.normal(0, 0.03, image.shape)).clip(0, 1).astype(np.float32) * 1000


def _greenness(image: torch.Tensor, side: int, stride: int) -> torch.Tensor:
    """Stands in for ClipTextGuidance.window_similarity with "a crop field": how green each window is."""
    green = image[1] - 0.5 * (image[0] + image[2])
    return F.avg_pool2d(green[None, None], side, stride=stride)[0, 0]


def test_a_guided_roi_copies_the_surface_typical_of_its_prompt_not_the_nearest_atypical_one():
    """CLIP's layout asks for a paler green than the scene's typical maize; the nearest surface to it is
    the pale edge band, which the prompt's windows score lower. With the prompt's window scores the
    quilt draws from the typical maize; without them, from the pale band."""
    data = _edge_scene()
    model = PatchSceneModel.from_image(data)
    known = model.to_model_units(data)
    roi = torch.zeros(96, 128, dtype=torch.bool)
    roi[32:64, 88:120] = True
    x0 = known.clone()
    # the pale band's texture, tinted a little towards the maize: nearest to the band, but green
    x0[:, 32:64, 88:120] = 0.7 * known[:, 32:64, 48:80] + 0.3 * known[:, 32:64, 0:32]
    dense = {tuple(v) for v in known[:, :, :48].reshape(3, -1).T.tolist()}
    pale = {tuple(v) for v in known[:, :, 48:80].reshape(3, -1).T.tolist()}

    def shares(out: torch.Tensor) -> tuple[float, float]:
        values = [tuple(v) for v in out[0][:, roi].T.tolist()]
        return float(np.mean([v in dense for v in values])), float(np.mean([v in pale for v in values]))

    plain = SceneTexture(model.denoiser, known, roi, seed=0)
    out = plain(last_step(x0))
    assert out is not None and shares(out)[1] > 0.5  # the nearest surface: the pale band

    typical = SceneTexture(model.denoiser, known, roi, seed=0, guided=[GuidedRoi(roi, window_similarity=_greenness)])
    out = typical(last_step(x0))
    assert out is not None and typical.accepted_share() > 0.9
    dense_share, pale_share = shares(out)
    assert dense_share > 0.8 and pale_share < 0.1
    assert torch.equal(out[0][:, ~roi], known[:, ~roi])


def test_a_small_roi_in_a_large_context_scores_a_bounded_number_of_windows():
    context = torch.zeros(3, 1024, 1024)
    context[:, :, 512:] = 1.0  # the target's surface is the right half
    unit = torch.zeros(1024, 1024, dtype=torch.bool)
    unit[100:108, 100:108] = True  # an 8 px ROI: windows of its own size would number 65,000
    seen = []

    def similarity(image: torch.Tensor, side: int, stride: int) -> torch.Tensor:
        rows, cols = (image.shape[-2] - side) // stride + 1, (image.shape[-1] - side) // stride + 1
        seen.append(rows * cols)
        starts = torch.arange(cols) * stride
        return (image[0, 0, starts + side // 2][None, :] > 0.5).float().expand(rows, cols)  # windows over the right half

    sources = typical_sources(context, unit, similarity)
    assert seen and seen[0] <= MAX_WINDOWS
    assert bool(sources[:, 700:].all()) and not bool(sources[:, :300].any())


def _two_near_surfaces() -> np.ndarray:
    """[3, 96, 128]: a reddish grey (columns 0-47) and a bluish grey (48-95) equally far from their mean
    colour, and a blue "sea" (96-127); every value unique (traceable)."""
    rng = np.random.default_rng(7)
    image = np.empty((3, 96, 128))
    image[:, :, :48] = np.array([0.62, 0.5, 0.5])[:, None, None]
    image[:, :, 48:96] = np.array([0.38, 0.5, 0.5])[:, None, None]
    image[:, :, 96:] = np.array([0.1, 0.15, 0.7])[:, None, None]
    return (image + rng.normal(0, 0.04, image.shape)).clip(0, 1).astype(np.float32) * 1000


def test_a_guided_roi_draws_its_quilt_again_until_its_guidance_would_take_it(monkeypatch):
    """The layout (the two surfaces' mean colour) is as near to either surface, so a one-block ROI's single
    draw is a lottery between them; the ROI's guidance (here: redness) would keep its own pixels (the
    layout's colour) rather than take a bluish draw, and the quilt is drawn again until a draw it takes."""
    import rsedit.models.patch.scene_texture as scene_texture

    # the layout test refuses every draw, as it did the clouds' (docs/benchmarks.md): the guidance decides
    monkeypatch.setattr(scene_texture, "ACCEPT", 0.0)
    data = _two_near_surfaces()
    model = PatchSceneModel.from_image(data)
    known = model.to_model_units(data)
    roi = torch.zeros(96, 128, dtype=torch.bool)
    roi[36:60, 100:124] = True  # one 24 px quilt block, over the sea
    x0 = known.clone()
    x0[:, roi] = known[:, :, :96].mean(dim=(1, 2))[:, None]
    copyable = {tuple(v) for v in known[:, :, :96].reshape(3, -1).T.tolist()}

    scored: list[bytes] = []  # what one hook's guidance was asked to score: each image once (a CLIP pass each)

    def redness(image: torch.Tensor) -> float:
        scored.append(image.numpy().tobytes())
        return float(image[0, 0, roi].mean())

    def flat(image: torch.Tensor, side: int, stride: int) -> torch.Tensor:  # every window equally typical
        return torch.zeros((image.shape[-2] - side) // stride + 1, (image.shape[-1] - side) // stride + 1)

    def copied_shares() -> list[float]:
        """Per seed, the share of the ROI holding copied pixels; each result must score as the ROI's own."""
        shares = []
        for seed in range(4):
            hook = SceneTexture(model.denoiser, known, roi, seed=seed, guided=[GuidedRoi(roi, redness, flat)])
            scored.clear()
            out = hook(last_step_of(x0))
            assert len(scored) >= 2 and len(set(scored)) == len(scored)
            result = x0[None] if out is None else out
            assert redness(result) >= redness(x0[None])
            shares.append(float(np.mean([tuple(v) in copyable for v in result[0][:, roi].T.tolist()])))
        return shares

    assert min(copied_shares()) == 1.0  # every seed takes a quilt, drawn again where needed
    monkeypatch.setattr(scene_texture, "CANDIDATE_DRAWS", 1)
    assert min(copied_shares()) == 0.0  # one draw: some seed's draw is bluish, and the guided pixels stay


def last_step_of(x0: torch.Tensor) -> StepState:
    """The finest scale's last step of a [C, 96, 128] tile."""
    return StepState(scale=2, t=0, sizes=[(55, 73), (73, 97), (96, 128)], x_t=None, x0_hat=x0[None].clone(),
                     x_prev=None, blurry=None, schedule=None, scales=None, generator=torch.Generator())
