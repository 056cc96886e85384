"""Perceptual-similarity guidance (seed 001, section 3.2) with LPIPS.

At a guided step the Tweedie estimate ẑ0 = (z_t − sqrt(1 − ᾱ_t)·ε̂) / sqrt(ᾱ_t) is decoded by the
VAE, its LPIPS distance to the source image is taken, and z_t moves against the gradient of that
distance. ε̂ is held fixed (no backward pass through the UNet), so dẑ0/dz_t = 1/sqrt(ᾱ_t): the
cost is one VAE decode and one LPIPS forward and backward per guided step. The step is scaled to
the gradient's RMS, so `weight` is the size of the move in latent standard deviations.

LPIPS (the `lpips` package) needs an ImageNet backbone (AlexNet or VGG16 from torchvision) that
cannot be downloaded offline: give its state dict as a file (.pth/.pt, read with
weights_only=True, or .safetensors). Without it perceptual guidance is switched off with a
warning rather than failing the edit. The small linear calibration layers ship with lpips.
"""
from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional

import torch

from ...core.errors import ModelError

log = logging.getLogger(__name__)

BACKBONES = ("alex", "vgg")
NO_WEIGHTS_WARNING = ("Perceptual-similarity guidance is off: no LPIPS backbone weights were given (torchvision "
                      "{net} state dict, e.g. alexnet-owt-7be5be79.pth). Give their file path to switch it on.")


def _read_state_dict(path: Path) -> dict[str, torch.Tensor]:
    if path.suffix == ".safetensors":
        from safetensors.torch import load_file

        return load_file(str(path))
    try:
        state = torch.load(str(path), map_location="cpu", weights_only=True)
    except Exception as error:  # a pickle with objects, a corrupt file: refuse rather than unpickle
        raise ModelError(f"Cannot read LPIPS backbone weights from {path}: {error}. Give a plain torchvision "
                         "state dict (.pth) or a .safetensors file.") from None
    if isinstance(state, dict) and "state_dict" in state and isinstance(state["state_dict"], dict):
        state = state["state_dict"]
    if not isinstance(state, dict):
        raise ModelError(f"{path} does not hold a state dict of tensors.")
    return state


def build_lpips(weights: str, net: str = "alex") -> torch.nn.Module:
    """An LPIPS module with the backbone from `weights` (torchvision alexnet/vgg16 state dict) and
    lpips's own linear layers, both read without unpickling objects."""
    import lpips

    if net not in BACKBONES:
        raise ModelError(f"Unknown LPIPS backbone {net!r}: choose one of {', '.join(BACKBONES)}.")
    path = Path(weights).expanduser()
    if not path.is_file():
        raise ModelError(f"The LPIPS backbone weights file {path} does not exist.")
    state = _read_state_dict(path)
    with warnings.catch_warnings():  # lpips builds its random trunk with torchvision's deprecated argument
        warnings.simplefilter("ignore", UserWarning)
        module = lpips.LPIPS(pretrained=False, net=net, pnet_rand=True, spatial=True, verbose=False)
    # lpips keeps torchvision's `features.<i>` layers as `slice<n>.<i>`; only that trunk is used
    trunk = {}
    for key, current in module.net.state_dict().items():
        _, index, param = key.split(".", 2)
        value = state.get(f"features.{index}.{param}")
        if value is None or tuple(value.shape) != tuple(current.shape):
            raise ModelError(f"{path} is not a torchvision {net} state dict: 'features.{index}.{param}' is "
                             f"{'missing' if value is None else 'shaped ' + str(tuple(value.shape))}.")
        trunk[key] = value
    module.net.load_state_dict(trunk)
    linear = Path(lpips.__file__).parent / "weights" / "v0.1" / f"{net}.pth"
    module.load_state_dict(torch.load(str(linear), map_location="cpu", weights_only=True), strict=False)
    module.eval().requires_grad_(False)
    return module


def load_lpips_or_warn(weights: Optional[str], net: str = "alex") -> Optional[torch.nn.Module]:
    """LPIPS if backbone weights are given (and lpips is installed); else None, with a warning."""
    if not weights:
        message = NO_WEIGHTS_WARNING.format(net=net)
    else:
        try:
            import lpips  # noqa: F401
        except ImportError:
            message = ("Perceptual-similarity guidance is off: the lpips package is not installed "
                       "(pip install lpips==0.1.4).")
        else:
            return build_lpips(weights, net)
    warnings.warn(message, RuntimeWarning, stacklevel=2)
    log.warning(message)
    return None


@dataclass
class PerceptualGuidance:
    """LPIPS guidance on z_t over the sampling steps [start, stop) (fractions of the run)."""

    lpips: torch.nn.Module
    source_image: torch.Tensor  # [1, 3, H, W] in [-1, 1]
    weight: float = 0.05
    start: float = 0.0
    stop: float = 0.4  # the seed applies it over the first 20 of 50 steps
    keep_weight: Optional[torch.Tensor] = None  # [H, W]: where similarity counts (1 - ROI); None: everywhere

    def active(self, index: int, total: int) -> bool:
        return self.weight > 0 and self.start * total <= index < self.stop * total

    def distance(self, image: torch.Tensor) -> torch.Tensor:
        source = self.source_image.to(image)
        spatial = self.lpips.to(image.device)(image, source)  # [1, 1, H, W]
        if self.keep_weight is None:
            return spatial.mean()
        keep = self.keep_weight.to(spatial).expand_as(spatial)
        return (spatial * keep).sum() / keep.sum().clamp_min(1.0)

    def __call__(self, z_t: torch.Tensor, eps: torch.Tensor, abar_t: torch.Tensor,
                 decode: Callable[[torch.Tensor], torch.Tensor]) -> torch.Tensor:
        """z_t moved down the LPIPS gradient of its decoded Tweedie estimate."""
        with torch.enable_grad():
            z = z_t.detach().float().requires_grad_(True)
            z0 = (z - (1 - abar_t).sqrt() * eps.detach()) / abar_t.sqrt()
            image = decode(z0).clamp(-1, 1)
            if image.shape[-2:] != self.source_image.shape[-2:]:
                raise ModelError("The decoded image and the source differ in size.")
            loss = self.distance(image)
            (grad,) = torch.autograd.grad(loss, z)
        rms = grad.pow(2).mean().sqrt()
        if not torch.isfinite(rms) or rms <= 0:
            return z_t
        return (z_t - self.weight * grad / rms).detach()


def describe(guidance: Optional[PerceptualGuidance]) -> dict[str, Any]:
    if guidance is None:
        return {"perceptual_guidance": "off"}
    return {"perceptual_guidance": "lpips", "perceptual_weight": guidance.weight,
            "perceptual_steps": [guidance.start, guidance.stop]}
