"""What models/ in packages must keep: a checkpoint saved before the move loads and samples the same pixels,
and the model cache keys (settings.to_dict() and CACHE_FORMAT) are those computed before the move."""
from __future__ import annotations

import json

import pytest

from golden_edits import CHECKPOINT, RECORD, checkpoint_sample_digest, cpu_capability
from single_thread import one_cpu_thread  # noqa: F401 (autouse fixture: the digest was recorded on one thread)


def test_checkpoint_saved_before_the_move_samples_the_recorded_pixels():
    records = json.loads(RECORD.read_text())["by_cpu"]
    record = records.get(cpu_capability())
    if record is None:
        pytest.skip(f"no digest recorded for {cpu_capability()} kernels (recorded: {', '.join(sorted(records))})")
    assert checkpoint_sample_digest(CHECKPOINT) == record["digests"]["checkpoint_sample"]


# the model cache's keys before the move: sha256 of {format: CACHE_FORMAT, fingerprint, settings.to_dict()}
# as core/scene_models.py's train_scene_model hashes them, for each preset at seed 0
CACHE_KEYS_BEFORE_THE_MOVE = {
    "paper": "b48374ecd17b51b748100706e5ec0cd2",
    "standard": "8e1f3b767fc7c6e9542db12068dadba6",
    "fast": "283892331bbdfa9f7e88bcd8d5d47157",
}


@pytest.mark.parametrize("preset", sorted(CACHE_KEYS_BEFORE_THE_MOVE))
def test_the_cache_keys_of_the_presets_did_not_change(preset):
    import hashlib

    from rsedit.core.scene_models import CACHE_FORMAT
    from rsedit.models.sinddm.presets import get_preset

    identity = {"format": CACHE_FORMAT, "fingerprint": {"sha256": "golden"},
                "settings": get_preset(preset).with_changes(seed=0).to_dict()}
    key = hashlib.sha256(json.dumps(identity, sort_keys=True, default=str).encode()).hexdigest()[:32]
    assert key == CACHE_KEYS_BEFORE_THE_MOVE[preset]
