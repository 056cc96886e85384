<?xml version='1.0' encoding='utf-8'?>
<TS version="2.1">
<context>
    <name>@default</name>
    <message>
        <location filename="../plugin.py" line="33" />
        <source>RSEdit: edit raster in ROIs…</source>
        <translation>RSEdit: Raster in ROIs bearbeiten…</translation>
    </message>
    <message>
        <location filename="../plugin.py" line="46" />
        <source>&amp;RSEdit</source>
        <translation>&amp;RSEdit</translation>
    </message>
    <message>
        <location filename="../ui/dependencies.py" line="29" />
        <source>RSEdit needs the Python package(s) {packages}, which QGIS's Python cannot import. Install them with:
    {command}
then restart QGIS.</source>
        <translation type="unfinished" />
    </message>
    <message>
        <location filename="../ui/layers.py" line="21" />
        <source>Choose a raster layer for '{name}'.</source>
        <translation type="unfinished" />
    </message>
    <message>
        <location filename="../ui/layers.py" line="23" />
        <source>The raster '{layer}' comes from the '{provider}' provider. RSEdit reads rasters through GDAL files only: export it first (right-click ▸ Export ▸ Save As… GeoTIFF).</source>
        <translation type="unfinished" />
    </message>
    <message>
        <location filename="../ui/layers.py" line="41" />
        <source>Choose a polygon layer for '{name}'.</source>
        <translation type="unfinished" />
    </message>
    <message>
        <location filename="../ui/layers.py" line="45" />
        <source>'{name}' must be a polygon layer, but it holds {kind} geometries. Draw polygons around the areas to edit, or buffer the {kind} features first (Vector geometry ▸ Buffer).</source>
        <translation type="unfinished" />
    </message>
    <message>
        <location filename="../ui/layers.py" line="64" />
        <source>'{name}' has no polygons to use. If 'Selected features only' is ticked, select at least one polygon on the map first.</source>
        <translation type="unfinished" />
    </message>
    <message>
        <location filename="../ui/provider.py" line="20" />
        <source>RSEdit: diffusion-based editing of remote-sensing rasters</source>
        <translation type="unfinished" />
    </message>
    <message>
        <location filename="../ui/algorithms/base.py" line="23" />
        <source>Tools</source>
        <translation>Werkzeuge</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/base.py" line="24" />
        <source>Scene models</source>
        <translation>Szenenmodelle</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/base.py" line="25" />
        <source>Edit rasters</source>
        <translation>Raster bearbeiten</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/base.py" line="26" />
        <source>Training data</source>
        <translation>Trainingsdaten</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/base.py" line="57" />
        <source>Cancelled: no output was written.</source>
        <translation>Abgebrochen: Es wurde keine Ausgabe geschrieben.</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/copy_roi.py" line="21" />
        <source>Copy ROI content to target ROIs</source>
        <translation>ROI-Inhalt in Ziel-ROIs kopieren</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/copy_roi.py" line="24" />
        <source>Places the content of a source polygon (oil tanks, PV panels, a wind turbine, a ship) into every target polygon, resampled to each target's size, and lets the scene model blend it into its new surroundings. Pixels outside the targets are unchanged.

&lt;b&gt;Source polygon&lt;/b&gt;: a polygon layer; its first feature (or the selected one, with 'Selected features only') marks the content to copy.
&lt;b&gt;Target polygons&lt;/b&gt;: where the content goes; each at least 4 pixels across.
&lt;b&gt;Copy strength&lt;/b&gt;: 0.8 copies closely; lower values keep more of the target's own content.

