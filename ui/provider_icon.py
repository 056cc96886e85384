"""The plugin icon's path, shared by the provider, its algorithms and the toolbar action."""
from pathlib import Path

ICON = str(Path(__file__).resolve().parent.parent / "icon.svg")
