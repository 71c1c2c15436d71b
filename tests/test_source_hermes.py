"""Hermes Agent ingest over its real storage: `state.db` with the `sessions` table as
hermes_state_common.py SCHEMA_SQL creates it (and `session_daily_usage` as newer builds write
it), in WAL mode, written by a live connection; named profiles; through the real scan into a
real ledger. Expected totals are worked out by hand."""

from __future__ import annotations

import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.ledger_helpers import scan_tool, tool_event_count, tool_totals
from tests.logs import CANARY
from tokenlens.reports import build_report
from tokenlens.tools.hermes.usage import Hermes

# 2026-05-17 09:00:00 UTC as Hermes stores it: epoch seconds, REAL.
T0 = datetime(2026, 5, 17, 9, 0, tzinfo=UTC).timestamp() + 0.25

# The `sessions` table of NousResearch/hermes-agent hermes_state_common.py (SCHEMA_SQL, v30).
SCHEMA = """
CREATE TABLE IF NOT EXISTS system_prompts (hash TEXT PRIMARY KEY, prompt TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY, source TEXT NOT NULL, created_source TEXT, user_id TEXT, session_key TEXT,
    chat_id TEXT, chat_type TEXT, thread_id TEXT, display_name TEXT, origin_json TEXT,
    expiry_finalized INTEGER DEFAULT 0, model TEXT, model_config TEXT, system_prompt TEXT,
    system_prompt_hash TEXT, parent_session_id TEXT, started_at REAL NOT NULL, ended_at REAL, end_reason TEXT,
    message_count INTEGER DEFAULT 0, tool_call_count INTEGER DEFAULT 0, input_tokens INTEGER DEFAULT 0,
    output_tokens INTEGER DEFAULT 0, cache_read_tokens INTEGER DEFAULT 0, cache_write_tokens INTEGER DEFAULT 0,
    reasoning_tokens INTEGER DEFAULT 0, cwd TEXT, git_branch TEXT, git_repo_root TEXT,
    git_metadata_generation INTEGER NOT NULL DEFAULT 0, billing_provider TEXT, billing_base_url TEXT,
    billing_mode TEXT, estimated_cost_usd REAL, actual_cost_usd REAL, cost_status TEXT, cost_source TEXT,
    pricing_version TEXT, title TEXT, title_source TEXT, last_activity_at REAL, last_activity_description TEXT,
    last_activity_provenance TEXT, api_call_count INTEGER DEFAULT 0, handoff_state TEXT, handoff_platform TEXT,
    handoff_error TEXT, compression_failure_cooldown_until REAL, compression_failure_error TEXT,
    compression_fallback_streak INTEGER NOT NULL DEFAULT 0, compression_ineffective_count INTEGER NOT NULL DEFAULT 0,
    compression_recovery_deadline REAL, compression_overload_streak INTEGER NOT NULL DEFAULT 0,
    profile_name TEXT, transport_profile TEXT, rewind_count INTEGER NOT NULL DEFAULT 0,
    archived INTEGER NOT NULL DEFAULT 0, pinned INTEGER NOT NULL DEFAULT 0, hidden INTEGER NOT NULL DEFAULT 0,
    last_read_at REAL, tool_names TEXT,
    FOREIGN KEY (parent_session_id) REFERENCES sessions(id),
    FOREIGN KEY (system_prompt_hash) REFERENCES system_prompts(hash)
);
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT, session_id TEXT NOT NULL REFERENCES sessions(id), role TEXT NOT NULL,
    content TEXT, timestamp REAL NOT NULL, token_count INTEGER
);
"""
# Newer builds (hermes_state_usage.py _SESSION_DAILY_USAGE_UPSERT_SQL: these columns, unique
# on (session_id, day), day = date('now', 'localtime')).
DAILY_SCHEMA = """
CREATE TABLE IF NOT EXISTS session_daily_usage (
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE, day TEXT NOT NULL,
    input_tokens INTEGER NOT NULL DEFAULT 0, output_tokens INTEGER NOT NULL DEFAULT 0,
    cache_read_tokens INTEGER NOT NULL DEFAULT 0, cache_write_tokens INTEGER NOT NULL DEFAULT 0,
    reasoning_tokens INTEGER NOT NULL DEFAULT 0, estimated_cost_usd REAL NOT NULL DEFAULT 0,
    actual_cost_usd REAL NOT NULL DEFAULT 0, api_call_count INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (session_id, day)
);
"""

# (input, output incl. reasoning, cache read, cache write, reasoning)
S1 = (1200, 800, 40000, 2000, 300)
S2 = (500, 250, 0, 0, 0)
S3 = (90, 700, 5000, 0, 64)


