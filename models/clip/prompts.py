"""Prompt ensembling (RSEdit paper, III-C): guide with the average of several paraphrases' text
embeddings instead of one, so one unlucky wording (CLIP links "fire" with grass) weighs less.

Paraphrases come from, in this order: the user's own list; an optional external command (an LLM
CLI, off by default); and an offline generator built from remote-sensing templates and synonym
sets. The generator is deterministic: the same prompt always gives the same list in the same order.
Torch is imported only by the embedding functions, so the paraphrases can be previewed without it.
"""
from __future__ import annotations

import logging
import re
import shlex
import subprocess
from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

from ...core.errors import ModelError

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    import torch

    from .clip_model import GuidanceClip

DEFAULT_MAX_PROMPTS = 8
DEFAULT_COMMAND_TIMEOUT_S = 60.0

# Templates for a noun phrase ("a burning forest") and for a sentence ("the river is flooding").
NOUN_TEMPLATES = (
    "a satellite image of {}",
    "an aerial photograph of {}",
    "a remote sensing image of {}",
    "an overhead view of {}",
    "a high-resolution satellite photo of {}",
)
SENTENCE_TEMPLATES = (
    "{}, seen in a satellite image",
    "{}, in an aerial photograph",
    "{}, in a remote sensing image",
    "{}, seen from above",
    "{}, in a high-resolution satellite photo",
)
_VERB_WORDS = frozenset("is are was were be been being has have had".split())

# Interchangeable phrases; the longest phrase found in the prompt is replaced by the others.
SYNONYM_GROUPS: tuple[tuple[str, ...], ...] = (
    ("wildfire", "forest fire", "bushfire"),
    ("fire", "blaze", "flames"),
    ("on fire", "burning", "ablaze"),
    ("burnt area", "burn scar", "burned land"),
    ("smoke", "smoke plume", "billowing smoke"),
    ("flood", "inundation", "high water"),
    ("flooding", "overflowing", "bursting its banks"),
    ("flooded", "inundated", "submerged", "under water"),
    ("damaged building", "destroyed building", "collapsed building", "building in ruins"),
    ("damaged buildings", "destroyed buildings", "collapsed buildings", "buildings in ruins"),
    ("damaged", "destroyed", "collapsed", "ruined"),
    ("rubble", "debris", "ruins"),
    ("clouds", "cloud cover", "thick clouds"),
    ("cloudy", "overcast", "cloud-covered"),
    ("oil tanks", "oil storage tanks", "storage tanks", "fuel tanks"),
    ("oil tank", "oil storage tank", "storage tank", "fuel tank"),
    ("solar panels", "photovoltaic panels", "pv panels", "solar arrays"),
    ("solar farm", "photovoltaic power station", "solar power plant"),
    ("wind turbines", "wind farm", "windmills"),
    ("wind turbine", "windmill", "wind generator"),
    ("forest", "woodland", "dense trees"),
    ("river", "stream", "waterway"),
    ("lake", "pond", "reservoir"),
    ("farmland", "cropland", "agricultural fields", "farm fields"),
    ("grassland", "meadow", "pasture"),
    ("ships", "boats", "vessels"),
    ("ship", "boat", "vessel"),
    ("harbor", "harbour", "port"),
    ("buildings", "houses"),
    ("building", "house"),
    ("road", "street", "highway"),
    ("bridge", "overpass"),
    ("cars", "vehicles"),
    ("airport", "airfield"),
    ("snow", "snow cover", "snowfield"),
    ("desert", "sand dunes", "arid land"),
    ("landslide", "mudslide", "debris flow"),
    ("drought", "dry land", "parched ground"),
)


@dataclass(frozen=True)
class PromptEnsemble:
    """The prompts that were embedded (the user's prompt first) and their ensembled embedding."""

    prompts: tuple[str, ...]
    embedding: torch.Tensor  # [D], unit norm


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _require_prompt(prompt: str) -> str:
    cleaned = _clean(prompt or "")
    if not cleaned:
        raise ModelError(
            "The text prompt is empty. Describe the edit in a few words, e.g. 'a forest on fire' "
            "or 'a flooded river'."
        )
    return cleaned


