#!/usr/bin/env bash
# Build the one-folder PyInstaller app into dist/tokenlens/ and check that it starts.
# PyInstaller is a build tool, not a dependency: it is installed into the venv only here.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
[ -x "$PY" ] || bash scripts/setup.sh
"$PY" -m PyInstaller --version >/dev/null 2>&1 || "$PY" -m pip install -q "pyinstaller>=6.10"
echo "pyinstaller $("$PY" -m PyInstaller --version), python $("$PY" -c 'import sys; print(sys.version.split()[0])')"

"$PY" -m PyInstaller --noconfirm --clean --log-level WARN \
  --distpath dist --workpath build/pyinstaller packaging/tokenlens.spec

app=dist/tokenlens
# Run the frozen app against a throwaway home: it must not touch the builder's real data.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
export HOME=$scratch TOKENLENS_DATA_DIR=$scratch/data QT_QPA_PLATFORM=offscreen

set -x
"$app/tokenlens" --version
"$app/tokenlens" --help
"$app/tokenlens" report --help
"$app/tokenlens" report daily --no-scan --json
"$app/tokenlens" scan --json >/dev/null
set +x
# The tray app must come up (offscreen: no tray, so its window) and keep running.
set +e
timeout -k 5 10 "$app/tokenlens-gui" >"$scratch/gui.log" 2>&1
gui_status=$?
set -e
# 124: still running at 10 s and ended by SIGTERM; 137: it ignored SIGTERM and needed SIGKILL.
if { [ "$gui_status" != 124 ] && [ "$gui_status" != 137 ]; } || grep -q Traceback "$scratch/gui.log"; then
  echo "build-pyinstaller: tokenlens-gui did not keep running (exit $gui_status):" >&2
  cat "$scratch/gui.log" >&2
  exit 1
fi
echo "tokenlens-gui: still running after 10 s, no traceback; stopped by timeout (as intended)"
[ "$gui_status" = 137 ] && echo "build-pyinstaller: warning: tokenlens-gui ignored SIGTERM (needed SIGKILL)"
for icon in tokenlens-48.png tokenlens.svg tokenlens-symbolic-light.svg; do
  found=$(find "$app" -name "$icon" -path '*tokenlens/resources/*' | head -1)
  [ -n "$found" ] || { echo "build-pyinstaller: $icon missing from the bundle" >&2; exit 1; }
done
[ -x "$app/tokenlens-gui" ] || { echo "build-pyinstaller: tokenlens-gui missing" >&2; exit 1; }
echo "build-pyinstaller: OK: $app ($(du -sh "$app" | cut -f1)), icons bundled, tokenlens-gui present"
