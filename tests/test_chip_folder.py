"""A folder of PNG chips edited into a LEVIR-CD-style dataset (A/, B/, label/, label_soft/, pairs.csv)."""
from __future__ import annotations

import csv

import numpy as np
import pytest
import rasterio
from shapely.geometry import box

from chip_cutter import cut_chips, write_plain_image
from rsedit.core.before_after_pairs import generate_pairs
from rsedit.core.chip_folder import ChipsCancelledError, edit_chip_folder
from rsedit.core.chip_rois import ChipRois
from rsedit.core.errors import InputError
from rsedit.core.settings import RegenerateSettings

SETTINGS = RegenerateSettings(backend="training-free", tile_size=64, context_size=64, feather=2, seed=3)


@pytest.fixture
def chip_folder(tmp_path, data_dir):
    """6 chips: 4 good, 1 whose mask is empty, 1 corrupt file; a mask folder with a square per chip."""
    chips, masks = tmp_path / "chips", tmp_path / "masks"
    paths = cut_chips(data_dir / "landsat" / "RGB.byte.tif", chips, 5, size=96)
    masks.mkdir()
    for index, path in enumerate(paths):
        mask = np.zeros((1, 96, 96), dtype=np.uint8)
        if index != 4:  # chip_004's mask marks nothing
            mask[0, 30:66, 28:70] = 255
        write_plain_image(masks / path.name, mask)
    (chips / "chip_005.png").write_bytes(b"\x89PNG\r\n\x1a\n but not an image")
    write_plain_image(masks / "chip_005.png", np.full((1, 96, 96), 255, np.uint8))
    return chips, masks


def load_levir(folder, name):
    """A plain LEVIR-CD loader: A/x, B/x and label/x, same height and width, a 0/255 label."""
    with rasterio.open(folder / "A" / name) as a, rasterio.open(folder / "B" / name) as b, \
            rasterio.open(folder / "label" / name) as label:
        before, after, change = a.read(), b.read(), label.read(1)
    assert before.shape == after.shape and before.shape[1:] == change.shape
    assert set(np.unique(change)) <= {0, 255}
    return before, after, change


