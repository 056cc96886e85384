"""A coarse colour histogram of a set of pixels, and how many of them lie near any colour.

Why. Deciding whether a colour is typical of some pixels (the surroundings of a ROI, a whole scene) by
its distance to one typical colour fails wherever two covers meet (a coast, a field's edge). The share
of the pixels whose colour lies in its neighbourhood of a histogram does not: both covers count in
full, and a paint mark or a cloud's remnant stands out by its small share."""
from __future__ import annotations

import torch
import torch.nn.functional as F

BINS = 16  # per axis
QUANTILE_SAMPLE = 100_000  # pixels the histogram's range is read from (torch.quantile's size limit)


class ColourHistogram:
    """A BINS^d histogram (d = the bands, at most 3: beyond that the colours' three main axes) whose axes
    and range are fitted on `reference` [C, N] pixel values. `counts` gives the histogram of any pixels on
    those axes, `near` the number of them within one bin of each given colour."""

    def __init__(self, reference: torch.Tensor) -> None:
        values = reference.detach().to("cpu", torch.float64)  # float64 on the CPU: not every device has it
        self.centre = values.mean(dim=1, keepdim=True)
        values = values - self.centre
        self.axes = None
        if values.shape[0] > 3:  # more bands than a histogram can hold: their three main axes
            _, _, axes = torch.linalg.svd(values @ values.T)
            self.axes = axes[:3]
            values = self.axes @ values
        sample = values[:, ::max(1, values.shape[1] // QUANTILE_SAMPLE)]
        # the range without its extreme 0.1 %, so that a few saturated pixels do not squeeze every other
        # colour into a few bins
        self.low, self.high = torch.quantile(sample, 0.001, dim=1), torch.quantile(sample, 0.999, dim=1)
        self.dims = values.shape[0]
        self._reference_bins = self._flat_bins(values)

    def bins(self, values: torch.Tensor) -> torch.Tensor:
        """[N] flat bin index of each pixel of `values` [C, N]."""
        values = values.detach().to("cpu", torch.float64) - self.centre
        if self.axes is not None:
            values = self.axes @ values
        return self._flat_bins(values)

    def _flat_bins(self, values: torch.Tensor) -> torch.Tensor:
        bins = ((values - self.low[:, None]) / (self.high - self.low).clamp_min(1e-9)[:, None] * BINS)
        bins = bins.floor().clamp(0, BINS - 1).long()
        flat = torch.zeros_like(bins[0])
        for axis in range(self.dims):
            flat = flat * BINS + bins[axis]
        return flat

    def counts(self, flat: torch.Tensor | None = None) -> torch.Tensor:
        """The histogram [BINS^d] of the pixels with these flat bins (`bins`); the reference's by default."""
        flat = self._reference_bins if flat is None else flat
        return torch.bincount(flat, minlength=BINS**self.dims).double()

    def near(self, counts: torch.Tensor, flat: torch.Tensor | None = None) -> torch.Tensor:
        """[N]: for each pixel with these flat bins (the reference's by default), how many of the pixels
        counted in `counts` lie in its bin or one of the bins around it."""
        flat = self._reference_bins if flat is None else flat
        pool = (F.avg_pool1d, F.avg_pool2d, F.avg_pool3d)[self.dims - 1]
        shaped = counts.reshape([1, 1] + [BINS] * self.dims)
        pooled = pool(shaped, 3, stride=1, padding=1, count_include_pad=True) * 3**self.dims
        return pooled.reshape(-1)[flat]
