#!/usr/bin/env bash
# `make demo`: a complete command-line run through qgis_process on the sample Landsat scene.
set -euo pipefail
data=$1
out=$2
repo=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out"
export QT_QPA_PLATFORM=offscreen
export QGIS_PLUGINPATH="$repo/build/plugins"
export PYTHONPATH="$repo/.venv/lib/python3.11/site-packages"
# a profile of the demo's own, so the user's QGIS settings are left alone
export HOME="$repo/build/qgis-home"
mkdir -p "$HOME"

qgis_process.bin plugins enable rsedit >/dev/null
qgis_process.bin run rsedit:previewtiles -- \
  INPUT="$data/landsat/RGB.byte.tif" \
  ROIS="$repo/demo/landsat_clouds.gpkg" \
  TILE_SIZE=256 OVERLAP=32 MARGIN=16 \
  OUTPUT="$out/landsat_cloud_tiles.gpkg"
echo
echo "demo: tiles an edit of the three cloud polygons would process: $out/landsat_cloud_tiles.gpkg"
