"""Qt6-clean: the QGIS side (ui/ and plugin.py) uses no PyQt5-only API, so that it can run where
QGIS 4 offers PyQt6 through qgis.PyQt. Scanned from the source, resolved against the PyQt here:
- Qt is imported only through qgis.PyQt (never PyQt5/PyQt6/sip directly);
- no exec_() or print_() (PyQt6 has exec() and print() only);
- Qt enum values, and those of the class Qgis, are reached through their enum
  (Qt.AlignmentFlag.AlignLeft, not Qt.AlignLeft), the only form PyQt6 has;
- no QVariant field types (QVariant.Int...): QGIS 4 wants QMetaType.Type, QGIS 3.22 QVariant.Type,
  so they come from ui/field_types.py, which picks by QGIS version.
"""
from __future__ import annotations

import ast
import importlib
from pathlib import Path
from typing import Any, Iterator

import pytest

REPO = Path(__file__).resolve().parents[1]
FIELD_TYPES = REPO / "ui" / "field_types.py"  # the one place that names QVariant's and QMetaType's types


def _qgis_side_files() -> list[Path]:
    return sorted((REPO / "ui").rglob("*.py")) + [REPO / "plugin.py"]


def _enum_owners(tree: ast.Module) -> dict[str, Any]:
    """Names a file binds from qgis.PyQt, and the class Qgis (its enums have the same scoped names
    from QGIS 3.22 to 4), resolved to the objects."""
    names: dict[str, Any] = {}
    for node in ast.walk(tree):
        if not isinstance(node, ast.ImportFrom):
            continue
        module_name = node.module or ""
        for alias in node.names:
            if module_name.startswith("qgis.PyQt") or (module_name == "qgis.core" and alias.name == "Qgis"):
                names[alias.asname or alias.name] = getattr(importlib.import_module(module_name), alias.name)
    return names


def _unscoped_enums(tree: ast.Module, names: dict[str, Any]) -> Iterator[tuple[int, str]]:
    """`Owner.Value` where Value is an enum member and Owner is not its enum (PyQt5's shortcut)."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute):
            continue
        chain, base = [node.attr], node.value
        while isinstance(base, ast.Attribute):
            chain.insert(0, base.attr)
            base = base.value
        if not isinstance(base, ast.Name) or base.id not in names:
            continue
        owner = names[base.id]
        for attr in chain:
            value = getattr(owner, attr, None)
            if isinstance(value, int) and type(value) not in (int, bool) and owner is not type(value):
                yield node.lineno, f"{base.id}.{'.'.join(chain)} (use {type(value).__qualname__}.{attr})"
                break
            owner = value


def _problems(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found = []
    for node in ast.walk(tree):
        modules = [alias.name for alias in node.names] if isinstance(node, ast.Import) else \
            [node.module or ""] if isinstance(node, ast.ImportFrom) else []
        for module in modules:
            if module.split(".")[0] in ("PyQt5", "PyQt6", "sip"):
                found.append(f"{node.lineno}: imports {module} directly (use qgis.PyQt)")
        if isinstance(node, ast.Attribute) and node.attr in ("exec_", "print_"):
            found.append(f"{node.lineno}: {node.attr}() (use {node.attr[:-1]}())")
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "QVariant" \
                and path != FIELD_TYPES:
            found.append(f"{node.lineno}: QVariant.{node.attr} (field types come from ui/field_types.py)")
    found += [f"{line}: unscoped enum {text}" for line, text in _unscoped_enums(tree, _enum_owners(tree))]
    return found


@pytest.mark.parametrize("path", _qgis_side_files(), ids=lambda p: str(p.relative_to(REPO)))
def test_no_pyqt5_only_api(path):
    assert _problems(path) == []


def test_the_scan_finds_what_it_looks_for(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("from PyQt5.QtCore import QTimer\nfrom qgis.PyQt.QtCore import Qt, QVariant\n"
                      "from qgis.PyQt.QtWidgets import QDialog, QDialogButtonBox\n"
                      "QDialog().exec_()\nalign = Qt.AlignLeft\nok = Qt.AlignmentFlag.AlignLeft\n"
                      "close = QDialogButtonBox.Close\nfield = QVariant.Int\n"
                      "from qgis.core import Qgis\nlevel = Qgis.Warning\n")
    problems = "\n".join(_problems(sample))
    assert "1: imports PyQt5.QtCore directly" in problems
    assert "4: exec_()" in problems
    assert "5: unscoped enum Qt.AlignLeft (use Qt.AlignmentFlag.AlignLeft)" in problems
    assert "6:" not in problems  # the scoped form passes
    assert "7: unscoped enum QDialogButtonBox.Close (use QDialogButtonBox.StandardButton.Close)" in problems
    assert "8: QVariant.Int" in problems
    assert "10: unscoped enum Qgis.Warning (use Qgis.MessageLevel.Warning)" in problems
