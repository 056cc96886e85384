"""CLIP through open_clip, prepared for guidance: differentiable preprocessing of [-1, 1] rasters
with any number of bands, cached text embeddings, cosine similarity and CLIPScore.

RemoteCLIP (Liu et al., 2024; Apache-2.0) is the recommended model for remote sensing: it is
CLIP fine-tuned on remote-sensing image-text pairs, and the RSEdit paper guides with it. Download
one of its checkpoints from https://huggingface.co/chendelong/RemoteCLIP and choose the file:

    RemoteCLIP-ViT-B-32.pt  (605 MB, a good default)
    RemoteCLIP-ViT-L-14.pt  (1.7 GB, slower, finer)
    RemoteCLIP-RN50.pt      (408 MB)

The architecture is read from the file name. Any other open_clip model works too, by name and
pretrained tag (e.g. "ViT-B-32", "laion2b_s34b_b79k"; open_clip downloads those weights on first
use) or from a local checkpoint file.

A model of one's own architecture (e.g. a small CLIP trained on one's scenes) loads the same way when
its open_clip model config sits beside the checkpoint, with the same stem: ``scene-clip.safetensors``
and ``scene-clip.json`` (the JSON holds ``embed_dim``, ``vision_cfg`` and ``text_cfg``, as open_clip's
own configs). The architecture is then named after that stem (``scene-clip``); give that name, or
none, as the architecture. A stem that is one of open_clip's own architectures with another config
is refused rather than shadowing it.

Checkpoints are never unpickled freely: ``.pt``/``.pth``/``.bin`` files go through torch's
restricted unpickler (``weights_only=True``) and ``.safetensors`` files through safetensors.
"""
from __future__ import annotations

import json
import pickle
import re
import tempfile
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ...core.errors import CheckpointError, ModelError
from .view_augment import resize_image

REMOTECLIP_URL = "https://huggingface.co/chendelong/RemoteCLIP"
RECOMMENDED_CHECKPOINT = "RemoteCLIP-ViT-B-32.pt"
REMOTECLIP_ARCHITECTURES = {
    "RemoteCLIP-ViT-B-32.pt": "ViT-B-32",
    "RemoteCLIP-ViT-L-14.pt": "ViT-L-14",
    "RemoteCLIP-RN50.pt": "RN50",
}
CHECKPOINT_SUFFIXES = (".pt", ".pth", ".bin", ".ckpt", ".safetensors")
_MAX_CACHED_PROMPT_LISTS = 64
_CONFIG_KEYS = ("embed_dim", "vision_cfg", "text_cfg")
_builtin_configs: dict[str, dict] | None = None  # the configs open_clip ships
_registered_configs: Path | None = None  # where validated copies of configs beside checkpoints are kept


def _open_clip():
    # open_clip takes seconds to import: only pay for it when a model is actually built
    import open_clip

    return open_clip


def known_architectures() -> list[str]:
    """Model names open_clip can build (its configs plus any registered with add_model_config)."""
    return list(_open_clip().list_models())


def config_beside(path: str | Path) -> Path | None:
    """The open_clip model config beside a checkpoint (same stem, ``.json``), if there is one."""
    path = Path(path).expanduser()
    beside = path.with_suffix(".json")
    return beside if beside.is_file() and beside != path else None


