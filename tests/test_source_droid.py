"""Factory Droid ingest over session files in their real format (`<id>.settings.json`,
rewritten whole, beside the `<id>.jsonl` transcript), through the real scan into a real
ledger. Expected totals are worked out by hand."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

from tests.ledger_helpers import scan_tool, tool_event_count, tool_totals
from tests.logs import CANARY
from tokenlens.config import Env
from tokenlens.reports import build_report
from tokenlens.tools.droid.usage import Droid

SLUG = "-home-me-proj"
CWD = "/home/me/proj"
S1 = "7c1f0b2e-1d3a-4c5b-9e6f-0a1b2c3d4e5f"
S2 = "0e9d8c7b-6a5f-4e3d-8c2b-1a0f9e8d7c6b"
S3 = "5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d"  # S2's compaction successor
DAY1, DAY2 = "2026-05-01", "2026-05-02"
TS1, TS2 = f"{DAY1}T09:15:00.000Z", f"{DAY2}T14:00:00.000Z"


def usage(inp: int, out: int, cw: int = 0, cr: int = 0, thinking: int = 0) -> dict:
    return {"inputTokens": inp, "outputTokens": out, "cacheCreationTokens": cw, "cacheReadTokens": cr,
            "thinkingTokens": thinking, "factoryCredits": 0}


def write_settings(sessions: Path, sid: str, tokens: dict | None, ts: str | None = TS1,
                   model: str = "claude-sonnet-4-5-20250929", slug: str = SLUG, **extra) -> Path:
    path = sessions / slug / f"{sid}.settings.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    existed = path.exists()
    old = path.stat().st_mtime_ns if existed else 0
    doc = {"assistantActiveTimeMs": 1234, "model": model, "reasoningEffort": "none", "interactionMode": "auto",
           "autonomyLevel": "off", "providerLock": "anthropic", **extra}
    if ts is not None:
        doc["providerLockTimestamp"] = ts
    if tokens is not None:
        doc["tokenUsage"] = tokens
        doc["inclusiveTokenUsage"] = tokens
        doc["lastCallTokenUsage"] = {k: tokens.get(k, 0) for k in ("inputTokens", "outputTokens", "cacheReadTokens")}
    path.write_text(json.dumps(doc, indent=2))  # Droid writes JSON.stringify(settings, null, 2)
    if existed:  # a rewrite in the same clock tick still moves the mtime, as it would
        os.utime(path, ns=(path.stat().st_atime_ns, max(path.stat().st_mtime_ns, old + 1_000_000)))
    return path


def write_transcript(sessions: Path, sid: str, cwd: str = CWD, parent: str | None = None,
                     compacted: bool = False, slug: str = SLUG) -> Path:
    path = sessions / slug / f"{sid}.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    start = {"type": "session_start", "id": sid, "title": f"t {CANARY}", "owner": "me", "version": 2, "cwd": cwd}
    if parent:
        start["parent"] = parent
    lines = [start]
    if compacted:
        lines.append({"type": "compaction_state", "id": "c1", "timestamp": TS2, "summaryText": CANARY,
                      "summaryTokens": 900, "summaryKind": "llm_summary", "removedCount": 12})
    lines.append({"type": "message", "id": "m1", "timestamp": TS2,
                  "message": {"role": "user", "content": [{"type": "text", "text": CANARY}]}})
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def history(sessions: Path) -> None:
    """S1 on day 1; S2 on day 2, compacted into S3 (which starts from S2's counters).
    Used by the parity test too."""
    write_transcript(sessions, S1)
    write_settings(sessions, S1, usage(1200, 800, cw=5000, cr=20000, thinking=300), ts=TS1)
    write_transcript(sessions, S2)
    write_settings(sessions, S2, usage(400, 600, cw=3000, cr=9000, thinking=100), ts=TS2,
                   model="gpt-5-codex", providerLock="openai")
    write_transcript(sessions, S3, parent=S2, compacted=True)
    write_settings(sessions, S3, usage(400 + 50, 600 + 70, cw=3000 + 0, cr=9000 + 4000, thinking=100 + 10),
                   ts=TS2, model="gpt-5-codex", providerLock="openai")


# S3's own part: (50, 70, 0, 4000), thinking 10.


def run(db, env):
    return scan_tool(db, env, Droid())


def totals(db) -> dict:
    return tool_totals(db, "droid")


def expect(*parts: tuple[int, ...]) -> dict:
    """Each part: (input, output, cache write, cache read, thinking)."""
    inp, out, cw, cr, th = (sum(p[i] for p in parts) for i in range(5))
    return {"input_tokens": inp, "output_tokens": out, "cache_write_tokens": cw, "cache_read_tokens": cr,
            "reasoning_tokens": th, "total_tokens": inp + out + cw + cr}


def assert_totals(db, expected: dict) -> None:
    t = totals(db)
    assert {k: t[k] for k in expected} == expected


def sessions_dir(home: Path) -> Path:
    return home / ".factory" / "sessions"


def test_one_event_per_session_thinking_inside_output(db, env, home):
    s = sessions_dir(home)
    write_transcript(s, S1)
    write_settings(s, S1, usage(1200, 800, cw=5000, cr=20000, thinking=300))
    stats = run(db, env)
    assert stats.lines_skipped == 0
    # thinking (300) is part of output (800): total = 1200 + 800 + 5000 + 20000, not + 300.
    assert_totals(db, expect((1200, 800, 5000, 20000, 300)))
    row = db.execute("SELECT session_id, project, model, provider, ts_ms FROM events").fetchone()
    assert row == (S1, CWD, "claude-sonnet-4-5-20250929", "anthropic",
                   int(datetime(2026, 5, 1, 9, 15, tzinfo=UTC).timestamp() * 1000))
    assert CANARY not in json.dumps(db.execute("SELECT * FROM events").fetchall())


def test_rewrite_replaces_the_session_never_adds_it_again(db, env, home):
    s = sessions_dir(home)
    write_settings(s, S1, usage(100, 50, cw=20, cr=10, thinking=5))
    run(db, env)
    assert_totals(db, expect((100, 50, 20, 10, 5)))
    write_settings(s, S1, usage(300, 90, cw=20, cr=400, thinking=5))
    run(db, env)
    assert tool_event_count(db, "droid") == 1
    assert_totals(db, expect((300, 90, 20, 400, 5)))
    # A stale copy with smaller counters (an older snapshot) does not win over the larger one.
    write_settings(s, S1, usage(100, 50, cw=20, cr=10, thinking=5), slug="-home-me-other")
    run(db, env)
    assert tool_event_count(db, "droid") == 1
    assert_totals(db, expect((300, 90, 20, 400, 5)))


def test_compaction_successor_counts_only_its_own_part(db, env, home):
    history(sessions_dir(home))
    run(db, env)
    days = {row["period"] for row in build_report(db, "daily", tz="UTC", tool="droid").rows}
    assert days == {DAY1, DAY2}
    assert_totals(db, expect((1200, 800, 5000, 20000, 300), (400, 600, 3000, 9000, 100), (50, 70, 0, 4000, 10)))
    assert tool_event_count(db, "droid") == 3


def test_fork_with_a_parent_but_no_compaction_is_counted_whole(db, env, home):
    s = sessions_dir(home)
    write_transcript(s, S2)
    write_settings(s, S2, usage(400, 600))
    write_transcript(s, S3, parent=S2)  # a fork: starts from zero
    write_settings(s, S3, usage(500, 700))
    run(db, env)
    assert_totals(db, expect((400, 600, 0, 0, 0), (500, 700, 0, 0, 0)))


def test_malformed_files_are_skipped_and_counted(db, env, home):
    s = sessions_dir(home)
    write_settings(s, S1, usage(100, 50))
    bad = s / SLUG / f"{S2}.settings.json"
    bad.write_text('{"model": "gpt-5", "tokenUsage": {"inputTokens": 5')  # cut mid-write
    wrong = write_settings(s, S3, {"inputTokens": "many", "outputTokens": 1})
    stats = run(db, env)
    assert stats.lines_skipped == 2, wrong
    assert_totals(db, expect((100, 50, 0, 0, 0)))
    # No tokenUsage yet, or all zero: nothing, and nothing bad either.
    write_settings(s, "empty-1", None)
    write_settings(s, "empty-2", usage(0, 0))
    assert run(db, env).lines_skipped == 0  # the new files are not bad; the bad ones are unchanged
    assert tool_event_count(db, "droid") == 1


def test_time_is_the_provider_lock_else_the_mtime(db, env, home):
    s = sessions_dir(home)
    path = write_settings(s, S1, usage(10, 20), ts=None)
    mtime = datetime(2026, 4, 3, 8, 0, tzinfo=UTC).timestamp()
    os.utime(path, (mtime, mtime))
    write_settings(s, S2, usage(1, 2), ts="2026-04-05T23:59:59.500+02:00")
    run(db, env)
    got = dict(db.execute("SELECT session_id, ts_ms FROM events").fetchall())
    assert got[S1] == int(mtime * 1000)
    assert got[S2] == int(datetime(2026, 4, 5, 21, 59, 59, 500000, tzinfo=UTC).timestamp() * 1000)
    # No transcript: the project is the cwd slug as it is.
    assert db.execute("SELECT DISTINCT project FROM events").fetchall() == [(SLUG,)]


def test_factory_home_override_moves_the_sessions(tmp_path):
    env = Env(environ={"HOME": str(tmp_path / "home"), "FACTORY_HOME_OVERRIDE": str(tmp_path / "alt")})
    assert Droid().roots(env) == [tmp_path / "alt" / ".factory" / "sessions"]
