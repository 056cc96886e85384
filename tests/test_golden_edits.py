"""Every edit mode still writes the bytes recorded in tests/golden_edits.json (at the commit the
record names; recorded again when behaviour is meant to change, e.g. by whole-ROI sampling): a
refactor that changes a pixel, a tag or a mask fails here.

The digests depend on torch's CPU kernels, so each CPU capability has its own (recorded by running
`python tests/golden_edits.py record` on such a CPU, at the commit named in the record); on a CPU with
none the test is skipped with the reason."""
from __future__ import annotations

import json

import pytest
import torch

from golden_edits import CHECKPOINT, RECORD, checkpoint_sample_digest, cpu_capability, scenarios

RECORDED = json.loads(RECORD.read_text())["by_cpu"]
GOLDEN = RECORDED.get(cpu_capability(), {"digests": next(iter(RECORDED.values()))["digests"]})
SCENARIOS = [name for name in GOLDEN["digests"] if name != "checkpoint_sample"]


@pytest.fixture(autouse=True)
def _same_cpu_kernels():
    if cpu_capability() not in RECORDED:
        pytest.skip(f"digests are recorded for {', '.join(sorted(RECORDED))} kernels; this CPU runs "
                    f"{cpu_capability()}")
    before = torch.get_num_threads()
    torch.set_num_threads(1)  # as recorded: one thread sums in one order
    yield
    torch.set_num_threads(before)


def test_every_recorded_scenario_is_still_run(tmp_path):
    assert sorted(scenarios(tmp_path)) == sorted(SCENARIOS)


@pytest.mark.parametrize("name", SCENARIOS)
def test_edit_writes_the_recorded_bytes(name, tmp_path):
    if GOLDEN["digests"][name] is None:  # changed on purpose since this CPU's record: says why, and how to record
        pytest.skip(f"{name} is not recorded for this CPU: {GOLDEN.get('not_recorded', {}).get(name, '')}")
    assert scenarios(tmp_path)[name]() == GOLDEN["digests"][name]


def test_the_tiny_checkpoint_samples_the_recorded_pixels():
    assert checkpoint_sample_digest(CHECKPOINT) == GOLDEN["digests"]["checkpoint_sample"]
