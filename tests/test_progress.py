"""`tokenlens scan` on a terminal draws a progress bar on stderr; off a terminal it draws
nothing, and `--json` output is the same either way."""

from __future__ import annotations

import io
import json
import os
import select
import subprocess
import sys
import threading

import pytest

from tests.logs import append, claude_assistant
from tests.test_robust_support import cli_cmd, cli_env, run_cli
from tokenlens.progress import scan_bar

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="uses a pseudo-terminal")


def history(home) -> None:
    """Big enough for the bar: 4 files of about 3 MB (30 responses with large thinking)."""
    for s in range(4):
        path = home / f".claude/projects/-p/s{s}.jsonl"
        lines = []
        for m in range(30):
            line = claude_assistant(f"2026-11-0{1 + s}T10:00:{m:02d}.000Z", f"s{s}", f"m{s}-{m}", f"r{s}-{m}",
                                    inp=m, out=10)
            line["message"]["content"] = [{"type": "thinking", "thinking": "x" * 100_000}]
            lines.append(line)
        append(path, *lines)


def run_on_a_terminal(home, data_dir, *args) -> tuple[int, str, bytes]:
    """The CLI with stderr on a pseudo-terminal: (exit code, stdout, what the terminal got)."""
    import pty

    master, slave = pty.openpty()
    proc = subprocess.Popen(cli_cmd(data_dir, *args), env=cli_env(home, COLUMNS="100", TERM="xterm"),
                            stdout=subprocess.PIPE, stderr=slave)
    os.close(slave)
    screen = b""
    while True:
        ready, _, _ = select.select([master], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the other end closed: the process is gone
                break
            if not chunk:
                break
            screen += chunk
        elif proc.poll() is not None:
            break
    os.close(master)
    stdout = proc.stdout.read().decode()
    return proc.wait(timeout=60), stdout, screen


def drop_seconds(payload: dict) -> dict:
    return {k: v for k, v in payload.items() if k != "seconds"}


def test_scan_on_a_terminal_draws_a_bar_and_the_json_is_unchanged(tmp_path, home):
    history(home)
    code, stdout, screen = run_on_a_terminal(home, tmp_path / "tty", "scan", "--json")
    assert code == 0
    assert b"reading logs" in screen and b"bytes" in screen
    piped = run_cli(home, tmp_path / "piped", "scan", "--json")
    assert piped.returncode == 0 and piped.stderr == ""  # off a terminal: nothing drawn
    assert drop_seconds(json.loads(stdout)) == drop_seconds(json.loads(piped.stdout))
    assert json.loads(stdout)["sources"]["claude-code"]["events_added"] == 4 * 30


def test_the_bar_reaches_the_bytes_read_and_starts_no_thread():
    """A thread of the bar's own would stop the scan from forking its workers."""

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    screen = Terminal()
    before = threading.active_count()
    with scan_bar(screen, min_bytes=1024) as advanced:
        assert advanced is not None
        advanced(0, 2048)
        assert threading.active_count() == before
        advanced(2048, 2048)
    assert "2.0/2.0 kB" in screen.getvalue()


def test_off_a_terminal_there_is_no_bar():
    with scan_bar(io.StringIO()) as advanced:
        assert advanced is None


def test_a_small_scan_draws_nothing(tmp_path, home):
    append(home / ".claude/projects/-p/s.jsonl", claude_assistant("2026-11-01T10:00:00.000Z", "s", "m", "r", inp=1, out=1))
    code, _, screen = run_on_a_terminal(home, tmp_path / "tty", "scan", "--json")
    assert code == 0 and b"reading logs" not in screen
