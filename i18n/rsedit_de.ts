<?xml version='1.0' encoding='utf-8'?>
<TS version="2.1" language="de_DE">
<context>
    <name>@default</name>
    <message>
        <location filename="../plugin.py" line="41" />
        <source>RSEdit: edit raster in ROIs…</source>
        <translation>RSEdit: Raster in ROIs bearbeiten…</translation>
    </message>
    <message>
        <location filename="../plugin.py" line="90" />
        <source>&amp;RSEdit</source>
        <translation>&amp;RSEdit</translation>
    </message>
    <message>
        <location filename="../ui/dependencies.py" line="41" />
        <source>RSEdit needs the Python package(s) {packages}, which QGIS's Python cannot import. Install them with:
    {command}
then restart QGIS.</source>
        <translation>RSEdit benötigt Python-Pakete, die sich im Python von QGIS nicht importieren lassen: {packages}. Installieren Sie sie mit:
    {command}
und starten Sie QGIS anschließend neu.</translation>
    </message>
    <message>
        <location filename="../ui/layers.py" line="29" />
        <source>Choose a raster layer for '{name}'.</source>
        <translation>Wählen Sie einen Rasterlayer für „{name}“.</translation>
    </message>
    <message>
        <location filename="../ui/layers.py" line="31" />
        <source>The raster '{layer}' comes from the '{provider}' provider. RSEdit reads rasters through GDAL files only: export it first (right-click ▸ Export ▸ Save As… GeoTIFF).</source>
        <translation>Das Raster „{layer}“ stammt vom Datenanbieter „{provider}“. RSEdit liest Raster nur aus GDAL-Dateien: Exportieren Sie es zuerst (Rechtsklick ▸ Exportieren ▸ Speichern als… GeoTIFF).</translation>
    </message>
    <message>
        <location filename="../ui/layers.py" line="49" />
        <source>Choose a polygon layer for '{name}'.</source>
        <translation>Wählen Sie einen Polygonlayer für „{name}“.</translation>
    </message>
    <message>
        <location filename="../ui/layers.py" line="54" />
        <source>'{name}' must be a polygon layer, but it holds {kind} geometries. Draw polygons around the areas to edit, or buffer the {kind} features first (Vector geometry ▸ Buffer).</source>
        <translation>„{name}“ muss ein Polygonlayer sein, enthält aber Geometrien vom Typ „{kind_name}“. Zeichnen Sie Polygone um die zu bearbeitenden Bereiche oder puffern Sie die Objekte zuerst (Vektorgeometrie ▸ Puffer).</translation>
    </message>
    <message>
        <location filename="../ui/layers.py" line="73" />
        <source>'{name}' has no polygons to use. If 'Selected features only' is ticked, select at least one polygon on the map first.</source>
        <translation>„{name}“ enthält keine verwendbaren Polygone. Wenn „Nur gewählte Objekte“ angehakt ist, wählen Sie zuerst mindestens ein Polygon in der Karte aus.</translation>
    </message>
    <message>
        <location filename="../ui/provider.py" line="21" />
        <source>RSEdit: diffusion-based editing of remote-sensing rasters</source>
        <translation>RSEdit: Diffusionsbasierte Bearbeitung von Fernerkundungsrastern</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/base.py" line="39" />
        <source>Tools</source>
        <translation>Werkzeuge</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/base.py" line="40" />
        <source>Scene models</source>
        <translation>Szenenmodelle</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/base.py" line="41" />
        <source>Edit rasters</source>
        <translation>Raster bearbeiten</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/base.py" line="42" />
        <source>Training data</source>
        <translation>Trainingsdaten</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/base.py" line="75" />
        <source>Cancelled: no output was written.</source>
        <translation>Abgebrochen: Es wurde keine Ausgabe geschrieben.</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/copy_roi.py" line="26" />
        <source>Copy ROI content to target ROIs</source>
        <translation>ROI-Inhalt in Ziel-ROIs kopieren</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/copy_roi.py" line="29" />
        <source>Places the content of a source polygon (oil tanks, PV panels, a wind turbine, a ship) into every target polygon, resampled to each target's size, and lets the scene model blend it into its new surroundings. Pixels outside the targets are unchanged.

&lt;b&gt;Source polygon&lt;/b&gt;: a polygon layer; its first feature (or the selected one, with 'Selected features only') marks the content to copy.
&lt;b&gt;Target polygons&lt;/b&gt;: where the content goes; each at least 4 pixels across.
&lt;b&gt;Copy strength&lt;/b&gt;: 0.8 copies closely; lower values keep more of the target's own content.

Example: a port orthophoto, one polygon around an oil tank as source, five empty lots as targets.</source>
        <translation>Setzt den Inhalt eines Quellpolygons (Öltanks, PV-Module, eine Windenergieanlage, ein Schiff) in jedes Zielpolygon ein, neu abgetastet auf die Größe des jeweiligen Ziels, und lässt das Szenenmodell ihn in seine neue Umgebung einpassen. Pixel außerhalb der Ziele bleiben unverändert.

&lt;b&gt;Quellpolygon&lt;/b&gt;: ein Polygonlayer; sein erstes Objekt (oder das gewählte, mit „Nur gewählte Objekte“) markiert den zu kopierenden Inhalt.
&lt;b&gt;Zielpolygone&lt;/b&gt;: wohin der Inhalt kommt; jedes mindestens 4 Pixel breit.
&lt;b&gt;Kopierstärke&lt;/b&gt;: 0,8 kopiert genau; kleinere Werte erhalten mehr vom eigenen Inhalt des Ziels.

Beispiel: ein Hafen-Orthofoto, ein Polygon um einen Öltank als Quelle, fünf leere Grundstücke als Ziele.</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/copy_roi.py" line="47" />
        <source>Source polygon (content to copy)</source>
        <translation>Quellpolygon (zu kopierender Inhalt)</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/copy_roi.py" line="43" />
        <source>Copy strength</source>
        <translation>Kopierstärke</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_base.py" line="39" />
        <source>Automatic (trained with a GPU, training-free without)</source>
        <translation>Automatisch (mit GPU trainiert, ohne GPU trainingsfrei)</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_base.py" line="39" />
        <source>Training-free (no training)</source>
        <translation>Trainingsfrei (ohne Training)</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_base.py" line="40" />
        <source>Trained SinDDM (trains once per scene, cached)</source>
        <translation>Trainiertes SinDDM (einmal je Szene trainiert, zwischengespeichert)</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_base.py" line="44" />
        <source>Fast (CPU-friendly)</source>
        <translation>Schnell (CPU-tauglich)</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_base.py" line="44" />
        <source>Standard</source>
        <translation>Standard</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_base.py" line="44" />
        <source>Paper (reference settings, GPU hours)</source>
        <translation>Publikation (Referenzeinstellungen, GPU-Stunden)</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/train_model.py" line="66" />
        <source>Raster</source>
        <translation>Raster</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_base.py" line="82" />
        <source>Random seed (same seed, same edit)</source>
        <translation>Zufallswert (gleicher Wert, gleiche Bearbeitung)</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_base.py" line="85" />
        <source>Edited raster</source>
        <translation>Bearbeitetes Raster</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_base.py" line="86" />
        <source>Edit mask (0 = original pixel, 255 = fully synthetic)</source>
        <translation>Bearbeitungsmaske (0 = Originalpixel, 255 = vollständig synthetisch)</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/train_model.py" line="60" />
        <source>Scene model</source>
        <translation>Szenenmodell</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_base.py" line="95" />
        <source>Training preset (trained scene model)</source>
        <translation>Trainingsvoreinstellung (trainiertes Szenenmodell)</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_base.py" line="97" />
        <source>Trained scene model to reuse (.safetensors)</source>
        <translation>Trainiertes Szenenmodell zur Wiederverwendung (.safetensors)</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_base.py" line="99" />
        <source>Start scale (0 = re-create the ROI from scratch; higher keeps more of the layout)</source>
        <translation>Startskala (0 = ROI von Grund auf neu erzeugen; höhere Werte erhalten mehr vom Aufbau)</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_base.py" line="105" />
        <source>Soft ROI edges (NGDM); untick for a hard mask</source>
        <translation>Weiche ROI-Ränder (NGDM); Haken entfernen für eine harte Maske</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_base.py" line="107" />
        <source>Context the scene model learns from (pixels around the ROIs)</source>
        <translation>Kontext, aus dem das Szenenmodell lernt (Pixel um die ROIs)</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_base.py" line="53" />
        <source>Feather width of ROI borders (pixels)</source>
        <translation>Übergangsbreite der ROI-Ränder (Pixel)</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/train_model.py" line="57" />
        <source>Device</source>
        <translation>Gerät</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_base.py" line="179" />
        <source>Prompts used for '{prompt}': {used}</source>
        <translation>Verwendete Textvorgaben für „{prompt}“: {used}</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_base.py" line="180" />
        <source>Scene model: {model}</source>
        <translation>Szenenmodell: {model}</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_text.py" line="69" />
        <source>Edit with text prompt in ROIs</source>
        <translation>Mit Textvorgabe in ROIs bearbeiten</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_text.py" line="107" />
        <source>Prompt</source>
        <translation>Textvorgabe</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_text.py" line="108" />
        <source>Prompt field (one prompt per polygon)</source>
        <translation>Feld mit Textvorgabe (eine pro Polygon)</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_text.py" line="111" />
        <source>Paraphrases (one per line)</source>
        <translation>Umschreibungen (eine pro Zeile)</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/clip_parameters.py" line="20" />
        <source>CLIP architecture</source>
        <translation>CLIP-Architektur</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/clip_parameters.py" line="21" />
        <source>CLIP weights file (e.g. RemoteCLIP-ViT-B-32.pt)</source>
        <translation>CLIP-Gewichtsdatei (z. B. RemoteCLIP-ViT-B-32.pt)</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/clip_parameters.py" line="23" />
        <source>…or an open_clip pretrained tag (downloads once)</source>
        <translation>…oder eine open_clip-Kennung vortrainierter Gewichte (einmaliger Download)</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/clip_parameters.py" line="25" />
        <source>Guidance strength</source>
        <translation>Führungsstärke</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_text.py" line="147" />
        <source>Give a prompt (e.g. 'a forest on fire') or a prompt field.</source>
        <translation>Geben Sie eine Textvorgabe (z. B. 'a forest on fire') oder ein Feld mit Textvorgaben an.</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/parameters.py" line="18" />
        <source>Tile size (pixels)</source>
        <translation>Kachelgröße (Pixel)</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/parameters.py" line="19" />
        <source>Tile overlap (pixels)</source>
        <translation>Kachelüberlappung (Pixel)</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/parameters.py" line="20" />
        <source>Context margin around ROIs (pixels)</source>
        <translation>Kontextrand um die ROIs (Pixel)</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/preview_tiles.py" line="42" />
        <source>Preview tiles</source>
        <translation>Kachelvorschau</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/preview_tiles.py" line="73" />
        <source>ROI polygons</source>
        <translation>ROI-Polygone</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/preview_tiles.py" line="67" />
        <source>Tiles</source>
        <translation>Kacheln</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/regenerate.py" line="18" />
        <source>Regenerate ROIs (remove clouds or objects)</source>
        <translation>ROIs neu erzeugen (Wolken oder Objekte entfernen)</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/regenerate.py" line="21" />
        <source>Replaces the content of each polygon with new content sampled from a model of the scene itself, made to agree with its surroundings: clouds, their shadows, vehicles or buildings disappear into the local land cover. Pixels outside the polygons are copied unchanged and nodata stays nodata.

