"""A pretrained text-to-image latent diffusion model (Stable Diffusion 1.x / 2.x family) for editing.

`load_latent_model(source)` loads the components of a diffusers Stable Diffusion pipeline from a
local folder (what `save_pretrained` writes) or from a hub id when the network allows, in
half precision on a GPU (bf16 where supported, else fp16) and fp32 on the CPU. `LatentModel`
wraps what the edit needs: prompt embeddings, VAE encode/decode, and noise predictions that are
always ε (v-prediction models are converted), so the DDIM steps and the guidance maths work on ε
for every model. `random_latent_model` builds small, randomly initialised components from
configs (for tests and benchmarks: nothing is downloaded).
"""
from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, Union

import torch

from ...core.errors import ModelError
from ..device import select_device

log = logging.getLogger(__name__)

#: what a diffusers Stable Diffusion folder must contain
REQUIRED_PARTS = ("model_index.json", "unet", "vae", "text_encoder", "tokenizer", "scheduler")
DEFAULT_NATIVE_SIZE = 512  # SD 1.x; SD 2.x "768" models are 768


@dataclass
class LatentModel:
    """The components of a latent diffusion model, on one device, with one compute dtype."""

    unet: Any  # diffusers UNet2DConditionModel
    vae: Any  # diffusers AutoencoderKL
    text_encoder: Any  # transformers CLIPTextModel
    tokenizer: Any  # transformers CLIPTokenizer
    scheduler_config: dict  # the model's scheduler config (DDIM schedulers are built from it)
    device: torch.device = torch.device("cpu")
    dtype: torch.dtype = torch.float32
    name: str = "latent diffusion model"
    description: dict = field(default_factory=dict)

    @property
    def vae_scale_factor(self) -> int:
        return 2 ** (len(self.vae.config.block_out_channels) - 1)

    @property
    def latent_scaling(self) -> float:
        return float(getattr(self.vae.config, "scaling_factor", 0.18215))

    @property
    def native_size(self) -> int:
        """Image size the UNet was trained at (latent sample size x VAE factor)."""
        sample = self.unet.config.sample_size
        sample = sample[0] if isinstance(sample, (tuple, list)) else sample
        return int(sample) * self.vae_scale_factor

    @property
    def prediction_type(self) -> str:
        return str(self.scheduler_config.get("prediction_type", "epsilon"))

    def ddim_scheduler(self):
        """A DDIM scheduler on this model's noise schedule, predicting ε (see `predict_noise`)."""
        from diffusers import DDIMScheduler

        config = {k: v for k, v in self.scheduler_config.items() if not k.startswith("_")}
        config.update(prediction_type="epsilon", clip_sample=False)
        return DDIMScheduler.from_config(config)

    def ddim_inverse_scheduler(self):
        import inspect

        from diffusers import DDIMInverseScheduler

        accepted = inspect.signature(DDIMInverseScheduler.__init__).parameters
        config = {k: v for k, v in self.ddim_scheduler().config.items() if k in accepted}
        return DDIMInverseScheduler(**config)

    @torch.no_grad()
    def embed_prompts(self, prompts: list[str]) -> torch.Tensor:
        """CLIP text embeddings [len(prompts), tokens, dim] in the compute dtype."""
        tokens = self.tokenizer(prompts, padding="max_length", max_length=self.tokenizer.model_max_length,
                                truncation=True, return_tensors="pt")
        hidden = self.text_encoder(tokens.input_ids.to(self.device))[0]
        return hidden.to(self.dtype)

    @torch.no_grad()
    def encode(self, image: torch.Tensor) -> torch.Tensor:
        """[B, 3, H, W] in [-1, 1] -> scaled latents [B, C, H/f, W/f] (fp32, the posterior mean)."""
        posterior = self.vae.encode(image.to(self.device, self.dtype)).latent_dist
        return posterior.mean.float() * self.latent_scaling

    def decode(self, latents: torch.Tensor) -> torch.Tensor:
        """Scaled latents -> [B, 3, H, W] roughly in [-1, 1] (fp32; differentiable)."""
        image = self.vae.decode((latents / self.latent_scaling).to(self.dtype)).sample
        return image.float()

    def predict_noise(self, latents: torch.Tensor, timestep: int, embeddings: torch.Tensor,
                      alphas_cumprod: torch.Tensor) -> torch.Tensor:
        """ε for each embedding: latents [1, C, h, w] are repeated to the embedding batch. fp32 out."""
        batch = embeddings.shape[0]
        z = latents.expand(batch, -1, -1, -1)
        output = self.unet(z.to(self.dtype), timestep, encoder_hidden_states=embeddings).sample.float()
        if self.prediction_type == "v_prediction":  # ε = sqrt(ᾱ)·v + sqrt(1-ᾱ)·z_t
            abar = alphas_cumprod[timestep].to(output)
            output = abar.sqrt() * output + (1 - abar).sqrt() * z.float()
        elif self.prediction_type != "epsilon":
            raise ModelError(f"Models predicting {self.prediction_type!r} are not supported: use an ε- or "
                             "v-prediction Stable Diffusion model.")
        return output


