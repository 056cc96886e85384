"""QgsField types for the QGIS running: QMetaType.Type from QGIS 3.38 on (the only kind QGIS 4
takes), QVariant.Type before (the only kind QGIS 3.22 takes)."""
from __future__ import annotations

from typing import Any

from qgis.core import Qgis
from qgis.PyQt.QtCore import QMetaType, QVariant

QMETATYPE_FIELDS_SINCE = 33800  # Qgis.QGIS_VERSION_INT of 3.38


def _field_type(metatype: str, variant: str) -> Any:
    if Qgis.QGIS_VERSION_INT >= QMETATYPE_FIELDS_SINCE:
        return getattr(QMetaType.Type, metatype)
    return getattr(QVariant.Type, variant)


INT = _field_type("Int", "Int")
STRING = _field_type("QString", "String")
