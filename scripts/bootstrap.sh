#!/usr/bin/env bash
# Idempotent set-up shared by `make test` and `make demo`: Debian packages, .venv, pinned pip
# packages. Each step checks what is already in place, so a second run takes seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

# gcc + libc6-dev: the optional CPU training kernels (models/kernels/native_kernels.py), compiled on first use
# only when the user sets RSEDIT_NATIVE_KERNELS=1
APT_PACKAGES=(python3-qgis qgis qgis-providers python3-rasterio python3-shapely python3-scipy
              python3-venv xvfb pyqt5-dev-tools qttools5-dev-tools zip gcc libc6-dev)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "bootstrap: installing Debian packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
fi

# QGIS's Python bindings import only under Debian's interpreter, so the venv is built on it.
if [ ! -x .venv/bin/python ]; then
  echo "bootstrap: creating .venv"
  /usr/bin/python3 -m venv --system-site-packages .venv
fi

stamp=.venv/.requirements.sha256
want=$(sha256sum requirements.txt | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "bootstrap: installing requirements.txt into .venv"
  .venv/bin/python -m pip install -q --disable-pip-version-check -r requirements.txt
  echo "$want" > "$stamp"
fi