def missing_parts(folder: Union[str, os.PathLike]) -> list[str]:
    folder = Path(folder)
    return [part for part in REQUIRED_PARTS if not (folder / part).exists()]


def compute_dtype(device: torch.device, dtype: Optional[str] = None) -> torch.dtype:
    """fp32 on the CPU; on a GPU bf16 where supported, else fp16 (or the dtype asked for)."""
    if dtype:
        names = {"float32": torch.float32, "fp32": torch.float32, "float16": torch.float16, "fp16": torch.float16,
                 "bfloat16": torch.bfloat16, "bf16": torch.bfloat16}
        if dtype not in names:
            raise ModelError(f"Unknown dtype {dtype!r}: choose one of {', '.join(names)}.")
        return names[dtype]
    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.float32


def _looks_like_hub_id(source: str) -> bool:
    parts = source.split("/")
    return len(parts) == 2 and all(parts) and not source.startswith((".", "~")) and os.sep not in source.replace("/", "")


def load_latent_model(source: Union[str, os.PathLike], device: str = "auto",
                      dtype: Optional[str] = None) -> LatentModel:
    """Load a Stable Diffusion model from a diffusers folder or a hub id ("owner/name")."""
    from diffusers import StableDiffusionPipeline

    text = str(source).strip()
    if not text:
        raise ModelError("Give a model: a local diffusers Stable Diffusion folder (with model_index.json) or a hub id.")
    folder = Path(text).expanduser()
    is_folder = folder.exists()
    if is_folder:
        if not folder.is_dir():
            raise ModelError(f"{folder} is a file: give the diffusers model folder that contains model_index.json, "
                             "unet/, vae/, text_encoder/, tokenizer/ and scheduler/.")
        missing = missing_parts(folder)
        if missing:
            raise ModelError(f"The model folder {folder} is incomplete: it lacks {', '.join(missing)}. Give a "
                             "diffusers Stable Diffusion folder (as written by save_pretrained or downloaded "
                             "from the hub with all its subfolders).")
    elif not _looks_like_hub_id(text):
        raise ModelError(f"The model folder {folder} does not exist. Give a local diffusers Stable Diffusion folder "
                         "(model_index.json, unet/, vae/, text_encoder/, tokenizer/, scheduler/) or a hub id such "
                         "as 'owner/model'.")
    torch_device = select_device(device)
    torch_dtype = compute_dtype(torch_device, dtype)
    try:
        pipeline = StableDiffusionPipeline.from_pretrained(
            str(folder) if is_folder else text, dtype=torch_dtype, safety_checker=None,
            feature_extractor=None, requires_safety_checker=False, local_files_only=is_folder)
    except (OSError, ValueError, EnvironmentError) as error:
        where, action = ((f"the folder {folder}", "give a complete diffusers Stable Diffusion folder, as written by "
                          "save_pretrained or downloaded from the hub with all its files") if is_folder else
                         (f"the hub id {text!r}", "check the id and that the network is reachable, or give a local "
                          "diffusers Stable Diffusion folder"))
        detail = " ".join(str(error).split()).rstrip(".")  # diffusers' text, on one line
        raise ModelError(f"Cannot load a Stable Diffusion model from {where} ({detail}): {action}.") from None
    model = from_pipeline(pipeline, torch_device, torch_dtype)
    model.name = folder.name if is_folder else text
    model.description = {"backend": "pretrained-latent", "model": str(folder.resolve()) if is_folder else text,
                         "dtype": str(torch_dtype).replace("torch.", ""),
                         "class": _model_class(folder) if is_folder else "hub"}
    return model


def _model_class(folder: Path) -> str:
    try:
        return str(json.loads((folder / "model_index.json").read_text()).get("_class_name", "unknown"))
    except (OSError, ValueError):
        return "unknown"


def from_pipeline(pipeline: Any, device: torch.device, dtype: torch.dtype) -> LatentModel:
    return from_components(pipeline.unet, pipeline.vae, pipeline.text_encoder, pipeline.tokenizer,
                           dict(pipeline.scheduler.config), device, dtype)


