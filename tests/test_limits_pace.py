"""Pace, state and calibration of plan windows, each figure worked out by hand here."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.logs import append, codex_meta, codex_turn
from tokenlens.ingest import scan
from tokenlens.limits import LimitReading, window_states
from tokenlens.store.writer import write_transaction
from tokenlens.store.writes import upsert_limit_readings
from tokenlens.tools.codex.usage import Codex

MIN = 60_000
HOUR = 60 * MIN
DAY = 24 * HOUR
T0 = 1_795_000_000_000  # ms, a whole second
SID = "0197a0c0-4444-7000-8000-000000000004"


def iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def reading(window, minutes, at, percent, reset, tool="claude-code", account="~/.claude"):
    return LimitReading(tool, window, minutes, at, percent, reset, f"{reset // 1000}:{percent:g}",
                        "claude-statusline", account, None, last_seen_ms=at)


def put(db, *items):
    with write_transaction(db):
        upsert_limit_readings(db, list(items))


def by_window(states, tool):
    return {s.window: s for s in states if s.tool == tool}


def test_pace_of_the_last_hour_reaches_100_before_the_reset(db):
    now = T0
    put(db, reading("5h", 300, now - 40 * MIN, 50.0, now + 2 * HOUR),
        reading("5h", 300, now - 10 * MIN, 80.0, now + 2 * HOUR))
    s = by_window(window_states(db, now), "claude-code")["5h"]
    # 30 points in 30 minutes: 60 %/h; the 20 left take 20 minutes from the newest reading
    assert s.pace_basis == "last hour" and s.percent_per_hour == pytest.approx(60.0)
    assert (s.pace, s.pace_full_at_ms) == ("full_at", now - 10 * MIN + 20 * MIN)
    assert s.as_json()["pace_full_at"] == iso(now + 10 * MIN).replace(".000", "")
    assert (s.state, s.used_percent) == ("current", 80.0)


def test_pace_of_the_window_so_far_not_before_the_reset(db):
    now = T0
    reset = now + 4 * DAY  # the 7-day window began 3 days ago
    put(db, reading("7d", 10080, now - MIN, 35.0, reset))
    s = by_window(window_states(db, now), "claude-code")["7d"]
    elapsed_h = (3 * DAY - MIN) / HOUR
    assert s.pace_basis == "window so far"
    assert s.percent_per_hour == pytest.approx(35.0 / elapsed_h)
    # 65 points at 35/(72h - 1 min) take 5.57 days: after the reset in 4
    assert (s.pace, s.pace_full_at_ms, s.as_json()["pace_full_at"]) == ("not_before_reset", None, None)


def test_stale_and_reset_windows(db):
    now = T0
    put(db, reading("5h", 300, now - 2 * HOUR, 30.0, now + HOUR),  # last seen 2 h ago: stale
        reading("7d", 10080, now - 2 * DAY, 60.0, now - HOUR))  # its reset has passed
    states = by_window(window_states(db, now), "claude-code")
    assert (states["5h"].state, states["5h"].used_percent) == ("stale", 30.0)
    assert (states["7d"].state, states["7d"].used_percent) == ("reset", None)
    assert states["7d"].as_json()["pace_full_at"] is None
    # the tightest first: a known 30 % before an unknown
    assert [s.window for s in window_states(db, now)] == ["5h", "7d"]


def test_two_accounts_are_kept_apart(db):
    now = T0
    put(db, reading("5h", 300, now - MIN, 10.0, now + HOUR, account="~/.claude"),
        reading("5h", 300, now - MIN, 90.0, now + HOUR, account="~/work-claude"))
    got = sorted((s.account, s.used_percent) for s in window_states(db, now))
    assert got == [("~/.claude", 10.0), ("~/work-claude", 90.0)]


def token_count(ms: int, totals, percent: float, reset_ms: int) -> dict:
    i, c, o, r = totals
    vec = {"input_tokens": i, "cached_input_tokens": c, "output_tokens": o, "reasoning_output_tokens": r,
           "total_tokens": i + o}
    return {"timestamp": iso(ms), "type": "event_msg",
            "payload": {"type": "token_count", "info": {"total_token_usage": vec, "last_token_usage": None},
                        "rate_limits": {"primary": {"used_percent": percent, "window_minutes": 300,
                                                    "resets_at": reset_ms // 1000}}}}


def test_calibration_from_codex_rollouts_and_the_ledgers_own_tokens(db, env, home):
    reset = T0 + 4 * HOUR
    path = home / ".codex/sessions/2026/11/19" / f"rollout-2026-11-19T10-00-00-{SID}.jsonl"
    append(path, codex_meta(iso(T0 - MIN), SID), codex_turn(iso(T0 - MIN), model="gpt-5.2-codex"),
           token_count(T0, (1000, 0, 100, 0), 10.0, reset),  # 1100 tokens; Codex read 10 % before them
           token_count(T0 + 30 * MIN, (3000, 0, 300, 0), 14.0, reset),  # +2200
           token_count(T0 + 60 * MIN, (6000, 0, 600, 0), 20.0, reset))  # +3300, after the 20 % reading
    scan(db, env, [Codex()])
    s = by_window(window_states(db, T0 + 61 * MIN), "codex")["5h"]
    # From 10 % to 20 %: the tokens of [T0, T0 + 60 min) = 1100 + 2200 = 3300, so 330 per point;
    # each rise is uncertain by one point: 3300/11 = 300 to 3300/9 = 366.7
    assert s.tokens_per_percent == pytest.approx(330.0)
    (family,) = s.as_json()["calibration"]
    assert (family["family"], family["tokens_per_percent"], family["at_least"], family["at_most"]) == (
        "gpt-5", 330, 300, 367)
    assert (family["instances"], family["percent_points"]) == (1, 10.0)
    cost = db.execute("SELECT SUM(cost_usd), COUNT(cost_usd) FROM events WHERE ts_ms < ?", [T0 + 60 * MIN]).fetchone()
    if cost[1] == 2:  # priced: dollars per point are the same tokens' cost over 10
        assert family["usd_per_percent"] == pytest.approx(round(cost[0] / 10, 4))
    else:
        assert family["usd_per_percent"] is None
    # pace of the last hour: 10 points in 60 minutes; 80 left take 8 h, after the reset in 3 h
    assert s.percent_per_hour == pytest.approx(10.0)
    assert s.pace == "not_before_reset"


def test_no_calibration_from_a_window_that_did_not_rise_or_mixed_families(db, env, home):
    reset = T0 + 4 * HOUR
    path = home / ".codex/sessions/2026/11/19" / f"rollout-2026-11-19T10-00-00-{SID}.jsonl"
    append(path, codex_meta(iso(T0 - MIN), SID), codex_turn(iso(T0 - MIN), model="gpt-5.2-codex"),
           token_count(T0, (1000, 0, 0, 0), 10.0, reset),
           codex_turn(iso(T0 + MIN), model="o3"),
           token_count(T0 + 10 * MIN, (2000, 0, 0, 0), 12.0, reset),
           token_count(T0 + 20 * MIN, (3000, 0, 0, 0), 14.0, reset))
    scan(db, env, [Codex()])
    s = by_window(window_states(db, T0 + 21 * MIN), "codex")["5h"]
    # 3000 tokens at 1000 each of gpt-5 / o3 / (after the last reading) o3: in the span,
    # 1000 gpt-5 and 1000 o3, no family holds 90 %: only the overall figure, 2000 / 4 points
    assert s.tokens_per_percent == pytest.approx(500.0)
    assert s.as_json()["calibration"] == []


def test_limits_as_text(tmp_path):
    import os
    import subprocess
    import sys
    import time

    home, data = tmp_path / "home", tmp_path / "data"
    home.mkdir()
    env = {"HOME": str(home), "PATH": os.environ.get("PATH", ""), "PYTHONDONTWRITEBYTECODE": "1", "TZ": "UTC"}
    cmd = [sys.executable, "-m", "tokenlens", "--data-dir", str(data), "limits", "--no-scan"]
    empty = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)
    assert empty.returncode == 0 and empty.stdout.startswith("No plan-window readings yet.")
    from tokenlens.store import open_ledger

    db = open_ledger(data)
    now = int(time.time() * 1000)
    put(db, reading("5h", 300, now - 40 * MIN, 50.0, now + 2 * HOUR), reading("5h", 300, now - 10 * MIN, 80.0,
                                                                             now + 2 * HOUR))
    db.conn.close()
    shown = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)
    full = now - 10 * MIN + 20 * MIN
    stamp = time.strftime("%H:%M", time.gmtime(full / 1000))
    if time.gmtime(full / 1000).tm_yday != time.gmtime(now / 1000).tm_yday:
        stamp = time.strftime("%a %d %b %H:%M", time.gmtime(full / 1000))
    assert shown.returncode == 0, shown.stderr
    line = shown.stdout.splitlines()[0]
    assert line.startswith("claude-code ~/.claude  5h: 80.0% used, resets ")
    assert line.endswith(f"seen 10 min ago; at the pace of the last hour: 100% at {stamp}")


def test_the_newest_reading_of_every_window_among_many_tools_accounts_and_readings(db):
    """latest_limit_readings walks the series index window by window (store/queries.py):
    each window's newest reading, the higher percentage of two first seen at one time, and
    no window skipped whatever sorts between them."""
    from tokenlens.store import queries

    t0 = 1_795_000_000_000
    items = []
    for tool, account in (("claude-code", "~/.claude"), ("claude-code", "~/work"), ("codex", "~/.codex")):
        for window, minutes in (("5h", 300), ("7d", 10080), ("60", 60)):
            items += [reading(window, minutes, t0 + i * 60_000, i / 10, t0 + 10 * HOUR, tool, account)
                      for i in range(300)]
    items.append(reading("5h", 300, t0 + 299 * 60_000, 95.0, t0 + 10 * HOUR, "codex", "~/.codex"))  # a tie
    put(db, *items)
    newest = {(r["tool"], r["account"], r["window"]): r["used_percent"] for r in queries.latest_limit_readings(db)}
    assert len(newest) == 9
    assert newest[("codex", "~/.codex", "5h")] == 95.0
    assert all(p == 29.9 for k, p in newest.items() if k != ("codex", "~/.codex", "5h"))