def read_model_config(config_path: Path) -> dict:
    """An open_clip model config from a JSON file, checked enough to build a model from it."""
    try:
        config = json.loads(config_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CheckpointError(
            f"{config_path.name} beside the CLIP checkpoint is not a readable JSON model config ({exc}). "
            f"Write the open_clip model config there (embed_dim, vision_cfg, text_cfg), or remove the file "
            f"to load a RemoteCLIP or open_clip architecture by name."
        ) from exc
    if not isinstance(config, dict):
        raise CheckpointError(f"{config_path.name} beside the CLIP checkpoint must hold a JSON object (an "
                              f"open_clip model config), not {type(config).__name__}.")
    missing = [key for key in _CONFIG_KEYS if key not in config]
    wrong = [key for key in ("vision_cfg", "text_cfg") if key in config and not isinstance(config[key], dict)]
    if missing or wrong:
        problem = f"it lacks {', '.join(missing)}" if missing else f"{', '.join(wrong)} must be JSON objects"
        raise CheckpointError(
            f"{config_path.name} beside the CLIP checkpoint is not an open_clip model config: {problem}. "
            f"It needs embed_dim, vision_cfg and text_cfg, as open_clip's own model configs."
        )
    return config


def register_config_beside(path: str | Path) -> str | None:
    """Make the architecture described by the JSON config beside a checkpoint known to open_clip,
    under the config's stem; returns that name (None without a config). A later file with the same
    stem replaces an earlier registration, but open_clip's own architectures are never replaced."""
    global _builtin_configs, _registered_configs
    config_path = config_beside(path)
    if config_path is None:
        return None
    config = read_model_config(config_path)
    name = config_path.stem
    open_clip = _open_clip()
    if _builtin_configs is None:
        shipped = Path(open_clip.__file__).parent / "model_configs"
        _builtin_configs = {f.stem: open_clip.get_model_config(f.stem) for f in shipped.glob("*.json")}
    if name in _builtin_configs and _builtin_configs[name] != config:
        raise CheckpointError(
            f"{config_path.name} describes another model than open_clip's own architecture '{name}'. Rename "
            f"the checkpoint and its JSON config (same new stem), or remove the JSON to load '{name}' itself."
        )
    if _registered_configs is None:
        _registered_configs = Path(tempfile.mkdtemp(prefix="rsedit-clip-configs-"))
    # a validated copy is registered, so a file changed or broken later cannot break open_clip's rescans
    copy = _registered_configs / f"{name}.json"
    copy.write_text(json.dumps(config), encoding="utf-8")
    open_clip.add_model_config(copy)
    return name


def fit_logit_scale(state: dict[str, Tensor], model: nn.Module) -> None:
    """Reshape the checkpoint's logit_scale to the model's shape where their dimensions differ (a
    scalar against a one-element vector)."""
    if "logit_scale" in state and state["logit_scale"].ndim != model.logit_scale.ndim:
        state["logit_scale"] = state["logit_scale"].reshape(model.logit_scale.shape)


def infer_architecture(path: str | Path) -> str | None:
    """The open_clip architecture named in a checkpoint's file name, e.g. ``RemoteCLIP-RN50.pt``
    -> ``RN50``; the longest name wins (``ViT-B-32-256`` over ``ViT-B-32``). None if no name fits."""
    stem = Path(path).name
    for suffix in CHECKPOINT_SUFFIXES:
        if stem.lower().endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    found = None
    for name in known_architectures():
        # the name must stand as a whole token: RN50 must not match inside RN50x4
        if re.search(rf"(?<![A-Za-z0-9]){re.escape(name)}(?![A-Za-z0-9])", stem, re.IGNORECASE):
            if found is None or len(name) > len(found):
                found = name
    return found


def read_state_dict(path: str | Path) -> dict[str, Tensor]:
    """A checkpoint's tensors, without executing code from the file; a ``state_dict`` wrapper
    and the ``module.`` prefix of DataParallel checkpoints are removed."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise CheckpointError(
            f"CLIP weights file not found: {path}. Download a checkpoint (recommended: "
            f"{RECOMMENDED_CHECKPOINT} from {REMOTECLIP_URL}) and choose the downloaded file."
        )
    try:
        if path.suffix.lower() == ".safetensors":
            from safetensors.torch import load_file

            loaded: Any = load_file(str(path), device="cpu")
        else:
            loaded = torch.load(str(path), map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        # torch's weights_only refusal names the class it will not unpickle; any other unpickling
        # failure is a file that is not a checkpoint (torch's own text is many lines about trust)
        if "Unsupported global" in str(exc):
            raise CheckpointError(
                f"{path.name} holds Python objects besides tensors, and RSEdit does not unpickle them "
                f"(that could run code from the file). Save a plain state dict "
                f"(torch.save(model.state_dict(), path)) or convert it to .safetensors."
            ) from exc
        raise _unreadable(path) from exc
    except Exception as exc:  # corrupt, truncated or not a checkpoint at all
        raise _unreadable(path) from exc

    if isinstance(loaded, Mapping) and isinstance(loaded.get("state_dict"), Mapping):
        loaded = loaded["state_dict"]
    if not isinstance(loaded, Mapping) or not loaded or not all(
        isinstance(v, Tensor) for v in loaded.values()
    ):
        raise CheckpointError(
            f"{path.name} is not a CLIP state dict (a mapping of names to tensors). Choose an "
            f"open_clip or RemoteCLIP checkpoint, e.g. {RECOMMENDED_CHECKPOINT} from {REMOTECLIP_URL}."
        )
    state = dict(loaded)
    if all(k.startswith("module.") for k in state):
        state = {k[len("module."):]: v for k, v in state.items()}
    return state


def _unreadable(path: Path) -> CheckpointError:
    return CheckpointError(
        f"Cannot read CLIP weights from {path}: it is not a PyTorch or safetensors checkpoint, or it is "
        f"incomplete. Download it again (recommended: {RECOMMENDED_CHECKPOINT} from {REMOTECLIP_URL}) and "
        f"choose the downloaded file."
    )


def _check_fits(model: nn.Module, state: Mapping[str, Tensor], path: Path, architecture: str) -> None:
    """Compare names and shapes first, so a wrong architecture gets an explanation rather than
    torch's list of hundreds of keys."""
    expected = model.state_dict()
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    wrong_shape = [k for k in expected if k in state and tuple(state[k].shape) != tuple(expected[k].shape)]
    if not (missing or unexpected or wrong_shape):
        return
    details = []
    if wrong_shape:
        k = wrong_shape[0]
        details.append(
            f"{len(wrong_shape)} weights have other shapes (e.g. {k}: file {tuple(state[k].shape)}, "
            f"model {tuple(expected[k].shape)})"
        )
    if missing:
        details.append(f"{len(missing)} weights are missing (e.g. {missing[0]})")
    if unexpected:
        details.append(f"{len(unexpected)} weights are unknown to it (e.g. {unexpected[0]})")
    beside = config_beside(path)
    guessed = beside.stem if beside is not None else infer_architecture(path)
    hint = (
        f"Its model config {beside.name} describes '{guessed}': choose that architecture, or none."
        if beside is not None and guessed != architecture
        else f"The file name suggests '{guessed}': choose that architecture."
        if guessed and guessed != architecture
        else "Choose the architecture the checkpoint was trained with (for RemoteCLIP: ViT-B-32, "
        "ViT-L-14 or RN50, as in its file name)."
    )
    raise CheckpointError(
        f"The weights in {path.name} do not fit the CLIP architecture '{architecture}': "
        f"{'; '.join(details)}. {hint}"
    )


def select_rgb_bands(images: Tensor, rgb_bands: Sequence[int] | None = None) -> Tensor:
    """Three bands of a [B, C, H, W] raster for CLIP. ``rgb_bands`` are 0-based band indices
    (three, or one to use as grey); by default the first three bands, or the single band of a
    one- or two-band raster repeated."""
    if images.ndim != 4:
        raise ValueError(f"expected images shaped [B, C, H, W], got {tuple(images.shape)}")
    n_bands = images.shape[1]
    if rgb_bands is None:
        rgb_bands = (0, 1, 2) if n_bands >= 3 else (0,)
    bands = [int(b) for b in rgb_bands]
    if len(bands) not in (1, 3):
        raise ModelError(
            f"Choose three bands (red, green, blue) or one band for CLIP, not {len(bands)} ({bands})."
        )
    bad = [b for b in bands if not 0 <= b < n_bands]
    if bad:
        raise ModelError(
            f"Band index {bad[0]} does not exist: the raster has {n_bands} band(s), numbered from "
            f"0 to {n_bands - 1}. Choose the red, green and blue band indices among those."
        )
    rgb = images[:, bands]
    return rgb.expand(-1, 3, -1, -1) if len(bands) == 1 else rgb


class GuidanceClip:
    """A frozen open_clip model and its tokenizer, with the preprocessing guidance needs.

    Images are tensors in [-1, 1] (the diffusion model's range); everything on the image side is
    differentiable so gradients reach the pixels.
    """

    def __init__(self, model: nn.Module, tokenizer: Callable[..., Tensor], *, architecture: str, source: str):
        self.model = model.eval().requires_grad_(False)
        self.tokenizer = tokenizer
        self.architecture = architecture
        self.source = source
        cfg = _open_clip().get_model_preprocess_cfg(model)
        size = cfg.get("size", getattr(model.visual, "image_size", 224))
        self.image_size: tuple[int, int] = (size, size) if isinstance(size, int) else tuple(size)
        param = next(model.parameters())
        self._mean = torch.tensor(cfg["mean"], dtype=param.dtype, device=param.device).view(1, 3, 1, 1)
        self._std = torch.tensor(cfg["std"], dtype=param.dtype, device=param.device).view(1, 3, 1, 1)
        self._text_cache: dict[tuple[str, ...], Tensor] = {}

    # ------------------------------------------------------------------ loading
    @classmethod
    def load(
        cls,
        architecture: str | None = None,
        weights: str | Path | None = None,
        *,
        device: str | torch.device = "cpu",
        cache_dir: str | None = None,
    ) -> GuidanceClip:
        """``weights`` is a checkpoint file (architecture optional, read from the file name) or
        an open_clip pretrained tag (architecture required)."""
        if weights is None:
            raise CheckpointError(
                f"No CLIP weights given. Choose a checkpoint file (recommended: "
                f"{RECOMMENDED_CHECKPOINT} from {REMOTECLIP_URL}) or an open_clip pretrained tag."
            )
        text = str(weights)
        if Path(text).expanduser().exists() or text.lower().endswith(CHECKPOINT_SUFFIXES) or "/" in text or "\\" in text:
            return cls.from_checkpoint(text, architecture, device=device)
        if architecture is None:
            raise ModelError(f"The pretrained tag '{text}' needs an architecture (e.g. ViT-B-32).")
        return cls.from_pretrained(architecture, text, device=device, cache_dir=cache_dir)

    @classmethod
    def from_pretrained(
        cls,
        architecture: str,
        tag: str,
        *,
        device: str | torch.device = "cpu",
        cache_dir: str | None = None,
    ) -> GuidanceClip:
        """An open_clip model with published weights; open_clip downloads them on first use."""
        open_clip = _open_clip()
        if not architecture.startswith(("hf-hub:", "local-dir:")):
            cls._check_architecture(architecture)
            tags = open_clip.list_pretrained_tags_by_model(architecture)
            if tag not in tags:
                raise ModelError(
                    f"'{tag}' is not a pretrained tag of the open_clip model '{architecture}'. "
                    f"Known tags: {', '.join(tags) or 'none'}. Or choose a local checkpoint file."
                )
        try:
            model, _, _ = open_clip.create_model_and_transforms(
                architecture, pretrained=tag, device=device, cache_dir=cache_dir
            )
        except Exception as exc:
            raise ModelError(
                f"Could not load the CLIP weights '{tag}' for '{architecture}': {exc}. They are "
                f"downloaded on first use; without an internet connection, download a checkpoint "
                f"yourself (e.g. {RECOMMENDED_CHECKPOINT} from {REMOTECLIP_URL}) and choose the file."
            ) from exc
        tokenizer = open_clip.get_tokenizer(architecture, cache_dir=cache_dir)
        return cls(model, tokenizer, architecture=architecture, source=f"{architecture}/{tag}")

    @classmethod
    def from_checkpoint(
        cls,
        path: str | Path,
        architecture: str | None = None,
        *,
        device: str | torch.device = "cpu",
    ) -> GuidanceClip:
        """A local checkpoint: RemoteCLIP ``.pt`` files, open_clip state dicts, ``.safetensors``; with
        an open_clip model config beside it (same stem, ``.json``) for architectures of one's own."""
        path = Path(path).expanduser()
        beside = register_config_beside(path) if path.is_file() else None
        if architecture is None and beside is not None:
            architecture = beside
        if architecture is None:
            architecture = infer_architecture(path)
            if architecture is None:
                raise CheckpointError(
                    f"Cannot tell the CLIP architecture of {path.name} from its name. Choose it "
                    f"explicitly (e.g. ViT-B-32, ViT-L-14, RN50), or keep the original file name "
                    f"(e.g. {RECOMMENDED_CHECKPOINT})."
                )
        cls._check_architecture(architecture)
        state = read_state_dict(path)
        open_clip = _open_clip()
        try:
            model = open_clip.create_model(architecture, pretrained=None)
        except Exception as exc:  # a config beside the checkpoint with values open_clip cannot build
            if architecture != beside:
                raise
            raise CheckpointError(
                f"open_clip cannot build the model described by {path.with_suffix('.json').name}: {exc}. "
                f"Write the config the checkpoint was trained with."
            ) from exc
        fit_logit_scale(state, model)
        _check_fits(model, state, path, architecture)
        model.load_state_dict(state, strict=True)
        model.to(device)
        return cls(model, open_clip.get_tokenizer(architecture), architecture=architecture, source=str(path))

    @staticmethod
    def _check_architecture(architecture: str) -> None:
        names = known_architectures()
        if architecture not in names:
            raise ModelError(
                f"Unknown CLIP architecture '{architecture}'. open_clip knows e.g. "
                f"{', '.join(n for n in ('ViT-B-32', 'ViT-B-16', 'ViT-L-14', 'RN50') if n in names)} "
                f"({len(names)} in all)."
            )

    # ------------------------------------------------------------------ properties
    @property
    def device(self) -> torch.device:
        return self._mean.device

    @property
    def dtype(self) -> torch.dtype:
        return self._mean.dtype

    # ------------------------------------------------------------------ images
    def normalize_pixels(self, rgb01: Tensor) -> Tensor:
        """CLIP's mean/std normalisation of RGB in [0, 1]."""
        return (rgb01.to(self.dtype) - self._mean) / self._std

    def to_clip_input(self, images: Tensor, rgb_bands: Sequence[int] | None = None) -> Tensor:
        """[B, C, H, W] in [-1, 1] -> normalised [B, 3, h, w] at the model's input size."""
        rgb01 = (select_rgb_bands(images, rgb_bands).to(self.device) + 1) * 0.5
        return self.normalize_pixels(resize_image(rgb01, self.image_size))

    def encode_views(self, views01: Tensor) -> Tensor:
        """Unit-norm embeddings of RGB views in [0, 1] already at the model's input size."""
        return F.normalize(self.model.encode_image(self.normalize_pixels(views01.to(self.device))), dim=-1)

    def encode_image(self, images: Tensor, rgb_bands: Sequence[int] | None = None) -> Tensor:
        """Unit-norm embeddings [B, D] of whole images in [-1, 1]."""
        return F.normalize(self.model.encode_image(self.to_clip_input(images, rgb_bands)), dim=-1)

    # ------------------------------------------------------------------ text
    def encode_text(self, prompts: Sequence[str]) -> Tensor:
        """Raw (unnormalised) text embeddings [P, D], cached per prompt list."""
        key = tuple(prompts)
        if not key:
            raise ModelError("No text prompt given: describe the edit, e.g. 'a forest on fire'.")
        cached = self._text_cache.get(key)
        if cached is None:
            # outside inference mode, so the result can take part in later autograd graphs
            with torch.inference_mode(False), torch.no_grad():
                tokens = self.tokenizer(list(key)).to(self.device)
                cached = self.model.encode_text(tokens).detach()
            if len(self._text_cache) >= _MAX_CACHED_PROMPT_LISTS:
                self._text_cache.pop(next(iter(self._text_cache)))
            self._text_cache[key] = cached
        return cached

    # ------------------------------------------------------------------ scores
    def image_text_similarity(
        self, images: Tensor, text_embedding: Tensor, rgb_bands: Sequence[int] | None = None
    ) -> Tensor:
        """Cosine similarity [B] between whole images in [-1, 1] and a text embedding [D]."""
        text = F.normalize(text_embedding.reshape(-1).to(self.device, self.dtype), dim=0)
        return self.encode_image(images, rgb_bands) @ text

    def clip_score(self, images: Tensor, text_embedding: Tensor, rgb_bands: Sequence[int] | None = None) -> Tensor:
        """CLIPScore [B] = 100 * max(cos, 0) (Hessel et al., 2021)."""
        return clip_score_from_cosine(self.image_text_similarity(images, text_embedding, rgb_bands))


def clip_score_from_cosine(cosine: Tensor) -> Tensor:
    return 100.0 * cosine.clamp(min=0)
