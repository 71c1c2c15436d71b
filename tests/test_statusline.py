"""`tokenlens statusline`: Claude Code's status-line JSON on stdin (with and without
rate_limits), the readings recorded, one short line printed, exit 0 whatever the ledger is."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tests.logs import append, claude_assistant

PY = sys.executable


def run_line(payload, home: Path, data_dir: Path, *args: str, no_color: bool = True, raw: bytes | None = None):
    env = {"HOME": str(home), "PATH": os.environ.get("PATH", ""), "TOKENLENS_DATA_DIR": str(data_dir),
           "PYTHONDONTWRITEBYTECODE": "1"}
    if no_color:
        env["NO_COLOR"] = "1"
    data = raw if raw is not None else json.dumps(payload).encode()
    done = subprocess.run([PY, "-m", "tokenlens.statusline", *args], input=data, capture_output=True, env=env,
                          timeout=120)
    return done


def hhmm(sec: int) -> str:
    """A reset later today as 16:40; one after midnight with its weekday (Wed 00:40)."""
    at, now = time.localtime(sec), time.localtime()
    return time.strftime("%H:%M" if at.tm_yday == now.tm_yday else "%a %H:%M", at)


def payload(home: Path, five=None, seven=None, transcript=None) -> dict:
    out = {"hook_event_name": "Status", "session_id": "abc", "cwd": "/home/me/proj",
           "transcript_path": str(transcript or home / ".claude/projects/-home-me-proj/abc.jsonl"),
           "model": {"id": "claude-opus-4-1", "display_name": "Opus"},
           "workspace": {"current_dir": "/home/me/proj", "project_dir": "/home/me/proj"},
           "version": "2.1.40", "cost": {"total_cost_usd": 0.01}}
    limits = {}
    if five is not None:
        limits["five_hour"] = {"used_percentage": five[0], "resets_at": five[1]}
    if seven is not None:
        limits["seven_day"] = {"used_percentage": seven[0], "resets_at": seven[1]}
    if limits:
        out["rate_limits"] = limits
    return out


def readings(data_dir: Path):
    conn = sqlite3.connect(data_dir / "ledger.db")
    try:
        return conn.execute("SELECT tool, account, window, used_percent, resets_at_ms, source FROM limit_readings"
                            " ORDER BY window").fetchall()
    finally:
        conn.close()


def test_rate_limits_are_recorded_and_shown(tmp_path):
    home, data = tmp_path / "home", tmp_path / "data"
    now = int(time.time())
    five_reset, seven_reset = now + 2 * 3600, now + 3 * 86400
    done = run_line(payload(home, five=(42, five_reset), seven=(18, seven_reset)), home, data)
    assert done.returncode == 0 and done.stderr == b""
    assert done.stdout.decode() == f"today 0 tok $0 · 5h 42% → {hhmm(five_reset)} · 7d 18%\n"
    assert readings(data) == [
        ("claude-code", "~/.claude", "5h", 42.0, five_reset * 1000, "claude-statusline"),
        ("claude-code", "~/.claude", "7d", 18.0, seven_reset * 1000, "claude-statusline"),
    ]
    # the same payload again: the same rows, seen again
    run_line(payload(home, five=(42, five_reset), seven=(18, seven_reset)), home, data)
    assert len(readings(data)) == 2


def last_seen(data_dir: Path) -> list[int]:
    conn = sqlite3.connect(data_dir / "ledger.db")
    try:
        return [r[0] for r in conn.execute("SELECT last_seen_ms FROM limit_readings ORDER BY window")]
    finally:
        conn.close()


def tokens_once_read(data_dir: Path) -> int | None:
    """The ledger's tokens once the detached reader the line started has written them."""
    deadline = time.monotonic() + 60
    total = None
    while time.monotonic() < deadline:
        conn = sqlite3.connect(data_dir / "ledger.db")
        try:
            total = conn.execute("SELECT SUM(total_tokens) FROM events").fetchone()[0]
        except sqlite3.OperationalError:
            total = None
        conn.close()
        if total:
            break
        time.sleep(0.2)
    return total


