"""Both ways of starting the app (`tokenlens` and the gui-script `tokenlens-gui`) end with
status 0 on SIGTERM, promptly, after stopping the watcher, also while the first-run welcome
is open (that window used to make Qt refuse the quit, so only SIGKILL ended the app)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.logs import append, claude_assistant

pytest.importorskip("PySide6")

BIN = Path(sys.executable).parent
QUIT_WITHIN_S = 10


def wait_for_line(log: Path, text: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in log.read_text():
            return
        if proc.poll() is not None:
            pytest.fail(f"the app exited early ({proc.returncode}):\n{log.read_text()}")
        time.sleep(0.1)  # polling another process's log; the assertion is the line itself
    pytest.fail(f"no {text!r} in the app's log after {timeout}s:\n{log.read_text()}")


def start(argv: list[str], home: Path, tmp_path: Path, extra_env: dict[str, str]) -> tuple[subprocess.Popen, Path]:
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    append(home / ".claude" / "projects" / "-home-me-proj" / "s.jsonl", claude_assistant(now, "s1", "m1", "r1", inp=10, out=5))
    log = tmp_path / "app.log"  # outside HOME: the app watches HOME for new tools' folders
    environ = {
        "PATH": os.environ.get("PATH", ""), "HOME": str(home), "XDG_CONFIG_HOME": str(tmp_path / "cfg"),
        "XDG_RUNTIME_DIR": str(tmp_path / "run"), "QT_QPA_PLATFORM": "offscreen", "TOKENLENS_LOG": "INFO",
        **extra_env,
    }
    (tmp_path / "run").mkdir(mode=0o700)
    with open(log, "w") as out:
        proc = subprocess.Popen(argv, env=environ, stdout=out, stderr=subprocess.STDOUT)
    return proc, log


def entry_point(name: str) -> str:
    path = BIN / name
    if not path.is_file():
        pytest.skip(f"{name} is not installed next to {sys.executable} (pip install -e .)")
    return str(path)


@pytest.mark.parametrize("how", ["tokenlens --data-dir", "tokenlens-gui --data-dir", "tokenlens-gui TOKENLENS_DATA_DIR"])
@pytest.mark.parametrize("settle_s", [0.0, 0.5])
def test_sigterm_quits_cleanly_with_the_welcome_open(how, settle_s, home, data_dir, tmp_path):
    # With quit() the outcome hung on the order Qt walked its windows in: about half the
    # runs never ended. Two runs per entry point make a regression all but certain to show.
    program, _, where = how.partition(" ")
    argv = [entry_point(program)]
    extra = {}
    if where == "--data-dir":
        argv += ["--data-dir", str(data_dir)]
    else:
        extra["TOKENLENS_DATA_DIR"] = str(data_dir)
    proc, log = start(argv, home, tmp_path, extra)
    try:
        wait_for_line(log, "welcome shown", proc)
        time.sleep(settle_s)  # vary when the signal lands relative to the first refreshes
        proc.send_signal(signal.SIGTERM)
        began = time.monotonic()
        code = proc.wait(QUIT_WITHIN_S)
        took = time.monotonic() - began
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    text = log.read_text()
    assert code == 0, text
    assert took < QUIT_WITHIN_S
    assert "stopped cleanly" in text and "Traceback" not in text
    assert (data_dir / "ledger.db").is_file()  # it really ran on the data dir it was given


def test_sigterm_during_start_up_is_not_lost(home, data_dir, tmp_path):
    """A signal as the app comes up (around the start of Qt's loop) still ends it with status 0."""
    proc, log = start([entry_point("tokenlens-gui"), "--data-dir", str(data_dir)], home, tmp_path, {})
    try:
        wait_for_line(log, "system tray available", proc)  # logged just before the loop starts
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(QUIT_WITHIN_S)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert code == 0, log.read_text()


def test_gui_script_rejects_an_unknown_option_in_one_line(tmp_path):
    result = subprocess.run([entry_point("tokenlens-gui"), "--bogus"], capture_output=True, text=True, timeout=60,
                            env={**os.environ, "HOME": str(tmp_path), "QT_QPA_PLATFORM": "offscreen"})
    assert result.returncode == 2
    assert "unrecognized arguments: --bogus" in result.stderr and "Traceback" not in result.stderr
