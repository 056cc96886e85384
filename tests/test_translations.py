"""The German translation keeps up with the code: every message the code's tr() calls hold is in
i18n/rsedit_de.ts and translated there, the translations keep their source's placeholders, HTML tags
and line breaks, and the compiled .qm gives each of them inside QGIS."""
from __future__ import annotations

import importlib.util
import shutil
import subprocess
import xml.etree.ElementTree as ET

import pytest

from qgis_helpers import ALGORITHM_IDS, REPO

TS = REPO / "i18n" / "rsedit_de.ts"


def _translate_de():
    """scripts/translate_de.py, the filter `make i18n-update` applies (scripts/ is not a package)."""
    spec = importlib.util.spec_from_file_location("translate_de", REPO / "scripts" / "translate_de.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _messages(ts) -> list[tuple[str, ET.Element]]:
    return [(message.findtext("source"), message.find("translation")) for message in ET.parse(ts).iter("message")]


def test_every_message_of_the_ts_is_translated_with_its_placeholders_tags_and_line_breaks():
    problems = _translate_de().problems
    untranslated = [source for source, translation in _messages(TS)
                    if translation.get("type") == "unfinished" or not (translation.text or "").strip()]
    assert not untranslated, "add their German to i18n/translations_de.json and run make i18n-update"
    faulty = {source[:60]: problems(source, translation.text) for source, translation in _messages(TS)}
    assert not {source: found for source, found in faulty.items() if found}


def test_the_checker_refuses_a_dropped_placeholder_tag_or_line_break():
    problems = _translate_de().problems
    assert problems("Removed {count} files from {folder}.", "{count} Dateien entfernt.") == [
        "placeholders dropped ['{folder}']"]
    assert problems("<b>Raster</b>: any raster.\nOutput: one", "Raster: ein Raster. Ausgabe: eines") == [
        "HTML tags differ", "line breaks differ"]
    assert problems("'{name}' holds {kind} geometries", "„{name}“ enthält {kind_name}-Geometrien") == []


@pytest.mark.skipif(shutil.which("pylupdate5") is None, reason="pylupdate5 (PyQt5's dev tools) is not installed")
def test_the_ts_holds_every_message_of_the_code(tmp_path):
    """What `make i18n-update` extracts now is what the committed .ts holds: code with a new or
    changed tr() string and no regenerated, translated .ts fails here."""
    fresh = tmp_path / "rsedit_de.ts"
    sources = ["plugin.py", *sorted(str(p.relative_to(REPO)) for p in (REPO / "ui").glob("*.py")),
               *sorted(str(p.relative_to(REPO)) for p in (REPO / "ui" / "algorithms").glob("*.py"))]
    subprocess.run(["pylupdate5", "-noobsolete", *sources, "-ts", str(fresh)], cwd=REPO, check=True,
                   capture_output=True)
    in_code = {source for source, _ in _messages(fresh)}
    in_ts = {source for source, _ in _messages(TS)}
    assert not {s[:80] for s in in_code - in_ts}, "run make i18n-update and translate what is unfinished"
    assert not {s[:80] for s in in_ts - in_code}, "run make i18n-update: the .ts holds strings the code lost"


@pytest.mark.usefixtures("qgis_app")
def test_the_compiled_qm_gives_every_german_translation_in_qgis():
    from qgis.core import QgsApplication

    from rsedit.ui.i18n import install_translator, remove_translator, tr

    german = {source: translation.text for source, translation in _messages(TS)}
    try:
        assert install_translator("de"), "make translations compiles i18n/rsedit_de.ts into rsedit_de.qm"
        stale = [source[:60] for source, text in german.items() if tr(source) != text]
        assert not stale, "the .qm is older than the .ts: run make translations"
        # what the algorithms show is a translation: a label not wrapped in tr() stays English here
        registry = QgsApplication.processingRegistry()
        for algorithm_id in ALGORITHM_IDS:
            algorithm = registry.createAlgorithmById(algorithm_id)
            labels = [algorithm.displayName(), algorithm.group()]
            labels += [d.description() for d in [*algorithm.parameterDefinitions(), *algorithm.outputDefinitions()]]
            english = [label for label in labels if label not in german.values()]
            assert not english, f"{algorithm_id} shows untranslated labels"
    finally:
        remove_translator()
