"""On plugin load: make sure PROJ answers in QGIS's process, with QGIS's own data if it does not."""
from __future__ import annotations

import sys
from pathlib import Path

from qgis.core import Qgis, QgsApplication, QgsCoordinateReferenceSystem, QgsMessageLog, QgsProjUtils

from ..core.proj_paths import PROBE_EPSG, ProjRepair, repair_proj
from .i18n import tr

LOG_TAG = "RSEdit"


def qgis_proj_folders() -> list[Path]:
    """Where QGIS's own proj.db may lie, QGIS's choice first: its PROJ search path (the folders its
    launcher and PROJ's build set), its bundled data (macOS app, Windows installers), then the
    interpreter's and the system's share/proj."""
    prefix = Path(QgsApplication.prefixPath())
    folders = [Path(folder) for folder in QgsProjUtils.searchPaths()]
    folders += [Path(QgsApplication.pkgDataPath()) / "proj", prefix / "share" / "proj",
                prefix.parent.parent / "share" / "proj",  # OSGeo4W: <root>/apps/qgis -> <root>/share/proj
                Path(sys.prefix) / "share" / "proj", Path("/usr/share/proj"), Path("/usr/local/share/proj")]
    return folders


def check_proj() -> ProjRepair | None:
    """Repair PROJ for GDAL and rasterio if needed, and say in the QGIS log what was done."""
    repair = repair_proj(qgis_proj_folders())
    if repair is not None:
        was = ", ".join(f"{name}={value}" for name, value in repair.previous.items()) or tr("no PROJ variable set")
        if repair.folder is not None:
            message = tr("PROJ could not find its database ({was}), probably set by another plugin's Python "
                         "environment; RSEdit pointed GDAL and rasterio back to QGIS's PROJ data in {folder}.").format(
                was=was, folder=repair.folder)
        else:
            message = tr("PROJ could not find its database ({was}) and no PROJ data folder of QGIS answered; "
                         "CRS lookups will fail. Remove PROJ_DATA and PROJ_LIB from the environment "
                         "(Settings > Options > System) and restart QGIS.").format(was=was)
        QgsMessageLog.logMessage(message, LOG_TAG, Qgis.MessageLevel.Warning)
    if not QgsCoordinateReferenceSystem(f"EPSG:{PROBE_EPSG}").isValid():
        QgsMessageLog.logMessage(tr("QGIS cannot resolve EPSG:{code}: its PROJ database is missing or broken; "
                                    "CRS lookups will fail.").format(code=PROBE_EPSG), LOG_TAG, Qgis.MessageLevel.Critical)
    return repair
