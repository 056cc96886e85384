"""Images without georeferencing (PNG chips): edited in pixel coordinates, written back as PNG."""
from __future__ import annotations

import hashlib

import numpy as np
import pytest
import rasterio
from shapely.geometry import box

from chip_cutter import chip_pixels, write_plain_image
from rsedit.core.errors import InputError
from rsedit.core.scene_edit import edit_scene

SMALL = dict(backend="training-free", tile_size=64, context_size=64, feather=2)


@pytest.fixture
def png_chip(tmp_path, data_dir):
    return write_plain_image(tmp_path / "chip.png", chip_pixels(data_dir / "landsat" / "RGB.byte.tif", 300, 300))


def test_png_chip_regenerated_in_a_pixel_box_stays_a_png(png_chip, tmp_path):
    before = png_chip.read_bytes()
    out, mask_out = tmp_path / "edited.png", tmp_path / "mask.png"
    edit_scene(png_chip, [box(40, 50, 100, 110)], out, mode="regenerate", mask_out=mask_out, seed=1, **SMALL)
    assert hashlib.sha256(png_chip.read_bytes()).digest() == hashlib.sha256(before).digest()  # input unchanged
    with rasterio.open(png_chip) as src, rasterio.open(out) as dst, rasterio.open(mask_out) as mask:
        assert dst.driver == "PNG" and mask.driver == "PNG"
        assert (dst.width, dst.height, dst.count, dst.dtypes) == (src.width, src.height, src.count, src.dtypes)
        source, edited, weight = src.read(), dst.read(), mask.read(1)
    outside = weight == 0
    assert outside[:, :40].all() and outside[:50].all() and outside[110:].all() and outside[:, 100:].all()
    assert np.array_equal(edited[:, outside], source[:, outside])  # bit-identical outside the ROI
    assert (weight[55:105, 45:95] > 0).all()  # the box, in pixels: x = column, y = row
    assert not np.array_equal(edited[:, 55:105, 45:95], source[:, 55:105, 45:95])
    assert not list(tmp_path.glob(".*"))  # no temporary left, and no .aux.xml beside the PNG
    assert not list(tmp_path.glob("*.aux.xml"))


def test_rois_in_a_crs_on_a_plain_image_say_what_to_do(png_chip, tmp_path):
    with pytest.raises(InputError, match=r"no georeferencing.*rois_crs=None"):
        edit_scene(png_chip, [box(40, 50, 100, 110)], tmp_path / "x.png", mode="regenerate", rois_crs="EPSG:4326",
                   **SMALL)


def test_a_jpeg_output_is_refused_before_any_work(png_chip, tmp_path):
    with pytest.raises(InputError, match=r"JPEG.*\.png"):
        edit_scene(png_chip, [box(40, 50, 100, 110)], tmp_path / "x.jpg", mode="regenerate", **SMALL)
    assert not list(tmp_path.glob("x*")) and not list(tmp_path.glob(".x*"))
