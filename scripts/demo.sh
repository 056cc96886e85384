#!/usr/bin/env bash
# `make demo`: a complete command-line run through qgis_process on the sample Landsat scene:
# the four cloud polygons of demo/landsat_clouds.gpkg are regenerated from a SinDDM trained on the
# scene with the fast preset (RSEDIT_DEMO_BACKEND=1 uses the training-free model instead).
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
scene="$data/landsat/RGB.byte.tif"
start=$(date +%s)

# a second run finds it enabled already, which qgis_process reports as an error
qgis_process.bin plugins enable rsedit >/dev/null 2>&1 || true
qgis_process.bin run rsedit:regenerate -- \
  INPUT="$scene" \
  ROIS="$repo/demo/landsat_clouds.gpkg" \
  BACKEND="${RSEDIT_DEMO_BACKEND:-2}" PRESET=0 SEED=0 \
  TILE_SIZE=256 OVERLAP=32 MARGIN=16 FEATHER=8 \
  OUTPUT="$out/landsat_clouds_removed.tif" \
  OUTPUT_MASK="$out/landsat_edit_mask.tif"
"$repo/.venv/bin/python" "$repo/scripts/before_after.py" "$scene" "$out/landsat_clouds_removed.tif" \
  "$out/landsat_edit_mask.tif" "$out/landsat_before_after.png" >/dev/null

echo
echo "demo: finished in $(( $(date +%s) - start )) s. Outputs:"
echo "  edited scene:  $out/landsat_clouds_removed.tif"
echo "  edit mask:     $out/landsat_edit_mask.tif"
echo "  before/after:  $out/landsat_before_after.png"