class HermesDb:
    """A live state.db: one writer connection in WAL mode, kept open like a running Hermes."""

    def __init__(self, path: Path, daily: bool = False):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA wal_autocheckpoint=0")
        self.conn.executescript(SCHEMA + (DAILY_SCHEMA if daily else ""))

    def session(self, sid: str, started: float, m: tuple, *, model="claude-sonnet-4-5", provider="anthropic",
                actual=None, estimated=None) -> None:
        inp, out, cr, cw, rea = m
        self.conn.execute(
            "INSERT INTO sessions (id, source, model, started_at, input_tokens, output_tokens, cache_read_tokens,"
            " cache_write_tokens, reasoning_tokens, billing_provider, estimated_cost_usd, actual_cost_usd, cwd,"
            " title, api_call_count) VALUES (?, 'cli', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '/home/me/hproj', ?, 3)",
            [sid, model, started, inp, out, cr, cw, rea, provider, estimated, actual, f"title {CANARY}"])
        self.conn.execute("INSERT INTO messages (session_id, role, content, timestamp) VALUES (?, 'user', ?, ?)",
                          [sid, CANARY, started])

    def add(self, sid: str, m: tuple, day: str | None = None, estimated: float = 0.0) -> None:
        """One API call's delta, as update_token_counts writes it (and its day row, if given)."""
        inp, out, cr, cw, rea = m
        self.conn.execute(
            "UPDATE sessions SET input_tokens = input_tokens + ?, output_tokens = output_tokens + ?,"
            " cache_read_tokens = cache_read_tokens + ?, cache_write_tokens = cache_write_tokens + ?,"
            " reasoning_tokens = reasoning_tokens + ?,"
            " estimated_cost_usd = COALESCE(estimated_cost_usd, 0) + ? WHERE id = ?",
            [inp, out, cr, cw, rea, estimated, sid])
        if day:
            self.conn.execute(
                "INSERT INTO session_daily_usage (session_id, day, input_tokens, output_tokens, cache_read_tokens,"
                " cache_write_tokens, reasoning_tokens, estimated_cost_usd, actual_cost_usd, api_call_count)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, 1) ON CONFLICT(session_id, day) DO UPDATE SET"
                " input_tokens = input_tokens + excluded.input_tokens,"
                " output_tokens = output_tokens + excluded.output_tokens,"
                " cache_read_tokens = cache_read_tokens + excluded.cache_read_tokens,"
                " cache_write_tokens = cache_write_tokens + excluded.cache_write_tokens,"
                " reasoning_tokens = reasoning_tokens + excluded.reasoning_tokens,"
                " estimated_cost_usd = estimated_cost_usd + excluded.estimated_cost_usd",
                [sid, day, inp, out, cr, cw, rea, estimated])

    def close(self) -> None:
        self.conn.close()


@pytest.fixture
def hermes_home(home: Path) -> Path:
    return home / ".hermes"


@pytest.fixture
def hdb(hermes_home: Path):
    db = HermesDb(hermes_home / "state.db")
    yield db
    db.close()


@pytest.fixture
def local_tz():
    """Run in a zone west of UTC, so local dates and UTC dates differ."""
    import os

    before = os.environ.get("TZ")
    os.environ["TZ"] = "America/New_York"
    time.tzset()
    yield
    if before is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = before
    time.tzset()


def run(db, env):
    return scan_tool(db, env, Hermes())


def expect(*parts: tuple) -> dict:
    inp, out, cr, cw, rea = (sum(p[i] for p in parts) for i in range(5))
    return {"input_tokens": inp, "cache_read_tokens": cr, "cache_write_tokens": cw, "output_tokens": out,
            "reasoning_tokens": rea, "total_tokens": inp + cr + cw + out}


def assert_totals(db, expected: dict) -> None:
    t = tool_totals(db, "hermes")
    assert {k: t[k] for k in expected} == expected


def test_one_event_per_session_reasoning_inside_output(db, env, hdb):
    hdb.session("20260517_090000_ab12", T0, S1, actual=0.0921, estimated=0.1)
    hdb.session("20260517_100000_cd34", T0 + 3600, S2, estimated=0.0031)
    # A session with no API call yet: no usage, not a bad record.
    hdb.session("20260517_110000_ef56", T0 + 7200, (0, 0, 0, 0, 0))
    stats = run(db, env)
    assert stats.lines_skipped == 0 and not stats.errors
    assert_totals(db, expect(S1, S2))  # total = 1200+800+40000+2000 + 500+250: reasoning not added again
    assert tool_totals(db, "hermes")["total_tokens"] == 44750
    rows = dict(db.execute("SELECT event_key, cost_usd FROM events").fetchall())
    assert rows == {"20260517_090000_ab12": pytest.approx(0.0921),  # actual wins over estimated
                    "20260517_100000_cd34": pytest.approx(0.0031)}
    ts, project, session = db.execute(
        "SELECT ts_ms, project, session_id FROM events WHERE event_key = '20260517_090000_ab12'").fetchone()
    assert ts == int(T0 * 1000) and project == "/home/me/hproj" and session == "20260517_090000_ab12"


