"""Prompt ensembling: built-in paraphrases, external paraphrase commands, embedding averages."""
from __future__ import annotations

import math
import sys

import pytest
import torch
import torch.nn.functional as F
from tiny_clip import tiny_guidance_clip

from rsedit.core.errors import ModelError
from rsedit.models.clip.prompts import (
    average_text_embeddings,
    builtin_paraphrases,
    command_paraphrases,
    embed_prompts,
    ensemble_prompts,
)


# ---------------------------------------------------------------- built-in paraphrases
def test_builtin_paraphrases_are_deterministic_and_capped():
    first = builtin_paraphrases("A ship is on fire", max_count=6)
    assert first == builtin_paraphrases("A ship is on fire", max_count=6)
    assert len(first) == 6 and len(set(first)) == 6
    assert first[0] == "A ship is on fire"
    assert builtin_paraphrases("A ship is on fire", max_count=3) == first[:3]


def test_builtin_paraphrases_mix_templates_and_synonyms():
    prompts = builtin_paraphrases("a forest on fire", max_count=8)
    assert "a satellite image of a forest on fire" in prompts
    assert "a forest burning" in prompts and "a forest ablaze" in prompts
    # "on fire" is one term: its "fire" is not swapped on its own
    assert not any("on blaze" in p or "on flames" in p for p in prompts)


@pytest.mark.parametrize(
    "prompt, synonym",
    [
        ("a large wildfire", "forest fire"),
        ("the river is flooding", "overflowing"),
        ("a flooded town", "inundated"),
        ("a damaged building", "collapsed building"),
        ("smoke over the city", "smoke plume"),
        ("clouds", "cloud cover"),
        ("oil tanks in a port", "oil storage tanks"),
        ("solar panels on a roof", "photovoltaic panels"),
        ("wind turbines on a hill", "wind farm"),
        ("farmland", "cropland"),
        ("ships at sea", "vessels"),
    ],
)
def test_builtin_synonyms_cover_common_remote_sensing_terms(prompt, synonym):
    assert any(synonym in p for p in builtin_paraphrases(prompt, max_count=12))


def test_an_empty_prompt_is_refused_clearly():
    for call in (lambda: builtin_paraphrases("  "), lambda: ensemble_prompts(""), lambda: embed_prompts(None, [])):
        with pytest.raises(ModelError, match="prompt is empty"):
            call()


def test_user_paraphrases_come_first_and_builtin_ones_only_when_asked():
    used = ensemble_prompts("burning ship", paraphrases=["a ship ablaze", "A ship ablaze ", "smoke from a ship"])
    assert used == ("burning ship", "a ship ablaze", "smoke from a ship")
    alone = ensemble_prompts("burning ship", max_prompts=5)
    assert alone == tuple(builtin_paraphrases("burning ship", max_count=5))
    mixed = ensemble_prompts("burning ship", paraphrases=["a ship ablaze"], builtin=True, max_prompts=4)
    assert mixed[:2] == ("burning ship", "a ship ablaze") and len(mixed) == 4


# ---------------------------------------------------------------- external command
def _python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def test_a_paraphrase_command_reads_stdin_and_prints_one_per_line():
    script = "import sys; p = sys.stdin.read().strip(); print(f'1. {p} with smoke'); print(); print(f'- \"{p} at night\"')"
    assert command_paraphrases("a ship is burning", _python(script)) == [
        "a ship is burning with smoke",
        "a ship is burning at night",
    ]
    used = ensemble_prompts("a ship is burning", command=_python(script))
    assert used == ("a ship is burning", "a ship is burning with smoke", "a ship is burning at night")


def test_paraphrase_command_failures_are_clear():
    with pytest.raises(ModelError, match=r"failed \(exit status 3\): quota exceeded"):
        command_paraphrases("fire", _python("import sys; sys.stderr.write('quota exceeded'); sys.exit(3)"))
    with pytest.raises(ModelError, match="not found"):
        command_paraphrases("fire", ["/nonexistent/llm-cli"])
    with pytest.raises(ModelError, match="no answer within 0.5 s"):
        command_paraphrases("fire", _python("import time; time.sleep(10)"), timeout_s=0.5)
    with pytest.raises(ModelError, match="printed no paraphrases"):
        command_paraphrases("fire", _python("print('  ')"))


# ---------------------------------------------------------------- embedding ensembles
def test_embeddings_are_normalised_before_averaging():
    embeddings = torch.tensor([[3.0, 0.0], [0.0, 1.0]])
    ensemble = average_text_embeddings(embeddings)
    torch.testing.assert_close(ensemble, torch.tensor([1.0, 1.0]) / math.sqrt(2))
    raw_mean = F.normalize(embeddings.mean(0), dim=0)  # would let the longer vector dominate
    assert not torch.allclose(ensemble, raw_mean, atol=1e-3)


def test_the_prompt_ensemble_of_a_clip_model():
    clip = tiny_guidance_clip(seed=1)
    prompts = builtin_paraphrases("a flooded river", max_count=4)
    ensemble = embed_prompts(clip, prompts)
    assert ensemble.prompts == tuple(prompts)

    raw = clip.encode_text(prompts)
    norms = raw.norm(dim=1)
    assert norms.max() / norms.min() > 1.01  # the raw norms differ, so the normalisation matters
    expected = sum(e / e.norm() for e in raw) / len(prompts)
    torch.testing.assert_close(ensemble.embedding, expected / expected.norm())
    assert ensemble.embedding.norm().item() == pytest.approx(1.0, abs=1e-6)
    unnormalised = raw.mean(0) / raw.mean(0).norm()
    assert (ensemble.embedding - unnormalised).abs().max() > 1e-4