&lt;b&gt;Raster&lt;/b&gt;: any georeferenced GDAL raster (RGB, multispectral, uint8/uint16/float).
&lt;b&gt;Regions to edit&lt;/b&gt;: polygons in any CRS; tick 'Selected features only' to use the selection.
&lt;b&gt;Random seed&lt;/b&gt;: the same seed gives the same result; change it for another variant.
&lt;b&gt;Scene model&lt;/b&gt; (advanced): training-free needs no training and is the default without a GPU; a trained SinDDM is trained once per scene and cached. &lt;b&gt;Start scale&lt;/b&gt; 0 re-creates the ROI from scratch; higher values keep more of its layout. &lt;b&gt;Soft ROI edges&lt;/b&gt; fade the edit in over the feather width (NGDM).

Outputs: the edited GeoTIFF (same CRS, grid, data type and nodata as the input, with provenance tags) and an optional edit mask.

Example: Landsat scene + three cloud polygons → a cloud-free version of the scene.</source>
        <translation>Ersetzt den Inhalt jedes Polygons durch neuen Inhalt, der aus einem Modell der Szene selbst erzeugt wird und zu seiner Umgebung passt: Wolken, ihre Schatten, Fahrzeuge oder Gebäude verschwinden in der umgebenden Landbedeckung. Pixel außerhalb der Polygone werden unverändert übernommen, NoData bleibt NoData.

&lt;b&gt;Raster&lt;/b&gt;: ein beliebiges georeferenziertes GDAL-Raster (RGB, multispektral, uint8/uint16/float).
&lt;b&gt;Zu bearbeitende Bereiche&lt;/b&gt;: Polygone in beliebigem KBS; haken Sie „Nur gewählte Objekte“ an, um die Auswahl zu verwenden.
&lt;b&gt;Zufallswert&lt;/b&gt;: derselbe Wert ergibt dasselbe Ergebnis; ändern Sie ihn für eine andere Variante.
&lt;b&gt;Szenenmodell&lt;/b&gt; (erweitert): Trainingsfrei braucht kein Training und ist ohne GPU die Vorgabe; ein trainiertes SinDDM wird einmal je Szene trainiert und zwischengespeichert. &lt;b&gt;Startskala&lt;/b&gt; 0 erzeugt die ROI von Grund auf neu; höhere Werte erhalten mehr von ihrem Aufbau. &lt;b&gt;Weiche ROI-Ränder&lt;/b&gt; blenden die Bearbeitung über die Übergangsbreite ein (NGDM).

Ausgaben: das bearbeitete GeoTIFF (KBS, Pixelraster, Datentyp und NoData-Wert wie die Eingabe, mit Herkunfts-Tags) und eine optionale Bearbeitungsmaske.

Beispiel: Landsat-Szene + drei Wolkenpolygone → eine wolkenfreie Version der Szene.</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/train_model.py" line="33" />
        <source>Train scene model</source>
        <translation>Szenenmodell trainieren</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/train_model.py" line="67" />
        <source>Area to learn (polygons)</source>
        <translation>Zu lernender Bereich (Polygone)</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/train_model.py" line="54" />
        <source>Training preset</source>
        <translation>Trainingsvoreinstellung</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/train_model.py" line="55" />
        <source>Context (pixels)</source>
        <translation>Kontext (Pixel)</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/train_model.py" line="58" />
        <source>Random seed</source>
        <translation>Zufallswert</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/train_model.py" line="60" />
        <source>Scene model (*.safetensors)</source>
        <translation>Szenenmodell (*.safetensors)</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/train_model.py" line="73" />
        <source>Scene models are saved as .safetensors files: change the output name.</source>
        <translation>Szenenmodelle werden als .safetensors-Dateien gespeichert: Ändern Sie den Ausgabenamen.</translation>
    </message>
    <message>
        <location filename="../ui/shipped_models.py" line="19" />
        <source>Buffer ROIs, regenerate them and clip to their extent</source>
        <translation>ROIs puffern, neu erzeugen und auf ihre Ausdehnung zuschneiden</translation>
    </message>
    <message>
        <location filename="../ui/shipped_models.py" line="19" />
        <source>A graphical-modeler model (open it in the modeler to adapt it): it buffers the polygons (native:buffer), regenerates the buffered polygons with 'Regenerate ROIs' (rsedit:regenerate, default settings: the automatic scene model) and clips the edited raster to the buffered polygons' extent (gdal:cliprasterbyextent), giving a small raster of just the edited area.

&lt;b&gt;Raster&lt;/b&gt;: any georeferenced GDAL raster. &lt;b&gt;Regions to edit&lt;/b&gt;: polygons around clouds or objects; 'Selected features only' is honoured. &lt;b&gt;Buffer&lt;/b&gt;: the distance added around each polygon, in the polygon layer's units, so that edges of clouds and their halos are included. &lt;b&gt;Random seed&lt;/b&gt;: the same seed gives the same result.
Output: the edited raster clipped to the buffered polygons, with the provenance tags of the edit.

Example: a Landsat scene, cloud polygons, buffer 60 m → a cloud-free cut-out of the cloudy area.</source>
        <translation>Ein Modell der grafischen Modellierung (zum Anpassen im Modelleditor öffnen): Es puffert die Polygone (native:buffer), erzeugt die gepufferten Polygone mit „ROIs neu erzeugen“ neu (rsedit:regenerate, Standardeinstellungen: das automatische Szenenmodell) und schneidet das bearbeitete Raster auf die Ausdehnung der gepufferten Polygone zu (gdal:cliprasterbyextent). So entsteht ein kleines Raster nur des bearbeiteten Bereichs.

&lt;b&gt;Raster&lt;/b&gt;: ein beliebiges georeferenziertes GDAL-Raster. &lt;b&gt;Zu bearbeitende Bereiche&lt;/b&gt;: Polygone um Wolken oder Objekte; „Nur gewählte Objekte“ wird berücksichtigt. &lt;b&gt;Puffer&lt;/b&gt;: der Abstand, der um jedes Polygon hinzugefügt wird, in den Einheiten des Polygonlayers, damit Wolkenränder und ihre Säume mit erfasst werden. &lt;b&gt;Zufallswert&lt;/b&gt;: derselbe Wert ergibt dasselbe Ergebnis.
Ausgabe: das auf die gepufferten Polygone zugeschnittene bearbeitete Raster, mit den Herkunfts-Tags der Bearbeitung.

Beispiel: eine Landsat-Szene, Wolkenpolygone, Puffer 60 m → ein wolkenfreier Ausschnitt des bewölkten Bereichs.</translation>
    </message>
    <message>
        <location filename="../ui/shipped_models.py" line="71" />
        <source>Workflows</source>
        <translation>Arbeitsabläufe</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/before_after_pairs.py" line="45" />
        <source>Generate before/after pairs</source>
        <translation>Vorher/Nachher-Paare erzeugen</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/before_after_pairs.py" line="48" />
        <source>Builds training data for change-detection and damage-assessment models. For every polygon, every prompt and every variant it writes a pair of GeoTIFFs of the polygon's chip (a square of tile size pixels centred on it; larger polygons get several chips): &lt;i&gt;pre&lt;/i&gt; holds the untouched source pixels, &lt;i&gt;post&lt;/i&gt; the same window with the polygon edited, and &lt;i&gt;mask&lt;/i&gt; the edit weight (0 = unchanged, 255 = fully synthetic), which is the change label. One scene model is trained or taken from the cache for the whole batch. A GeoPackage index (pairs.gpkg) holds one chip footprint per pair with roi_id, prompt, seed, variant, mode, the model fingerprint and the file names (relative to the folder). Pairs appear only when complete; Cancel keeps the complete ones.

