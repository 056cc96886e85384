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
