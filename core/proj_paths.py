"""PROJ's database for GDAL and rasterio, and its repair when another stack broke the search path.

Other QGIS plugins' virtual environments set PROJ_DATA or PROJ_LIB for the whole process, pointing
at their own PROJ data (or at nothing). GDAL, and rasterio on it, then cannot resolve an EPSG code
and every CRS lookup of an edit fails. The repair points GDAL (osr.SetPROJSearchPaths, which every
thread's PROJ context follows) and the environment (for what starts later: pyproj, child
processes) back at a folder of QGIS's own that holds a proj.db that answers.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Optional

PROJ_ENV_VARS = ("PROJ_DATA", "PROJ_LIB")  # PROJ >= 9.1 reads PROJ_DATA, older ones PROJ_LIB
PROBE_EPSG = 3857  # in every proj.db; failing it means PROJ has no database at all


@dataclass(frozen=True)
class ProjRepair:
    folder: Optional[str]  # the folder now in use; None when no candidate answered
    previous: dict[str, str]  # the PROJ variables as they were set before the repair


def proj_answers() -> bool:
    """Whether PROJ resolves an EPSG code for GDAL's bindings and for rasterio (the engine reads
    CRSs through it), each where it is importable: a rasterio wheel may carry a GDAL of its own."""
    return all(probe() for probe in _probes())


def _probes() -> list[Callable[[], bool]]:
    probes: list[Callable[[], bool]] = []
    try:
        from osgeo import osr
    except ImportError:
        pass
    else:
        def gdal_answers() -> bool:
            try:
                return osr.SpatialReference().ImportFromEPSG(PROBE_EPSG) == 0
            except RuntimeError:  # osr.UseExceptions() is on
                return False
        probes.append(gdal_answers)
    try:
        from rasterio.crs import CRS
        from rasterio.errors import CRSError
    except ImportError:
        pass
    else:
        def rasterio_answers() -> bool:
            try:
                CRS.from_epsg(PROBE_EPSG)
            except CRSError:
                return False
            return True
        probes.append(rasterio_answers)
    return probes


def proj_env() -> dict[str, str]:
    return {name: os.environ[name] for name in PROJ_ENV_VARS if name in os.environ}


def proj_data_candidates(folders: Iterable[os.PathLike | str]) -> list[Path]:
    """The folders among `folders` that hold a proj.db, in order, once each, leaving out the ones
    the PROJ variables name now: those are what failed."""
    failing = {os.path.realpath(value) for value in proj_env().values()}
    found: list[Path] = []
    for folder in folders:
        path = Path(folder)
        real = os.path.realpath(path)
        if real not in failing and (path / "proj.db").is_file() and real not in map(os.path.realpath, found):
            found.append(path)
    return found


def use_proj_data(folder: os.PathLike | str) -> None:
    """Point the environment and the PROJ contexts of GDAL's bindings and of rasterio at `folder`."""
    for name in PROJ_ENV_VARS:
        os.environ[name] = str(folder)
    try:
        from osgeo import osr
    except ImportError:
        pass
    else:
        osr.SetPROJSearchPaths([str(folder)])
    try:
        from rasterio._env import set_proj_data_search_path
    except ImportError:
        pass
    else:
        set_proj_data_search_path(str(folder))


def repair_proj(candidates: Iterable[os.PathLike | str]) -> Optional[ProjRepair]:
    """None when PROJ answers; else the first candidate folder with which it answers, in use from
    now on (folder None, and the variables as they were, when none does)."""
    if proj_answers():
        return None
    previous = proj_env()
    for folder in proj_data_candidates(candidates):
        use_proj_data(folder)
        if proj_answers():
            return ProjRepair(str(folder), previous)
    for name in PROJ_ENV_VARS:  # nothing helped: leave the environment as it was found
        os.environ.pop(name, None)
    os.environ.update(previous)
    return ProjRepair(None, previous)