def _phrase_pattern(phrase: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w-]){re.escape(phrase)}(?![\w-])", re.IGNORECASE)


def synonym_variants(prompt: str) -> list[str]:
    """The prompt with one term at a time replaced by each of its synonyms, in group order.
    Longer phrases win over phrases inside them ("on fire" over "fire")."""
    found = []  # (start, end, group index)
    for gi, group in enumerate(SYNONYM_GROUPS):
        for phrase in group:
            found += [(m.start(), m.end(), gi) for m in _phrase_pattern(phrase).finditer(prompt)]
    chosen: list[tuple[int, int, int]] = []
    for start, end, gi in sorted(found, key=lambda f: (f[0] - f[1], f[0], f[2])):
        if all(end <= s or start >= e for s, e, _ in chosen):
            chosen.append((start, end, gi))
    variants = []
    for start, end, gi in sorted(chosen, key=lambda c: (c[2], c[0])):
        term = prompt[start:end]
        for other in SYNONYM_GROUPS[gi]:
            if other.lower() == term.lower():
                continue
            if term[:1].isupper() and not other[:2].isupper():
                other = other[:1].upper() + other[1:]
            variants.append(prompt[:start] + other + prompt[end:])
    return variants


def _templates_for(subject: str) -> tuple[str, ...]:
    words = set(re.findall(r"[a-z']+", subject.lower()))
    return SENTENCE_TEMPLATES if words & _VERB_WORDS else NOUN_TEMPLATES


def _lower_first(text: str) -> str:
    # keep acronyms ("PV panels") as they are
    return text if text[:2].isupper() else text[:1].lower() + text[1:]


def builtin_paraphrases(prompt: str, max_count: int = DEFAULT_MAX_PROMPTS) -> list[str]:
    """Offline paraphrases of ``prompt`` (itself first), at most ``max_count``, deterministic.

    Template views of the prompt alternate with synonym rewrites, each rewrite also framed by a
    template in turn, so a short list already mixes both kinds of variation.
    """
    prompt = _require_prompt(prompt)
    if max_count < 1:
        raise ValueError("max_count must be at least 1")
    subjects = [prompt] + synonym_variants(prompt)
    templated = []
    for i, subject in enumerate(subjects):
        templates = _templates_for(subject)
        templated.append(templates[i % len(templates)].format(_lower_first(subject)))
    # the remaining templates of the original prompt, after one templated form of each subject
    own_templates = _templates_for(prompt)
    templated += [t.format(_lower_first(prompt)) for t in own_templates[1:]]

    candidates = [prompt]
    synonyms = subjects[1:]
    for k in range(max(len(synonyms), len(templated))):
        if k < len(templated):
            candidates.append(templated[k])
        if k < len(synonyms):
            candidates.append(synonyms[k])
    return _unique(candidates)[:max_count]


