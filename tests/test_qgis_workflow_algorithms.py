"""The whole Processing workflow in real QGIS with small settings: every algorithm end to end,
per-feature prompts, before/after pairs, cancellation, the cache and the shipped model."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import rasterio

from qgis_helpers import ALGORITHM_IDS, box_polygons, cancel_on_progress
from textured_scene import CRS, write_textured_scene

pytestmark = pytest.mark.usefixtures("qgis_app")  # QGIS with Processing and the rsedit provider

# a 40-px raster (one tile, one chip), the training-free model and sampling from step 30: seconds per run
SMALL = {"TILE_SIZE": 64, "MARGIN": 4, "CONTEXT_SIZE": 40, "FEATHER": 3, "BACKEND": 1, "START_STEP": 30}
EDIT_SMALL = {**SMALL, "OVERLAP": 8}
PROMPTS = ("a forest on fire", "a flooded river")


@pytest.fixture(scope="module")
def raster(tmp_path_factory):
    return write_textured_scene(tmp_path_factory.mktemp("raster") / "scene.tif", 40, seed=5)


@pytest.fixture(scope="module")
def clip_weights(tmp_path_factory):
    """A tiny random open_clip model saved as a checkpoint file, loaded by the real CLIP code path."""
    from safetensors.torch import save_file

    from tiny_clip import TINY_VIT, tiny_open_clip_model

    path = tmp_path_factory.mktemp("clip") / "tiny_clip.safetensors"
    save_file({k: v.contiguous() for k, v in tiny_open_clip_model(TINY_VIT).state_dict().items()}, str(path))
    return TINY_VIT, str(path)


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    folder = tmp_path / "model-cache"
    monkeypatch.setenv("RSEDIT_CACHE_DIR", str(folder))  # never the user's real cache
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))  # nor its record of output folders
    return folder


def tiny_preset(monkeypatch, steps=10):
    """The 'fast' preset shrunk to a 16-wide net and a few steps, so training takes seconds."""
    from rsedit.models.sinddm import presets
    from rsedit.models.sinddm.training_settings import TrainingSettings

    tiny = TrainingSettings(name="fast", width=16, steps=steps, batch_size=2, crop_size=32, learning_rate=2e-3,
                            lr_milestones=(), ema_start=0, ema_every=1, ema_decay=0.9, max_pixels=None)
    monkeypatch.setitem(presets.PRESETS, "fast", tiny)


def test_every_algorithm_is_listed_with_help_and_an_example(provider):
    ids = {algorithm.id() for algorithm in provider.algorithms()}
    assert {"rsedit:beforeafterpairs", "rsedit:clearcache", "rsedit:bufferregenerateclip"} <= ids
    assert ids == set(ALGORITHM_IDS)
    for algorithm in provider.algorithms():
        help_text = algorithm.shortHelpString()
        assert "Example" in help_text, algorithm.id()
        assert algorithm.displayName() != algorithm.name(), algorithm.id()
    model = provider.algorithm("bufferregenerateclip")
    assert model.group() == "Workflows" and model.provider().id() == "rsedit"


def test_edittext_records_each_polygons_own_prompt(raster, clip_weights, tmp_path):
    import processing

    architecture, weights = clip_weights
    out = tmp_path / "text.tif"
    processing.run("rsedit:edittext", {
        "INPUT": str(raster), "ROIS": box_polygons([(4, 4, 16, 16), (24, 24, 36, 36)], list(PROMPTS)),
        "PROMPT_FIELD": "prompt", "CLIP_MODEL": architecture, "CLIP_WEIGHTS": weights, "GUIDANCE_STRENGTH": 1.0,
        "START_SCALE": 0, "OUTPUT": str(out), **EDIT_SMALL})
    with rasterio.open(out) as edited, rasterio.open(raster) as source:
        tags = edited.tags()
        assert tags["RSEDIT_MODE"] == "text" and edited.crs == source.crs
        assert not np.array_equal(edited.read(), source.read())
    import json

    assert set(json.loads(tags["RSEDIT_PROMPTS"])) == set(PROMPTS)


def test_edittext_takes_a_paraphrase_file_the_clip_weight_map_and_whole_tile_views(raster, clip_weights, tmp_path):
    import json

    import processing

    architecture, weights = clip_weights
    paraphrases = tmp_path / "paraphrases.txt"
    paraphrases.write_text("burning woodland seen from above\n\nsmoke over a forest\n", encoding="utf-8")
    out = tmp_path / "text.tif"
    processing.run("rsedit:edittext", {
        "INPUT": str(raster), "ROIS": box_polygons([(8, 8, 32, 32)]), "PROMPT": PROMPTS[0],
        "PARAPHRASE_FILE": str(paraphrases), "WEIGHT_MAP": 1, "CLIP_VIEWS": 1, "CLIP_MODEL": architecture,
        "CLIP_WEIGHTS": weights,
        "START_SCALE": 0, "OUTPUT": str(out), **EDIT_SMALL})
    with rasterio.open(out) as edited:
        tags = edited.tags()
    used = json.loads(tags["RSEDIT_PROMPTS"])[PROMPTS[0]]
    assert {"burning woodland seen from above", "smoke over a forest"} <= set(used)
    assert tags["RSEDIT_MASK"] == "soft (NGDM, clip weight map)"
    assert tags["RSEDIT_CLIP_VIEWS"] == "tile"


def test_edittext_without_prompt_ensembling_guides_with_the_prompt_alone(raster, clip_weights, tmp_path):
    import json

    import processing

    architecture, weights = clip_weights
    out = tmp_path / "text.tif"
    processing.run("rsedit:edittext", {
        "INPUT": str(raster), "ROIS": box_polygons([(8, 8, 32, 32)]), "PROMPT": PROMPTS[0],
        "PARAPHRASES": "burning woodland seen from above", "PROMPT_ENSEMBLING": False, "CLIP_MODEL": architecture,
        "CLIP_WEIGHTS": weights, "OUTPUT": str(out), **EDIT_SMALL})
    with rasterio.open(out) as edited:
        used = json.loads(edited.tags()["RSEDIT_PROMPTS"])[PROMPTS[0]]
    assert used == [PROMPTS[0]]  # the paraphrase given is not used


def test_copyroi_edits_only_the_targets(raster, tmp_path):
    import processing

    out, mask = tmp_path / "copy.tif", tmp_path / "copy_mask.tif"
    processing.run("rsedit:copyroi", {
        "INPUT": str(raster), "ROIS": box_polygons([(24, 24, 36, 36)]), "SOURCE": box_polygons([(4, 4, 16, 16)]),
        "OUTPUT": str(out), "OUTPUT_MASK": str(mask), **EDIT_SMALL})
    with rasterio.open(out) as edited, rasterio.open(raster) as source, rasterio.open(mask) as weights:
        assert edited.tags()["RSEDIT_MODE"] == "copy" and edited.crs == source.crs
        changed = weights.read(1) > 0
        assert changed[30, 30] and not changed[10, 10]
        assert np.array_equal(edited.read()[:, ~changed], source.read()[:, ~changed])
        assert not np.array_equal(edited.read()[:, changed], source.read()[:, changed])


def test_trainscenemodel_writes_a_checkpoint_the_edits_reuse(raster, tmp_path, monkeypatch, cache_dir):
    import processing

    tiny_preset(monkeypatch)
    model = tmp_path / "scene_model.safetensors"
    processing.run("rsedit:trainscenemodel", {"INPUT": str(raster), "ROIS": box_polygons([(12, 12, 28, 28)]),
                                              "PRESET": 0, "CONTEXT_SIZE": 32, "DEVICE": 1, "OUTPUT": str(model)})
    from rsedit.models.sinddm.checkpoint import read_checkpoint_info

    assert model.is_file() and read_checkpoint_info(model)
    out = tmp_path / "with_model.tif"
    processing.run("rsedit:regenerate", {"INPUT": str(raster), "ROIS": box_polygons([(16, 16, 24, 24)]),
                                         "OUTPUT": str(out), **EDIT_SMALL, "BACKEND": 2, "CHECKPOINT": str(model)})
    with rasterio.open(out) as edited:
        assert edited.tags()["RSEDIT_BACKEND"] == "trained"
        assert str(model) in edited.tags()["RSEDIT_MODEL"]
    assert not cache_dir.exists() or not list(cache_dir.iterdir())  # nothing trained behind the user's back


@pytest.mark.parametrize("algorithm", ["rsedit:trainscenemodel", "rsedit:regenerate"])
def test_cancelling_mid_training_leaves_no_output(algorithm, raster, tmp_path, cache_dir):
    import processing
    from qgis.core import QgsProcessingException

    out_folder = tmp_path / "out"
    out_folder.mkdir()
    parameters = {"INPUT": str(raster), "ROIS": box_polygons([(12, 12, 28, 28)]), "PRESET": 0, "CONTEXT_SIZE": 32,
                  "DEVICE": 1}
    if algorithm == "rsedit:trainscenemodel":
        parameters["OUTPUT"] = str(out_folder / "model.safetensors")
    else:
        parameters.update(EDIT_SMALL, BACKEND=2, CONTEXT_SIZE=32, OUTPUT=str(out_folder / "edited.tif"),
                          OUTPUT_MASK=str(out_folder / "mask.tif"))
    with pytest.raises(QgsProcessingException, match="(?i)cancel"):
        processing.run(algorithm, parameters, feedback=cancel_on_progress())  # the real fast preset
    assert list(out_folder.iterdir()) == []
    assert not cache_dir.exists() or not list(cache_dir.iterdir())


def read_index(path: Path) -> list[dict]:
    from qgis.core import QgsVectorLayer

    layer = QgsVectorLayer(str(path), "pairs", "ogr")
    assert layer.isValid() and layer.crs().authid() == CRS
    rows = []
    for feature in layer.getFeatures():
        row = {name: feature[name] for name in layer.fields().names()}
        row["bounds"] = feature.geometry().boundingBox()
        rows.append(row)
    return rows


def test_beforeafterpairs_writes_pairs_and_an_index_with_each_prompt(raster, clip_weights, tmp_path):
    import processing

    architecture, weights = clip_weights
    folder = tmp_path / "pairs"
    # the first polygon carries its own prompt; the second has none and gets the prompt list
    result = processing.run("rsedit:beforeafterpairs", {
        "INPUT": str(raster), "ROIS": box_polygons([(3, 3, 12, 12), (26, 24, 37, 35)], [PROMPTS[0], None]),
        "PROMPT_FIELD": "prompt", "PROMPTS": PROMPTS[1], "VARIANTS": 2, "SEED": 7, "CLIP_MODEL": architecture,
        "CLIP_WEIGHTS": weights, "OUTPUT_FOLDER": str(folder), **SMALL, "START_STEP": 10})
    rows = read_index(result["INDEX"])
    assert result["PAIRS"] == len(rows) == 4
    assert {(row["roi_id"], row["prompt"]) for row in rows} == {("1", PROMPTS[0]), ("2", PROMPTS[1])}
    assert sorted(row["seed"] for row in rows) == [7, 7, 8, 8]
    assert {row["mode"] for row in rows} == {"text"} and all(row["model_fingerprint"] for row in rows)
    assert not [p for p in folder.iterdir() if p.name.startswith(".")]  # no temporary file is left
    with rasterio.open(raster) as source:
        for row in rows:
            with rasterio.open(folder / row["pre_path"]) as pre, rasterio.open(folder / row["post_path"]) as post, \
                    rasterio.open(folder / row["mask_path"]) as mask:
                assert pre.crs == post.crs == source.crs and pre.transform == post.transform
                assert (pre.width, pre.height) == (row["width"], row["height"]) == (40, 40)
                window = rasterio.windows.Window(row["col_off"], row["row_off"], row["width"], row["height"])
                assert np.array_equal(pre.read(), source.read(window=window))  # pre is the untouched source
                assert rasterio.windows.transform(window, source.transform) == pre.transform
                left, bottom, right, top = pre.bounds
                footprint = row["bounds"]
                assert np.allclose([footprint.xMinimum(), footprint.yMinimum(), footprint.xMaximum(),
                                    footprint.yMaximum()], [left, bottom, right, top])
                # the edit stays inside the ROI (how much a tiny random CLIP changes is not the point here;
                # the regenerate test below checks that pixels change)
                changed = mask.read(1) > 0
                assert changed.any() and np.array_equal(post.read()[:, ~changed], pre.read()[:, ~changed])
                tags = post.tags()
                assert tags["RSEDIT_SEED"] == str(row["seed"]) and row["prompt"] in tags["RSEDIT_PROMPTS"]
                assert tags["RSEDIT_MODEL_FINGERPRINT"] == row["model_fingerprint"] and tags["RSEDIT_SYNTHETIC"]
                assert tags["RSEDIT_PAIR_ROI_ID"] == row["roi_id"] and pre.tags()["RSEDIT_PAIR_ROLE"].startswith("pre")


def test_beforeafterpairs_honours_the_selection_in_regenerate_mode(raster, tmp_path):
    import processing
    from qgis.core import QgsProcessingContext, QgsProcessingFeatureSourceDefinition, QgsProject

    layer = box_polygons([(3, 3, 12, 12), (26, 24, 37, 35)])
    QgsProject.instance().addMapLayer(layer)
    context = QgsProcessingContext()
    context.setProject(QgsProject.instance())
    try:
        chosen = max(f.id() for f in layer.getFeatures())
        layer.selectByIds([chosen])
        result = processing.run("rsedit:beforeafterpairs", {
            "INPUT": str(raster), "ROIS": QgsProcessingFeatureSourceDefinition(layer.id(), selectedFeaturesOnly=True),
            "MODE": 1, "VARIANTS": 2, "OUTPUT_FOLDER": str(tmp_path / "pairs"), **SMALL}, context=context)
    finally:
        QgsProject.instance().removeMapLayer(layer.id())
    # the dialog loads the index into the project under a meaningful name
    assert context.layersToLoadOnCompletion()[result["INDEX"]].name == "Before/after pairs"
    rows = read_index(result["INDEX"])
    assert [(row["roi_id"], row["prompt"], row["mode"], row["seed"]) for row in rows] == [
        (str(chosen), "", "regenerate", 0), (str(chosen), "", "regenerate", 1)]
    assert rows[0]["pre_path"] == rows[1]["pre_path"]  # both variants share the chip's pre image
    folder = tmp_path / "pairs"
    posts = []
    for row in rows:
        with rasterio.open(folder / row["post_path"]) as post, rasterio.open(folder / row["pre_path"]) as pre, \
                rasterio.open(folder / row["mask_path"]) as mask:
            assert post.tags()["RSEDIT_MODE"] == "regenerate"
            changed = mask.read(1) > 0
            assert not np.array_equal(post.read()[:, changed], pre.read()[:, changed])
            posts.append(post.read())
    assert not np.array_equal(*posts)  # another seed, another variant


def test_cancelling_beforeafterpairs_leaves_only_complete_pairs(raster, tmp_path):
    import processing
    from qgis.core import QgsProcessingException

    folder = tmp_path / "pairs"
    # four pairs; cancel once the first is complete, while the second is being made
    with pytest.raises(QgsProcessingException, match="(?i)cancel") as raised:
        processing.run("rsedit:beforeafterpairs", {
            "INPUT": str(raster), "ROIS": box_polygons([(3, 3, 12, 12), (26, 24, 37, 35)]), "MODE": 1, "VARIANTS": 2,
            "OUTPUT_FOLDER": str(folder), **SMALL}, feedback=cancel_on_progress(above=26))
    names = sorted(p.name for p in folder.iterdir())
    assert not [name for name in names if name.startswith(".")], names
    posts = [name for name in names if name.endswith("_post.tif")]
    assert 1 <= len(posts) < 4
    for post in posts:
        stem = post[: -len("_post.tif")]
        chip = re.sub(r"_p\d+_v\d+$", "", stem)
        assert f"{stem}_mask.tif" in names and f"{chip}_pre.tif" in names
    assert [row["post_path"] for row in read_index(folder / "pairs.gpkg")] == posts
    assert "pairs.gpkg" in str(raised.value)


def test_beforeafterpairs_refuses_bad_input_before_any_work(raster, clip_weights):
    import processing
    from qgis.core import QgsProcessingException

    base = {"INPUT": str(raster), "ROIS": box_polygons([(3, 3, 12, 12)]), **SMALL}
    with pytest.raises(QgsProcessingException, match="(?i)folder"):
        processing.run("rsedit:beforeafterpairs", {**base, "MODE": 1, "OUTPUT_FOLDER": "/proc/rsedit/pairs"})
    with pytest.raises(QgsProcessingException, match="(?i)prompt"):
        processing.run("rsedit:beforeafterpairs", {**base, "MODE": 0, "OUTPUT_FOLDER": "/tmp"})
    with pytest.raises(QgsProcessingException, match="(?i)clip weights"):
        processing.run("rsedit:beforeafterpairs", {**base, "MODE": 0, "PROMPTS": "a lake",
                                                   "OUTPUT_FOLDER": str(Path(clip_weights[1]).parent / "pairs")})


def test_clearcache_reports_what_it_removed(cache_dir):
    import processing

    cache_dir.mkdir()
    (cache_dir / "a.safetensors").write_bytes(b"x" * 1000)
    (cache_dir / "b.safetensors").write_bytes(b"x" * 500)
    (cache_dir / "notes.txt").write_text("not a model")
    result = processing.run("rsedit:clearcache", {})
    assert (result["MODELS_REMOVED"], result["BYTES_FREED"]) == (2, 1500)
    assert Path(result["CACHE_FOLDER"]) == cache_dir
    assert [p.name for p in cache_dir.iterdir()] == ["notes.txt"]
    assert processing.run("rsedit:clearcache", {})["MODELS_REMOVED"] == 0


def test_the_shipped_model_runs_headless(raster, tmp_path):
    import processing
    from qgis.core import QgsRasterLayer

    out = tmp_path / "clipped.tif"
    result = processing.run("rsedit:bufferregenerateclip", {
        "RASTER": str(raster), "ROIS": box_polygons([(18, 18, 22, 22)]), "BUFFER": 20, "SEED": 0, "clip:CLIPPED": str(out)})
    layer = QgsRasterLayer(result["clip:CLIPPED"], "clipped")
    assert layer.isValid() and layer.crs().authid() == CRS
    with rasterio.open(out) as clipped, rasterio.open(raster) as source:
        # the buffered polygon spans pixels 16..24: the clip keeps that window of the edited raster
        assert (clipped.width, clipped.height) == (8, 8)
        assert clipped.transform == rasterio.windows.transform(rasterio.windows.Window(16, 16, 8, 8),
                                                               source.transform)
        assert clipped.tags()["RSEDIT_MODE"] == "regenerate"
        assert not np.array_equal(clipped.read(), source.read(window=rasterio.windows.Window(16, 16, 8, 8)))