Example: a port orthophoto, one polygon around an oil tank as source, five empty lots as targets.</source>
        <translation type="unfinished" />
    </message>
    <message>
        <location filename="../ui/algorithms/copy_roi.py" line="41" />
        <source>Source polygon (content to copy)</source>
        <translation>Quellpolygon (zu kopierender Inhalt)</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/copy_roi.py" line="37" />
        <source>Copy strength</source>
        <translation>Kopierstärke</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_base.py" line="35" />
        <source>Automatic (trained with a GPU, training-free without)</source>
        <translation type="unfinished" />
    </message>
    <message>
        <location filename="../ui/algorithms/edit_base.py" line="35" />
        <source>Training-free (no training)</source>
        <translation type="unfinished" />
    </message>
    <message>
        <location filename="../ui/algorithms/edit_base.py" line="36" />
        <source>Trained SinDDM (trains once per scene, cached)</source>
        <translation type="unfinished" />
    </message>
    <message>
        <location filename="../ui/algorithms/edit_base.py" line="40" />
        <source>Fast (CPU-friendly)</source>
        <translation type="unfinished" />
    </message>
    <message>
        <location filename="../ui/algorithms/edit_base.py" line="40" />
        <source>Standard</source>
        <translation type="unfinished" />
    </message>
    <message>
        <location filename="../ui/algorithms/edit_base.py" line="40" />
        <source>Paper (reference settings, GPU hours)</source>
        <translation type="unfinished" />
    </message>
    <message>
        <location filename="../ui/algorithms/train_model.py" line="63" />
        <source>Raster</source>
        <translation>Raster</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_base.py" line="63" />
        <source>Random seed (same seed, same edit)</source>
        <translation>Zufallswert (gleicher Wert, gleiche Bearbeitung)</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_base.py" line="66" />
        <source>Edited raster</source>
        <translation>Bearbeitetes Raster</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_base.py" line="67" />
        <source>Edit mask (0 = original pixel, 255 = fully synthetic)</source>
        <translation>Bearbeitungsmaske (0 = Originalpixel, 255 = vollständig synthetisch)</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/train_model.py" line="55" />
        <source>Scene model</source>
        <translation>Szenenmodell</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_base.py" line="76" />
        <source>Training preset (trained scene model)</source>
        <translation type="unfinished" />
    </message>
    <message>
        <location filename="../ui/algorithms/edit_base.py" line="78" />
        <source>Trained scene model to reuse (.safetensors)</source>
        <translation type="unfinished" />
    </message>
    <message>
        <location filename="../ui/algorithms/edit_base.py" line="80" />
        <source>Start scale (0 = re-create the ROI from scratch; higher keeps more of the layout)</source>
        <translation type="unfinished" />
    </message>
    <message>
        <location filename="../ui/algorithms/edit_base.py" line="83" />
        <source>Start step at the start scale (0-99; -1 = from pure noise)</source>
        <translation type="unfinished" />
    </message>
    <message>
        <location filename="../ui/algorithms/edit_base.py" line="86" />
        <source>Soft ROI edges (NGDM); untick for a hard mask</source>
        <translation type="unfinished" />
    </message>
    <message>
        <location filename="../ui/algorithms/edit_base.py" line="88" />
        <source>Context the scene model learns from (pixels around the ROIs)</source>
        <translation type="unfinished" />
    </message>
    <message>
        <location filename="../ui/algorithms/edit_base.py" line="91" />
        <source>Feather width of ROI borders (pixels)</source>
        <translation type="unfinished" />
    </message>
    <message>
        <location filename="../ui/algorithms/train_model.py" line="52" />
        <source>Device</source>
        <translation>Gerät</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_base.py" line="111" />
        <source>RSEdit writes GeoTIFF: give the edited raster a .tif file name.</source>
        <translation type="unfinished" />
    </message>
    <message>
        <location filename="../ui/algorithms/edit_base.py" line="134" />
        <source>Prompts used for '{prompt}': {used}</source>
        <translation type="unfinished" />
    </message>
    <message>
        <location filename="../ui/algorithms/edit_base.py" line="135" />
        <source>Scene model: {model}</source>
        <translation type="unfinished" />
    </message>
    <message>
        <location filename="../ui/algorithms/edit_text.py" line="25" />
        <source>Edit with text prompt in ROIs</source>
        <translation>Mit Textvorgabe in ROIs bearbeiten</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_text.py" line="28" />
        <source>Edits each polygon towards a text prompt, e.g. 'a forest on fire', 'a flooded river' or 'a damaged house', while keeping the scene's own look. A CLIP model (RemoteCLIP recommended for remote sensing) steers a diffusion model of the scene; the prompt is averaged with paraphrases (prompt ensembling) so that one wording does not drag in unrelated content. Pixels outside the polygons are unchanged.