def index_rows(folder):
    with open(folder / "pairs.csv", newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_mask_folder_gives_four_pairs_and_two_reasons(chip_folder, tmp_path):
    chips, masks = chip_folder
    out = tmp_path / "dataset"
    result = edit_chip_folder(chips, out, SETTINGS, pattern="*.png", rois=ChipRois("mask", mask_folder=masks),
                              split=(0.5, 0.25, 0.25), split_seed=1)
    good = [f"chip_{i:03d}.png" for i in range(4)]
    assert sorted(result.written) == good
    reasons = dict(result.unusable)
    assert set(reasons) == {"chip_004.png", "chip_005.png"}
    assert "empty" in reasons["chip_004.png"] and "Cannot open" in reasons["chip_005.png"]
    rows = index_rows(out)
    assert sorted(row["name"] for row in rows) == good
    assert {row["mode"] for row in rows} == {"regenerate"} and all(row["model_fingerprint"] for row in rows)
    assert {row["roi_source"] for row in rows} == {f"mask {masks}"}
    for name in good:
        before, after, change = load_levir(out, name)
        with rasterio.open(chips / name) as chip:
            assert np.array_equal(before, chip.read())
        with rasterio.open(out / "label_soft" / name) as soft:
            assert np.array_equal(change == 255, soft.read(1) > 0)
        assert (change[30:66, 28:70] == 255).all() and change.sum() == 255 * 36 * 42  # the mask's square
        assert np.array_equal(after[:, change == 0], before[:, change == 0])
        assert not np.array_equal(after, before)
    listed = [(out / f"{split}.txt").read_text().split() for split in ("train", "val", "test")]
    assert sorted(sum(listed, [])) == good and [len(names) for names in listed] == [2, 1, 1]
    assert not [p for p in out.rglob(".*")]  # no temporary left anywhere


def test_cancel_keeps_complete_pairs_and_a_rerun_finishes_the_rest(chip_folder, tmp_path):
    chips, masks = chip_folder
    out = tmp_path / "dataset"
    rois = ChipRois("mask", mask_folder=masks)
    complete = lambda: len([p for p in (out / "B").glob("*.png") if not p.name.startswith(".")])  # noqa: E731
    with pytest.raises(ChipsCancelledError) as cancelled:
        edit_chip_folder(chips, out, SETTINGS, rois=rois, is_cancelled=lambda: complete() >= 2)
    assert cancelled.value.pairs_done == 2
    first = sorted(p.name for p in (out / "B").iterdir())
    assert len(first) == 2 and [row["name"] for row in index_rows(out)] == first
    for part in ("A", "label", "label_soft"):
        assert sorted(p.name for p in (out / part).iterdir()) == first  # each pair complete, nothing partial
    assert not [p for p in out.rglob(".*")]
    stamps = {name: (out / "B" / name).stat().st_mtime_ns for name in first}

    again = edit_chip_folder(chips, out, SETTINGS, rois=rois)
    assert sorted(again.skipped) == first and len(again.written) == 2 and not set(again.written) & set(first)
    assert {name: (out / "B" / name).stat().st_mtime_ns for name in first} == stamps  # not redone
    assert sorted(row["name"] for row in index_rows(out)) == [f"chip_{i:03d}.png" for i in range(4)]


def test_shared_model_edits_a_pixel_box_and_whole_chips(chip_folder, tmp_path):
    chips, _ = chip_folder
    shared = edit_chip_folder(chips, tmp_path / "shared", SETTINGS, scene_model="shared", shared_sample=2,
                              rois=ChipRois("box", box=(20, 20, 60, 60)))
    assert len(shared.written) == 5 and len(shared.model["chips"]) == 2  # chip_004 needs no mask here
    assert {row["model_fingerprint"] for row in index_rows(tmp_path / "shared")} == {shared.model["fingerprint"]}
    _, _, change = load_levir(tmp_path / "shared", shared.written[0])
    assert change[20:60, 20:60].all() and change.sum() == 255 * 40 * 40
    # a whole chip regenerated from the other chips' model (one chip: a whole-chip edit takes seconds)
    whole = edit_chip_folder(chips, tmp_path / "whole", SETTINGS, pattern="chip_000.png", scene_model="shared")
    assert whole.written == ["chip_000.png"]
    before, after, change = load_levir(tmp_path / "whole", "chip_000.png")
    assert (change == 255).all() and not np.array_equal(before, after)


def test_settings_are_checked_before_any_chip_is_read(chip_folder, tmp_path):
    chips, masks = chip_folder
    with pytest.raises(InputError, match="shared scene model"):
        edit_chip_folder(chips, tmp_path / "o", SETTINGS)  # whole chips, regenerate, one model per chip
    with pytest.raises(InputError, match="matches"):
        edit_chip_folder(chips, tmp_path / "o", SETTINGS, pattern="*.tif", rois=ChipRois("box", box=(0, 0, 9, 9)))
    with pytest.raises(InputError, match="add up to 1"):
        edit_chip_folder(chips, tmp_path / "o", SETTINGS, rois=ChipRois("box", box=(0, 0, 9, 9)), split=(0.5, 0.2))
    with pytest.raises(InputError, match="mask folder"):
        ChipRois("mask", mask_folder=tmp_path / "missing")


def test_no_usable_chip_fails_with_the_reasons(tmp_path):
    chips = tmp_path / "chips"
    chips.mkdir()
    write_plain_image(chips / "tiny.png", np.zeros((3, 20, 20), np.uint8))
    with pytest.raises(InputError, match=r"No chip could be edited.*tiny.png.*20x20"):
        edit_chip_folder(chips, tmp_path / "o", SETTINGS, rois=ChipRois("box", box=(0, 0, 9, 9)))


def test_generate_pairs_takes_a_plain_png(chip_folder, tmp_path):
    chips, _ = chip_folder
    settings = RegenerateSettings(backend="training-free", tile_size=64, context_size=64, feather=2)
    result = generate_pairs(chips / "chip_000.png", [box(30, 30, 60, 60)], tmp_path / "pairs", settings)
    assert len(result.pairs) == 1 and (tmp_path / "pairs" / result.pairs[0].post_path).is_file()


def test_georeferenced_chips_take_polygons_of_a_vector_file(tmp_path, data_dir):
    """GeoTIFF chips keep their georeferencing; a chip no polygon reaches is left out with the reason."""
    from osgeo import ogr, osr
    from rasterio.windows import Window, transform as window_transform

    source = data_dir / "landsat" / "RGB.byte.tif"
    chips = tmp_path / "chips"
    chips.mkdir()
    with rasterio.open(source) as scene:
        for name, col in (("east.tif", 400), ("west.tif", 200)):
            window = Window(col, 300, 96, 96)
            profile = dict(driver="GTiff", width=96, height=96, count=3, dtype="uint8", crs=scene.crs,
                           transform=window_transform(window, scene.transform))
            with rasterio.open(chips / name, "w", **profile) as dst:
                dst.write(scene.read(window=window))
        polygon = box(*(scene.transform * (430, 360)), *(scene.transform * (470, 320)))  # inside east.tif only
        crs = scene.crs
    rois = tmp_path / "rois.gpkg"
    srs = osr.SpatialReference()
    srs.ImportFromWkt(crs.to_wkt())
    dataset = ogr.GetDriverByName("GPKG").CreateDataSource(str(rois))
    layer = dataset.CreateLayer("rois", srs, ogr.wkbPolygon)
    feature = ogr.Feature(layer.GetLayerDefn())
    feature.SetGeometry(ogr.CreateGeometryFromWkb(polygon.wkb))
    layer.CreateFeature(feature)
    del dataset
    result = edit_chip_folder(chips, tmp_path / "out", SETTINGS, pattern="*.tif", rois=ChipRois("vector", vector=rois))
    assert result.written == ["east.tif"] and [name for name, _ in result.unusable] == ["west.tif"]
    assert "No ROI overlaps" in result.unusable[0][1]
    with rasterio.open(chips / "east.tif") as chip, rasterio.open(tmp_path / "out" / "B" / "east.tif") as edited:
        assert edited.crs == chip.crs and edited.transform == chip.transform
    _, _, change = load_levir(tmp_path / "out", "east.tif")
    assert change[20:60, 30:70].all() and change.sum() == 255 * 40 * 40


def test_text_mode_edits_each_chip_with_each_prompt(chip_folder, tmp_path):
    from safetensors.torch import save_file

    from rsedit.core.settings import TextSettings
    from tiny_clip import TINY_VIT, tiny_open_clip_model

    weights = tmp_path / "tiny_clip.safetensors"
    save_file({k: v.contiguous() for k, v in tiny_open_clip_model(TINY_VIT).state_dict().items()}, str(weights))
    chips, masks = chip_folder
    settings = TextSettings(prompt="a flooded street", paraphrases=("a street under water",), clip_model=TINY_VIT,
                            clip_weights=str(weights), backend="training-free", tile_size=64, context_size=64,
                            feather=2, guidance_views=1, start_t=10)
    result = edit_chip_folder(chips, tmp_path / "out", settings, pattern="chip_000.png",
                              prompts=["a collapsed roof"], rois=ChipRois("mask", mask_folder=masks), variants=2)
    names = [f"chip_000_p0{p}_v0{v}.png" for p in (1, 2) for v in (1, 2)]
    assert sorted(result.written) == names
    rows = index_rows(tmp_path / "out")
    assert {(row["prompt"], row["variant"], row["seed"]) for row in rows} == {
        (prompt, str(v), str(v - 1)) for prompt in ("a flooded street", "a collapsed roof") for v in (1, 2)}
    for name in names:
        load_levir(tmp_path / "out", name)
    with rasterio.open(tmp_path / "out" / "B" / names[2]) as edited:  # the second prompt's, with its paraphrases
        assert "a collapsed roof" in edited.tags()["RSEDIT_PROMPTS"]
