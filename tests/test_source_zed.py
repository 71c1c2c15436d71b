"""Zed's agent over its real storage: `threads/threads.db` with the `threads` table as
zed-industries/zed crates/agent/src/db.rs creates it (CREATE TABLE plus the later parent_id,
folder_paths, folder_paths_order and created_at columns), rows written the way
`save_thread_sync` writes them (zstd-compressed JSON, INSERT ... ON CONFLICT(id) DO UPDATE),
in WAL mode by a live connection; through the real scan into a real ledger. Expected totals
are worked out by hand."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import orjson
import pytest
import zstandard

from tests.ledger_helpers import cli_daily, scan_tool, tool_event_count, tool_totals
from tests.logs import CANARY
from tokenlens.config import Env
from tokenlens.tools.zed import data_dirs, homes
from tokenlens.tools.zed.usage import Zed

SCHEMA = """
CREATE TABLE IF NOT EXISTS threads (
    id TEXT PRIMARY KEY, summary TEXT NOT NULL, updated_at TEXT NOT NULL, data_type TEXT NOT NULL,
    data BLOB NOT NULL
);
ALTER TABLE threads ADD COLUMN parent_id TEXT;
ALTER TABLE threads ADD COLUMN folder_paths TEXT;
ALTER TABLE threads ADD COLUMN folder_paths_order TEXT;
ALTER TABLE threads ADD COLUMN created_at TEXT;
"""
UPSERT = """
INSERT INTO threads (id, parent_id, folder_paths, folder_paths_order, summary, updated_at, data_type, data, created_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
ON CONFLICT(id) DO UPDATE SET parent_id = excluded.parent_id, folder_paths = excluded.folder_paths,
    folder_paths_order = excluded.folder_paths_order, summary = excluded.summary, updated_at = excluded.updated_at,
    data_type = excluded.data_type, data = excluded.data
"""


def usage(inp: int, out: int, cw: int = 0, cr: int = 0) -> dict:
    return {"input_tokens": inp, "output_tokens": out, "cache_creation_input_tokens": cw,
            "cache_read_input_tokens": cr}


def thread_json(updated_at: str, cumulative: dict | None, requests: dict, model="claude-sonnet-4-5",
                provider="anthropic") -> dict:
    """A DbThread as serde writes it, with the `version` save_thread_sync adds."""
    return {"title": f"t {CANARY}", "messages": [{"User": {"id": uid, "content": [{"Text": CANARY}]}}
                                                 for uid in requests],
            "updated_at": updated_at, "detailed_summary": None, "initial_project_snapshot": None,
            "cumulative_token_usage": cumulative or usage(0, 0), "request_token_usage": requests,
            "model": {"provider": provider, "model": model}, "profile": "write", "imported": False,
            "version": "0.3.0"}


class ZedDb:
    """A live threads.db: one writer connection in WAL mode, kept open like a running Zed."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA wal_autocheckpoint=0")
        self.conn.executescript(SCHEMA)

    def save(self, tid: str, updated_at: str, cumulative: dict | None, requests: dict, *, compress=True,
             raw: bytes | None = None, folders: str | None = "/home/me/zproj", parent: str | None = None,
             **kw) -> None:
        data = orjson.dumps(thread_json(updated_at, cumulative, requests, **kw))
        if raw is not None:
            data = raw
        elif compress:
            data = zstandard.ZstdCompressor(level=3, write_content_size=False).compress(data)
        self.conn.execute(UPSERT, [tid, parent, folders, "0" if folders else None, f"t {CANARY}", updated_at,
                                   "zstd" if compress else "json", data, updated_at])

    def close(self) -> None:
        self.conn.close()


def db_path(home: Path) -> Path:
    return home / ".local" / "share" / "zed" / "threads" / "threads.db"


@pytest.fixture
def zdb(home: Path):
    z = ZedDb(db_path(home))
    yield z
    z.close()


def run(db, env):
    return scan_tool(db, env, Zed())


def totals(db) -> dict:
    t = tool_totals(db, "zed")
    return {k: t[k] for k in ("input_tokens", "cache_read_tokens", "cache_write_tokens", "output_tokens",
                              "total_tokens")}


# Two turns. The first made three requests (tool calls): its entry in request_token_usage is
# the last request's usage only; the cumulative total holds all of them.
T1_LAST, T2 = usage(30, 200, 0, 9000), usage(12, 80, 500, 9200)
CUMULATIVE = usage(3 * 30 + 12, 150 + 120 + 200 + 80, 1800 + 500, 8000 + 8600 + 9000 + 9200)


def test_one_event_per_thread_from_the_cumulative_total(db, env, zdb):
    zdb.save("th-1", "2026-05-17T09:30:00.250+00:00", CUMULATIVE, {"u1": T1_LAST, "u2": T2})
    zdb.save("th-2", "2026-05-17T11:00:00+00:00", usage(7, 3), {"u9": usage(7, 3)}, compress=False,
             model="gpt-5", provider="openai")
    zdb.save("th-empty", "2026-05-17T12:00:00+00:00", None, {})  # a draft: no request yet, not bad
    stats = run(db, env)
    assert stats.lines_skipped == 0 and not stats.errors
    assert totals(db) == {"input_tokens": 102 + 7, "cache_read_tokens": 34800, "cache_write_tokens": 2300,
                          "output_tokens": 550 + 3, "total_tokens": 102 + 34800 + 2300 + 550 + 7 + 3}
    rows = {r[0]: r[1:] for r in db.execute("SELECT event_key, ts_ms, model, project, session_id FROM events")}
    assert rows["th-1"] == (1779010200250, "claude-sonnet-4-5", "/home/me/zproj", "th-1")
    assert rows["th-2"][1] == "gpt-5" and set(rows) == {"th-1", "th-2"}
    assert CANARY not in str(db.execute("SELECT * FROM events").fetchall())


