#!/usr/bin/env bash
# Set up and run the whole test suite, GUI, real tray and real keyring included.
# Installs the system packages it needs when run as root (CI); otherwise says what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES="xvfb trayer dbus-x11 libxcb-cursor0 libxkbcommon-x11-0 libxcb-icccm4 libxcb-keysyms1
  libxcb-render-util0 libxcb-image0 libegl1 libgl1 libfontconfig1 libdbus-1-3 imagemagick xdotool
  gnome-keyring libsecret-tools desktop-file-utils appstream syncthing"
NEEDED_COMMANDS="Xvfb trayer dbus-run-session gnome-keyring-daemon xdotool import desktop-file-validate appstreamcli syncthing"

missing=""
for c in $NEEDED_COMMANDS; do command -v "$c" >/dev/null 2>&1 || missing="$missing $c"; done
if [ -n "$missing" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "test: installing system packages for:$missing"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $APT_PACKAGES >/dev/null
  else
    echo "test: missing system commands:$missing (apt-get install $APT_PACKAGES)" >&2
    exit 1
  fi
fi

bash scripts/setup.sh test

# ccusage (pinned in bench/package.json), for the parity test against it.
if [ ! -x bench/node_modules/.bin/ccusage ]; then
  command -v npm >/dev/null || { echo "test: npm is needed to install ccusage (apt-get install npm)" >&2; exit 1; }
  (cd bench && npm install --no-audit --no-fund >/dev/null)
fi

# A private X server for the real-tray tests; offscreen Qt for everything else.
display=":$(( 70 + RANDOM % 200 ))"
Xvfb "$display" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
xvfb_pid=$!
trap 'kill $xvfb_pid 2>/dev/null; wait $xvfb_pid 2>/dev/null || true' EXIT
for _ in $(seq 50); do [ -e "/tmp/.X11-unix/X${display#:}" ] && break; sleep 0.1; done

export TOKENLENS_TEST_DISPLAY=$display
# Not `exec`: the EXIT trap above must still run to stop Xvfb when the tests end.
status=0
dbus-run-session -- bash scripts/test-session.sh "$@" || status=$?
exit $status
