"""Text: steer the ROIs towards a prompt, ensembled with its paraphrases, with CLIP or RemoteCLIP
gradients on x̂0 (seed 000, eq. 9-13). ROIs may carry prompts of their own.

With ``view_focus="roi"`` (the default) every ROI reaching a tile is guided on its own: its own
ClipTextGuidance, whose views are cut from that ROI's box plus context (models/clip/roi_views.py)
and whose gradient mask stays inside that ROI. ROIs that share a prompt share its embedding but not
their views. ``view_focus="tile"`` is the earlier guidance: one per prompt, views of the whole tile,
kept to compare against.

With ``texture_from_scene`` (the default) and the training-free model, the finest scale of each ROI
is quilted from the scene's real pixels, guided by the layout the guided coarser scales made
(models/patch/scene_texture.py): real texture of what in the scene looks like the edit, where CLIP's
own finest-scale gradients paint an unreal mottle."""
from __future__ import annotations

from typing import Any, Mapping, Optional, Sequence

import numpy as np
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
                 rgb_bands: Optional[Sequence[int]] = None, view_focus: str = "roi", device: str = "auto",
                 prompt_ensembling: bool = True, ensembles: Optional[Mapping[str, Any]] = None,
                 texture_from_scene: bool = True, **sampling: Any) -> None:
        """`ensembles`: each prompt's PromptEnsemble, embedded elsewhere (a Dask worker gets the
        caller's, core/dask_units.py); otherwise they are made here with `clip`."""
        from ...core.errors import ModelError
        from ..clip.roi_views import VIEW_FOCI

        if view_focus not in VIEW_FOCI:
            raise ModelError(f"Unknown CLIP view focus {view_focus!r}: choose one of {', '.join(VIEW_FOCI)}.")
        self.view_focus = view_focus
        super().__init__(scene_model, device=device, **sampling)
        self.clip = clip if clip is not None else load_guidance_clip(clip_model, clip_weights, device)
        self.strength, self.views, self.weight_map_kind = guidance_strength, guidance_views, weight_map
        self.texture_from_scene = bool(texture_from_scene)
        self.rgb_bands = list(rgb_bands) if rgb_bands is not None else None
        by_prompt: dict[str, list[Any]] = {}
        for roi_id, prompt in prompts.items():
            by_prompt.setdefault(prompt.strip(), []).append(roi_id)
        # each ROI's place in the ROI list: its views' seed, the same in every tile it reaches
        self.roi_order = {roi_id: index for index, roi_id in enumerate(prompts)}
        if ensembles is None:
            ensembles = prompt_ensembles(self.clip, by_prompt, paraphrases, paraphrase_command, prompt_ensembling)
        self.groups: list[tuple[Any, list[Any]]] = []  # (prompt ensemble, its ROI ids)
        for prompt, roi_ids in by_prompt.items():
            ensemble = ensembles[prompt]
            self.prompts_used[prompt] = list(ensemble.prompts)
            self.groups.append((ensemble, roi_ids))
        self.description["clip"] = getattr(self.clip, "architecture", clip_model)

    def _group_weights(self, tile: EditTile) -> list:
        """(prompt ensemble, weight in this tile, view seed) of each guided unit that reaches the
        tile: each ROI with view_focus "roi", each prompt's group of ROIs with "tile" (all of them
        seeded with the variant's seed, as before)."""
        if self.view_focus == "roi":
            reaching = set(tile.roi_ids)
            units = [(ensemble, [roi_id], roi_view_seed(tile.seed, self.roi_order[roi_id]))
                     for ensemble, ids in self.groups for roi_id in ids if roi_id in reaching]
        else:
            units = [(ensemble, ids, tile.seed) for ensemble, ids in self.groups]
        weights = [(ensemble, torch.from_numpy(tile.group_weight(ids)), seed) for ensemble, ids, seed in units]
        return [(ensemble, weight, seed) for ensemble, weight, seed in weights if float(weight.max()) > 0]

    def guidances(self, tile: EditTile) -> list:
        """The tile's ClipTextGuidance hooks, applied in turn: one per ROI ("roi" views), or one per
        prompt ("tile" views)."""
        from ..clip.clip_guidance import ClipTextGuidance

        return [ClipTextGuidance(self.clip, ensemble.embedding, strength=self.strength, n_views=self.views,
                                 roi_mask=weight > 0, rgb_bands=self.rgb_bands, seed=seed,
                                 start_scale=max(self.schedule.start_scale, 1), view_focus=self.view_focus,
                                 prompts=ensemble.prompts)
                for ensemble, weight, seed in self._group_weights(tile)]

    def x0_hook(self, tile: EditTile, source: torch.Tensor):
        # strength 0: the same edit without CLIP's steering, the baseline a guided edit is judged against
        guidances = self.guidances(tile) if self.strength != 0 else []
        guidance = chain_x0_hooks(guidances)
        texture = None
        if self.texture_from_scene:
            from ..patch.scene_texture import GuidedRoi, scene_texture

            # each ROI's guidance decides, on views of the ROI's own pixels, whether it takes the whole quilt,
            # and the ROI copies from the scene's windows typical of its prompt
            guided = [GuidedRoi(guide.roi_mask > 0, guide.roi_similarity, guide.window_similarity)
                      for guide in guidances if guide.roi_mask is not None]
            texture = scene_texture(self.sampler.denoiser, source, torch.from_numpy(tile.roi_weight > 0),
                                    seed=tile.tile_seed, guided=guided)
        return chain_x0_hooks([guidance, texture])  # the texture last: it follows the guided result

    def weight_map(self, tile: EditTile, source: torch.Tensor) -> Optional[torch.Tensor]:
        """NGDM's map A from CLIP (where the tile disagrees with its ROIs' prompts), or None."""
        from ..clip.clip_weight_map import clip_weight_map

        if self.weight_map_kind != "clip":
            return None
        combined = torch.zeros(source.shape[-2:])
        valid = torch.from_numpy(tile.valid)
        for ensemble, weight, seed in self._group_weights(tile):
            combined = torch.maximum(combined, clip_weight_map(
                self.clip, ensemble.embedding, source, weight * valid, rgb_bands=self.rgb_bands, seed=seed,
                view_focus=self.view_focus))
        return combined


