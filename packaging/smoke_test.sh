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
"$APP" --workspace "$WS" run demo | tail -n 1 | tee "$TMP/run.txt"
grep -q "succeeded" "$TMP/run.txt" || { echo "the sample run did not succeed" >&2; exit 1; }

step "report"
"$APP" --workspace "$WS" report demo -o "$TMP/report.pdf"
head -c 5 "$TMP/report.pdf" | grep -q "%PDF-" || { echo "report is not a PDF" >&2; exit 1; }
if command -v pdftotext >/dev/null; then
    pdftotext "$TMP/report.pdf" - | grep -q "demo" || { echo "report does not name the project" >&2; exit 1; }
fi

step "project list"
"$APP" --workspace "$WS" project list --json | grep -q '"demo"'

t1=$(date +%s.%N)
echo "smoke test passed in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s"