&lt;b&gt;Prompt&lt;/b&gt;: what the polygons should show. &lt;b&gt;Prompt field&lt;/b&gt;: optionally, a field of the ROI layer holding each polygon's own prompt (empty values fall back to the prompt).
&lt;b&gt;Paraphrases&lt;/b&gt;: optional, one per line; without them RSEdit uses built-in remote-sensing paraphrases. The prompts used are listed in the log and stored in the output's metadata.
&lt;b&gt;CLIP model / weights&lt;/b&gt;: an open_clip architecture (ViT-B-32, ViT-L-14, RN50) and a weights file, e.g. RemoteCLIP-ViT-B-32.pt, or an open_clip pretrained tag such as 'openai' (downloaded once).
&lt;b&gt;Guidance strength&lt;/b&gt;: how hard each step moves towards the prompt.

Example: a Sentinel-2 scene, a forest polygon, prompt 'a forest on fire', RemoteCLIP-ViT-B-32.pt.</source>
        <translation type="unfinished" />
    </message>
    <message>
        <location filename="../ui/algorithms/edit_text.py" line="43" />
        <source>Prompt</source>
        <translation>Textvorgabe</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_text.py" line="44" />
        <source>Prompt field (one prompt per polygon)</source>
        <translation>Feld mit Textvorgabe (eine pro Polygon)</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_text.py" line="47" />
        <source>Paraphrases (one per line)</source>
        <translation>Umschreibungen (eine pro Zeile)</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_text.py" line="49" />
        <source>CLIP architecture</source>
        <translation>CLIP-Architektur</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_text.py" line="50" />
        <source>CLIP weights file (e.g. RemoteCLIP-ViT-B-32.pt)</source>
        <translation>CLIP-Gewichtsdatei (z. B. RemoteCLIP-ViT-B-32.pt)</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_text.py" line="52" />
        <source>…or an open_clip pretrained tag (downloads once)</source>
        <translation type="unfinished" />
    </message>
    <message>
        <location filename="../ui/algorithms/edit_text.py" line="54" />
        <source>Guidance strength</source>
        <translation>Führungsstärke</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/edit_text.py" line="61" />
        <source>Give a prompt (e.g. 'a forest on fire') or a prompt field.</source>
        <translation type="unfinished" />
    </message>
    <message>
        <location filename="../ui/algorithms/parameters.py" line="16" />
        <source>Tile size (pixels)</source>
        <translation>Kachelgröße (Pixel)</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/parameters.py" line="17" />
        <source>Tile overlap (pixels)</source>
        <translation>Kachelüberlappung (Pixel)</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/parameters.py" line="18" />
        <source>Context margin around ROIs (pixels)</source>
        <translation>Kontextrand um die ROIs (Pixel)</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/preview_tiles.py" line="41" />
        <source>Preview tiles</source>
        <translation>Kachelvorschau</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/preview_tiles.py" line="44" />
        <source>Shows which tiles of the raster an edit would read and rewrite for the given regions of interest, without editing anything. Use it to choose the tile size, overlap and margin before a long run.

&lt;b&gt;Raster&lt;/b&gt;: any GDAL raster with georeferencing.
&lt;b&gt;ROI polygons&lt;/b&gt;: the regions to edit; in another CRS they are reprojected. Tick 'Selected features only' to use only the polygons selected on the map.
&lt;b&gt;Tile size / overlap&lt;/b&gt;: tiles are tile size pixels square and overlap by this many pixels; overlaps are blended so tile borders leave no seam.
&lt;b&gt;Context margin&lt;/b&gt;: tiles within this many pixels of an ROI are processed too, so edits see their surroundings.

Output: one polygon per tile with its grid row and column, the ids of the ROIs it touches and its pixel window.

