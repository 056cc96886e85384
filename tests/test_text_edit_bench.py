"""A small, fast version of bench/text_edit.py's first prompt pair ("the sea" on a land ROI of the
Landsat scene), with the quick small CLIPs and a quick patch classifier (cached under build/ or
trained here): the judge's score and the classifier's target probability rise inside the ROI, and the
pixels outside stay identical."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import rasterio
import torch

from single_thread import one_cpu_thread  # noqa: F401 (autouse fixture: small models, shared CPU)

sys.path.append(str(Path(__file__).resolve().parents[1] / "bench"))  # after site-packages: bench/distributed.py must not shadow dask's distributed
import text_edit  # noqa: E402
from patch_classifier import QUICK as QUICK_CLASSIFIER  # noqa: E402
from patch_classifier import trained_classifier  # noqa: E402

from rsedit.core.errors import InputError  # noqa: E402
from rsedit.core.settings import TextSettings  # noqa: E402

pytestmark = pytest.mark.usefixtures("data_dir")  # trained on, and measured on, the sample scenes


@pytest.fixture(scope="module")
def edited(tmp_path_factory, small_clips):
    """The first case, one ROI: the scene before, unguided and guided (with PE), and the edit mask."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        clips = small_clips
        judges = text_edit.Judges(clips, trained_classifier(QUICK_CLASSIFIER))
        case = text_edit.CASES[0]
        boxes = text_edit.roi_boxes(case, 1)
        folder = tmp_path_factory.mktemp("text-edit")
        paraphrases = tuple(text_edit.scene_labels.captions(case.target))
        text_edit.edit(case, clips, boxes, folder / "unguided.tif", None, guidance_strength=0.0)
        text_edit.edit(case, clips, boxes, folder / "guided.tif", folder / "mask.tif", 1.0, paraphrases=paraphrases)
    finally:
        torch.set_num_threads(before)
    images = {"before": text_edit.read_rgb(text_edit.scene_labels.SCENES[case.scene]),
              "unguided": text_edit.read_rgb(folder / "unguided.tif"),
              "guided": text_edit.read_rgb(folder / "guided.tif")}
    with rasterio.open(folder / "mask.tif") as dataset:
        mask = dataset.read(1) > 0
    return case, boxes, judges, images, mask


def test_the_judge_scores_the_guided_roi_higher_than_the_unguided_one(edited):
    case, boxes, judges, images, _ = edited
    score = {name: judges.clip_score(case, image, boxes) for name, image in images.items()}
    # measured with the quick models: about 25 -> 70 points (unguided 25); the goal is a gain of 3
    assert score["guided"] > score["unguided"] + 3, score
    assert score["guided"] > score["before"] + 3, score


def test_the_independent_classifier_sees_the_target_label_inside_the_roi(edited):
    case, boxes, judges, images, _ = edited
    prob = {name: judges.target_probability(case, image, boxes) for name, image in images.items()}
    assert prob["before"] < 0.3, prob  # a land ROI
    assert prob["guided"] > prob["unguided"] + 0.3, prob
    assert prob["guided"] > 0.6, prob


def test_pixels_outside_the_roi_stay_identical(edited):
    _, boxes, _, images, mask = edited
    assert mask.any()
    for name in ("unguided", "guided"):
        assert np.array_equal(images[name][:, ~mask], images["before"][:, ~mask]), name
        assert not np.array_equal(images[name][:, mask], images["before"][:, mask]), name


def test_prompt_ensembling_can_be_switched_off_and_is_checked():
    assert TextSettings(prompt="the sea", prompt_ensembling=False).prompt_ensembling is False
    with pytest.raises(InputError, match="prompt_ensembling"):
        TextSettings(prompt="the sea", prompt_ensembling="no")


def test_the_interior_realism_reads_the_feather_band_from_the_edit_mask():
    """auc_target_interior is measured on each box shrunk by the band where the edit mask is below full
    weight; a Landsat-sized interior (24 px box, 8 px feather) is too small for it and reports None."""
    case = text_edit.CASES[2]  # 64 px boxes
    levels = np.zeros((200, 200), dtype=np.uint8)
    box = (20, 30)
    levels[20:84, 30:94] = 128
    levels[27:77, 37:87] = 255  # full weight from 7 px in
    assert text_edit.feather_inset(levels, case, [box]) == 7
    landsat = text_edit.CASES[0]
    assert text_edit.realism_auc(landsat, np.zeros((3, 64, 64), np.uint8), [(0, 0)], inset=8) is None
