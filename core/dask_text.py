"""Text edits on a Dask cluster: what the caller prepares once, and how a worker builds the editor.

The caller loads the CLIP, runs the paraphrase sources (the user's list, the optional external
command, the built-in generator) and embeds every prompt's ensemble once, as a local run does; the
ensembles travel as vectors, so workers never run the command, tokenise or embed text, and every
worker guides with the same vectors. The CLIP goes to each worker once (models/clip/clip_transport.py:
its open_clip config and its weights as safetensors bytes, or the path of its weights file when
every worker reads that file as the caller sees it) and is rebuilt there, never unpickled.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np

from .dask_session import ScatteredPayload
from .editors import rgb_bands, roi_prompts, text_editor
from .group_editors import GroupEditors
from .roi_groups import RoiGroup
from .scene import Scene
from .settings import TextSettings

KEEP_CLIPS = 1  # CLIPs kept per worker process (one edit's at a time)
_CLIPS: OrderedDict[str, Any] = OrderedDict()
_LOCK = threading.Lock()


class DaskText:
    """The caller's side: the CLIP's payload scattered to every worker, each ROI's prompt, each
    prompt's ensemble. Built once per edit (its variants share it)."""

    def __init__(self, session: Any, scene: Scene, groups: GroupEditors, settings: TextSettings) -> None:
        from ..models.clip.clip_transport import clip_payload
        from ..models.editing.text import load_guidance_clip, prompt_ensembles

        self.groups = groups
        clip = load_guidance_clip(settings.clip_model, settings.clip_weights, settings.device)
        self.prompts = roi_prompts(list(groups.rois.values()), settings)
        # stripped as TextEditor groups them
        self.ensembles = prompt_ensembles(clip, list(dict.fromkeys(p.strip() for p in self.prompts.values())),
                                          settings.paraphrases, settings.paraphrase_command, settings.prompt_ensembling)
        self.rgb = rgb_bands(scene)
        weights = settings.clip_weights
        shared = str(Path(weights).expanduser().resolve()) if weights else None
        readable = {str(Path(name).resolve()) for name in session.reads_files}
        payload = clip_payload(clip, shared if shared in readable else None)
        self.bytes = len(payload["weights"] or b"") + len(payload["config"])
        self.counted = False  # whether a variant's byte count holds the CLIP already
        self.clip = ScatteredPayload(session.client, payload)

    def group_part(self, group: RoiGroup) -> dict:
        """What a group's editor needs of the text: its ROIs' prompts (in the group's order, as a
        local run lists them) and their ensembles; the prompts used are recorded for the tags."""
        prompts = [(roi_id, self.prompts[roi_id]) for roi_id in group.roi_ids]
        ensembles = {}
        for _, prompt in prompts:
            ensemble = self.ensembles[prompt]
            ensembles[prompt] = (list(ensemble.prompts), ensemble.embedding.detach().cpu().numpy())
            self.groups.prompts_used.setdefault(prompt, list(ensemble.prompts))
        return {"prompts": prompts, "ensembles": ensembles, "rgb": self.rgb}


def worker_text_editor(run: dict, settings: TextSettings, model: Any, text: dict, clip_payload: dict) -> Any:
    """A group's text editor on a worker, from the caller's prompts, ensembles and CLIP."""
    import torch

    from ..models.clip.prompts import PromptEnsemble

    ensembles = {prompt: PromptEnsemble(tuple(prompts), torch.from_numpy(np.array(embedding)))
                 for prompt, (prompts, embedding) in text["ensembles"].items()}
    return text_editor(settings, model, dict(text["prompts"]), text["rgb"],
                       clip=_worker_clip(run["token"], clip_payload, settings.device), ensembles=ensembles)


def _worker_clip(token: str, payload: dict, device: str) -> Any:
    """The edit's CLIP, built on this worker when its first group needs it."""
    with _LOCK:
        clip = _CLIPS.get(token)
        if clip is None:
            from ..models.clip.clip_transport import clip_from_payload
            from ..models.device import select_device

            clip = _CLIPS[token] = clip_from_payload(payload, select_device(device))
            while len(_CLIPS) > KEEP_CLIPS:
                _CLIPS.popitem(last=False)
        return clip


def text_settings_for_workers(fields: dict) -> dict:
    """The settings fields a worker builds its TextSettings from: no paraphrase command (the caller
    ran it), the weights file only as a name (the worker gets the CLIP from the caller)."""
    return {**fields, "paraphrase_command": None}
