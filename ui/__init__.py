"""QGIS adapters over rsedit.core: the Processing provider, algorithms and the desktop workflow."""