Example: a 791×718 Landsat scene with one cloud polygon, tile size 256, overlap 32, margin 16 gives the two to four tiles around the cloud.</source>
        <translation type="unfinished" />
    </message>
    <message>
        <location filename="../ui/algorithms/preview_tiles.py" line="71" />
        <source>ROI polygons</source>
        <translation>ROI-Polygone</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/preview_tiles.py" line="65" />
        <source>Tiles</source>
        <translation>Kacheln</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/preview_tiles.py" line="101" />
        <source>{count} tiles intersect the ROIs.</source>
        <translation type="unfinished" />
    </message>
    <message>
        <location filename="../ui/algorithms/regenerate.py" line="15" />
        <source>Regenerate ROIs (remove clouds or objects)</source>
        <translation>ROIs neu erzeugen (Wolken oder Objekte entfernen)</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/regenerate.py" line="18" />
        <source>Replaces the content of each polygon with new content sampled from a model of the scene itself, made to agree with its surroundings: clouds, their shadows, vehicles or buildings disappear into the local land cover. Pixels outside the polygons are copied unchanged and nodata stays nodata.

&lt;b&gt;Raster&lt;/b&gt;: any georeferenced GDAL raster (RGB, multispectral, uint8/uint16/float).
&lt;b&gt;Regions to edit&lt;/b&gt;: polygons in any CRS; tick 'Selected features only' to use the selection.
&lt;b&gt;Random seed&lt;/b&gt;: the same seed gives the same result; change it for another variant.
&lt;b&gt;Scene model&lt;/b&gt; (advanced): training-free needs no training and is the default without a GPU; a trained SinDDM is trained once per scene and cached. &lt;b&gt;Start scale&lt;/b&gt; 0 re-creates the ROI from scratch; higher values keep more of its layout. &lt;b&gt;Soft ROI edges&lt;/b&gt; fade the edit in over the feather width (NGDM).

Outputs: the edited GeoTIFF (same CRS, grid, data type and nodata as the input, with provenance tags) and an optional edit mask.

Example: Landsat scene + three cloud polygons → a cloud-free version of the scene.</source>
        <translation type="unfinished" />
    </message>
    <message>
        <location filename="../ui/algorithms/train_model.py" line="32" />
        <source>Train scene model</source>
        <translation>Szenenmodell trainieren</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/train_model.py" line="35" />
        <source>Trains a single-image diffusion model (SinDDM) on the area around the polygons, at the raster's native resolution, and saves it as a .safetensors file that the editing algorithms reuse ('Trained scene model to reuse'). Editing also trains and caches a model by itself when the trained backend is chosen; use this algorithm to train once, ahead of many edits or batch runs.

&lt;b&gt;Preset&lt;/b&gt;: fast (minutes on a CPU), standard, or paper (the reference settings, GPU hours).
&lt;b&gt;Context&lt;/b&gt;: the side of the square window around the polygons the model learns from.
Cancel stops training within a second or two and writes nothing.

Example: a drone orthophoto and the field polygon, preset fast, output field_model.safetensors.</source>
        <translation type="unfinished" />
    </message>
    <message>
        <location filename="../ui/algorithms/train_model.py" line="64" />
        <source>Area to learn (polygons)</source>
        <translation>Zu lernender Bereich (Polygone)</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/train_model.py" line="49" />
        <source>Training preset</source>
        <translation>Trainingsvoreinstellung</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/train_model.py" line="50" />
        <source>Context (pixels)</source>
        <translation>Kontext (Pixel)</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/train_model.py" line="53" />
        <source>Random seed</source>
        <translation>Zufallswert</translation>
    </message>
    <message>
        <location filename="../ui/algorithms/train_model.py" line="55" />
        <source>Scene model (*.safetensors)</source>
        <translation type="unfinished" />
    </message>
    <message>
        <location filename="../ui/algorithms/train_model.py" line="67" />
        <source>Scene models are saved as .safetensors files: change the output name.</source>
        <translation type="unfinished" />
    </message>
</context>
</TS>