"""Goose: per-session accumulated counters that grow in place; one event per session,
upserted, so re-reads and growth never double count."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from tests.logs import CANARY
from tokenlens.config import Env
from tokenlens.ingest import scan
from tokenlens.reports import build_report
from tokenlens.store.ledger import ledger_path
from tokenlens.tools.goose.usage import Goose

# The sessions table as Goose's session manager creates it (plus the messages table).
SCHEMA = """
CREATE TABLE sessions (
    id TEXT PRIMARY KEY, name TEXT NOT NULL DEFAULT '', description TEXT NOT NULL DEFAULT '',
    user_set_name BOOLEAN DEFAULT FALSE, session_type TEXT NOT NULL DEFAULT 'user',
    working_dir TEXT NOT NULL, created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP, extension_data TEXT DEFAULT '{}',
    total_tokens INTEGER, input_tokens INTEGER, output_tokens INTEGER,
    accumulated_total_tokens INTEGER, accumulated_input_tokens INTEGER, accumulated_output_tokens INTEGER,
    schedule_id TEXT, recipe_json TEXT, user_recipe_values_json TEXT,
    provider_name TEXT, model_config_json TEXT, goose_mode TEXT NOT NULL DEFAULT 'auto'
);
CREATE TABLE messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT, message_id TEXT, session_id TEXT NOT NULL REFERENCES sessions(id),
    role TEXT NOT NULL, content_json TEXT NOT NULL, created_timestamp INTEGER NOT NULL,
    timestamp TIMESTAMP DEFAULT CURRENT_TIMESTAMP, tokens INTEGER, metadata_json TEXT
);
"""


def db_path(home: Path) -> Path:
    return home / ".local" / "share" / "goose" / "sessions" / "sessions.db"


def open_goose(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA wal_autocheckpoint=0")  # a running Goose: changes sit in the -wal
    conn.executescript(SCHEMA)
    return conn


def put_session(conn, sid: str, created: str, acc: tuple[int, int, int] | None,
                ctx: tuple[int, int, int] = (0, 0, 0), model: str = "claude-sonnet-4-5",
                provider: str = "anthropic", cwd: str = "/home/me/app") -> None:
    """acc / ctx: (input, output, total) accumulated over the session / for the current context."""
    acc_in, acc_out, acc_total = acc if acc is not None else (None, None, None)
    conn.execute(
        "INSERT INTO sessions (id, name, working_dir, created_at, updated_at, input_tokens, output_tokens,"
        " total_tokens, accumulated_input_tokens, accumulated_output_tokens, accumulated_total_tokens,"
        " provider_name, model_config_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (sid, "CLI Session", cwd, created, created, *ctx, acc_in, acc_out, acc_total, provider,
         json.dumps({"model_name": model, "context_limit": 200000, "temperature": None})),
    )
    conn.execute("INSERT INTO messages (session_id, role, content_json, created_timestamp) VALUES (?, 'user', ?, 0)",
                 (sid, json.dumps([{"type": "text", "text": CANARY}])))
    conn.commit()


def grow(conn, sid: str, acc: tuple[int, int, int], updated: str) -> None:
    conn.execute("UPDATE sessions SET accumulated_input_tokens=?, accumulated_output_tokens=?,"
                 " accumulated_total_tokens=?, updated_at=? WHERE id=?", (*acc, updated, sid))
    conn.commit()


def totals(db, **kw):
    return build_report(db, "daily", tz="UTC", tool="goose", **kw).totals


def test_growing_sessions_upserted_not_summed(db, env, home, data_dir):
    goose = open_goose(db_path(home))
    put_session(goose, "20261120_1", "2026-11-20 08:00:00", acc=(1000, 200, 1200), ctx=(600, 100, 700))
    # total > input + output: reasoning only in the total, counted as extra output
    put_session(goose, "20261121_1", "2026-11-21T09:30:00Z", acc=(500, 50, 590), model="gpt-5", provider="openai")
    put_session(goose, "20261121_2", "2026-11-21 10:00:00", acc=(0, 0, 0))  # nothing used yet
    scan(db, env, [Goose()])
    t = totals(db)
    assert (t["input_tokens"], t["output_tokens"], t["reasoning_tokens"]) == (1500, 200 + 50 + 40, 40)
    assert t["total_tokens"] == 1200 + 590

    # The sessions keep running: the counters grow in place (only the -wal changes).
    grow(goose, "20261120_1", (3000, 700, 3700), "2026-11-21 01:00:00")
    result = scan(db, env, [Goose()])
    assert result.sources["goose"].events_added == 0  # same sessions, updated
    t = totals(db)
    assert (t["input_tokens"], t["output_tokens"]) == (3000 + 500, 700 + 90)
    days = {r["period"]: r["total_tokens"] for r in build_report(db, "daily", tz="UTC", tool="goose").rows}
    assert days == {"2026-11-20": 3700, "2026-11-21": 590}  # each session on its start day

    assert scan(db, env, [Goose()]).sources["goose"].files_read == 0  # nothing changed
    assert totals(db)["total_tokens"] == 3700 + 590
    goose.close()
    path = ledger_path(data_dir)
    wal = path.with_name(path.name + "-wal")
    assert CANARY.encode() not in path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


def test_new_session_bad_rows_and_old_columns(db, env, home):
    goose = open_goose(db_path(home))
    put_session(goose, "s1", "2026-11-20 08:00:00", acc=(100, 10, 110))
    scan(db, env, [Goose()])
    put_session(goose, "s2", "2026-11-20 09:00:00", acc=(200, 20, 220))
    # An older row without accumulated counters: its plain counters are all there is.
    put_session(goose, "s3", "2026-11-20 10:00:00", acc=None, ctx=(30, 3, 33))
    put_session(goose, "s4", "2026-11-20 11:00:00", acc=(-5, 1, 1))  # corrupt counter
    put_session(goose, "s5", "not a date", acc=(1, 1, 2))
    stats = scan(db, env, [Goose()]).sources["goose"]
    assert (stats.events_added, stats.lines_skipped) == (2, 2)
    assert totals(db)["total_tokens"] == 110 + 220 + 33
    assert scan(db, env, [Goose()]).sources["goose"].events_added == 0
    goose.close()


def test_counters_that_shrink_never_shrink_the_ledger(db, env, home):
    goose = open_goose(db_path(home))
    put_session(goose, "s1", "2026-11-20 08:00:00", acc=(1000, 100, 1100))
    scan(db, env, [Goose()])
    grow(goose, "s1", (10, 1, 11), "2026-11-20 09:00:00")
    scan(db, env, [Goose()])
    assert totals(db)["total_tokens"] == 1100
    goose.close()


def test_goose_path_root_and_legacy_jsonl(db, home):
    root = home / "gooseroot"
    live = open_goose(root / "data" / "sessions" / "sessions.db")
    put_session(live, "20250325_131522", "2025-03-25 13:15:22", acc=(900, 90, 990))
    live.close()
    legacy = root / "data" / "sessions" / "20250325_131522.jsonl"
    meta = {"working_dir": "/home/me/app", "description": "x", "message_count": 4, "total_tokens": 50,
            "input_tokens": 40, "output_tokens": 10, "accumulated_total_tokens": 500,
            "accumulated_input_tokens": 400, "accumulated_output_tokens": 100}
    legacy.write_text(json.dumps(meta) + "\n" + json.dumps({"role": "user", "content": CANARY}) + "\n")
    older = root / "data" / "sessions" / "20250101_080000.jsonl"
    older.write_text(json.dumps({**meta, "accumulated_input_tokens": 70, "accumulated_output_tokens": 7,
                                 "accumulated_total_tokens": 77}) + "\n")
    env = Env(environ={"HOME": str(home), "GOOSE_PATH_ROOT": str(root)})
    scan(db, env, [Goose()])
    days = {r["period"]: r["total_tokens"] for r in build_report(db, "daily", tz="UTC", tool="goose").rows}
    # The migrated session counts once (the database's larger copy); the old one from its file.
    assert days == {"2025-03-25": 990, "2025-01-01": 77}


def test_not_a_database_is_one_bad_record(db, env, home):
    path = db_path(home)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"\x00garbage, not SQLite" * 100)
    stats = scan(db, env, [Goose()]).sources["goose"]
    assert (stats.events_added, stats.lines_skipped, stats.errors) == (0, 1, [])
