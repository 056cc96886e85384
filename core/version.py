"""The plugin version, from metadata.txt (the one place it is written)."""
from __future__ import annotations

import configparser
from functools import lru_cache
from pathlib import Path

METADATA = Path(__file__).resolve().parent.parent / "metadata.txt"


@lru_cache(maxsize=1)
def plugin_version() -> str:
    parser = configparser.ConfigParser()
    parser.read(METADATA, encoding="utf-8")
    return parser.get("general", "version", fallback="unknown")