def roi_view_seed(seed: int, roi_index: int) -> int:
    """The view seed of the ROI at `roi_index` in the ROI list, for the variant's `seed`: one stream
    per ROI, so two ROIs in a tile do not draw the same crops."""
    state = np.random.SeedSequence([int(seed) % 2**63, int(roi_index)]).generate_state(1, np.uint64)[0]
    return int(state % np.uint64(2**63))


def prompt_ensembles(clip: Any, prompts: Sequence[str], paraphrases: Sequence[str] = (),
                     paraphrase_command: Optional[Sequence[str]] = None, ensembling: bool = True) -> dict[str, Any]:
    """Each prompt's ensemble (it and its paraphrases) embedded with `clip`, in the prompts' order;
    without `ensembling` the prompt alone (the paper's "w/o PE" baseline)."""
    from ..clip.prompts import embed_prompts, ensemble_prompts

    return {prompt: embed_prompts(clip, ensemble_prompts(
        prompt, paraphrases=list(paraphrases) or None,
        command=list(paraphrase_command) if paraphrase_command else None) if ensembling else (prompt,))
        for prompt in prompts}


def load_guidance_clip(architecture: str, weights: Optional[str], device: str = "auto") -> Any:
    """The CLIP model that guides text edits, on the edit's device: guidance runs CLIP forward and
    backward over several views at every guided step (see docs/benchmarks.md, "CLIP device")."""
    from ..clip.clip_model import GuidanceClip
    from ..device import select_device

    return GuidanceClip.load(architecture, weights, device=select_device(device))
