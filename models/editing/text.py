"""Text: steer the ROIs towards a prompt, ensembled with its paraphrases, with CLIP or RemoteCLIP
gradients on x̂0 (seed 000, eq. 9-13). ROIs may carry prompts of their own."""
from __future__ import annotations

from typing import Any, Mapping, Optional, Sequence

import torch

from .editor import EditTile
from .sampling_editor import SamplingEditor
from .tile_edit import chain_x0_hooks


class TextEditor(SamplingEditor):
    """`prompts` maps each ROI id to its prompt. CLIP (`clip`, or loaded from `clip_model` and
    `clip_weights`) and every prompt's ensemble embedding are prepared once, here."""

    default_start_scale = 1  # keep the source's coarse layout; CLIP changes content and texture

    def __init__(self, scene_model: Any, prompts: Mapping[Any, str], *, clip: Any = None,
                 clip_model: str = "ViT-B-32", clip_weights: Optional[str] = None,
                 paraphrases: Sequence[str] = (), paraphrase_command: Optional[Sequence[str]] = None,
                 guidance_strength: float = 0.5, guidance_views: int = 8, weight_map: str = "roi",
                 rgb_bands: Optional[Sequence[int]] = None, device: str = "auto",
                 ensembles: Optional[Mapping[str, Any]] = None, **sampling: Any) -> None:
        """`ensembles`: each prompt's PromptEnsemble, embedded elsewhere (a Dask worker gets the
        caller's, core/dask_units.py); otherwise they are made here with `clip`."""
        super().__init__(scene_model, device=device, **sampling)
        self.clip = clip if clip is not None else load_guidance_clip(clip_model, clip_weights, device)
        self.strength, self.views, self.weight_map_kind = guidance_strength, guidance_views, weight_map
        self.rgb_bands = list(rgb_bands) if rgb_bands is not None else None
        by_prompt: dict[str, list[Any]] = {}
        for roi_id, prompt in prompts.items():
            by_prompt.setdefault(prompt.strip(), []).append(roi_id)
        if ensembles is None:
            ensembles = prompt_ensembles(self.clip, by_prompt, paraphrases, paraphrase_command)
        self.groups: list[tuple[Any, list[Any]]] = []  # (prompt ensemble, its ROI ids)
        for prompt, roi_ids in by_prompt.items():
            ensemble = ensembles[prompt]
            self.prompts_used[prompt] = list(ensemble.prompts)
            self.groups.append((ensemble, roi_ids))
        self.description["clip"] = getattr(self.clip, "architecture", clip_model)

    def _group_weights(self, tile: EditTile) -> list:
        """(prompt ensemble, its ROIs' weight in this tile) for the prompts whose ROIs reach the tile."""
        weights = [(ensemble, torch.from_numpy(tile.group_weight(ids))) for ensemble, ids in self.groups]
        return [(ensemble, weight) for ensemble, weight in weights if float(weight.max()) > 0]

    def x0_hook(self, tile: EditTile, source: torch.Tensor):
        from ..clip.clip_guidance import ClipTextGuidance

        if self.strength == 0:
            return None  # the same edit without CLIP's steering: the baseline a guided edit is judged against
        return chain_x0_hooks([
            ClipTextGuidance(self.clip, ensemble.embedding, strength=self.strength, n_views=self.views,
                             roi_mask=weight > 0, rgb_bands=self.rgb_bands, seed=tile.seed,
                             start_scale=max(self.schedule.start_scale, 1))
            for ensemble, weight in self._group_weights(tile)])

    def weight_map(self, tile: EditTile, source: torch.Tensor) -> Optional[torch.Tensor]:
        """NGDM's map A from CLIP (where the tile disagrees with its ROIs' prompts), or None."""
        from ..clip.clip_weight_map import clip_weight_map

        if self.weight_map_kind != "clip":
            return None
        combined = torch.zeros(source.shape[-2:])
        valid = torch.from_numpy(tile.valid)
        for ensemble, weight in self._group_weights(tile):
            combined = torch.maximum(combined, clip_weight_map(
                self.clip, ensemble.embedding, source, weight * valid, rgb_bands=self.rgb_bands, seed=tile.seed))
        return combined


def prompt_ensembles(clip: Any, prompts: Sequence[str], paraphrases: Sequence[str] = (),
                     paraphrase_command: Optional[Sequence[str]] = None) -> dict[str, Any]:
    """Each prompt's ensemble (it and its paraphrases) embedded with `clip`, in the prompts' order."""
    from ..clip.prompts import embed_prompts, ensemble_prompts

    return {prompt: embed_prompts(clip, ensemble_prompts(
        prompt, paraphrases=list(paraphrases) or None,
        command=list(paraphrase_command) if paraphrase_command else None)) for prompt in prompts}


def load_guidance_clip(architecture: str, weights: Optional[str], device: str = "auto") -> Any:
    """The CLIP model that guides text edits, on the edit's device: guidance runs CLIP forward and
    backward over several views at every guided step (see docs/benchmarks.md, "CLIP device")."""
    from ..clip.clip_model import GuidanceClip
    from ..device import select_device

    return GuidanceClip.load(architecture, weights, device=select_device(device))
