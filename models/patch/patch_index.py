"""One scale's clean patch dataset and its nearest-neighbour index, for the closed-form denoiser.

The dataset at scale s and step t is every p x p patch of the blur-mixed clean image
gamma_t * blurry^s + (1 - gamma_t) * sharp^s. Mixing is linear, so the sharp and blurry levels are
kept apart and mixed on demand for any gamma, and so are their reduced coordinates.

The index is exact k-nearest-neighbour search in a PCA-reduced patch space: patches are
projected on the top eigenvectors of their (uncentred) second-moment matrix, so squared
distances ||y - sqrt(abar_t) p||^2 keep the directions where patches differ most. Dropping the
other directions also drops most of the noise in a noisy query, which ranks candidates better at
large t than the full distance would. The reduced search only picks candidates; the posterior
weights are always computed from full patch distances (see patch_posterior.py).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from ...core.errors import TrainingDataError

DEFAULT_REDUCED_DIM = 16
DEFAULT_MAX_INDEXED = 65_536  # beyond this, a seeded random subset is searched (windows still reach all)


def patch_grid(height: int, width: int, patch_size: int) -> tuple[int, int]:
    """(rows, cols) of patch positions (top-left corners) in a height x width image."""
    return height - patch_size + 1, width - patch_size + 1


def extract_patches(image: torch.Tensor, patch_size: int) -> torch.Tensor:
    """All patches of [C, H, W] as rows [N, C*p*p] (channel, row, column order; row-major positions)."""
    return F.unfold(image.unsqueeze(0), patch_size)[0].T


def gather_patches(image: torch.Tensor, rows: torch.Tensor, cols: torch.Tensor, patch_size: int) -> torch.Tensor:
    """Patches of [C, H, W] at top-left corners (rows, cols) [A] as [A, C*p*p], ordered as extract_patches."""
    channels, _, width = image.shape
    offsets = torch.arange(patch_size, device=image.device)
    flat = (rows[:, None, None] + offsets[None, :, None]) * width + (cols[:, None, None] + offsets[None, None, :])
    values = image.reshape(channels, -1)[:, flat.reshape(-1)].reshape(channels, rows.shape[0], -1)
    return values.permute(1, 0, 2).reshape(rows.shape[0], -1)


def valid_patches(weight: torch.Tensor | None, patch_size: int) -> torch.Tensor | None:
    """[H-p+1, W-p+1] bool: patches whose pixels are all valid (None when every pixel is)."""
    if weight is None:
        return None
    pixel_ok = (weight.reshape(1, 1, *weight.shape[-2:]) > 0.5).float()
    all_ok = -F.max_pool2d(-pixel_ok, patch_size, stride=1)  # min-pool: one bad pixel spoils the patch
    return all_ok[0, 0] > 0.5


@dataclass
class ScalePatches:
    """Sharp level, blurry version (None at scale 0), usable patches and the reduced index of one scale."""

    sharp: torch.Tensor  # [C, H, W]
    blurry: torch.Tensor | None  # [C, H, W]
    patch_size: int
    patch_valid: torch.Tensor | None  # [H-p+1, W-p+1] bool, None = all usable
    basis: torch.Tensor  # [C*p*p, r]: reduced coordinates are patches @ basis
    indexed: torch.Tensor  # [M] long: searched patch positions, row * (W-p+1) + col
    reduced_sharp: torch.Tensor  # [M, r]
    reduced_blurry: torch.Tensor | None  # [M, r]

    @property
    def grid(self) -> tuple[int, int]:
        return patch_grid(self.sharp.shape[-2], self.sharp.shape[-1], self.patch_size)

    @property
    def pixel_valid(self) -> torch.Tensor:
        """[H, W] bool: the pixels inside at least one usable patch (a usable patch's pixels are all valid)."""
        if self.patch_valid is None:
            return torch.ones(self.sharp.shape[-2:], dtype=torch.bool)
        pad = self.patch_size - 1
        padded = F.pad(self.patch_valid.float()[None, None], (pad, pad, pad, pad))
        grown = F.max_pool2d(padded, self.patch_size, stride=1)
        return grown[0, 0] > 0.5

    @property
    def num_patches(self) -> int:
        """Usable patches in the dataset (all of them, not only the indexed ones)."""
        rows, cols = self.grid
        return rows * cols if self.patch_valid is None else int(self.patch_valid.sum())

    def mixed(self, gamma: float) -> torch.Tensor:
        """The clean image of the forward process at this gamma: gamma * blurry + (1 - gamma) * sharp."""
        if self.blurry is None or gamma <= 0.0:
            return self.sharp
        return gamma * self.blurry + (1.0 - gamma) * self.sharp

    def reduced(self, gamma: float) -> torch.Tensor:
        if self.reduced_blurry is None or gamma <= 0.0:
            return self.reduced_sharp
        return gamma * self.reduced_blurry + (1.0 - gamma) * self.reduced_sharp

    def search(self, queries: torch.Tensor, sqrt_abar: float, gamma: float, k: int, chunk_size: int) -> torch.Tensor:
        """Positions [A, k'] of the k' = min(k, M) indexed patches p nearest to each noisy query y [A, D]
        by ||y - sqrt_abar * p|| in the reduced space (exact search, processed chunk_size queries at a time)."""
        data = self.reduced(gamma)
        # ||y||^2 is the same for every candidate, so ranking by 2 s <y, p> - s^2 ||p||^2 is enough
        bias = -(sqrt_abar**2) * (data * data).sum(dim=1)
        k = min(int(k), data.shape[0])
        found = []
        projected = queries @ self.basis
        for start in range(0, projected.shape[0], chunk_size):
            scores = torch.addmm(bias, projected[start : start + chunk_size], data.T, alpha=2.0 * sqrt_abar)
            found.append(scores.topk(k, dim=1).indices)
        nearest = torch.cat(found) if found else torch.empty(0, k, dtype=torch.long, device=queries.device)
        return self.indexed[nearest]

    def to(self, device: torch.device | str) -> "ScalePatches":
        def move(value: torch.Tensor | None) -> torch.Tensor | None:
            return None if value is None else value.to(device)

        return ScalePatches(
            move(self.sharp), move(self.blurry), self.patch_size, move(self.patch_valid), move(self.basis),
            move(self.indexed), move(self.reduced_sharp), move(self.reduced_blurry),
        )


def build_scale_patches(
    sharp: torch.Tensor,
    blurry: torch.Tensor | None,
    patch_size: int,
    *,
    weight: torch.Tensor | None = None,
    reduced_dim: int = DEFAULT_REDUCED_DIM,
    max_indexed: int | None = DEFAULT_MAX_INDEXED,
    generator: torch.Generator | None = None,
) -> ScalePatches:
    """Index one scale. `weight` [H, W] (1 = valid) drops patches that touch invalid pixels;
    `generator` seeds the subset searched when there are more than `max_indexed` patches."""
    sharp = sharp.float()
    blurry = None if blurry is None else blurry.float()
    height, width = sharp.shape[-2:]
    if patch_size < 1 or height < patch_size or width < patch_size:
        raise TrainingDataError(f"a {height}x{width} px level of the training area is smaller than the "
                                f"{patch_size}x{patch_size} px patches the training-free model copies")
    patch_valid = valid_patches(weight, patch_size)
    rows, cols = patch_grid(height, width, patch_size)
    usable = torch.arange(rows * cols, device=sharp.device)
    if patch_valid is not None:
        usable = usable[patch_valid.reshape(-1)]
        if usable.numel() == 0:
            # the user's nodata (or the ROIs left out of what the model learns) leave nothing to copy at this scale
            raise TrainingDataError(f"at the {height}x{width} px level of the training area's pyramid, no "
                                    f"{patch_size}x{patch_size} px patch is free of nodata (or of the ROIs it must not learn)")
    if max_indexed is not None and usable.numel() > max_indexed:
        pick = torch.randperm(usable.numel(), generator=generator)[:max_indexed].to(usable.device)
        usable = usable[pick.sort().values]
    indexed_rows, indexed_cols = usable // cols, usable % cols
    patches_sharp = gather_patches(sharp, indexed_rows, indexed_cols, patch_size)
    patches_blurry = None if blurry is None else gather_patches(blurry, indexed_rows, indexed_cols, patch_size)
    basis = _principal_directions(patches_sharp, patches_blurry, reduced_dim)
    return ScalePatches(
        sharp=sharp,
        blurry=blurry,
        patch_size=patch_size,
        patch_valid=patch_valid,
        basis=basis,
        indexed=usable,
        reduced_sharp=patches_sharp @ basis,
        reduced_blurry=None if patches_blurry is None else patches_blurry @ basis,
    )


def _principal_directions(sharp: torch.Tensor, blurry: torch.Tensor | None, reduced_dim: int) -> torch.Tensor:
    """Top eigenvectors of the patches' second moment (sharp and blurry together: every mix lies between)."""
    moment = sharp.double().T @ sharp.double()
    if blurry is not None:
        moment += blurry.double().T @ blurry.double()
    # numpy's LAPACK call: torch.linalg.eigh takes ~1 s on some of these 147x147 matrices on CPU
    _, vectors = np.linalg.eigh(moment.cpu().numpy())  # ascending eigenvalues
    keep = max(1, min(int(reduced_dim), moment.shape[0]))
    top = np.ascontiguousarray(vectors[:, ::-1][:, :keep])
    return torch.from_numpy(top).to(device=sharp.device, dtype=sharp.dtype)
