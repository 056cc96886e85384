"""Fill i18n/rsedit_de.ts with the German translations kept here (run after pylupdate5)."""
from __future__ import annotations

import sys
import xml.etree.ElementTree as ET

GERMAN = {
    "Tools": "Werkzeuge",
    "Scene models": "Szenenmodelle",
    "Edit rasters": "Raster bearbeiten",
    "Training data": "Trainingsdaten",
    "Preview tiles": "Kachelvorschau",
    "Edit with text prompt in ROIs": "Mit Textvorgabe in ROIs bearbeiten",
    "Regenerate ROIs (remove clouds or objects)": "ROIs neu erzeugen (Wolken oder Objekte entfernen)",
    "Copy ROI content to target ROIs": "ROI-Inhalt in Ziel-ROIs kopieren",
    "Train scene model": "Szenenmodell trainieren",
    "Raster": "Raster",
    "ROI polygons": "ROI-Polygone",
    "Regions to edit (polygons)": "Zu bearbeitende Bereiche (Polygone)",
    "Target polygons": "Zielpolygone",
    "Tiles": "Kacheln",
    "Tile size (pixels)": "Kachelgröße (Pixel)",
    "Tile overlap (pixels)": "Kachelüberlappung (Pixel)",
    "Context margin around ROIs (pixels)": "Kontextrand um die ROIs (Pixel)",
    "Prompt": "Textvorgabe",
    "Prompt field (one prompt per polygon)": "Feld mit Textvorgabe (eine pro Polygon)",
    "Paraphrases (one per line)": "Umschreibungen (eine pro Zeile)",
    "CLIP architecture": "CLIP-Architektur",
    "CLIP weights file (e.g. RemoteCLIP-ViT-B-32.pt)": "CLIP-Gewichtsdatei (z. B. RemoteCLIP-ViT-B-32.pt)",
    "Guidance strength": "Führungsstärke",
    "Random seed (same seed, same edit)": "Zufallswert (gleicher Wert, gleiche Bearbeitung)",
    "Random seed": "Zufallswert",
    "Edited raster": "Bearbeitetes Raster",
    "Edit mask (0 = original pixel, 255 = fully synthetic)": "Bearbeitungsmaske (0 = Originalpixel, 255 = vollständig synthetisch)",
    "Scene model": "Szenenmodell",
    "Training preset": "Trainingsvoreinstellung",
    "Device": "Gerät",
    "Source polygon (content to copy)": "Quellpolygon (zu kopierender Inhalt)",
    "Copy strength": "Kopierstärke",
    "Area to learn (polygons)": "Zu lernender Bereich (Polygone)",
    "Context (pixels)": "Kontext (Pixel)",
    "Cancelled: no output was written.": "Abgebrochen: Es wurde keine Ausgabe geschrieben.",
    "RSEdit: edit raster in ROIs…": "RSEdit: Raster in ROIs bearbeiten…",
    "Generate before/after pairs": "Vorher/Nachher-Paare erzeugen",
    "Clear the scene-model cache": "Zwischenspeicher der Szenenmodelle leeren",
    "Workflows": "Arbeitsabläufe",
    "Buffer ROIs, regenerate them and clip to their extent": "ROIs puffern, neu erzeugen und auf ihre Ausdehnung zuschneiden",
    "Mode": "Modus",
    "Text prompts": "Textvorgaben",
    "Regenerate (no prompt)": "Neu erzeugen (ohne Textvorgabe)",
    "Prompts (one per line)": "Textvorgaben (eine pro Zeile)",
    "Prompt file (one prompt per line)": "Datei mit Textvorgaben (eine pro Zeile)",
    "Variants per polygon and prompt": "Varianten je Polygon und Textvorgabe",
    "Random seed of the first variant": "Zufallswert der ersten Variante",
    "Output folder": "Ausgabeordner",
    "Before/after pair index": "Index der Vorher/Nachher-Paare",
    "Before/after pairs": "Vorher/Nachher-Paare",
    "Number of pairs written": "Anzahl geschriebener Paare",
    "Scene models removed": "Entfernte Szenenmodelle",
    "Bytes freed": "Freigegebene Bytes",
    "Cache folder": "Zwischenspeicher-Ordner",
    "&RSEdit": "&RSEdit",
}


def main(path: str) -> None:
    tree = ET.parse(path)
    done = 0
    for message in tree.iter("message"):
        source = message.findtext("source")
        translation = message.find("translation")
        if source in GERMAN:
            translation.text = GERMAN[source]
            translation.attrib.pop("type", None)
            done += 1
    tree.write(path, encoding="utf-8", xml_declaration=True)
    print(f"{done} of {len(GERMAN)} German strings filled in {path}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "i18n/rsedit_de.ts")
