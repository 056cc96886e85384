"""Per-band robust normalisation of raster values to the model's [-1, 1] range and back.

Each band's 0.5 and 99.5 percentiles (over valid pixels) map to -0.8 and 0.8, so uint8, uint16
and float bands with very different ranges all fill the range the network was designed for. The
mapping is stored with the model and inverted on output, clipped to the source dtype's range.

The margin to +-1 is headroom for the sampler, which clamps its x0 estimate to [-1, 1]. With the
percentiles at +-1, a scene's dark water sat on the clamp: the clamp could only brighten it, and
regenerated sea came out lighter and greener than the sea around it, with land-like mottling.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...core.errors import ModelError, TrainingDataError

DEFAULT_PERCENTILES = (0.5, 99.5)
PERCENTILE_TARGET = 0.8  # model value of the percentiles; see the module docstring
_MAX_STAT_PIXELS = 4_000_000  # percentiles from a regular subsample beyond this: same result, less memory


def non_finite_band(number: int) -> TrainingDataError:
    """A band (1-based `number`) without a finite value where the others are valid: NaN is not nodata
    to GDAL unless the raster says so."""
    return TrainingDataError(f"band {number} holds only NaN or infinite values in the training area",
                             "set the raster's nodata value, or leave that band out")


@dataclass(frozen=True)
class BandNormalization:
    low: tuple[float, ...]  # per band: value mapped to -1
    high: tuple[float, ...]  # per band: value mapped to +1
    dtype: str  # numpy dtype name of the source raster

    @property
    def num_bands(self) -> int:
        return len(self.low)

    @classmethod
    def fit(
        cls,
        data: np.ndarray,
        valid: np.ndarray | None = None,
        percentiles: tuple[float, float] = DEFAULT_PERCENTILES,
    ) -> "BandNormalization":
        """Fit to `data` [bands, H, W]; `valid` [H, W] (True = use) excludes nodata and alpha=0 pixels."""
        if data.ndim != 3:
            raise ModelError(f"Expected raster data shaped [bands, height, width], got shape {data.shape}.")
        dtype = np.dtype(data.dtype)
        if not (np.issubdtype(dtype, np.integer) or np.issubdtype(dtype, np.floating) or dtype == np.bool_):
            raise ModelError(f"Unsupported raster data type {dtype}: use integer or floating-point bands.")
        pixels = data.reshape(data.shape[0], -1)
        mask = np.ones(pixels.shape[1], dtype=bool) if valid is None else np.asarray(valid, dtype=bool).reshape(-1)
        if mask.shape[0] != pixels.shape[1]:
            raise ModelError(f"The validity mask {np.shape(valid)} does not match the data {data.shape[1:]}.")
        index = np.flatnonzero(mask)
        if index.size == 0:
            raise TrainingDataError("the training area has no valid pixels (all nodata or transparent)")
        if index.size > _MAX_STAT_PIXELS:
            index = index[:: int(np.ceil(index.size / _MAX_STAT_PIXELS))]
        lows, highs = [], []
        for number, band in enumerate(pixels, start=1):
            values = band[index].astype(np.float64)
            values = values[np.isfinite(values)]
            if values.size == 0:
                raise non_finite_band(number)
            low, high = np.percentile(values, percentiles)
            if not high > low:  # a constant band: any non-zero span inverts exactly
                high = low + 1.0
            pad = (high - low) * (1.0 / PERCENTILE_TARGET - 1.0) / 2.0
            lows.append(float(low - pad))
            highs.append(float(high + pad))
        return cls(tuple(lows), tuple(highs), dtype.name)

    def _span(self) -> tuple[np.ndarray, np.ndarray]:
        low = np.asarray(self.low, dtype=np.float64)[:, None, None]
        high = np.asarray(self.high, dtype=np.float64)[:, None, None]
        return low, high

    def normalize(self, data: np.ndarray, *, clip: bool = True) -> np.ndarray:
        """[bands, H, W] native values -> float32 in [-1, 1] (values beyond low/high clipped if `clip`)."""
        self._check_bands(data)
        low, high = self._span()
        values = (data.astype(np.float64) - low) / (high - low) * 2.0 - 1.0
        if clip:
            values = np.clip(values, -1.0, 1.0)
        return np.nan_to_num(values, nan=0.0).astype(np.float32)

    def denormalize(self, values: np.ndarray) -> np.ndarray:
        """[..., bands, H, W] model values -> the source dtype (rounded and clipped to its range)."""
        self._check_bands(values, axis=-3)
        finite = np.isfinite(values)
        if not finite.all():
            # integer rasters would get NaN cast to arbitrary numbers: refuse, whichever backend produced them
            raise ModelError(f"The scene model produced {int((~finite).sum())} NaN or infinite values: its weights "
                             "are damaged or its training diverged. Train the model again (clear the model cache "
                             "with rsedit:clearcache if it came from there) or use the training-free backend.")
        low, high = self._span()
        data = (values.astype(np.float64) + 1.0) * 0.5 * (high - low) + low
        dtype = np.dtype(self.dtype)
        if np.issubdtype(dtype, np.integer):
            info = np.iinfo(dtype)
            return np.clip(np.rint(data), info.min, info.max).astype(dtype)
        if dtype == np.bool_:
            return data >= 0.5
        info = np.finfo(dtype)
        return np.clip(data, info.min, info.max).astype(dtype)

    def _check_bands(self, array: np.ndarray, axis: int = 0) -> None:
        if array.ndim < 3 or array.shape[axis] != self.num_bands:
            raise ModelError(
                f"The model was trained on {self.num_bands} band(s) but got data shaped {array.shape}: "
                "use a raster with the same bands or train a new model."
            )

    def to_dict(self) -> dict:
        return {"low": list(self.low), "high": list(self.high), "dtype": self.dtype}

    @classmethod
    def from_dict(cls, data: dict) -> "BandNormalization":
        return cls(tuple(float(v) for v in data["low"]), tuple(float(v) for v in data["high"]), str(data["dtype"]))
