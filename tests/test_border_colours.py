"""Copy sources a regenerated ROI keeps out of (models/patch/border_colours.py) and the colour histogram
behind them (models/colour_histogram.py)."""
from __future__ import annotations

import numpy as np
import torch

from rsedit.models.colour_histogram import ColourHistogram
from rsedit.models.patch.border_colours import foreign_to_border
from rsedit.models.patch.quilt import quilt

FIELD = (0.1, 0.35, -0.2)
MAGENTA = (0.9, -0.8, 0.9)
RED = (0.9, -0.9, -0.9)


def field(height: int, width: int, seed: int = 0) -> torch.Tensor:
    """A speckled green field with single pixels of odd shades strewn over it."""
    rng = np.random.default_rng(seed)
    image = np.array(FIELD)[:, None, None] + 0.15 * rng.standard_normal((3, height, width))
    odd = rng.random((height, width)) < 0.002
    image[:, odd] = rng.uniform(-1.0, 1.0, (3, int(odd.sum())))
    return torch.from_numpy(image)


def disk(image: torch.Tensor, centre: tuple[int, int], radius: int, colour: tuple[float, ...]) -> np.ndarray:
    ys, xs = np.ogrid[:image.shape[-2], :image.shape[-1]]
    inside = (ys - centre[0]) ** 2 + (xs - centre[1]) ** 2 <= radius ** 2
    image[:, torch.from_numpy(inside)] = torch.tensor(colour, dtype=image.dtype)[:, None]
    return inside


def test_the_histogram_counts_the_pixels_within_one_bin_of_a_colour():
    reference = torch.tensor([[0.0, 0.0, 1.0, 2.0, 9.0, 10.0]])  # one band: a 1-D histogram
    histogram = ColourHistogram(reference)
    counts = histogram.counts()
    assert float(counts.sum()) == 6
    near = histogram.near(counts)
    # 0, 0 and 1 fall in neighbouring bins; 2 lies a bin and a half from 1; 9 and 10 are each other's
    assert near.tolist()[:2] == [3.0, 3.0] and near.tolist()[4:] == [2.0, 2.0]
    assert float(histogram.near(counts, histogram.bins(torch.tensor([[5.5]])))[0]) == 0  # no pixel near 5.5


def test_a_solid_colour_the_border_lacks_is_foreign_but_not_the_fields_speckle_nor_a_mark_on_the_border():
    image = field(160, 240)
    roi = np.zeros((160, 240), dtype=bool)
    roi[40:120, 60:180] = True  # 40 px deep
    paint = disk(image, (30, 215), 12, MAGENTA)  # 25 px from the ROI: outside its ring
    red = np.zeros_like(roi)
    red[100:140, 40:80] = True  # across the ROI's border: its ring holds red
    image[:, torch.from_numpy(red)] = torch.tensor(RED, dtype=image.dtype)[:, None]
    valid = torch.from_numpy(~roi)
    foreign = foreign_to_border(image, valid, image, roi)
    assert foreign is not None
    foreign = foreign.numpy()
    assert foreign[paint].all()
    assert not foreign[red].any()
    field_pixels = ~paint & ~red & ~roi
    assert foreign[field_pixels].mean() < 0.02  # the disk's rim only, not the odd single pixels
    assert not foreign[roi].any()  # invalid pixels are never copied anyway

    small = np.zeros((160, 240), dtype=bool)
    small[60:92, 100:132] = True  # 16 px deep: every block sees its border
    assert foreign_to_border(image, torch.from_numpy(~small), image, small) is None


def test_a_quilt_that_copies_paint_into_a_deep_roi_copies_none_once_the_border_lacks_it():
    """A speckled field strewn with small magenta disks: left to itself the quilt copies some of them into
    the middle of a large ROI whose border holds none; without the foreign colours it copies none."""
    from scipy.ndimage import gaussian_filter

    image = field(200, 320, seed=1)
    roi = np.zeros((200, 320), dtype=bool)
    roi[50:150, 90:230] = True
    ring = np.zeros_like(roi)
    ring[34:166, 74:246] = True
    paint = np.zeros_like(roi)
    scratch = image.clone()
    for row in range(7, 200, 30):
        for col in range(7, 320, 30):
            spot = disk(scratch, (row, col), 6, MAGENTA)
            if not (spot & ring).any():
                paint |= spot
    image[:, torch.from_numpy(paint)] = torch.tensor(MAGENTA, dtype=image.dtype)[:, None]
    blurry = torch.from_numpy(np.stack([gaussian_filter(band, 3.0) for band in image.numpy()]))
    known = image.clone()
    known[:, torch.from_numpy(roi)] = 0.0
    guide = known.clone()
    guide[:, torch.from_numpy(roi)] = torch.tensor(FIELD, dtype=guide.dtype)[:, None]  # the layout asks for field
    valid = torch.from_numpy(~roi)

    def magenta_pixels(usable: torch.Tensor) -> int:
        """ROI pixels of paint: near magenta, beside another such pixel (an odd pixel of the field may
        be near magenta on its own)."""
        from scipy.ndimage import binary_opening

        out = quilt(guide, known, torch.from_numpy(roi), image, blurry, usable,
                    generator=torch.Generator().manual_seed(0))
        assert out is not None
        near = (out - torch.tensor(MAGENTA, dtype=out.dtype)[:, None, None]).norm(dim=0).numpy() < 0.5
        return int((binary_opening(near, np.ones((2, 2))) & roi).sum())

    assert magenta_pixels(valid) > 50
    foreign = foreign_to_border(image, valid, known, roi)
    assert foreign is not None and foreign.numpy()[paint].all()
    assert magenta_pixels(valid & ~foreign) == 0
