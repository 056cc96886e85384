"""Fill i18n/rsedit_de.ts with the German translations of i18n/translations_de.json (run after pylupdate5).

The JSON maps each English source string, exactly as tr() receives it, to its German translation.
A translation must keep the source's HTML tags, line breaks and {placeholders} (a placeholder of
STAND_INS, which the code passes for translations only, may take the place of the one it stands in for).
"""
from __future__ import annotations

import json
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

TRANSLATIONS = Path(__file__).resolve().parent.parent / "i18n" / "translations_de.json"
# ui/layers.py passes the geometry type un-lowercased as {kind_name} besides {kind}: German capitalizes nouns ("Punkt")
STAND_INS = {"{kind_name}": "{kind}"}

_TAG = re.compile(r"</?[a-zA-Z][^>]*>")
_PLACEHOLDER = re.compile(r"\{[^{}]*\}")


def problems(source: str, german: str) -> list[str]:
    found = []
    if sorted(_TAG.findall(source)) != sorted(_TAG.findall(german)):
        found.append("HTML tags differ")
    if source.count("\n") != german.count("\n"):
        found.append("line breaks differ")
    in_source, in_german = set(_PLACEHOLDER.findall(source)), set(_PLACEHOLDER.findall(german))
    extra = in_german - in_source - STAND_INS.keys()
    if extra:
        found.append(f"unknown placeholders {sorted(extra)}")
    # a dropped placeholder formats without error but loses what it says (a path, a count)
    dropped = in_source - in_german - {STAND_INS[name] for name in in_german & STAND_INS.keys()}
    if dropped:
        found.append(f"placeholders dropped {sorted(dropped)}")
    return found


def main(path: str) -> int:
    german = json.loads(TRANSLATIONS.read_text(encoding="utf-8"))
    bad = {source: problems(source, text) for source, text in german.items() if problems(source, text)}
    for source, found in bad.items():
        print(f"translate_de: {'; '.join(found)}: {source[:70]!r}", file=sys.stderr)
    if bad:
        return 1

    tree = ET.parse(path)
    tree.getroot().set("language", "de_DE")
    done, unfinished, sources = 0, [], set()
    for message in tree.iter("message"):
        source = message.findtext("source")
        sources.add(source)
        translation = message.find("translation")
        if translation.get("type") in ("obsolete", "vanished"):
            continue
        if source in german:
            translation.text = german[source]
            translation.attrib.pop("type", None)
            done += 1
        elif translation.get("type") == "unfinished" or not (translation.text or "").strip():
            unfinished.append(source)
    tree.write(path, encoding="utf-8", xml_declaration=True)
    print(f"{done} messages translated from {TRANSLATIONS.name}; {len(unfinished)} unfinished in {path}")
    for source in unfinished:
        print(f"  unfinished: {source[:90]!r}")
    for source in german.keys() - sources:  # the code's English changed or went: the entry is dead
        print(f"  in {TRANSLATIONS.name} but not in the code: {source[:90]!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "i18n/rsedit_de.ts"))
