"""The input is never a target, whatever its form: a symlink or hard link to it, a file a VRT reads,
or one of its sidecars are refused before any work; and qgis_process leaves the input folder exactly
as it was (listing and every file's sha256)."""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest
from osgeo import gdal

from rsedit.core import InputError, edit_raster, prepare_rois
from rsedit.core.scene import open_scene
from qgis_helpers import qgis_process
from textured_scene import TRANSFORM, write_textured_scene
from test_engine_support import pixel_box_feature

PLUGINS_DIR = Path(__file__).resolve().parents[1] / "build" / "plugins"


def folder_state(folder: Path) -> dict[str, str]:
    return {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in sorted(folder.iterdir())}


def rois_for(raster: Path):
    with open_scene(str(raster)) as scene:
        return prepare_rois([pixel_box_feature(TRANSFORM, 10, 10, 40, 40)], "EPSG:32633", scene)


def invert(ctx):
    return (255 - ctx.data).astype(ctx.data.dtype)


@pytest.fixture
def vrt_input(tmp_path) -> Path:
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    source = write_textured_scene(inputs / "source.tif", 96)
    (inputs / "source.tif.aux.xml").write_text("<PAMDataset></PAMDataset>\n")  # a sidecar the input reads
    gdal.Translate(str(inputs / "scene.vrt"), str(source), format="VRT")
    return inputs / "scene.vrt"


@pytest.mark.parametrize("target", ["source.tif", "source.tif.aux.xml"])
def test_a_file_the_vrt_reads_is_refused(vrt_input, target):
    before = folder_state(vrt_input.parent)
    with pytest.raises(InputError, match=f"would overwrite .*{target}.*which the input raster .*scene.vrt"):
        edit_raster(str(vrt_input), rois_for(vrt_input), invert, str(vrt_input.parent / target))
    assert folder_state(vrt_input.parent) == before


def test_a_mask_onto_the_vrt_source_is_refused(vrt_input, tmp_path):
    before = folder_state(vrt_input.parent)
    with pytest.raises(InputError, match="edit-mask output .* would overwrite"):
        edit_raster(str(vrt_input), rois_for(vrt_input), invert, str(tmp_path / "edited.tif"),
                    mask_path=str(vrt_input.parent / "source.tif"))
    assert folder_state(vrt_input.parent) == before and not (tmp_path / "edited.tif").exists()


def test_an_output_whose_sidecar_is_the_input_is_refused(tmp_path):
    """Committing `x.tif` replaces `x.tif.ovr`: when that is the input, it must be refused."""
    raster = write_textured_scene(tmp_path / "x.tif.ovr", 64)
    with pytest.raises(InputError, match="would overwrite"):
        edit_raster(str(raster), rois_for(raster), invert, str(tmp_path / "x.tif"))
    assert sorted(os.listdir(tmp_path)) == ["x.tif.ovr"]


@pytest.mark.parametrize("link", ["symlink", "hardlink"])
def test_a_link_to_the_input_is_refused(tmp_path, link):
    raster = write_textured_scene(tmp_path / "scene.tif", 64)
    alias = tmp_path / "alias.tif"
    (os.symlink if link == "symlink" else os.link)(raster, alias)
    before = folder_state(tmp_path)
    with pytest.raises(InputError, match="is the input raster"):
        edit_raster(str(raster), rois_for(raster), invert, str(alias))
    assert folder_state(tmp_path) == before


def test_a_vrt_edit_leaves_its_sources_alone(vrt_input, tmp_path):
    before = folder_state(vrt_input.parent)
    edit_raster(str(vrt_input), rois_for(vrt_input), invert, str(tmp_path / "edited.tif"))
    assert folder_state(vrt_input.parent) == before and (tmp_path / "edited.tif").is_file()


def test_qgis_process_leaves_the_input_folder_as_it_was(qgis_app, tmp_path):
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    raster = write_textured_scene(inputs / "scene.tif", 96)
    left, top = TRANSFORM * (20, 20)
    right, bottom = TRANSFORM * (50, 50)
    rois = inputs / "rois.geojson"
    rois.write_text(json.dumps({"type": "FeatureCollection", "crs": {"type": "name", "properties": {
        "name": "urn:ogc:def:crs:EPSG::32633"}}, "features": [{"type": "Feature", "properties": {}, "geometry": {
            "type": "Polygon", "coordinates": [[[left, top], [right, top], [right, bottom], [left, bottom],
                                                [left, top]]]}}]}))
    before = folder_state(inputs)
    home = tmp_path / "home"
    home.mkdir()
    assert qgis_process(["plugins", "enable", "rsedit"], PLUGINS_DIR, home).returncode == 0
    done = qgis_process(["run", "rsedit:regenerate", "--", f"INPUT={raster}", f"ROIS={rois}",
                         f"OUTPUT={tmp_path / 'edited.tif'}", "BACKEND=1", "TILE_SIZE=64", "OVERLAP=8", "MARGIN=4",
                         "CONTEXT_SIZE=64", "FEATHER=4", "START_STEP=60"], PLUGINS_DIR, home)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "edited.tif").is_file()
    assert folder_state(inputs) == before  # no .aux.xml, nothing rewritten