def from_components(unet: Any, vae: Any, text_encoder: Any, tokenizer: Any, scheduler_config: dict,
                    device: torch.device = torch.device("cpu"), dtype: torch.dtype = torch.float32) -> LatentModel:
    """Assemble a LatentModel from components built or loaded elsewhere (frozen, eval mode)."""
    for module in (unet, vae, text_encoder):
        if next(module.parameters()).dtype != dtype:
            module.to(dtype=dtype)
        module.to(device=device)
        module.eval()
        module.requires_grad_(False)
    return LatentModel(unet, vae, text_encoder, tokenizer, dict(scheduler_config), device, dtype,
                       description={"backend": "pretrained-latent", "model": "components",
                                    "dtype": str(dtype).replace("torch.", "")})


# ---------------------------------------------------------------------------------------------
# Small random models (tests, benchmarks)

def byte_level_vocabulary() -> dict[str, int]:
    """A CLIP BPE vocabulary with no merges: the 256 byte symbols, alone and word-final, plus the
    start/end tokens (514 entries). Every text tokenizes, one token per byte."""
    codes = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    symbols = codes[:]
    extra = 0
    for byte in range(256):
        if byte not in codes:
            codes.append(byte)
            symbols.append(256 + extra)
            extra += 1
    chars = [chr(code) for code in symbols]
    vocab = {char: index for index, char in enumerate(chars)}
    vocab.update({char + "</w>": 256 + index for index, char in enumerate(chars)})
    vocab["<|startoftext|>"] = 512
    vocab["<|endoftext|>"] = 513
    return vocab


def sd_scheduler_config() -> dict:
    """The noise schedule of Stable Diffusion 1.x (scaled-linear betas, 1000 steps)."""
    return {"num_train_timesteps": 1000, "beta_start": 0.00085, "beta_end": 0.012, "beta_schedule": "scaled_linear",
            "clip_sample": False, "set_alpha_to_one": False, "steps_offset": 1, "prediction_type": "epsilon"}


def random_latent_model(image_size: int = 64, width: int = 32, seed: int = 0, max_tokens: int = 16,
                        device: str = "cpu") -> LatentModel:
    """A randomly initialised SD-like model (VAE factor 8, 4 latent channels) for an image size;
    the same seed gives the same weights, and the global RNG is left as it was."""
    from diffusers import AutoencoderKL, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

    if image_size % 8:
        raise ModelError(f"The image size must be a multiple of 8, got {image_size}.")
    state = torch.random.get_rng_state()
    try:
        torch.manual_seed(seed)
        groups = min(32, width)
        unet = UNet2DConditionModel(
            sample_size=image_size // 8, in_channels=4, out_channels=4, layers_per_block=1,
            block_out_channels=(width, 2 * width), down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"),
            up_block_types=("UpBlock2D", "CrossAttnUpBlock2D"), cross_attention_dim=32, attention_head_dim=4,
            norm_num_groups=groups)
        vae = AutoencoderKL(
            in_channels=3, out_channels=3, latent_channels=4, layers_per_block=1, norm_num_groups=8,
            block_out_channels=(8, 16, 16, 16), sample_size=image_size,
            down_block_types=("DownEncoderBlock2D",) * 4, up_block_types=("UpDecoderBlock2D",) * 4)
        text_encoder = CLIPTextModel(CLIPTextConfig(
            vocab_size=514, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
            max_position_embeddings=max_tokens, bos_token_id=512, eos_token_id=513, pad_token_id=513))
        # like SD's 0.18215: scale latents to unit variance (on a fixed random image)
        with torch.no_grad():
            probe = torch.rand(1, 3, image_size, image_size) * 2 - 1
            spread = float(vae.encode(probe).latent_dist.mean.std())
        vae.register_to_config(scaling_factor=1.0 / max(spread, 1e-6))
    finally:
        torch.random.set_rng_state(state)
    tokenizer = CLIPTokenizer(vocab=byte_level_vocabulary(), merges=[], model_max_length=max_tokens)
    model = from_components(unet, vae, text_encoder, tokenizer, sd_scheduler_config(), select_device(device))
    model.name = f"random-{image_size}px-w{width}"
    model.description = {"backend": "pretrained-latent", "model": model.name, "dtype": "float32",
                         "random_weights": True}
    return model


def save_latent_model(model: LatentModel, folder: Union[str, os.PathLike]) -> Path:
    """Write the model as a diffusers Stable Diffusion folder (loadable by load_latent_model)."""
    from diffusers import DDIMScheduler, StableDiffusionPipeline

    pipeline = StableDiffusionPipeline(vae=model.vae, text_encoder=model.text_encoder, tokenizer=model.tokenizer,
                                       unet=model.unet, scheduler=DDIMScheduler.from_config(model.scheduler_config),
                                       safety_checker=None, feature_extractor=None, requires_safety_checker=False)
    pipeline.save_pretrained(str(folder))
    return Path(folder)
