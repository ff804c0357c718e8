#!/usr/bin/env bash
# Build the one-folder app with PyInstaller and smoke-test it.
#
#   packaging/build.sh            build into dist/mlops-desktop/ and run packaging/smoke_test.sh
#   PYTHON=/path/to/python packaging/build.sh
#   SKIP_SMOKE=1 packaging/build.sh
#   DIST=/somewhere WORK=/tmp/pyi packaging/build.sh   (output and scratch folders)
#
# Needs PyInstaller >= 6 in the Python used (pip install ".[package]"). The wheel is built
# and installed (without dependencies) into build/pyinstaller/site, which goes first on
# PYTHONPATH, so the build sees a normal installation (resources package, migrations,
# dist-info with the stage entry point) even when the source tree is installed editable.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
WORK="${WORK:-$ROOT/build/pyinstaller}"
DIST="${DIST:-$ROOT/dist}"
SITE="$WORK/site"
cd "$ROOT"

start=$(date +%s)
rm -rf "$WORK" "$DIST/mlops-desktop"
mkdir -p "$WORK/wheel"

echo "== wheel"
# Built from a copy, so that setuptools' build/ and egg-info never touch the checkout.
mkdir -p "$WORK/src"
cp -r "$ROOT/pyproject.toml" "$ROOT/setup.py" "$ROOT/README.md" "$WORK/src/"
cp -r "$ROOT/mlops_desktop" "$ROOT/resources" "$WORK/src/"
find "$WORK/src" -name __pycache__ -prune -exec rm -rf {} +
# setuptools >= 70.1 builds wheels without the wheel package: skip the build-system check.
"$PYTHON" -m build --wheel --no-isolation --skip-dependency-check --outdir "$WORK/wheel" \
    "$WORK/src" >"$WORK/wheel.log" 2>&1 ||
    { cat "$WORK/wheel.log"; exit 1; }
"$PYTHON" -m pip install --quiet --no-deps --no-index --target "$SITE" "$WORK"/wheel/*.whl

echo "== pyinstaller"
# From the work folder: the checkout (its egg-info, its sources) must not be on sys.path.
cd "$WORK"
MLOPS_DESKTOP_PYI_SITE="$SITE" PYTHONPATH="$SITE${PYTHONPATH:+:$PYTHONPATH}" \
    "$PYTHON" -m PyInstaller --noconfirm --clean --log-level WARN \
    --distpath "$DIST" --workpath "$WORK/work" "$ROOT/packaging/mlops-desktop.spec"

end=$(date +%s)
cd "$ROOT"
echo "build time: $((end - start)) s"
echo "size: $(du -sh "$DIST/mlops-desktop" | cut -f1) ($(find "$DIST/mlops-desktop" -type f | wc -l) files)"

if [[ "${SKIP_SMOKE:-}" != "1" ]]; then
    "$ROOT/packaging/smoke_test.sh" "$DIST/mlops-desktop/mlops-desktop"
fi
