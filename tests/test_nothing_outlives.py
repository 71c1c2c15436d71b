"""Nothing the test suite or the app starts outlives it: the test script's Xvfb, and a
session bus that libdbus would autolaunch for an app started where none runs."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from pathlib import Path

import pytest

from tests.test_app_quit import QUIT_WITHIN_S, entry_point, start, wait_for_line

REPO = Path(__file__).resolve().parent.parent


def pids_of(name: str) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                argv0 = (entry / "cmdline").read_bytes().split(b"\0", 1)[0]
            except OSError:
                continue
            if Path(argv0.decode(errors="replace")).name == name:
                found.add(int(entry.name))
    return found


needs_proc = pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="finds processes through /proc")


@needs_proc
@pytest.mark.tray
def test_the_app_started_without_a_session_bus_leaves_none_behind(home, data_dir, tmp_path):
    before = pids_of("dbus-launch") | pids_of("dbus-daemon")
    display = os.environ["TOKENLENS_TEST_DISPLAY"]
    proc, log = start([entry_point("tokenlens-gui"), "--data-dir", str(data_dir)], home, tmp_path,
                      {"QT_QPA_PLATFORM": "xcb", "DISPLAY": display})  # start() passes no DBUS_* variable
    try:
        wait_for_line(log, "welcome shown", proc)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(QUIT_WITHIN_S) == 0, log.read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    left = (pids_of("dbus-launch") | pids_of("dbus-daemon")) - before
    for pid in left:  # do not leave them to the rest of the suite either
        os.kill(pid, signal.SIGKILL)
    assert left == set(), "the app autolaunched a session bus that outlived it"


@needs_proc
@pytest.mark.skipif(shutil.which("Xvfb") is None, reason="needs Xvfb")
def test_the_test_script_stops_its_xvfb(tmp_path):
    before = pids_of("Xvfb")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TOKENLENS_TEST", "PYTEST"))}
    run = subprocess.run(["bash", "scripts/test.sh", "--collect-only", "-q", "-p", "no:cacheprovider",
                          "tests/test_layering.py"], cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    left = pids_of("Xvfb") - before
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert left == set(), "scripts/test.sh left its Xvfb running"