def test_a_reading_seen_within_the_minute_is_not_written_again_and_an_older_one_is(tmp_path):
    """Claude Code runs the line every few hundred ms with the same windows: a repeat within
    REFRESH_MS writes nothing (no commit, no checkpoint); past it, `last_seen` moves on."""
    from tokenlens.statusline import REFRESH_MS

    home, data = tmp_path / "home", tmp_path / "data"
    now = int(time.time())
    body = payload(home, five=(42, now + 7200), seven=(18, now + 86400))
    run_line(body, home, data)
    first = last_seen(data)
    time.sleep(0.05)
    run_line(body, home, data)
    assert last_seen(data) == first
    conn = sqlite3.connect(data / "ledger.db")
    with conn:
        conn.execute("UPDATE limit_readings SET last_seen_ms = last_seen_ms - ?", [REFRESH_MS + 1000])
    conn.close()
    run_line(body, home, data)
    assert all(after > before - REFRESH_MS for after, before in zip(last_seen(data), first, strict=True))
    assert len(readings(data)) == 2


# What the status line must not load on a run (bench/statusline.py: each of these costs it
# milliseconds out of a 50 ms budget); the first run, which creates the ledger, may.
HEAVY_MODULES = ("dataclasses", "typing", "hashlib", "click", "rich", "msgspec", "sqlite_utils",
                 "platformdirs", "genai_prices", "tokenlens.pricing", "tokenlens.model", "tokenlens.cli")


def test_a_run_on_an_existing_ledger_loads_no_heavy_module(tmp_path):
    home, data = tmp_path / "home", tmp_path / "data"
    transcript = home / ".claude/projects/-home-me-proj/abc.jsonl"
    append(transcript, claude_assistant("2026-03-07T10:00:00.000Z", "abc", "m1", "r1", inp=10, out=20))
    now = int(time.time())
    body = json.dumps(payload(home, five=(42, now + 7200), seven=(18, now + 86400), transcript=transcript))
    assert run_line(None, home, data, raw=body.encode()).returncode == 0  # creates the ledger
    probe = ("import sys, tokenlens.statusline as s; s.main([]); "
             f"print(','.join(m for m in {HEAVY_MODULES!r} if m in sys.modules), file=sys.stderr)")
    env = {"HOME": str(home), "PATH": os.environ.get("PATH", ""), "TOKENLENS_DATA_DIR": str(data), "NO_COLOR": "1"}
    done = subprocess.run([PY, "-c", probe], input=body.encode(), capture_output=True, env=env, timeout=120)
    assert done.returncode == 0 and done.stdout.decode().startswith("today ")
    assert done.stderr.decode().strip() == ""
    assert tokens_once_read(data) == 30  # the transcript's reader, started by the first run, is done
    time.sleep(0.5)  # and has exited


def test_parts_and_their_order_and_colours(tmp_path):
    home, data = tmp_path / "home", tmp_path / "data"
    now = int(time.time())
    body = payload(home, five=(85, now + 600), seven=(55, now + 86400 * 2))
    done = run_line(body, home, data, "--parts", "7d,5h")
    assert done.stdout.decode() == f"7d 55% · 5h 85% → {hhmm(now + 600)}\n"
    coloured = run_line(body, home, data, "--parts", "5h,7d", no_color=False).stdout.decode()
    assert coloured == f"\x1b[31m5h 85%\x1b[0m → {hhmm(now + 600)} · \x1b[33m7d 55%\x1b[0m\n"
    (data / "settings.json").write_text(json.dumps({"statusline_parts": "5h"}))
    assert run_line(body, home, data).stdout.decode() == f"5h 85% → {hhmm(now + 600)}\n"


def test_without_rate_limits_older_versions_and_api_key_users(tmp_path):
    home, data = tmp_path / "home", tmp_path / "data"
    done = run_line(payload(home), home, data)
    assert (done.returncode, done.stdout.decode()) == (0, "today 0 tok $0\n")
    assert readings(data) == []
    for raw in (b"", b"not json", b"[1, 2]", b'{"rate_limits": {"five_hour": {"used_percentage": "x"}}}'):
        done = run_line(None, home, data, raw=raw)
        assert (done.returncode, done.stdout.decode(), done.stderr) == (0, "today 0 tok $0\n", b"")


