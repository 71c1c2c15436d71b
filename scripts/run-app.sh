#!/usr/bin/env bash
# Set up and start the tokenlens tray app (a window instead where no tray exists).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/tokenlens "$@"
