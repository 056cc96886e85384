"""One progress and cancel contract from the scene down to the models: every report of a whole edit
(training, sampling, writing) is `progress(fraction, message)`, and a cancel at any stage raises
CancelledError with nothing written."""
from __future__ import annotations

import pytest
from shapely.geometry import box

from rsedit.core.errors import CancelledError
from rsedit.core.scene_edit import edit_scene
from golden_edits import TILING, _tiny_training
from single_thread import one_cpu_thread  # noqa: F401 (autouse fixture)
from textured_scene import CRS, TRANSFORM, write_textured_scene


def _roi():
    x0, y0 = TRANSFORM * (16, 48)
    x1, y1 = TRANSFORM * (44, 16)
    return [box(x0, y0, x1, y1)]


def _trained_edit(tmp_path, **callbacks):
    scene = write_textured_scene(tmp_path / "scene.tif", 64)
    return edit_scene(scene, _roi(), tmp_path / "edited.tif", rois_crs=CRS, mode="regenerate", backend="trained",
                      preset=_tiny_training(), cache_dir=str(tmp_path / "cache"), seed=0, **TILING, **callbacks)


def test_a_trained_edit_reports_every_stage_as_fraction_and_message(tmp_path):
    reports: list[tuple[float, str]] = []
    _trained_edit(tmp_path, progress=lambda fraction, message: reports.append((fraction, message)))
    assert all(isinstance(f, float) and 0.0 <= f <= 1.0 and isinstance(m, str) and m for f, m in reports), reports
    messages = " | ".join(m for _, m in reports)
    # the trainer's, the sampler's and the writer's reports all arrive through the one callback
    assert "Training step 12/12" in messages and "sampling step" in messages and "Writing block" in messages
    fractions = [f for f, _ in reports]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0  # the whole edit moves one way, to the end


@pytest.mark.parametrize("stage", ["Training step", "sampling step"])
def test_a_cancel_in_any_stage_raises_cancelled_and_writes_nothing(tmp_path, stage):
    seen: list[str] = []
    with pytest.raises(CancelledError):
        _trained_edit(tmp_path, progress=lambda fraction, message: seen.append(message),
                      is_cancelled=lambda: any(stage in message for message in seen))
    assert any(stage in message for message in seen)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "cache") == ["scene.tif"]
