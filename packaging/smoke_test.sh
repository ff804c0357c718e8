#!/usr/bin/env bash
# Smoke test of a built app: --version, then the sample pipeline headless (create the
# Google template project, run it, export the PDF report) on a fresh workspace.
#
#   packaging/smoke_test.sh dist/mlops-desktop/mlops-desktop
set -euo pipefail

APP="${1:?usage: smoke_test.sh PATH/TO/mlops-desktop}"
APP="$(cd "$(dirname "$APP")" && pwd)/$(basename "$APP")"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
export QT_QPA_PLATFORM=offscreen
# Keep the user's own settings and data out of the test.
export HOME="$TMP/home" XDG_CONFIG_HOME="$TMP/config" XDG_DATA_HOME="$TMP/data"
mkdir -p "$HOME"
WS="$TMP/smoke.db"

step() { echo "== $*"; }
t0=$(date +%s.%N)

step "version"
version="$("$APP" --version)"
echo "$version"
[[ "$version" == mlops-desktop\ * ]] || { echo "unexpected --version output" >&2; exit 1; }

step "project create"
"$APP" --workspace "$WS" project create demo --template google

step "run"
"$APP" --workspace "$WS" run demo --quiet | tee "$TMP/run.txt"
grep -q "succeeded" "$TMP/run.txt" || { echo "the sample run did not succeed" >&2; exit 1; }

step "run in a worker process (as the window runs pipelines)"
"$APP" --workspace "$WS" run demo --executor process --force --quiet | tee "$TMP/run2.txt"
grep -qE "succeeded|kept out" "$TMP/run2.txt" || { echo "the run in a worker process did not end normally" >&2; exit 1; }

step "report"
"$APP" --workspace "$WS" report demo -o "$TMP/report.pdf"
# (No "cmd | grep -q" below: with pipefail, grep quitting early fails the pipeline.)
[[ "$(head -c 5 "$TMP/report.pdf")" == "%PDF-" ]] || { echo "report is not a PDF" >&2; exit 1; }
if command -v pdftotext >/dev/null; then
    pdftotext "$TMP/report.pdf" "$TMP/report.txt"
    grep -q "demo" "$TMP/report.txt" || { echo "report does not name the project" >&2; exit 1; }
fi

step "window"
# The GUI opens on the workspace and quits once shown (prints when it was shown and ready).
MLOPS_DESKTOP_EXIT_AFTER_SHOW=1 "$APP" --workspace "$WS" | tee "$TMP/gui.txt"
grep -q "^shown=.* ready=" "$TMP/gui.txt" || { echo "the window did not open" >&2; exit 1; }
PLUGINS="$(dirname "$APP")/_internal/PySide6/Qt/plugins/platforms"
if [[ "$(uname -s)" == Linux ]]; then  # X11 and headless platforms ship with the build
    for plugin in offscreen xcb wayland; do
        [[ -e "$PLUGINS/libq$plugin.so" ]] || { echo "Qt platform plugin $plugin missing" >&2; exit 1; }
    done
fi

step "project list"
"$APP" --workspace "$WS" project list --json >"$TMP/projects.json"
grep -q '"demo"' "$TMP/projects.json" || { echo "project list misses the project" >&2; exit 1; }

t1=$(date +%s.%N)
echo "smoke test passed in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s"
