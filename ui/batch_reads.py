"""qgis_process reads its inputs without writing beside them.

QGIS computes statistics for the renderer of every raster layer it loads, and GDAL keeps them in an
`<input>.aux.xml` (its PAM) beside the input. In the desktop that is QGIS's own habit for every layer;
a batch run through qgis_process loads the layer only to hand RSEdit its path, so there PAM is turned
off before any layer is opened and the input folder stays exactly as it was. The price: an input whose
georeferencing lives only in an .aux.xml reads as not georeferenced in qgis_process (convert it to a
GeoTIFF first)."""
from __future__ import annotations

from qgis.core import QgsApplication

BATCH_PLATFORM = "qgis_process"


def keep_batch_inputs_unwritten() -> bool:
    """Turn GDAL's PAM off when running under qgis_process; True when it did."""
    if QgsApplication.platform() != BATCH_PLATFORM:
        return False
    from osgeo import gdal

    gdal.SetConfigOption("GDAL_PAM_ENABLED", "NO")
    return True