def test_growing_counters_replace_the_session_event(db, env, hdb):
    hdb.session("s1", T0, S2)
    run(db, env)
    hdb.add("s1", S3)  # rows only in the -wal: noticed through the companion file
    stats = run(db, env)
    assert stats.files_read == 1
    assert_totals(db, expect(S2, S3))
    assert tool_event_count(db, "hermes") == 1


def test_named_profiles_are_read_and_a_copied_session_counts_once(db, env, hermes_home, hdb):
    hdb.session("s1", T0, S1)
    work = HermesDb(hermes_home / "profiles" / "work" / "state.db")
    work.session("w1", T0 + 60, S3, model="gpt-5", provider="openai")
    # The profile was cloned from the default one while s1 was smaller: the same id, a copy.
    work.session("s1", T0, (1000, 500, 30000, 2000, 200))
    stats = run(db, env)
    assert stats.files_read == 2
    assert_totals(db, expect(S1, S3))
    # The copy grows past the original later (it was resumed there): the larger counter wins.
    work.add("s1", (300, 400, 20000, 0, 100))
    run(db, env)
    assert_totals(db, expect((1300, 900, 50000, 2000, 300), S3))
    work.close()


def test_hermes_home_override(db, tmp_path, home):
    from tokenlens.config import Env

    alt = tmp_path / "alt-hermes"
    live = HermesDb(alt / "state.db")
    live.session("s1", T0, S2)
    HermesDb(home / ".hermes" / "state.db").session("s2", T0, S3)  # not read: HERMES_HOME moves it
    run(db, Env(environ={"HOME": str(home), "HERMES_HOME": str(alt)}))
    assert_totals(db, expect(S2))
    live.close()


def test_daily_rows_split_a_session_across_local_days(db, env, hermes_home, local_tz):
    live = HermesDb(hermes_home / "state.db", daily=True)
    # Started 2026-05-17 22:30 New York time (02:30 UTC on the 18th); calls on that day and the next.
    started = datetime(2026, 5, 18, 2, 30, tzinfo=UTC).timestamp()
    live.session("s1", started, (0, 0, 0, 0, 0))
    live.add("s1", S1, day="2026-05-17", estimated=0.05)
    live.add("s1", S2, day="2026-05-18", estimated=0.01)
    # A session from before the build that writes day rows: its counters only, at started_at.
    live.session("old", T0, S3, estimated=0.002)
    stats = run(db, env)
    assert stats.lines_skipped == 0
    assert_totals(db, expect(S1, S2, S3))
    ts = dict(db.execute("SELECT event_key, ts_ms FROM events").fetchall())
    assert ts == {"s1@2026-05-17": int(started * 1000),  # first day: the session's start
                  "s1@2026-05-18": int(datetime(2026, 5, 18, 16, 0, tzinfo=UTC).timestamp() * 1000),  # noon EDT
                  "old": int(T0 * 1000)}
    report = build_report(db, "daily", tz="America/New_York", tool="hermes")
    by_day = {r["period"]: r["total_tokens"] for r in report.rows}
    assert by_day == {"2026-05-17": sum(S1[:4]) + sum(S3[:4]), "2026-05-18": sum(S2[:4])}
    # Pre-upgrade usage plus new day rows: the remainder keeps the session id as its key.
    live.add("old", S2, day="2026-05-18")
    run(db, env)
    assert_totals(db, expect(S1, S2, S3, S2))
    assert tool_event_count(db, "hermes") == 4
    live.close()


def test_bad_rows_are_skipped_and_counted(db, env, hermes_home):
    live = HermesDb(hermes_home / "state.db", daily=True)
    live.session("good", T0, S2)
    live.session("bad_tokens", T0, S3)
    live.conn.execute("UPDATE sessions SET input_tokens = 'many' WHERE id = 'bad_tokens'")
    live.session("bad_time", T0, S3)
    live.conn.execute("UPDATE sessions SET started_at = 'yesterday' WHERE id = 'bad_time'")
    live.conn.execute("INSERT INTO session_daily_usage (session_id, day, input_tokens) VALUES ('good', 'soon', 5)")
    stats = run(db, env)
    assert stats.lines_skipped == 3
    assert_totals(db, expect(S2))
    live.close()


def test_a_file_that_is_not_a_database_is_reported_not_fatal(db, env, hermes_home):
    hermes_home.mkdir(parents=True)
    (hermes_home / "state.db").write_bytes(b"not sqlite " * 100)
    stats = run(db, env)
    assert stats.lines_skipped == 1
    assert tool_event_count(db, "hermes") == 0


def test_canary_never_reaches_the_ledger(db, env, data_dir, hdb):
    hdb.session("s1", T0, S1)
    run(db, env)
    db.conn.commit()
    for path in data_dir.iterdir():
        if path.is_file():
            assert CANARY.encode() not in path.read_bytes()