&lt;b&gt;Mode&lt;/b&gt;: text prompts (CLIP-guided edits) or regenerate (no prompt: the polygon's content is replaced from the scene model, e.g. buildings removed).
&lt;b&gt;Prompts&lt;/b&gt;: one per line, and/or a text file with one per line. &lt;b&gt;Prompt field&lt;/b&gt;: a field of the polygon layer; a polygon with a value there is edited with that prompt only, the others with every prompt of the list.
&lt;b&gt;Variants&lt;/b&gt;: how many versions of each pair, with seeds seed, seed+1, ...
&lt;b&gt;CLIP architecture / weights&lt;/b&gt;: as in 'Edit with text prompt in ROIs' (e.g. ViT-B-32 and RemoteCLIP-ViT-B-32.pt).
&lt;b&gt;Tile size&lt;/b&gt; (advanced) is the chip size (256 by default; much smaller chips leave the scene model too little room); &lt;b&gt;context margin&lt;/b&gt; the least distance in pixels between a polygon and its chip's border. The other advanced settings are those of the editing algorithms.

Example: a post-event orthophoto, 50 building polygons, prompts 'a damaged house' and 'a collapsed roof', 3 variants: 300 pairs and their index.</source>
        <translation>Erzeugt Trainingsdaten für Modelle zur Änderungserkennung und Schadensbewertung. Für jedes Polygon, jede Textvorgabe und jede Variante schreibt der Algorithmus ein GeoTIFF-Paar des Bildausschnitts (Chip) um das Polygon (ein Quadrat mit der Kachelgröße als Seitenlänge in Pixeln, auf das Polygon zentriert; größere Polygone erhalten mehrere Chips): &lt;i&gt;pre&lt;/i&gt; enthält die unveränderten Quellpixel, &lt;i&gt;post&lt;/i&gt; dasselbe Fenster mit bearbeitetem Polygon und &lt;i&gt;mask&lt;/i&gt; das Bearbeitungsgewicht (0 = unverändert, 255 = vollständig synthetisch), also das Änderungslabel. Für den gesamten Stapel wird ein einziges Szenenmodell trainiert oder aus dem Zwischenspeicher genommen. Ein GeoPackage-Index (pairs.gpkg) enthält je Paar einen Chip-Umriss mit roi_id, prompt, seed, variant, mode, dem Fingerabdruck des Modells und den Dateinamen (relativ zum Ordner). Paare erscheinen erst, wenn sie vollständig sind; beim Abbrechen bleiben die vollständigen erhalten.

&lt;b&gt;Modus&lt;/b&gt;: Textvorgaben (CLIP-geführte Bearbeitung) oder Neu erzeugen (ohne Textvorgabe: Der Inhalt des Polygons wird aus dem Szenenmodell ersetzt, z. B. werden Gebäude entfernt).
&lt;b&gt;Textvorgaben&lt;/b&gt;: eine pro Zeile und/oder eine Textdatei mit einer pro Zeile. &lt;b&gt;Feld mit Textvorgabe&lt;/b&gt;: ein Feld des Polygonlayers; ein Polygon mit einem Wert darin wird nur mit dieser Textvorgabe bearbeitet, die übrigen mit jeder Textvorgabe der Liste.
&lt;b&gt;Varianten&lt;/b&gt;: wie viele Versionen jedes Paars entstehen, mit den Zufallswerten seed, seed+1, ...
&lt;b&gt;CLIP-Architektur / Gewichte&lt;/b&gt;: wie in „Mit Textvorgabe in ROIs bearbeiten“ (z. B. ViT-B-32 und RemoteCLIP-ViT-B-32.pt).
&lt;b&gt;Kachelgröße&lt;/b&gt; (erweitert) ist die Chipgröße (standardmäßig 256; viel kleinere Chips lassen dem Szenenmodell zu wenig Raum); &lt;b&gt;Kontextrand&lt;/b&gt; der kleinste Abstand in Pixeln zwischen einem Polygon und dem Rand seines Chips. Die übrigen erweiterten Einstellungen sind die der Bearbeitungsalgorithmen.

Beispiel: ein Orthofoto nach dem Ereignis, 50 Gebäudepolygone, Textvorgaben 'a damaged house' und 'a collapsed roof', 3 Varianten: 300 Paare und ihr Index.</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_chip_folder.py" line="81" />
        <source>Mode</source>
        <translation>Modus</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_chip_folder.py" line="81" />
        <source>Text prompts</source>
        <translation>Textvorgaben</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_chip_folder.py" line="81" />
        <source>Regenerate (no prompt)</source>
        <translation>Neu erzeugen (ohne Textvorgabe)</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/prompt_parameters.py" line="20" />
        <source>Prompts (one per line)</source>
        <translation>Textvorgaben (eine pro Zeile)</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/prompt_parameters.py" line="22" />
        <source>Prompt file (one prompt per line)</source>
        <translation>Datei mit Textvorgaben (eine pro Zeile)</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/before_after_pairs.py" line="83" />
        <source>Variants per polygon and prompt</source>
        <translation>Varianten je Polygon und Textvorgabe</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_chip_folder.py" line="91" />
        <source>Random seed of the first variant</source>
        <translation>Zufallswert der ersten Variante</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_chip_folder.py" line="105" />
        <source>Output folder</source>
        <translation>Ausgabeordner</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/before_after_pairs.py" line="91" />
        <source>Before/after pair index</source>
        <translation>Index der Vorher/Nachher-Paare</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/before_after_pairs.py" line="93" />
        <source>Number of pairs written</source>
        <translation>Anzahl geschriebener Paare</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/before_after_pairs.py" line="113" />
        <source>Give at least one prompt (e.g. 'a damaged house'), a prompt file or a prompt field, or choose the regenerate mode.</source>
        <translation>Geben Sie mindestens eine Textvorgabe (z. B. 'a damaged house'), eine Datei mit Textvorgaben oder ein Feld mit Textvorgaben an, oder wählen Sie den Modus „Neu erzeugen“.</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_chip_folder.py" line="149" />
        <source>The regenerate mode uses no prompt: the prompts given are ignored.</source>
        <translation>Der Modus „Neu erzeugen“ verwendet keine Textvorgabe: Die angegebenen Textvorgaben werden ignoriert.</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/before_after_pairs.py" line="35" />
        <source>Cancelled after {count} complete pairs: they and their index {index} were kept; no partial pair was left.</source>
        <translation>Abgebrochen nach {count} vollständigen Paaren: Diese und ihr Index {index} wurden behalten; kein unvollständiges Paar ist zurückgeblieben.</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/before_after_pairs.py" line="135" />
        <source>{count} before/after pairs written to {folder}; index: {index}</source>
        <translation>{count} Vorher/Nachher-Paare nach {folder} geschrieben; Index: {index}</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/before_after_pairs.py" line="138" />
        <source>Before/after pairs</source>
        <translation>Vorher/Nachher-Paare</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/clear_cache.py" line="21" />
        <source>Clear the scene-model cache</source>
        <translation>Zwischenspeicher der Szenenmodelle leeren</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/clear_cache.py" line="43" />
        <source>Scene models removed</source>
        <translation>Entfernte Szenenmodelle</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/clear_cache.py" line="44" />
        <source>Bytes freed</source>
        <translation>Freigegebene Bytes</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/clear_cache.py" line="45" />
        <source>Cache folder</source>
        <translation>Zwischenspeicher-Ordner</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/clear_cache.py" line="56" />
        <source>Removed {models} cached scene models ({megabytes:.1f} MB) from {folder}.</source>
        <translation>{models} zwischengespeicherte Szenenmodelle ({megabytes:.1f} MB) aus {folder} entfernt.</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_pretrained.py" line="37" />
        <source>Edit with pretrained diffusion model</source>
        <translation>Mit vortrainiertem Diffusionsmodell bearbeiten</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_pretrained.py" line="40" />
        <source>Edits each polygon with a pretrained text-to-image latent diffusion model (a Stable Diffusion 1.x/2.x folder in diffusers format, or a hub id): the tile is inverted with DDIM under the source caption, then re-sampled with three predictions per step (null text, source caption, edit prompt), optionally pulled towards the source with LPIPS perceptual guidance. NGDM soft masks start each latent cell at its own step, so the edit fades in at the ROI border. Pixels outside the polygons are unchanged.

&lt;b&gt;Model&lt;/b&gt;: a folder with model_index.json, unet/, vae/, text_encoder/, tokenizer/, scheduler/.
&lt;b&gt;Source caption&lt;/b&gt;: what the image shows now; &lt;b&gt;Edit prompt&lt;/b&gt;: what the polygons should show.
&lt;b&gt;γ&lt;/b&gt; scales guidance towards the caption (1 = as inverted); &lt;b&gt;β&lt;/b&gt; the push towards the edit.
&lt;b&gt;NGDM a, b&lt;/b&gt;: Λ = sigmoid(A/a + b) turns the ROI (or DiffEdit) map into per-cell noise weights.
&lt;b&gt;LPIPS weights&lt;/b&gt;: a torchvision AlexNet/VGG16 state dict; without it perceptual guidance is off.
&lt;b&gt;Scale&lt;/b&gt;: model pixels per scene pixel (e.g. 2 to show a 1 m scene at 0.5 m); tiles are the model's native size (512 px for SD 1.x) divided by the scale unless a tile size is given.

Each tile costs one model pass per step for the inversion and three per sampling step: without a GPU, use few steps or small ROIs.

&lt;b&gt;Example&lt;/b&gt;: a river scene with a polygon along its banks; model ~/models/stable-diffusion-v1-5, source caption 'an aerial photograph of a river', edit prompt 'an aerial photograph of a flooded river', γ 1, β 7.5, 25 steps.</source>
        <translation>Bearbeitet jedes Polygon mit einem vortrainierten latenten Text-zu-Bild-Diffusionsmodell (ein Stable-Diffusion-1.x/2.x-Ordner im diffusers-Format oder eine Hub-ID): Die Kachel wird unter der Quellbeschreibung mit DDIM invertiert und dann mit drei Vorhersagen je Schritt (leerer Text, Quellbeschreibung, Bearbeitungsvorgabe) neu erzeugt, optional mit perzeptueller LPIPS-Führung zur Quelle hin gezogen. Weiche NGDM-Masken lassen jede latente Zelle bei ihrem eigenen Schritt beginnen, sodass die Bearbeitung am ROI-Rand weich einsetzt. Pixel außerhalb der Polygone bleiben unverändert.

&lt;b&gt;Modell&lt;/b&gt;: ein Ordner mit model_index.json, unet/, vae/, text_encoder/, tokenizer/, scheduler/.
&lt;b&gt;Quellbeschreibung&lt;/b&gt;: was das Bild jetzt zeigt; &lt;b&gt;Bearbeitungsvorgabe&lt;/b&gt;: was die Polygone zeigen sollen.
&lt;b&gt;γ&lt;/b&gt; skaliert die Führung zur Beschreibung hin (1 = wie invertiert); &lt;b&gt;β&lt;/b&gt; den Schub zur Bearbeitung hin.
&lt;b&gt;NGDM a, b&lt;/b&gt;: Λ = sigmoid(A/a + b) macht aus der ROI- (oder DiffEdit-)Karte Rauschgewichte je Zelle.
&lt;b&gt;LPIPS-Gewichte&lt;/b&gt;: ein torchvision-State-Dict von AlexNet/VGG16; ohne sie ist die perzeptuelle Führung aus.
&lt;b&gt;Skalierung&lt;/b&gt;: Modellpixel je Szenenpixel (z. B. 2, um eine 1-m-Szene mit 0,5 m darzustellen); Kacheln haben die native Größe des Modells (512 px bei SD 1.x) geteilt durch die Skalierung, sofern keine Kachelgröße angegeben ist.

Jede Kachel kostet einen Modelldurchlauf je Schritt für die Inversion und drei je Sampling-Schritt: Verwenden Sie ohne GPU wenige Schritte oder kleine ROIs.

&lt;b&gt;Beispiel&lt;/b&gt;: eine Flussszene mit einem Polygon entlang der Ufer; Modell ~/models/stable-diffusion-v1-5, Quellbeschreibung 'an aerial photograph of a river', Bearbeitungsvorgabe 'an aerial photograph of a flooded river', γ 1, β 7,5, 25 Schritte.</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_pretrained.py" line="61" />
        <source>Model folder (diffusers Stable Diffusion) or hub id</source>
        <translation>Modellordner (Stable Diffusion im diffusers-Format) oder Hub-ID</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_pretrained.py" line="63" />
        <source>Source caption (what the image shows)</source>
        <translation>Quellbeschreibung (was das Bild zeigt)</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_pretrained.py" line="65" />
        <source>Edit prompt (what the ROIs should show)</source>
        <translation>Bearbeitungsvorgabe (was die ROIs zeigen sollen)</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_pretrained.py" line="66" />
        <source>γ: guidance towards the source caption</source>
        <translation>γ: Führung zur Quellbeschreibung hin</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_pretrained.py" line="68" />
        <source>β: guidance towards the edit prompt</source>
        <translation>β: Führung zur Bearbeitungsvorgabe hin</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_pretrained.py" line="70" />
        <source>NGDM a (Λ = sigmoid(A/a + b))</source>
        <translation>NGDM a (Λ = sigmoid(A/a + b))</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_pretrained.py" line="73" />
        <source>NGDM b</source>
        <translation>NGDM b</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_pretrained.py" line="75" />
        <source>Sampling steps</source>
        <translation>Sampling-Schritte</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_pretrained.py" line="77" />
        <source>LPIPS backbone weights (torchvision AlexNet/VGG16 state dict)</source>
        <translation>Gewichte des LPIPS-Backbones (torchvision-State-Dict von AlexNet/VGG16)</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_pretrained.py" line="81" />
        <source>Guidance form: eq. (1)-(2) edit − source, or eq. (3)-(4) edit − null</source>
        <translation>Form der Führung: Gl. (1)-(2) Bearbeitung − Quelle oder Gl. (3)-(4) Bearbeitung − leer</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_pretrained.py" line="81" />
        <source>edit − source (eq. 2)</source>
        <translation>Bearbeitung − Quelle (Gl. 2)</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_pretrained.py" line="81" />
        <source>edit − null (eq. 4)</source>
        <translation>Bearbeitung − leer (Gl. 4)</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_pretrained.py" line="84" />
        <source>DiffEdit map seeds (0 = NGDM weights from the ROI alone)</source>
        <translation>Zufallswerte für die DiffEdit-Karte (0 = NGDM-Gewichte allein aus der ROI)</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_pretrained.py" line="87" />
        <source>Noised source for NGDM</source>
        <translation>Verrauschte Quelle für NGDM</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_pretrained.py" line="87" />
        <source>DDIM inversion trajectory</source>
        <translation>Trajektorie der DDIM-Inversion</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_pretrained.py" line="87" />
        <source>Source + fixed noise</source>
        <translation>Quelle + festes Rauschen</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_pretrained.py" line="90" />
        <source>LPIPS backbone</source>
        <translation>LPIPS-Backbone</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_pretrained.py" line="92" />
        <source>Perceptual guidance step (latent std; 0 = off)</source>
        <translation>Schrittweite der perzeptuellen Führung (latente Standardabweichung; 0 = aus)</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_pretrained.py" line="95" />
        <source>Perceptual guidance over the first … of the steps (fraction)</source>
        <translation>Perzeptuelle Führung während des ersten … der Schritte (Anteil)</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_pretrained.py" line="98" />
        <source>Scale (model pixels per scene pixel)</source>
        <translation>Skalierung (Modellpixel je Szenenpixel)</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_pretrained.py" line="101" />
        <source>Tile size in scene pixels (0 = the model's native size / scale)</source>
        <translation>Kachelgröße in Szenenpixeln (0 = native Größe des Modells / Skalierung)</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_pretrained.py" line="111" />
        <source>Half precision on a GPU (bf16/fp16)</source>
        <translation>Halbe Genauigkeit auf einer GPU (bf16/fp16)</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_pretrained.py" line="124" />
        <source>Give an edit prompt: what the polygons should show, e.g. 'a lake'.</source>
        <translation>Geben Sie eine Bearbeitungsvorgabe an: was die Polygone zeigen sollen, z. B. 'a lake'.</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_pretrained.py" line="127" />
        <source>Give the model: a diffusers Stable Diffusion folder or a hub id.</source>
        <translation>Geben Sie das Modell an: einen Stable-Diffusion-Ordner im diffusers-Format oder eine Hub-ID.</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_pretrained.py" line="149" />
        <source>Perceptual-similarity guidance is off: no LPIPS backbone weights were given.</source>
        <translation>Die Führung über perzeptuelle Ähnlichkeit ist aus: Es wurden keine Gewichte für das LPIPS-Backbone angegeben.</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_pretrained.py" line="159" />
        <source>Model: {model}</source>
        <translation>Modell: {model}</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_text.py" line="51" />
        <source>ROI: fade in from the polygon border</source>
        <translation>ROI: vom Polygonrand her einblenden</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_text.py" line="52" />
        <source>CLIP: strongest where the image disagrees with the prompt</source>
        <translation>CLIP: am stärksten, wo das Bild der Textvorgabe am wenigsten entspricht</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_text.py" line="113" />
        <source>Paraphrases file (text, one per line)</source>
        <translation>Datei mit Umschreibungen (Text, eine pro Zeile)</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_text.py" line="115" />
        <source>External paraphrase command (reads the prompt on stdin, prints one per line)</source>
        <translation>Externer Umschreibungsbefehl (liest die Textvorgabe von stdin, gibt eine pro Zeile aus)</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_text.py" line="119" />
        <source>Soft-mask weight map</source>
        <translation>Gewichtskarte der weichen Maske</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_text.py" line="154" />
        <source>Cannot read the paraphrases file {0}: {1}. Give a UTF-8 text file with one paraphrase per line.</source>
        <translation>Die Datei mit Umschreibungen {0} kann nicht gelesen werden: {1}. Geben Sie eine UTF-8-Textdatei mit einer Umschreibung pro Zeile an.</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_text.py" line="161" />
        <source>The paraphrase command cannot be parsed ({0}): check its quotes.</source>
        <translation>Der Umschreibungsbefehl lässt sich nicht zerlegen ({0}): Prüfen Sie seine Anführungszeichen.</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/train_model.py" line="36" />
        <source>Trains a single-image diffusion model (SinDDM) on the area around the polygons, at the raster's native resolution, and saves it as a .safetensors file that the editing algorithms reuse ('Trained scene model to reuse'). Editing also trains and caches a model by itself when the trained backend is chosen; use this algorithm to train once, ahead of many edits or batch runs.

&lt;b&gt;Preset&lt;/b&gt;: fast (minutes on a CPU), standard, or paper (the reference settings, GPU hours).
&lt;b&gt;Context&lt;/b&gt;: the side of the square window around the polygons the model learns from.
&lt;b&gt;Device&lt;/b&gt;: auto trains on a GPU when there is one, else on the CPU. &lt;b&gt;Random seed&lt;/b&gt;: seeds the training, for repeatable runs.
Cancel stops training within a second or two and writes nothing.

Example: a drone orthophoto and the field polygon, preset fast, output field_model.safetensors.</source>
        <translation>Trainiert ein Einzelbild-Diffusionsmodell (SinDDM) auf dem Bereich um die Polygone in der nativen Auflösung des Rasters und speichert es als .safetensors-Datei, die die Bearbeitungsalgorithmen wiederverwenden („Trainiertes Szenenmodell zur Wiederverwendung“). Die Bearbeitung trainiert ein Modell auch selbst und speichert es zwischen, wenn das trainierte Backend gewählt ist; mit diesem Algorithmus trainieren Sie einmal im Voraus für viele Bearbeitungen oder Stapelverarbeitungen.

&lt;b&gt;Voreinstellung&lt;/b&gt;: Schnell (Minuten auf einer CPU), Standard oder Publikation (die Referenzeinstellungen, GPU-Stunden).
&lt;b&gt;Kontext&lt;/b&gt;: die Seitenlänge des quadratischen Fensters um die Polygone, aus dem das Modell lernt.
&lt;b&gt;Gerät&lt;/b&gt;: automatisch trainiert auf einer GPU, wenn eine vorhanden ist, sonst auf der CPU. &lt;b&gt;Zufallswert&lt;/b&gt;: initialisiert das Training, damit Läufe wiederholbar sind.
Abbrechen beendet das Training innerhalb von ein bis zwei Sekunden und schreibt nichts.

Beispiel: ein Drohnen-Orthofoto und das Feldpolygon, Voreinstellung Schnell, Ausgabe field_model.safetensors.</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_base.py" line="74" />
        <source>Regions to edit (polygons)</source>
        <translation>Zu bearbeitende Bereiche (Polygone)</translation>
    </message>
    <message>
        <location filename="../ui/shipped_models.py" line="40" />
        <source>Buffer around each polygon</source>
        <translation>Puffer um jedes Polygon</translation>
    </message>
    <message>
        <location filename="../ui/shipped_models.py" line="42" />
        <source>Edited raster, clipped to the buffered polygons</source>
        <translation>Bearbeitetes Raster, auf die gepufferten Polygone zugeschnitten</translation>
    </message>
    <message>
        <location filename="../ui/shipped_models.py" line="53" />
        <source>cannot read the model {path}</source>
        <translation>Das Modell {path} kann nicht gelesen werden</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/copy_roi.py" line="20" />
        <source>Target polygons</source>
        <translation>Zielpolygone</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_base.py" line="49" />
        <source>auto</source>
        <translation>automatisch</translation>
    </message>
    <message>
        <location filename="../plugin.py" line="46" />
        <source>RSEdit: regenerate the selected polygons…</source>
        <translation>RSEdit: ausgewählte Polygone neu erzeugen…</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_base.py" line="102" />
        <source>Start step at the start scale (0-99; -1 = the mode's default)</source>
        <translation>Startschritt auf der Startskala (0-99; -1 = Vorgabe des Modus)</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_text.py" line="72" />
        <source>Edits each polygon towards a text prompt, e.g. 'a forest on fire', 'a flooded river' or 'a damaged house', while keeping the scene's own look. A CLIP model (RemoteCLIP recommended for remote sensing) steers a diffusion model of the scene; the prompt is averaged with paraphrases (prompt ensembling) so that one wording does not drag in unrelated content. Pixels outside the polygons are unchanged.

&lt;b&gt;Prompt&lt;/b&gt;: what the polygons should show. &lt;b&gt;Prompt field&lt;/b&gt;: optionally, a field of the ROI layer holding each polygon's own prompt (empty values fall back to the prompt).
&lt;b&gt;Paraphrases&lt;/b&gt;: optional, one per line; without them RSEdit uses built-in remote-sensing paraphrases. The prompts used are listed in the log and stored in the output's metadata.
&lt;b&gt;CLIP model / weights&lt;/b&gt;: an open_clip architecture (ViT-B-32, ViT-L-14, RN50) and a weights file, e.g. RemoteCLIP-ViT-B-32.pt, or an open_clip pretrained tag such as 'openai' (downloaded once).
&lt;b&gt;Guidance strength&lt;/b&gt;: how hard each step moves towards the prompt; 0 samples the same edit unguided, for comparison.
&lt;b&gt;Paraphrases file&lt;/b&gt;: more paraphrases, one per line. &lt;b&gt;External paraphrase command&lt;/b&gt; (advanced, off unless set): a program such as a local LLM client that reads the prompt on standard input and prints paraphrases, one per line.
&lt;b&gt;Soft-mask weight map&lt;/b&gt; (advanced): ROI fades the edit in from the polygon border; CLIP makes pixels change most where CLIP finds the image furthest from the prompt.

Example: a Sentinel-2 scene, a forest polygon, prompt 'a forest on fire', RemoteCLIP-ViT-B-32.pt.</source>
        <translation>Bearbeitet jedes Polygon in Richtung einer Textvorgabe, z. B. 'a forest on fire', 'a flooded river' oder 'a damaged house', und bewahrt dabei das eigene Erscheinungsbild der Szene. Ein CLIP-Modell (für die Fernerkundung wird RemoteCLIP empfohlen) steuert ein Diffusionsmodell der Szene; die Textvorgabe wird mit Umschreibungen gemittelt (Prompt-Ensembling), damit eine einzelne Formulierung keine fremden Inhalte hineinzieht. Pixel außerhalb der Polygone bleiben unverändert.

&lt;b&gt;Textvorgabe&lt;/b&gt;: was die Polygone zeigen sollen. &lt;b&gt;Feld mit Textvorgabe&lt;/b&gt;: optional ein Feld des ROI-Layers mit der eigenen Textvorgabe jedes Polygons (bei leeren Werten gilt die Textvorgabe).
&lt;b&gt;Umschreibungen&lt;/b&gt;: optional, eine pro Zeile; ohne sie verwendet RSEdit eingebaute Umschreibungen aus der Fernerkundung. Die verwendeten Textvorgaben werden im Protokoll aufgeführt und in den Metadaten der Ausgabe gespeichert.
&lt;b&gt;CLIP-Modell / Gewichte&lt;/b&gt;: eine open_clip-Architektur (ViT-B-32, ViT-L-14, RN50) und eine Gewichtsdatei, z. B. RemoteCLIP-ViT-B-32.pt, oder eine open_clip-Kennung vortrainierter Gewichte wie 'openai' (wird einmal heruntergeladen).
&lt;b&gt;Führungsstärke&lt;/b&gt;: wie stark jeder Schritt in Richtung der Textvorgabe geht; 0 erzeugt dieselbe Bearbeitung ohne Führung, zum Vergleich.
&lt;b&gt;Datei mit Umschreibungen&lt;/b&gt;: weitere Umschreibungen, eine pro Zeile. &lt;b&gt;Externer Umschreibungsbefehl&lt;/b&gt; (erweitert, nur aktiv, wenn gesetzt): ein Programm, etwa ein lokaler LLM-Client, das die Textvorgabe von der Standardeingabe liest und Umschreibungen ausgibt, eine pro Zeile.
&lt;b&gt;Gewichtskarte der weichen Maske&lt;/b&gt; (erweitert): ROI blendet die Bearbeitung vom Polygonrand her ein; CLIP verändert Pixel dort am stärksten, wo CLIP das Bild am weitesten von der Textvorgabe entfernt sieht.

Beispiel: eine Sentinel-2-Szene, ein Waldpolygon, Textvorgabe 'a forest on fire', RemoteCLIP-ViT-B-32.pt.</translation>
    </message>
    <message>
        <location filename="../ui/dependencies.py" line="41" />
        <source>Or let RSEdit install them: Plugins &gt; RSEdit &gt; {item}</source>
        <translation>Oder lassen Sie RSEdit sie installieren: Erweiterungen &gt; RSEdit &gt; {item}</translation>
    </message>
    <message>
        <location filename="../ui/dependency_offer.py" line="20" />
        <source>The packages {packages} are missing: the model-backed algorithms cannot run.</source>
        <translation>Die Pakete {packages} fehlen: Die modellgestützten Algorithmen können nicht ausgeführt werden.</translation>
    </message>
    <message>
        <location filename="../ui/dependency_report_dialog.py" line="33" />
        <source>Copy</source>
        <translation>Kopieren</translation>
    </message>
    <message>
        <location filename="../ui/installer_dialog.py" line="58" />
        <source>QGIS's Python:</source>
        <translation>Python von QGIS:</translation>
    </message>
    <message>
        <location filename="../ui/installer_dialog.py" line="59" />
        <source>Install into:</source>
        <translation>Installieren nach:</translation>
    </message>
    <message>
        <location filename="../ui/installer_dialog.py" line="64" />
        <source>torch build:</source>
        <translation>torch-Build:</translation>
    </message>
    <message>
        <location filename="../ui/installer_dialog.py" line="65" />
        <source>Proposed: {variant} ({reason}).</source>
        <translation>Vorschlag: {variant} ({reason}).</translation>
    </message>
    <message>
        <location filename="../ui/installer_dialog.py" line="67" />
        <source>Also the packages of the pretrained-model backend (transformers, lpips)</source>
        <translation>Auch die Pakete des Backends für vortrainierte Modelle (transformers, lpips)</translation>
    </message>
    <message>
        <location filename="../ui/installer_dialog.py" line="70" />
        <source>empty: download from the package index</source>
        <translation>leer: aus dem Paketindex herunterladen</translation>
    </message>
    <message>
        <location filename="../ui/installer_dialog.py" line="71" />
        <source>Browse…</source>
        <translation>Durchsuchen…</translation>
    </message>
    <message>
        <location filename="../ui/installer_dialog.py" line="76" />
        <source>Offline, from a folder of wheels:</source>
        <translation>Offline, aus einem Ordner mit Wheels:</translation>
    </message>
    <message>
        <location filename="../ui/installer_dialog.py" line="80" />
        <source>Ready.</source>
        <translation>Bereit.</translation>
    </message>
    <message>
        <location filename="../ui/installer_dialog.py" line="86" />
        <source>Install</source>
        <translation>Installieren</translation>
    </message>
    <message>
        <location filename="../ui/installer_dialog.py" line="87" />
        <source>Cancel install</source>
        <translation>Installation abbrechen</translation>
    </message>
    <message>
        <location filename="../ui/installer_dialog.py" line="102" />
        <source>Folder of wheels</source>
        <translation>Ordner mit Wheels</translation>
    </message>
    <message>
        <location filename="../ui/installer_dialog.py" line="125" />
        <source>Cancelling…</source>
        <translation>Wird abgebrochen…</translation>
    </message>
    <message>
        <location filename="../ui/layers.py" line="96" />
        <source>The raster has no georeferencing: the polygons are placed on its pixels as QGIS draws it (x = column, y = -row).</source>
        <translation>Das Raster ist nicht georeferenziert: Die Polygone werden so auf seine Pixel gelegt, wie QGIS es zeichnet (x = Spalte, y = -Zeile).</translation>
    </message>
    <message>
        <location filename="../ui/layers.py" line="107" />
        <source>'{name}' has no CRS: its polygons are read in the raster's CRS. Set the layer's CRS (Layer Properties ▸ Source) if they land in the wrong place.</source>
        <translation>„{name}“ hat kein KBS: Seine Polygone werden im KBS des Rasters gelesen. Legen Sie das KBS des Layers fest (Layereigenschaften ▸ Quelle), falls sie an der falschen Stelle liegen.</translation>
    </message>
    <message>
        <location filename="../ui/proj_check.py" line="31" />
        <source>no PROJ variable set</source>
        <translation>keine PROJ-Variable gesetzt</translation>
    </message>
    <message>
        <location filename="../ui/proj_check.py" line="33" />
        <source>PROJ could not find its database ({was}), probably set by another plugin's Python environment; RSEdit pointed GDAL and rasterio back to QGIS's PROJ data in {folder}.</source>
        <translation>PROJ konnte seine Datenbank nicht finden ({was}), vermutlich von der Python-Umgebung einer anderen Erweiterung gesetzt; RSEdit hat GDAL und rasterio wieder auf die PROJ-Daten von QGIS in {folder} verwiesen.</translation>
    </message>
    <message>
        <location filename="../ui/proj_check.py" line="37" />
        <source>PROJ could not find its database ({was}) and no PROJ data folder of QGIS answered; CRS lookups will fail. Remove PROJ_DATA and PROJ_LIB from the environment (Settings &gt; Options &gt; System) and restart QGIS.</source>
        <translation>PROJ konnte seine Datenbank nicht finden ({was}), und kein PROJ-Datenordner von QGIS hat geantwortet; KBS-Abfragen werden fehlschlagen. Entfernen Sie PROJ_DATA und PROJ_LIB aus der Umgebung (Einstellungen &gt; Optionen &gt; System) und starten Sie QGIS neu.</translation>
    </message>
    <message>
        <location filename="../ui/proj_check.py" line="42" />
        <source>QGIS cannot resolve EPSG:{code}: its PROJ database is missing or broken; CRS lookups will fail.</source>
        <translation>QGIS kann EPSG:{code} nicht auflösen: Seine PROJ-Datenbank fehlt oder ist beschädigt; KBS-Abfragen werden fehlschlagen.</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/base.py" line="82" />
        <source>{name} failed: {error}. This is a fault in RSEdit; the log has the details, please report them.</source>
        <translation>{name} ist fehlgeschlagen: {error}. Das ist ein Fehler in RSEdit; das Protokoll enthält die Details, bitte melden Sie sie.</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/clear_cache.py" line="40" />
        <source>Also remove partial outputs of killed runs from this folder</source>
        <translation>Auch Teilausgaben gewaltsam beendeter Läufe aus diesem Ordner entfernen</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/clear_cache.py" line="46" />
        <source>Partial outputs removed</source>
        <translation>Entfernte Teilausgaben</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/clear_cache.py" line="54" />
        <source>The folder {folder} does not exist.</source>
        <translation>Der Ordner {folder} existiert nicht.</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/clear_cache.py" line="61" />
        <source>Removed the partial output {path} of a run that was killed.</source>
        <translation>Teilausgabe {path} eines gewaltsam beendeten Laufs entfernt.</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/clear_cache.py" line="64" />
        <source>Removed {count} partial outputs ({megabytes:.1f} MB) from {folders} folders.</source>
        <translation>{count} Teilausgaben ({megabytes:.1f} MB) aus {folders} Ordnern entfernt.</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_base.py" line="142" />
        <source>RSEdit writes GeoTIFF (or PNG, for a raster without georeferencing): give the edited raster a .tif or .png file name.</source>
        <translation>RSEdit schreibt GeoTIFF (oder PNG bei einem Raster ohne Georeferenzierung): Geben Sie dem bearbeiteten Raster einen Dateinamen mit der Endung .tif oder .png.</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_chip_folder.py" line="41" />
        <source>Edit a folder of chips into a change-detection dataset</source>
        <translation>Ordner mit Chips zu einem Datensatz für die Änderungserkennung bearbeiten</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_chip_folder.py" line="44" />
        <source>Edits every image chip of a folder (PNG, JPEG or TIFF, georeferenced or not) and writes a dataset in the LEVIR-CD layout that change-detection code reads: &lt;i&gt;A/&lt;/i&gt; the chip as it was, &lt;i&gt;B/&lt;/i&gt; the edited chip, &lt;i&gt;label/&lt;/i&gt; the change label (255 where the edit changed pixels, else 0) and &lt;i&gt;label_soft/&lt;/i&gt; the soft edit weight (0-255), with the same file name in each. PNG and JPEG chips without georeferencing give PNG files (never a re-compressed JPEG). &lt;i&gt;pairs.csv&lt;/i&gt; lists chip, variant, seed, prompt, mode, model fingerprint and ROI source; train.txt, val.txt and test.txt are written when a split is given (by chip, so the variants of a chip stay in one split).

&lt;b&gt;ROIs&lt;/b&gt;: the whole chip; a mask image with the chip's file name in the mask folder (non-zero = ROI); a pixel box col0,row0,col1,row1 (x = column, y = row from the top-left corner); or the polygons of a layer (georeferenced chips only).
&lt;b&gt;Scene model&lt;/b&gt;: one per chip (each chip is its own scene), or one shared model learnt from a sample of the folder's chips (faster for many chips from one sensor; regenerating whole chips needs it).
&lt;b&gt;Prompts&lt;/b&gt; (text mode): one per line and/or a prompt file; each chip is edited with each prompt. Paraphrases as in 'Edit with text prompt in ROIs'.

A chip that cannot be used (unreadable, too small, an empty mask) is listed in the log with the reason and the run goes on. Cancel keeps the complete pairs and an index listing them; running again with the same settings skips them.

Example: 2,000 tsunami chips (160 x 160 px PNGs) and their building masks in a mask folder, regenerate, one shared model, tile size 96 and a 0.7,0.15,0.15 split: a dataset that LEVIR-CD loaders read.</source>
        <translation>Bearbeitet jeden Bildausschnitt (Chip) eines Ordners (PNG, JPEG oder TIFF, georeferenziert oder nicht) und schreibt einen Datensatz im LEVIR-CD-Aufbau, den Code zur Änderungserkennung liest: &lt;i&gt;A/&lt;/i&gt; den Chip im Originalzustand, &lt;i&gt;B/&lt;/i&gt; den bearbeiteten Chip, &lt;i&gt;label/&lt;/i&gt; das Änderungslabel (255, wo die Bearbeitung Pixel verändert hat, sonst 0) und &lt;i&gt;label_soft/&lt;/i&gt; das weiche Bearbeitungsgewicht (0-255), jeweils mit demselben Dateinamen. PNG- und JPEG-Chips ohne Georeferenzierung ergeben PNG-Dateien (nie ein neu komprimiertes JPEG). &lt;i&gt;pairs.csv&lt;/i&gt; listet Chip, Variante, Zufallswert, Textvorgabe, Modus, Fingerabdruck des Modells und ROI-Quelle auf; train.txt, val.txt und test.txt werden geschrieben, wenn eine Aufteilung angegeben ist (nach Chips, sodass die Varianten eines Chips in derselben Teilmenge bleiben).

&lt;b&gt;ROIs&lt;/b&gt;: der ganze Chip; ein Maskenbild mit dem Dateinamen des Chips im Maskenordner (ungleich null = ROI); ein Pixelrechteck col0,row0,col1,row1 (x = Spalte, y = Zeile ab der oberen linken Ecke); oder die Polygone eines Layers (nur georeferenzierte Chips).
&lt;b&gt;Szenenmodell&lt;/b&gt;: eines je Chip (jeder Chip ist seine eigene Szene) oder ein gemeinsames Modell, das aus einer Stichprobe der Chips des Ordners lernt (schneller bei vielen Chips desselben Sensors; das Neuerzeugen ganzer Chips erfordert es).
&lt;b&gt;Textvorgaben&lt;/b&gt; (Modus Textvorgaben): eine pro Zeile und/oder eine Datei mit Textvorgaben; jeder Chip wird mit jeder Textvorgabe bearbeitet. Umschreibungen wie in „Mit Textvorgabe in ROIs bearbeiten“.

Ein Chip, der sich nicht verwenden lässt (unlesbar, zu klein, eine leere Maske), wird mit dem Grund im Protokoll aufgeführt, und der Lauf geht weiter. Beim Abbrechen bleiben die vollständigen Paare und ein Index, der sie auflistet, erhalten; ein erneuter Lauf mit denselben Einstellungen überspringt sie.

Beispiel: 2.000 Tsunami-Chips (PNGs mit 160 x 160 Pixeln) und ihre Gebäudemasken in einem Maskenordner, Neu erzeugen, ein gemeinsames Modell, Kachelgröße 96 und eine Aufteilung 0.7,0.15,0.15: ein Datensatz, den LEVIR-CD-Loader lesen.</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_chip_folder.py" line="67" />
        <source>Folder of chips</source>
        <translation>Ordner mit Chips</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_chip_folder.py" line="69" />
        <source>File pattern</source>
        <translation>Dateimuster</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_chip_folder.py" line="70" />
        <source>ROIs</source>
        <translation>ROIs</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_chip_folder.py" line="70" />
        <source>The whole chip</source>
        <translation>Der ganze Chip</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_chip_folder.py" line="70" />
        <source>A mask with the same name in the mask folder</source>
        <translation>Eine gleichnamige Maske im Maskenordner</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_chip_folder.py" line="70" />
        <source>A pixel box</source>
        <translation>Ein Pixelrechteck</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_chip_folder.py" line="70" />
        <source>Polygons of a layer (georeferenced chips)</source>
        <translation>Polygone eines Layers (georeferenzierte Chips)</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_chip_folder.py" line="74" />
        <source>Mask folder (non-zero = ROI)</source>
        <translation>Maskenordner (ungleich null = ROI)</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_chip_folder.py" line="132" />
        <source>Pixel box: col0,row0,col1,row1</source>
        <translation>Pixelrechteck: col0,row0,col1,row1</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_chip_folder.py" line="89" />
        <source>Variants per chip and prompt</source>
        <translation>Varianten je Chip und Textvorgabe</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_chip_folder.py" line="93" />
        <source>One per chip</source>
        <translation>Eines je Chip</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_chip_folder.py" line="93" />
        <source>One shared, learnt from a sample of chips</source>
        <translation>Ein gemeinsames (aus einer Stichprobe der Chips gelernt)</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_chip_folder.py" line="96" />
        <source>Chips the shared model learns from</source>
        <translation>Chips, aus denen das gemeinsame Modell lernt</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_chip_folder.py" line="99" />
        <source>Train/val/test split, e.g. 0.7,0.15,0.15 (empty: no split lists)</source>
        <translation>Aufteilung Training/Validierung/Test, z. B. 0.7,0.15,0.15 (leer: keine Aufteilungslisten)</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_chip_folder.py" line="101" />
        <source>Seed of the split</source>
        <translation>Zufallswert der Aufteilung</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_chip_folder.py" line="106" />
        <source>Pair index (pairs.csv)</source>
        <translation>Paarindex (pairs.csv)</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_chip_folder.py" line="107" />
        <source>Pairs written</source>
        <translation>Geschriebene Paare</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_chip_folder.py" line="108" />
        <source>Chips left out</source>
        <translation>Ausgelassene Chips</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_chip_folder.py" line="118" />
        <source>'{label}' takes numbers separated by commas (got '{text}').</source>
        <translation>„{label}“ erwartet durch Kommas getrennte Zahlen (erhalten: „{text}“).</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_chip_folder.py" line="128" />
        <source>Choose the mask folder: it holds one mask per chip, with the chip's file name.</source>
        <translation>Wählen Sie den Maskenordner: Er enthält eine Maske je Chip mit dem Dateinamen des Chips.</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_chip_folder.py" line="134" />
        <source>Give the pixel box as col0,row0,col1,row1, e.g. 40,40,120,120.</source>
        <translation>Geben Sie das Pixelrechteck als col0,row0,col1,row1 an, z. B. 40,40,120,120.</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_chip_folder.py" line="156" />
        <source>Give at least one prompt (e.g. 'a damaged house') or a prompt file, or choose the regenerate mode.</source>
        <translation>Geben Sie mindestens eine Textvorgabe (z. B. 'a damaged house') oder eine Datei mit Textvorgaben an, oder wählen Sie den Modus „Neu erzeugen“.</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_chip_folder.py" line="164" />
        <source>Train/val/test split</source>
        <translation>Aufteilung Training/Validierung/Test</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_chip_folder.py" line="175" />
        <source>Run again with the same settings to make the rest.</source>
        <translation>Führen Sie den Algorithmus mit denselben Einstellungen erneut aus, um den Rest zu erzeugen.</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_chip_folder.py" line="177" />
        <source>Chip {chip} left out: {reason}</source>
        <translation>Chip {chip} ausgelassen: {reason}</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_chip_folder.py" line="178" />
        <source>{written} pairs written, {skipped} already complete, {unusable} chips left out; index: {index}</source>
        <translation>{written} Paare geschrieben, {skipped} bereits vollständig, {unusable} Chips ausgelassen; Index: {index}</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_text.py" line="57" />
        <source>Each ROI: its box and some context</source>
        <translation>Jede ROI: ihr Rechteck und etwas Umgebung</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_text.py" line="58" />
        <source>The whole tile (earlier guidance, for comparison)</source>
        <translation>Die ganze Kachel (frühere Führung, zum Vergleich)</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_text.py" line="89" />
        <source>The external paraphrase command runs only if you enabled commands in your own settings (a parameter may come from a shared model, a project or the history): set the QGIS setting {key} to true, or the environment variable {env}=1. Its command line is written to the log when it runs.</source>
        <translation>Der externe Umschreibungsbefehl wird nur ausgeführt, wenn Sie Befehle in Ihren eigenen Einstellungen erlaubt haben (ein Parameter kann aus einem weitergegebenen Modell, einem Projekt oder dem Verlauf stammen): Setzen Sie die QGIS-Einstellung {key} auf true oder die Umgebungsvariable {env}=1. Seine Befehlszeile wird beim Ausführen ins Protokoll geschrieben.</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_text.py" line="95" />
        <source>&lt;b&gt;CLIP views&lt;/b&gt; (advanced): what CLIP looks at while it guides. Each ROI (the default) guides every polygon towards its own prompt with views of its box and a little context; the whole tile is the earlier guidance, in which a small polygon is a small part of what CLIP sees.</source>
        <translation>&lt;b&gt;CLIP-Ansichten&lt;/b&gt; (erweitert): was CLIP beim Führen betrachtet. Jede ROI (Standard) führt jedes Polygon mit Ansichten seines Rechtecks und etwas Umgebung zu seiner eigenen Vorgabe; die ganze Kachel ist die frühere Führung, in der ein kleines Polygon nur ein kleiner Teil dessen ist, was CLIP sieht.</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_text.py" line="121" />
        <source>CLIP views</source>
        <translation>CLIP-Ansichten</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_text.py" line="123" />
        <source>Prompt ensembling (guide towards the prompt and its paraphrases together)</source>
        <translation>Prompt-Ensembling (gemeinsam zur Textvorgabe und ihren Umschreibungen hin führen)</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/executor_parameters.py" line="16" />
        <source>Dask scheduler address (e.g. tcp://host:8786; empty = this computer)</source>
        <translation>Adresse des Dask-Schedulers (z. B. tcp://host:8786; leer = dieser Computer)</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/executor_parameters.py" line="31" />
        <source>&lt;b&gt;Dask scheduler address&lt;/b&gt; (advanced): edit the ROIs on a Dask cluster (start it with `dask scheduler` and `dask worker tcp://host:8786`; the workers need RSEdit and torch, and open_clip for text edits). The result is the same as on this computer.</source>
        <translation>&lt;b&gt;Adresse des Dask-Schedulers&lt;/b&gt; (erweitert): die ROIs auf einem Dask-Cluster bearbeiten (starten mit `dask scheduler` und `dask worker tcp://host:8786`; die Worker brauchen RSEdit und torch, für Textbearbeitungen auch open_clip). Das Ergebnis ist dasselbe wie auf diesem Computer.</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/mask_parameters.py" line="27" />
        <source>ROI mask raster (instead of polygons)</source>
        <translation>ROI-Maskenraster (statt Polygonen)</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/mask_parameters.py" line="32" />
        <source>&lt;b&gt;ROI mask raster&lt;/b&gt; (instead of the polygons): a cloud or shadow mask (Sentinel-2 SCL, Fmask, s2cloudless probabilities) or a band of the raster itself, on any grid and in any CRS (resampled to the raster's grid by nearest neighbour, read block by block). &lt;b&gt;ROI mask values&lt;/b&gt; mark the ROI pixels, e.g. 8,9,10 for SCL's clouds and cirrus; &lt;b&gt;ROI mask threshold&lt;/b&gt; instead takes the pixels at or above it (probability masks). &lt;b&gt;Dilate the mask by&lt;/b&gt; grows the mask by that many pixels (a disk), since cloud edges and shadows spill past masks. Nearby pieces of the mask are one region; nodata is never one.</source>
        <translation>&lt;b&gt;ROI-Maskenraster&lt;/b&gt; (statt der Polygone): eine Wolken- oder Schattenmaske (Sentinel-2 SCL, Fmask, s2cloudless-Wahrscheinlichkeiten) oder ein Kanal des Rasters selbst, auf beliebigem Gitter und in beliebigem KBS (mit nächstem Nachbarn auf das Gitter des Rasters neu abgetastet, blockweise gelesen). &lt;b&gt;ROI-Maskenwerte&lt;/b&gt; kennzeichnen die ROI-Pixel, z. B. 8,9,10 für Wolken und Zirren in SCL; &lt;b&gt;ROI-Maskenschwellenwert&lt;/b&gt; nimmt stattdessen die Pixel ab diesem Wert (Wahrscheinlichkeitsmasken). &lt;b&gt;Maske erweitern um&lt;/b&gt; vergrößert die Maske um so viele Pixel (kreisförmig), da Wolkenränder und Schatten über Masken hinausreichen. Nahe beieinanderliegende Teile der Maske bilden eine Region; NoData ist nie eine.</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/mask_parameters.py" line="44" />
        <source>ROI mask band</source>
        <translation>Kanal der ROI-Maske</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/mask_parameters.py" line="45" />
        <source>ROI mask values (comma-separated, e.g. 8,9,10 for Sentinel-2 SCL clouds)</source>
        <translation>ROI-Maskenwerte (durch Kommas getrennt, z. B. 8,9,10 für Wolken in Sentinel-2 SCL)</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/mask_parameters.py" line="47" />
        <source>ROI mask threshold (pixels &gt;= threshold, for probability masks)</source>
        <translation>ROI-Maskenschwellenwert (Pixel &gt;= Schwellenwert, für Wahrscheinlichkeitsmasken)</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/mask_parameters.py" line="50" />
        <source>Dilate the mask by (pixels)</source>
        <translation>Maske erweitern um (Pixel)</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/mask_parameters.py" line="63" />
        <source>Give the regions of interest: a polygon layer for '{rois}', or a raster for '{mask}'.</source>
        <translation>Geben Sie die Interessensbereiche an: einen Polygonlayer für „{rois}“ oder ein Raster für „{mask}“.</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/mask_parameters.py" line="68" />
        <source>'{settings}' apply only to a ROI mask raster: choose '{mask}', or clear them.</source>
        <translation>'{settings}' gelten nur für ein ROI-Maskenraster: Wählen Sie '{mask}' oder leeren Sie diese Einstellungen.</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/mask_parameters.py" line="73" />
        <source>Give either a polygon layer for '{rois}' or a raster for '{mask}', not both.</source>
        <translation>Geben Sie entweder einen Polygonlayer für „{rois}“ oder ein Raster für „{mask}“ an, nicht beides.</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/mask_parameters.py" line="78" />
        <source>Give the ROI mask values (e.g. 8,9,10 for Sentinel-2 SCL clouds) or a ROI mask threshold (for probability masks), not both and not neither.</source>
        <translation>Geben Sie entweder die ROI-Maskenwerte (z. B. 8,9,10 für Wolken in Sentinel-2 SCL) oder einen ROI-Maskenschwellenwert (für Wahrscheinlichkeitsmasken) an, genau eines von beiden.</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/preview_tiles.py" line="45" />
        <source>Shows what an edit would read and rewrite for the given regions of interest, without editing anything: one polygon per edit unit. A unit is a ROI, or ROIs close together, sampled as one image however large, widened to at least the tile size for context; units of one group share a scene model learnt from their own surroundings. Use it to check the plan of a large run.

&lt;b&gt;Raster&lt;/b&gt;: any GDAL raster with georeferencing.
&lt;b&gt;ROI polygons&lt;/b&gt;: the regions to edit; in another CRS they are reprojected. Tick 'Selected features only' to use only the polygons selected on the map.
&lt;b&gt;Tile size&lt;/b&gt;: the least width of a unit, and the pieces the model denoises it in.
&lt;b&gt;Tile overlap&lt;/b&gt;: used by the pretrained (Stable Diffusion) mode, whose tiles are blended.
&lt;b&gt;Context margin&lt;/b&gt;: ROIs within two margins of each other are one unit.

Output: one polygon per unit with its index, its ROI group, the ids of its ROIs and its pixel window.

Example: a 791×718 Landsat scene with four cloud polygons, tile size 256, margin 16 gives one unit per cloud, or fewer where clouds lie close together.</source>
        <translation>Zeigt, was eine Bearbeitung für die angegebenen Interessensbereiche (ROIs) lesen und neu schreiben würde, ohne etwas zu bearbeiten: ein Polygon je Bearbeitungseinheit. Eine Einheit ist eine ROI oder mehrere nahe beieinanderliegende ROIs, die unabhängig von ihrer Größe als ein Bild erzeugt und für den Kontext auf mindestens die Kachelgröße erweitert werden; die Einheiten einer Gruppe teilen sich ein Szenenmodell, das aus ihrer eigenen Umgebung lernt. Damit prüfen Sie den Plan eines großen Laufs.

&lt;b&gt;Raster&lt;/b&gt;: ein beliebiges georeferenziertes GDAL-Raster.
&lt;b&gt;ROI-Polygone&lt;/b&gt;: die zu bearbeitenden Bereiche; liegen sie in einem anderen KBS vor, werden sie umprojiziert. Haken Sie „Nur gewählte Objekte“ an, um nur die in der Karte gewählten Polygone zu verwenden.
&lt;b&gt;Kachelgröße&lt;/b&gt;: die Mindestbreite einer Einheit und die Stücke, in denen das Modell sie entrauscht.
&lt;b&gt;Kachelüberlappung&lt;/b&gt;: wird vom vortrainierten Modus (Stable Diffusion) verwendet, dessen Kacheln überblendet werden.
&lt;b&gt;Kontextrand&lt;/b&gt;: ROIs, die höchstens zwei Kontextränder voneinander entfernt liegen, bilden eine Einheit.

Ausgabe: ein Polygon je Einheit mit ihrem Index, ihrer ROI-Gruppe, den IDs ihrer ROIs und ihrem Pixelfenster.

Beispiel: Eine Landsat-Szene mit 791×718 Pixeln und vier Wolkenpolygonen ergibt bei Kachelgröße 256 und Rand 16 eine Einheit je Wolke oder weniger, wo Wolken nahe beieinanderliegen.</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/preview_tiles.py" line="107" />
        <source>{count} edit units in {groups} ROI groups.</source>
        <translation>{count} Bearbeitungseinheiten in {groups} ROI-Gruppen.</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/prompt_parameters.py" line="35" />
        <source>Cannot read the file {path}: {error}. Give a UTF-8 text file with one entry per line.</source>
        <translation>Die Datei {path} kann nicht gelesen werden: {error}. Geben Sie eine UTF-8-Textdatei mit einem Eintrag pro Zeile an.</translation>
    </message>
    <message>
        <location filename="../ui/dependencies.py" line="14" />
        <source>Install or repair dependencies…</source>
        <translation>Abhängigkeiten installieren oder reparieren…</translation>
    </message>
    <message>
        <location filename="../ui/dependencies.py" line="15" />
        <source>Dependency report</source>
        <translation>Abhängigkeitsbericht</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_text.py" line="126" />
        <source>Texture from the scene (copy the edit's fine detail from real pixels of the scene)</source>
        <translation>Textur aus der Szene (die feinen Details der Bearbeitung aus echten Pixeln der Szene kopieren)</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_text.py" line="99" />
        <source>&lt;b&gt;Texture from the scene&lt;/b&gt; (advanced, on by default): with the training-free backend, the finest detail of each edited polygon is copied from real pixels of the scene that look like the edit (e.g. the scene's own maize for 'a crop field'), so the edit does not get CLIP's painted texture. Where the scene holds nothing like the edit, CLIP's result stays. It has no effect with a trained model.</source>
        <translation>&lt;b&gt;Textur aus der Szene&lt;/b&gt; (erweitert, standardmäßig an): mit dem trainingsfreien Backend werden die feinsten Details jedes bearbeiteten Polygons aus echten Pixeln der Szene kopiert, die der Bearbeitung ähneln (z. B. der eigene Mais der Szene für 'a crop field'), sodass die Bearbeitung nicht die von CLIP gemalte Textur erhält. Wo die Szene nichts der Bearbeitung Ähnliches enthält, bleibt das Ergebnis von CLIP. Mit einem trainierten Modell hat die Option keine Wirkung.</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/clear_cache.py" line="24" />
        <source>Deletes the scene models that editing with the trained backend caches, so that they are trained again the next time they are needed. Use it to free disk space or after changing training settings by hand. Models saved with 'Train scene model' elsewhere are not touched.

The cache is ~/.cache/rsedit/models, or the folder named by the RSEDIT_CACHE_DIR environment variable. Only the scene model files (.safetensors) and leftovers of interrupted saves are deleted; any other file in that folder stays.
It also removes the hidden partial outputs (.&lt;name&gt;.rsedit.&lt;host&gt;.&lt;pid&gt;.….part.tif) that a run killed before it finished left in the folders RSEdit wrote to, and in the optional folder given; files of runs still going are kept. (Every edit also removes them from its own output folder when it starts.)
Outputs: the number of models removed, the bytes freed, the cache folder and the number of partial outputs removed; the log says the same.

Example: after editing ten scenes with the trained backend, run it to reclaim their models' space.</source>
        <translation>Löscht die Szenenmodelle, die beim Bearbeiten mit dem trainierten Backend zwischengespeichert werden, sodass sie beim nächsten Bedarf neu trainiert werden. Verwenden Sie den Algorithmus, um Speicherplatz freizugeben oder nachdem Sie Trainingseinstellungen von Hand geändert haben. Mit „Szenenmodell trainieren“ anderswo gespeicherte Modelle bleiben unberührt.

Der Zwischenspeicher ist ~/.cache/rsedit/models oder der Ordner, den die Umgebungsvariable RSEDIT_CACHE_DIR angibt. Gelöscht werden nur die Szenenmodelldateien (.safetensors) und Reste unterbrochener Speichervorgänge; alle anderen Dateien in diesem Ordner bleiben erhalten.
Er entfernt außerdem die versteckten Teilausgaben (.&lt;name&gt;.rsedit.&lt;host&gt;.&lt;pid&gt;.….part.tif), die ein vor seinem Ende gewaltsam beendeter Lauf in den Ordnern hinterlassen hat, in die RSEdit geschrieben hat, sowie im optional angegebenen Ordner; Dateien noch laufender Vorgänge bleiben erhalten. (Jede Bearbeitung entfernt sie beim Start auch aus ihrem eigenen Ausgabeordner.)
Ausgaben: die Anzahl entfernter Modelle, die freigegebenen Bytes, der Zwischenspeicher-Ordner und die Anzahl entfernter Teilausgaben; das Protokoll meldet dasselbe.

Beispiel: Nachdem Sie zehn Szenen mit dem trainierten Backend bearbeitet haben, geben Sie damit den Speicherplatz ihrer Modelle wieder frei.</translation>
    </message>
</context>
</TS>