"""The training image at every scale: sharp levels, their blurry versions and validity weights,
and the batches Algorithm 1 draws from them (whole-image copies or random crops)."""
from __future__ import annotations

import torch

from ..diffusion.pyramid import PyramidPlan, blur_level, blurry_versions, build_pyramid
from ..diffusion.resample import area_resize

_VALID_THRESHOLD = 0.999  # a pixel is valid at a coarser level only if everything under it was


class TrainingPyramid:
    def __init__(self, image: torch.Tensor, plan: PyramidPlan, valid: torch.Tensor | None = None) -> None:
        """`image` [C, H, W] in model units (invalid pixels already filled); `valid` [H, W] bool."""
        self.plan = plan
        self.levels = [level.clamp(-1.0, 1.0) for level in build_pyramid(image.float(), plan.sizes)]
        self.blurry = blurry_versions(self.levels)
        self.weights: list[torch.Tensor | None] = [None] * plan.num_scales
        if valid is not None and not bool(valid.all()):
            mask = valid.float()[None, None]
            self.weights = [(area_resize(mask, size)[0] > _VALID_THRESHOLD).float() for size in plan.sizes]
        self.blur_levels = [0.0] + [
            blur_level(self.levels[s], self.blurry[s], None if self.weights[s] is None else self.weights[s][0])
            for s in range(1, plan.num_scales)
        ]

    @property
    def channels(self) -> int:
        return int(self.levels[0].shape[0])

    def to(self, device: torch.device) -> "TrainingPyramid":
        self.levels = [level.to(device) for level in self.levels]
        self.blurry = [None if b is None else b.to(device) for b in self.blurry]
        self.weights = [None if w is None else w.to(device) for w in self.weights]
        return self

    def batch(
        self, scale: int, batch_size: int, crop_size: int | None, generator: torch.Generator
    ) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor | None]:
        """(sharp, blurry or None, weight or None), each [B, ., h, w], at `scale`."""
        sharp, blurry, weight = self.levels[scale], self.blurry[scale], self.weights[scale]
        height, width = sharp.shape[-2:]
        if crop_size is None or (crop_size >= height and crop_size >= width):
            return (
                sharp.expand(batch_size, -1, -1, -1),
                None if blurry is None else blurry.expand(batch_size, -1, -1, -1),
                None if weight is None else weight.expand(batch_size, -1, -1, -1),
            )
        crop_h, crop_w = min(crop_size, height), min(crop_size, width)
        tops = torch.randint(0, height - crop_h + 1, (batch_size,), generator=generator).tolist()
        lefts = torch.randint(0, width - crop_w + 1, (batch_size,), generator=generator).tolist()

        def crops(source: torch.Tensor | None) -> torch.Tensor | None:
            if source is None:
                return None
            return torch.stack([source[:, y : y + crop_h, x : x + crop_w] for y, x in zip(tops, lefts)])

        return crops(sharp), crops(blurry), crops(weight)
