"""The pretrained latent-diffusion backend on a tiny random Stable-Diffusion-like model (64² images,
a few steps): loading, DDIM inversion, the NGDM rule, LPIPS guidance switching, a scene edit."""
from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
import rasterio
import torch

from rsedit.core.errors import ModelError
from rsedit.models.latent.ddim_inversion import ddim_invert, ddim_reconstruct
from rsedit.models.latent.latent_edit import LatentEditSettings, edit_tile
from rsedit.models.latent.latent_pipeline import (byte_level_vocabulary, from_components, load_latent_model,
                                           random_latent_model, save_latent_model)
from rsedit.models.latent.perceptual_guidance import PerceptualGuidance, build_lpips, load_lpips_or_warn
from single_thread import one_cpu_thread  # noqa: F401 (autouse fixture)

STEPS = 4


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """Tiny random UNet / VAE / CLIP text model, with a tokenizer read from a vocabulary written here."""
    from transformers import CLIPTokenizer

    folder = tmp_path_factory.mktemp("tokenizer")
    (folder / "vocab.json").write_text(json.dumps(byte_level_vocabulary()))
    (folder / "merges.txt").write_text("#version: 0.2\n")
    model = random_latent_model(64, seed=1)
    tokenizer = CLIPTokenizer(vocab=str(folder / "vocab.json"), merges=str(folder / "merges.txt"), model_max_length=16)
    assert len(tokenizer) == 514
    return from_components(model.unet, model.vae, model.text_encoder, tokenizer, model.scheduler_config)


@pytest.fixture(scope="module")
def source_image():
    rows, cols = torch.meshgrid(torch.arange(64.0), torch.arange(64.0), indexing="ij")
    return torch.stack([torch.sin(cols / 5), torch.cos(rows / 7), torch.sin((rows + cols) / 9)]) * 0.8


def roi_square() -> torch.Tensor:
    roi = torch.zeros(64, 64)
    roi[16:48, 16:48] = 1.0
    return roi


def test_edit_shapes_and_dtypes_end_to_end(tiny, source_image):
    settings = LatentEditSettings("a field", "a lake", steps=STEPS, perceptual_weight=0.0)
    result = edit_tile(tiny, source_image, roi_square(), settings)
    assert result.image.shape == (1, 3, 64, 64) and result.image.dtype == torch.float32
    assert result.latents.shape == result.source_latents.shape == (1, 4, 8, 8)
    assert result.weights.shape == result.start_steps.shape == (8, 8) and result.start_steps.dtype == torch.int64
    assert torch.isfinite(result.image).all() and result.image.abs().max() <= 1.0
    embeddings = tiny.embed_prompts(["", "a lake"])
    assert embeddings.shape == (2, 16, 32) and embeddings.dtype == torch.float32


def test_cells_outside_the_roi_end_as_the_source_latent_and_inside_change(tiny, source_image):
    result = edit_tile(tiny, source_image, roi_square(),
                       LatentEditSettings("a field", "a lake", steps=STEPS, beta=5.0, perceptual_weight=0.0,
                                          replacement="noise"))
    outside = result.start_steps == -1  # Λ = 0 there: never denoised
    assert outside.sum() == 48 and (result.start_steps[~outside] > 0).all()
    assert torch.equal(result.latents[..., outside], result.source_latents[..., outside])
    assert not torch.allclose(result.latents[..., ~outside], result.source_latents[..., ~outside])


def test_diffedit_map_weights_stay_inside_the_roi(tiny, source_image):
    result = edit_tile(tiny, source_image, roi_square(),
                       LatentEditSettings("a field", "a lake", steps=2, diffedit_seeds=2, perceptual_weight=0.0))
    assert (result.weights[:2] == 0).all() and (result.weights[2:6, 2:6] > 0).all()
    assert result.weights.max() <= 1.0


class LinearNoise:
    """ε(z) = 0.5·z: a smooth stand-in noise predictor for checking the DDIM pairing alone."""

    def __init__(self, model):
        self.model = model

    def __getattr__(self, name):
        return getattr(self.model, name)

    def predict_noise(self, latents, timestep, embeddings, alphas_cumprod):
        return 0.5 * latents.expand(embeddings.shape[0], -1, -1, -1)


def test_ddim_inversion_then_reconstruction_is_close(tiny, source_image):
    z0 = tiny.encode(source_image[None])
    embedding = tiny.embed_prompts(["a field"])
    errors = {}
    for steps in (5, 50):
        inversion = ddim_invert(LinearNoise(tiny), z0, embedding, steps)
        assert inversion.timesteps[0] >= 800 and torch.equal(inversion.at(-1), z0)
        errors[steps] = float((ddim_reconstruct(LinearNoise(tiny), inversion, embedding) - z0).norm() / z0.norm())
    assert errors[50] < 0.06 and errors[50] < errors[5]  # converges as the steps shrink

    # the tiny UNet itself, with its output damped so that ε varies slowly with z (as a trained one does)
    gentle = random_latent_model(64, seed=1)
    with torch.no_grad():
        gentle.unet.conv_out.weight.mul_(0.05)
        gentle.unet.conv_out.bias.mul_(0.05)
    inversion = ddim_invert(gentle, z0, embedding, 6)
    error = float((ddim_reconstruct(gentle, inversion, embedding) - z0).norm() / z0.norm())
    assert error < 0.05


def test_missing_or_incomplete_model_folder_is_a_clear_error(tmp_path, tiny):
    with pytest.raises(ModelError, match="does not exist"):
        load_latent_model(tmp_path / "no-such-model")
    folder = save_latent_model(tiny, tmp_path / "model")
    import shutil

    shutil.rmtree(folder / "vae")
    (folder / "tokenizer" / "tokenizer.json").unlink(missing_ok=True)
    shutil.rmtree(folder / "tokenizer")
    with pytest.raises(ModelError, match=r"incomplete.*lacks vae, tokenizer"):
        load_latent_model(folder)