def test_out_of_range_readings_are_skipped_and_counted(tmp_path):
    home, data = tmp_path / "home", tmp_path / "data"
    now = int(time.time())
    run_line(payload(home, five=(120, now + 600), seven=(10, now - 7200)), home, data)
    run_line(payload(home, five=(-1, now + 600), seven=(10, now + 400 * 86400)), home, data)
    assert readings(data) == []
    conn = sqlite3.connect(data / "ledger.db")
    assert conn.execute("SELECT value FROM meta WHERE key = 'statusline_readings_skipped'").fetchone() == ("4",)
    conn.close()


def test_a_damaged_ledger_gives_a_fallback_line_and_keeps_the_readings(tmp_path):
    home, data = tmp_path / "home", tmp_path / "data"
    data.mkdir(mode=0o700)
    (data / "ledger.db").write_bytes(b"this is not a database" * 100)
    now = int(time.time())
    done = run_line(payload(home, five=(42, now + 600)), home, data)
    assert done.returncode == 0 and done.stderr == b""
    assert done.stdout.decode() == f"5h 42% → {hhmm(now + 600)} · tokenlens: ledger unavailable\n"
    pending = [json.loads(line) for line in (data / "limits-pending.jsonl").read_text().splitlines()]
    assert [(p["window"], p["used_percent"]) for p in pending] == [("5h", 42.0)]
    # the ledger set aside and a fresh one made: the next status line writes what waited
    (data / "ledger.db").rename(data / "ledger.db.aside")
    run_line(payload(home), home, data)
    assert readings(data) == [("claude-code", "~/.claude", "5h", 42.0, (now + 600) * 1000, "claude-statusline")]
    assert not (data / "limits-pending.jsonl").exists()


def test_a_locked_ledger_does_not_hang_the_line(tmp_path):
    home, data = tmp_path / "home", tmp_path / "data"
    run_line(payload(home), home, data)  # makes the ledger
    holder = sqlite3.connect(data / "ledger.db", isolation_level=None)
    holder.execute("PRAGMA journal_mode = DELETE")  # EXCLUSIVE then blocks readers too
    holder.execute("BEGIN EXCLUSIVE")
    try:
        now = int(time.time())
        done = run_line(payload(home, five=(7, now + 600)), home, data)
        assert done.returncode == 0
        assert done.stdout.decode() == f"5h 7% → {hhmm(now + 600)} · tokenlens: ledger unavailable\n"
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    run_line(payload(home), home, data)
    assert [r[3] for r in readings(data)] == [7.0]


def test_the_transcript_is_read_when_the_app_is_not_running(tmp_path):
    home, data = tmp_path / "home", tmp_path / "data"
    transcript = home / ".claude/projects/-home-me-proj/abc.jsonl"
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
    append(transcript, claude_assistant(stamp, "abc", "msg_1", "req_1", inp=1000, out=200))
    run_line(payload(home, transcript=transcript), home, data)
    assert tokens_once_read(data) == 1200
    assert run_line(payload(home, transcript=transcript), home, data, "--parts", "today").stdout.decode().startswith(
        "today 1.20k tok $")
    # a transcript outside Claude Code's folders is never read
    other = tmp_path / "elsewhere.jsonl"
    append(other, claude_assistant("2026-11-24T10:00:00.000Z", "abc", "msg_2", "req_2", inp=5, out=5))
    run_line(payload(home, transcript=other), home, data)
    time.sleep(1.0)
    conn = sqlite3.connect(data / "ledger.db")
    assert conn.execute("SELECT COUNT(*) FROM files WHERE path = ?", [str(other)]).fetchone()[0] == 0
    conn.close()


def test_the_app_socket_name_is_the_apps():
    from tokenlens.app.single_instance import server_name
    from tokenlens.statusline import app_socket_name

    assert app_socket_name(Path("/tmp/some/data")) == "@" + server_name(Path("/tmp/some/data"))


def test_the_cli_command_is_the_same_line(tmp_path):
    home, data = tmp_path / "home", tmp_path / "data"
    now = int(time.time())
    env = {"HOME": str(home), "PATH": os.environ.get("PATH", ""), "NO_COLOR": "1", "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run([PY, "-m", "tokenlens", "--data-dir", str(data), "statusline", "--parts", "5h,today"],
                          input=json.dumps(payload(home, five=(12, now + 600))).encode(), capture_output=True,
                          env=env, timeout=120)
    assert (done.returncode, done.stderr) == (0, b"")
    assert done.stdout.decode() == f"5h 12% → {hhmm(now + 600)} · today 0 tok $0\n"
