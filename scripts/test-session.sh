#!/usr/bin/env bash
# Inside dbus-run-session: unlock a throwaway gnome-keyring, then run pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
keyring_home=$(mktemp -d)
export TOKENLENS_TEST_KEYRING_HOME=$keyring_home
# gnome-keyring keeps its files under HOME/XDG dirs: give it a throwaway one.
eval "$(echo -n pw | HOME=$keyring_home XDG_DATA_HOME=$keyring_home/.local/share \
  gnome-keyring-daemon --unlock --daemonize --components=secrets)"
export GNOME_KEYRING_CONTROL
export TOKENLENS_TEST_KEYRING=1
set +e
.venv/bin/python -m pytest "$@"
status=$?
set -e
rm -rf "$keyring_home"
exit $status