def test_saved_model_loads_back_with_the_same_predictions(tmp_path, tiny, source_image):
    loaded = load_latent_model(save_latent_model(tiny, tmp_path / "model"), device="cpu")
    assert loaded.dtype == torch.float32 and loaded.native_size == 64
    z0 = tiny.encode(source_image[None])
    alphas = tiny.ddim_scheduler().alphas_cumprod
    with torch.no_grad():
        expected = tiny.predict_noise(z0, 500, tiny.embed_prompts(["a lake"]), alphas)
        got = loaded.predict_noise(z0, 500, loaded.embed_prompts(["a lake"]), alphas)
    assert torch.allclose(expected, got, atol=1e-5)


def test_without_lpips_weights_perceptual_guidance_is_off_with_a_warning(caplog):
    with pytest.warns(RuntimeWarning, match="Perceptual-similarity guidance is off"):
        assert load_lpips_or_warn(None) is None
    assert "no LPIPS backbone weights" in caplog.text


def test_lpips_from_a_local_backbone_file_moves_z_towards_the_source(tmp_path, tiny, source_image):
    import torchvision

    torch.manual_seed(0)
    path = tmp_path / "alexnet.pth"
    trunk = torchvision.models.alexnet(weights=None).features  # LPIPS reads only the convolutional trunk
    torch.save({f"features.{k}": v for k, v in trunk.state_dict().items()}, path)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # weights given: no "off" warning
        lpips = load_lpips_or_warn(str(path))
    assert lpips is not None
    assert torch.equal(lpips.net.slice1[0].weight, torch.load(path, weights_only=True)["features.0.weight"])
    guidance = PerceptualGuidance(lpips, source_image[None], weight=0.2)
    z0 = tiny.encode(source_image[None])
    z_t = z0 + 0.5 * torch.randn_like(z0)
    abar = torch.tensor(0.9)
    eps = torch.zeros_like(z0)
    before = float(guidance.distance(tiny.decode(z_t / abar.sqrt()).clamp(-1, 1)))
    moved = guidance(z_t, eps, abar, tiny.decode)
    after = float(guidance.distance(tiny.decode(moved / abar.sqrt()).clamp(-1, 1)))
    assert not torch.equal(moved, z_t) and after < before
    with pytest.raises(ModelError, match="does not exist"):
        build_lpips(str(tmp_path / "missing.pth"))
    torch.save({"features.0.weight": torch.zeros(3)}, tmp_path / "other.pth")
    with pytest.raises(ModelError, match="not a torchvision alex state dict"):
        build_lpips(str(tmp_path / "other.pth"))


@pytest.mark.parametrize("bands, scale", [(3, 1.0), (1, 0.75)])
def test_edit_scene_in_pretrained_mode_keeps_outside_and_nodata(tmp_path, tiny, bands, scale):
    """uint16 scene (percentile normalisation), tiles whose size is no multiple of 8 (padding) or a
    resampling scale, a nodata hole in the ROI: outside pixels identical, nodata kept, inside edited."""
    from rasterio.transform import from_origin
    from shapely.geometry import box

    from rsedit.core.scene_edit import edit_scene

    rng = np.random.default_rng(0)
    data = (1000 + 500 * rng.random((bands, 70, 70))).astype(np.uint16)
    data[:, 30:33, 30:33] = 0  # nodata inside the ROI
    path = tmp_path / "scene.tif"
    with rasterio.open(path, "w", driver="GTiff", width=70, height=70, count=bands, dtype="uint16",
                       crs="EPSG:32633", transform=from_origin(0, 700, 10, 10), nodata=0) as dst:
        dst.write(data)
    folder = save_latent_model(tiny, tmp_path / "model")
    out, mask = tmp_path / "out.tif", tmp_path / "mask.tif"
    roi = box(200, 200, 450, 450)  # pixels 20..45
    result = edit_scene(path, [roi], out, mask_out=mask, mode="pretrained", prompt="a lake", device="cpu",
                        pretrained={"model": str(folder), "steps": 3, "scale": scale, "tile_size": 44,
                                    "perceptual_weight": 0.0}, overlap=8, margin=4, feather=3)
    assert result.model["backend"] == "pretrained-latent" and result.model["scale"] == scale
    with rasterio.open(out) as edited, rasterio.open(mask) as weights:
        after, changed = edited.read(), weights.read(1) > 0
        assert edited.nodata == 0 and edited.tags()["RSEDIT_MODE"] == "pretrained"
    assert np.array_equal(after[:, ~changed], data[:, ~changed])
    assert (after[:, 30:33, 30:33] == 0).all()
    inside = changed.copy()
    inside[30:33, 30:33] = False
    assert not np.array_equal(after[:, inside], data[:, inside]) and (after[:, inside] > 0).all()


def test_pretrained_mode_needs_a_model_and_a_prompt(tmp_path):
    from shapely.geometry import box

    from rsedit.core.errors import InputError
    from rsedit.core.scene_edit import edit_scene

    with pytest.raises(InputError, match="needs a model"):
        edit_scene(tmp_path / "x.tif", [box(0, 0, 1, 1)], tmp_path / "o.tif", mode="pretrained", prompt="a lake")
    with pytest.raises(InputError, match="edit prompt"):
        edit_scene(tmp_path / "x.tif", [box(0, 0, 1, 1)], tmp_path / "o.tif", mode="pretrained",
                   pretrained={"model": "some/model"})
