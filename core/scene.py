"""An opened input raster: its properties and windowed reads of data and validity."""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Optional

import numpy as np
import rasterio
from rasterio.crs import CRS
from rasterio.enums import ColorInterp, MaskFlags
from rasterio.errors import NotGeoreferencedWarning, RasterioIOError
from rasterio.io import DatasetReader
from rasterio.windows import Window

from .errors import InputError

SUPPORTED_DTYPES = ("uint8", "int8", "uint16", "int16", "uint32", "int32", "float32", "float64")


@dataclass
class Scene:
    """A raster opened read-only. Band numbers are 1-based, as in GDAL."""

    path: str
    dataset: DatasetReader
    data_bands: tuple[int, ...]
    alpha_band: Optional[int]
    georeferenced: bool

    @property
    def width(self) -> int:
        return self.dataset.width

    @property
    def height(self) -> int:
        return self.dataset.height

    @property
    def count(self) -> int:
        """All bands, the alpha band included."""
        return self.dataset.count

    @property
    def dtype(self) -> np.dtype:
        return np.dtype(self.dataset.dtypes[0])

    @property
    def crs(self) -> Optional[CRS]:
        return self.dataset.crs

    @property
    def transform(self) -> rasterio.Affine:
        return self.dataset.transform

    @property
    def nodata(self) -> Optional[float]:
        return self.dataset.nodata

    @property
    def descriptions(self) -> tuple[Optional[str], ...]:
        return self.dataset.descriptions

    @property
    def colorinterp(self) -> tuple[ColorInterp, ...]:
        return self.dataset.colorinterp

    @property
    def has_internal_mask(self) -> bool:
        """A per-dataset mask band (internal or .msk) that is not an alpha band."""
        flags = self.dataset.mask_flag_enums[self.data_bands[0] - 1]
        return MaskFlags.per_dataset in flags and MaskFlags.alpha not in flags

    @property
    def has_nodata_mask(self) -> bool:
        return any(MaskFlags.nodata in self.dataset.mask_flag_enums[b - 1] for b in self.data_bands)

    def read(self, window: Window) -> tuple[np.ndarray, np.ndarray]:
        """Data bands (bands, h, w) in the native dtype, and validity (h, w) bool."""
        data = self.dataset.read(list(self.data_bands), window=window)
        return data, self.read_valid(window)

    def read_all_bands(self, window: Window) -> np.ndarray:
        """Every band as stored, alpha included: what a pass-through copy writes."""
        return self.dataset.read(window=window)

    def read_internal_mask(self, window: Window) -> np.ndarray:
        """The per-dataset mask (uint8, 0 or 255) to pass through to the output."""
        return self.dataset.read_masks(self.data_bands[0], window=window)

    def read_valid(self, window: Window) -> np.ndarray:
        """Validity combining an internal mask or nodata with the alpha band (alpha > 0)."""
        h, w = int(window.height), int(window.width)
        valid = np.ones((h, w), dtype=bool)
        if self.has_internal_mask:
            valid &= self.read_internal_mask(window) > 0
        elif self.has_nodata_mask:
            # GDAL's per-dataset convention: a pixel is nodata only where every band is.
            band_masks = self.dataset.read_masks(list(self.data_bands), window=window)
            valid &= np.logical_or.reduce(band_masks > 0, axis=0)
        if self.alpha_band is not None:
            valid &= self.dataset.read(self.alpha_band, window=window) > 0
        return valid

    def close(self) -> None:
        self.dataset.close()

    def __enter__(self) -> "Scene":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def open_scene(path: str, allow_ungeoreferenced: bool = False) -> Scene:
    """Open a raster read-only and check that the engine can edit it."""
    path = str(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NotGeoreferencedWarning)
            dataset = rasterio.open(path, "r")
    except RasterioIOError as exc:
        raise InputError(f"Cannot open the raster {path!r}: {exc}. Check that the file exists "
                         "and is a raster format GDAL can read.") from exc
    try:
        return _make_scene(path, dataset, allow_ungeoreferenced)
    except BaseException:
        dataset.close()
        raise


def _make_scene(path: str, dataset: DatasetReader, allow_ungeoreferenced: bool) -> Scene:
    dtypes = set(dataset.dtypes)
    if len(dtypes) != 1:
        raise InputError(f"The raster {path!r} mixes band data types ({', '.join(sorted(dtypes))}). "
                         "Convert it to a single data type first (e.g. with gdal_translate -ot).")
    dtype = dataset.dtypes[0]
    if dtype not in SUPPORTED_DTYPES:
        raise InputError(f"The raster {path!r} has data type {dtype}, which RSEdit cannot edit. "
                         f"Supported types: {', '.join(SUPPORTED_DTYPES)}.")

    alpha_bands = [i + 1 for i, ci in enumerate(dataset.colorinterp) if ci == ColorInterp.alpha]
    alpha_band = alpha_bands[0] if alpha_bands else None
    data_bands = tuple(b for b in range(1, dataset.count + 1) if b != alpha_band)
    if not data_bands:
        raise InputError(f"The raster {path!r} has only an alpha band and no data to edit.")

    georeferenced = dataset.crs is not None and not dataset.transform.is_identity
    if not georeferenced and not allow_ungeoreferenced:
        missing = "a coordinate reference system" if dataset.crs is None else "a geotransform"
        raise InputError(f"The raster {path!r} is not georeferenced (it has no {missing}), so ROIs "
                         "cannot be placed on it. Georeference it first (e.g. with the QGIS "
                         "Georeferencer), or open it with allow_ungeoreferenced=True (open_scene, "
                         "edit_raster) to place ROIs in its pixel coordinates. edit_scene and "
                         "generate_pairs do that by themselves when the ROIs have no CRS.")
    return Scene(path=path, dataset=dataset, data_bands=data_bands, alpha_band=alpha_band,
                 georeferenced=georeferenced)



def georeferencing(path: str) -> tuple[bool, bool]:
    """(has a CRS, has a geotransform); (True, True) for a file that cannot be opened (opening it for
    the edit then says why)."""
    try:
        with open_scene(path, allow_ungeoreferenced=True) as scene:
            return scene.crs is not None, not scene.transform.is_identity
    except InputError:
        return True, True