def test_a_resave_replaces_the_thread_and_a_reread_adds_nothing(db, env, zdb):
    zdb.save("th-1", "2026-05-17T09:30:00+00:00", usage(10, 20, 0, 100), {"u1": usage(10, 20, 0, 100)})
    run(db, env)
    assert run(db, env).events_added == 0  # unchanged: not even re-read
    # The thread goes on: Zed rewrites its row (rows only in the -wal, seen through the companion).
    zdb.save("th-1", "2026-05-17T10:00:00+00:00", usage(25, 60, 0, 300), {"u1": usage(10, 20, 0, 100),
                                                                           "u2": usage(15, 40, 0, 200)})
    stats = run(db, env)
    assert stats.files_read == 1
    assert tool_event_count(db, "zed") == 1
    assert totals(db)["total_tokens"] == 25 + 60 + 300
    assert db.execute("SELECT ts_ms FROM events").fetchone()[0] == 1779012000000  # the latest save's time


def test_a_truncated_thread_never_shrinks_the_ledger(db, env, zdb):
    """Old builds (no cumulative total): the turns' sum, a lower bound; a truncation removes
    a turn from request_token_usage, and the ledger keeps the larger figure it had."""
    zdb.save("th-1", "2026-05-17T09:30:00+00:00", None, {"u1": usage(10, 20), "u2": usage(30, 40)})
    run(db, env)
    assert totals(db)["total_tokens"] == 100
    zdb.save("th-1", "2026-05-17T09:40:00+00:00", None, {"u1": usage(10, 20)})
    run(db, env)
    assert totals(db)["total_tokens"] == 100


def test_a_broken_row_is_skipped_and_counted(db, env, zdb):
    zdb.save("good", "2026-05-17T09:30:00+00:00", usage(1, 2), {"u": usage(1, 2)})
    zdb.save("not-zstd", "2026-05-17T09:31:00+00:00", None, {}, raw=b"\x28\xb5\x2f\xfd garbage")
    zdb.save("not-json", "2026-05-17T09:32:00+00:00", None, {},
             raw=zstandard.ZstdCompressor().compress(b"{not json"))
    zdb.save("bad-count", "2026-05-17T09:33:00+00:00", {"input_tokens": "many"}, {})
    zdb.save("bad-time", "not a time", usage(5, 5), {})
    stats = run(db, env)
    assert stats.lines_skipped == 4
    assert tool_event_count(db, "zed") == 1 and totals(db)["total_tokens"] == 3


def test_legacy_request_list_reads_the_cumulative_total(db, env, zdb):
    legacy = orjson.dumps({"version": "0.1.0", "updated_at": "2026-05-17T09:30:00Z",
                           "cumulative_token_usage": usage(5, 6), "request_token_usage": [usage(5, 6)]})
    zdb.save("old", "2026-05-17T09:30:00Z", None, {}, raw=legacy, compress=False)
    run(db, env)
    assert totals(db)["total_tokens"] == 11


def test_homes_per_platform(tmp_path):
    env = Env(environ={"HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "xdg"),
                       "LOCALAPPDATA": str(tmp_path / "Local")})
    assert data_dirs(env) == [tmp_path / "xdg" / "zed", tmp_path / "Library" / "Application Support" / "Zed",
                              tmp_path / "Local" / "Zed"]
    # Its settings (the agent's permissions) are in the config dir, also one of its homes.
    assert homes(env) == [*data_dirs(env), tmp_path / ".config" / "zed", tmp_path / "AppData" / "Roaming" / "Zed"]
    assert Zed().roots(env)[0] == tmp_path / "xdg" / "zed" / "threads" / "threads.db"


def test_a_thread_near_local_midnight_lands_on_its_local_day(data_dir, home, zdb):
    """save_thread_sync writes `updated_at` as `DateTime<Utc>::to_rfc3339()` ("+00:00", db.rs
    @ 0642ec7e49e2d2c06f55db8c5bb2d4eca0f5223b): New York (UTC-4 in May) puts these two threads
    on either side of its midnight, though both are on May 18 in UTC."""
    zdb.save("th-late", "2026-05-18T03:45:00.120+00:00", usage(10, 20, 0, 300), {"u1": usage(10, 20, 0, 300)})
    zdb.save("th-early", "2026-05-18T04:15:00+00:00", usage(30, 40), {"u2": usage(30, 40)})
    days = cli_daily(data_dir, home, "zed", "America/New_York")
    assert {day: row["total_tokens"] for day, row in days.items()} == {"2026-05-17": 330, "2026-05-18": 70}
    utc = cli_daily(data_dir, home, "zed", "UTC")
    assert {day: row["total_tokens"] for day, row in utc.items()} == {"2026-05-18": 400}
