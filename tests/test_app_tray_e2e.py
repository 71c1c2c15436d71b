"""End to end under Xvfb with a real tray host (trayer, XEmbed): the app starts as its own
process, finds the tray, its icon is embedded in the panel and visible in a screenshot, it
keeps running, and SIGTERM makes it stop the watcher and exit cleanly.

Run through `bash scripts/test.sh tests/test_app_tray_e2e.py` (Xvfb + dbus).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.logs import append, claude_assistant

REPO = Path(__file__).resolve().parents[1]
PANEL_TINT = (0xDD, 0xDD, 0xDD)
TEAL = (0x2D, 0xD4, 0xBF)  # tokenlens.app.icons.UNDER
DISC = (0x1E, 0x29, 0x3B)  # tokenlens.app.icons.DISC

pytestmark = pytest.mark.tray


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)  # polling an external process; the assertion is the predicate
    pytest.fail(f"timed out after {timeout}s waiting for {what}")


def window_tree(display: str) -> str:
    return subprocess.run(["xwininfo", "-root", "-tree"], env={**os.environ, "DISPLAY": display},
                          capture_output=True, text=True, timeout=10).stdout


GEOMETRY = re.compile(r"(\d+)x(\d+)\+-?\d+\+-?\d+\s+\+(-?\d+)\+(-?\d+)")


def find_window(tree: str, name: str, wm_class: str | None = None) -> tuple[int, int, int, int] | None:
    """(x, y, w, h) in root coordinates of the first window with this name (and class)."""
    for line in tree.splitlines():
        if f'"{name}":' not in line or (wm_class and f'"{wm_class}"' not in line):
            continue
        match = GEOMETRY.search(line)
        if match:
            w, h, x, y = map(int, match.groups())
            return x, y, w, h
    return None


def embedded_icon(display: str, panel: tuple[int, int, int, int]) -> tuple[int, int, int, int] | None:
    """The tokenlens window whose area lies inside trayer's panel (i.e. it was embedded)."""
    px, py, pw, ph = panel
    for line in window_tree(display).splitlines():
        if '"tokenlens":' not in line:
            continue
        match = GEOMETRY.search(line)
        if not match:
            continue
        w, h, x, y = map(int, match.groups())
        if w > 4 and px <= x and x + w <= px + pw and py <= y and y + h <= py + ph:
            return x, y, w, h
    return None


def pixels(display: str, tmp_path: Path, area: tuple[int, int, int, int]) -> list[tuple[int, int, int]]:
    shot = tmp_path / "root.png"
    subprocess.run(["import", "-window", "root", str(shot)], env={**os.environ, "DISPLAY": display}, check=True, timeout=20)
    x, y, w, h = area
    text = subprocess.run(["convert", str(shot), "-crop", f"{w}x{h}+{x}+{y}", "+repage", "txt:-"],
                          capture_output=True, text=True, check=True, timeout=20).stdout
    out = []
    for line in text.splitlines()[1:]:
        m = re.search(r"\((\d+),(\d+),(\d+)", line)
        if m:
            out.append(tuple(int(v) for v in m.groups()))
    return out


def near(color, target, tolerance: int = 40) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(color, target, strict=True))


@pytest.fixture
def display() -> str:
    return os.environ["TOKENLENS_TEST_DISPLAY"]


@pytest.fixture
def trayer(display):
    proc = subprocess.Popen(
        ["trayer", "--edge", "top", "--align", "right", "--widthtype", "pixel", "--width", "160",
         "--height", "32", "--transparent", "false", "--tint", "0xdddddd", "--SetDockType", "true"],
        env={**os.environ, "DISPLAY": display}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        panel = wait_for(lambda: find_window(window_tree(display), "panel", "trayer"), 10, "trayer's panel")
        yield panel
    finally:
        proc.terminate()
        proc.wait(10)


def test_tray_icon_is_embedded_visible_and_quits_cleanly(display, trayer, home, data_dir, tmp_path):
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    append(home / ".claude" / "projects" / "-home-me-proj" / "s.jsonl",
           claude_assistant(now, "s1", "m1", "r1", inp=1200, out=800))
    log_path = tmp_path / "app.log"
    environ = {
        **os.environ, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb", "HOME": str(home),
        "XDG_CONFIG_HOME": str(tmp_path / "config"), "TOKENLENS_LOG": "INFO",
    }
    with open(log_path, "w") as log:
        app = subprocess.Popen([sys.executable, "-m", "tokenlens", "--data-dir", str(data_dir)],
                               cwd=REPO, env=environ, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: "system tray available" in log_path.read_text(), 30, "the app to check for a tray")
        assert "system tray available: True" in log_path.read_text(), log_path.read_text()

        icon = wait_for(lambda: embedded_icon(display, trayer), 20, "the icon to be embedded in trayer")
        # The icon repaints once the first scan has today's usage: teal ring on a dark disc.
        def painted():
            colors = pixels(display, tmp_path, icon)
            return any(near(c, TEAL) for c in colors) and any(near(c, DISC, 25) for c in colors)

        wait_for(painted, 20, "the gauge to be visible in a screenshot of the panel")
        panel_only = pixels(display, tmp_path, (trayer[0], trayer[1], 8, 8))
        assert all(near(c, PANEL_TINT, 30) for c in panel_only)  # the panel itself, for contrast

        time.sleep(2)  # let it idle: it must still be running afterwards
        assert app.poll() is None, log_path.read_text()
    finally:
        if app.poll() is None:
            app.send_signal(signal.SIGTERM)
        code = app.wait(20)
    text = log_path.read_text()
    assert code == 0, text
    assert "stopped cleanly" in text
    assert "Traceback" not in text
    assert embedded_icon(display, trayer) is None  # the icon left the panel with the app