def command_paraphrases(
    prompt: str,
    command: Sequence[str],
    *,
    timeout_s: float = DEFAULT_COMMAND_TIMEOUT_S,
    max_count: int = DEFAULT_MAX_PROMPTS,
) -> list[str]:
    """Paraphrases from an external program (e.g. an LLM command-line client), given as an argv
    list (no shell): it reads the prompt on stdin and prints one paraphrase per line. List
    markers ("1.", "-", "*") and surrounding quotes are removed."""
    prompt = _require_prompt(prompt)
    argv = [str(a) for a in command]
    if not argv or not argv[0].strip():
        raise ModelError("The paraphrase command is empty: give the program and its arguments, or turn it off.")
    # whoever enabled commands (core/settings.py: paraphrase_command_allowed) sees exactly what runs
    log.warning("Running the external paraphrase command: %s", shlex.join(argv))
    try:
        done = subprocess.run(
            argv, input=prompt, capture_output=True, text=True, timeout=timeout_s, check=False
        )
    except FileNotFoundError as exc:
        raise ModelError(
            f"The paraphrase command '{argv[0]}' was not found. Give its full path, or turn the "
            f"command off (the built-in paraphrases need none)."
        ) from exc
    except PermissionError as exc:
        raise ModelError(f"The paraphrase command '{argv[0]}' cannot be run (permission denied).") from exc
    except subprocess.TimeoutExpired as exc:
        raise ModelError(
            f"The paraphrase command '{argv[0]}' gave no answer within {timeout_s:g} s. Raise the "
            f"timeout, check the command by hand, or turn it off."
        ) from exc
    if done.returncode != 0:
        tail = _clean(done.stderr or "")[-300:] or "no error output"
        raise ModelError(f"The paraphrase command '{argv[0]}' failed (exit status {done.returncode}): {tail}")
    lines = [_strip_list_marker(line) for line in (done.stdout or "").splitlines()]
    lines = _unique([line for line in lines if line])
    if not lines:
        raise ModelError(
            f"The paraphrase command '{argv[0]}' printed no paraphrases. It must print one "
            f"paraphrase per line on standard output."
        )
    return lines[:max_count]


def _strip_list_marker(line: str) -> str:
    line = re.sub(r"^\s*(?:[-*\u2022]|\d+[.)]|\(\d+\))\s*", "", line)
    return _clean(line.strip().strip("\"'\u201c\u201d"))


def _unique(prompts: Sequence[str]) -> list[str]:
    seen, out = set(), []
    for p in prompts:
        key = _clean(p).lower()
        if key and key not in seen:
            seen.add(key)
            out.append(_clean(p))
    return out


def ensemble_prompts(
    prompt: str,
    *,
    paraphrases: Sequence[str] | None = None,
    command: Sequence[str] | None = None,
    builtin: bool | None = None,
    max_prompts: int = DEFAULT_MAX_PROMPTS,
    timeout_s: float = DEFAULT_COMMAND_TIMEOUT_S,
) -> tuple[str, ...]:
    """The prompts to ensemble: ``prompt`` first, then the user's ``paraphrases``, then those of
    ``command`` (when given), then built-in ones. ``builtin=None`` uses the built-in generator
    only when the other sources gave nothing; duplicates are dropped and the list is capped."""
    prompt = _require_prompt(prompt)
    if max_prompts < 1:
        raise ModelError("The number of prompts to ensemble must be at least 1.")
    collected = [prompt] + [p for p in (paraphrases or ()) if _clean(p)]
    if command:
        collected += command_paraphrases(prompt, command, timeout_s=timeout_s, max_count=max_prompts)
    if builtin or (builtin is None and len(_unique(collected)) == 1):
        collected += builtin_paraphrases(prompt, max_count=max_prompts)
    return tuple(_unique(collected)[:max_prompts])


def average_text_embeddings(embeddings: torch.Tensor) -> torch.Tensor:
    """Ensemble [P, D] embeddings into one unit vector [D]: normalise each, average, renormalise
    (so a paraphrase with a larger raw norm does not dominate)."""
    import torch.nn.functional as F

    if embeddings.ndim != 2 or embeddings.shape[0] == 0:
        raise ValueError(f"expected embeddings shaped [P, D] with P >= 1, got {tuple(embeddings.shape)}")
    return F.normalize(F.normalize(embeddings, dim=-1).mean(dim=0), dim=0)


def embed_prompts(clip: GuidanceClip, prompts: Sequence[str]) -> PromptEnsemble:
    """Embed the prompts with ``clip`` and ensemble them."""
    cleaned = tuple(_unique([_require_prompt(p) for p in prompts])) if prompts else ()
    if not cleaned:
        _require_prompt("")
    return PromptEnsemble(cleaned, average_text_embeddings(clip.encode_text(cleaned)))
