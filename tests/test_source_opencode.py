"""OpenCode ingest over its real storage: the SQLite `opencode.db` (WAL mode, written by a
live connection as the running app would) and the legacy `storage/message/**.json` files,
through the real scan into a real ledger. Expected totals are worked out by hand; prices are
checked against genai-prices' calc_price."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest

from tests.ledger_helpers import scan_tool, tool_event_count, tool_totals
from tests.logs import CANARY
from tokenlens.tools.opencode.usage import OpenCode

T0 = 1_779_000_000_000  # 2026-05-17, epoch ms
CWD = "/home/me/ocproj"

SCHEMA = """
CREATE TABLE project (id TEXT PRIMARY KEY, worktree TEXT NOT NULL, time_created INTEGER NOT NULL,
    time_updated INTEGER NOT NULL);
CREATE TABLE session (id TEXT PRIMARY KEY, project_id TEXT NOT NULL, parent_id TEXT, slug TEXT NOT NULL,
    directory TEXT NOT NULL, title TEXT NOT NULL, version TEXT NOT NULL, time_created INTEGER NOT NULL,
    time_updated INTEGER NOT NULL, cost REAL NOT NULL DEFAULT 0, tokens_input INTEGER NOT NULL DEFAULT 0,
    tokens_output INTEGER NOT NULL DEFAULT 0, tokens_reasoning INTEGER NOT NULL DEFAULT 0,
    tokens_cache_read INTEGER NOT NULL DEFAULT 0, tokens_cache_write INTEGER NOT NULL DEFAULT 0);
CREATE TABLE message (id TEXT PRIMARY KEY, session_id TEXT NOT NULL REFERENCES session(id) ON DELETE CASCADE,
    time_created INTEGER NOT NULL, time_updated INTEGER NOT NULL, data TEXT NOT NULL);
CREATE TABLE part (id TEXT PRIMARY KEY, message_id TEXT NOT NULL, session_id TEXT NOT NULL,
    time_created INTEGER NOT NULL, time_updated INTEGER NOT NULL, data TEXT NOT NULL);
CREATE INDEX message_session_time_created_id_idx ON message (session_id, time_created, id);
"""


# ---- fixture builders ------------------------------------------------------------------


def assistant(created: int, inp: int, out: int, reasoning: int = 0, read: int = 0, write: int = 0, *,
              model: str = "claude-sonnet-4-5", provider: str = "anthropic", cost: float = 0.0) -> dict:
    """An assistant message's `data` as OpenCode stores it (id/sessionID live in columns)."""
    return {"role": "assistant", "parentID": "msg_user", "modelID": model, "providerID": provider,
            "mode": "build", "agent": "build", "path": {"cwd": CWD, "root": CWD},
            "time": {"created": created, "completed": created + 4000}, "cost": cost, "finish": "stop",
            "tokens": {"input": inp, "output": out, "reasoning": reasoning, "cache": {"read": read, "write": write},
                       "total": inp + out + reasoning + read + write}}


def user_message(created: int) -> dict:
    return {"role": "user", "time": {"created": created}, "agent": "build",
            "model": {"providerID": "anthropic", "modelID": "claude-sonnet-4-5"}}


class OpenCodeDb:
    """A live OpenCode database: one writer connection in WAL mode, kept open like the app."""

    def __init__(self, path: Path, checkpoint: bool = False):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        if not checkpoint:
            self.conn.execute("PRAGMA wal_autocheckpoint=0")  # rows stay in the -wal file
        self.conn.executescript(SCHEMA)
        self.conn.execute("INSERT INTO project VALUES ('prj_1', ?, ?, ?)", [CWD, T0, T0])

    def session(self, sid: str, created: int, parent: str | None = None) -> None:
        self.conn.execute("INSERT INTO session (id, project_id, parent_id, slug, directory, title, version,"
                          " time_created, time_updated) VALUES (?, 'prj_1', ?, 'slug', ?, ?, '1.14.0', ?, ?)",
                          [sid, parent, CWD, f"title {CANARY}", created, created])

    def message(self, mid: str, sid: str, data: dict | str) -> None:
        created = data["time"]["created"] if isinstance(data, dict) else T0
        blob = data if isinstance(data, str) else json.dumps(data)
        self.conn.execute("INSERT INTO message VALUES (?, ?, ?, ?, ?)", [mid, sid, created, created, blob])
        self.conn.execute("INSERT INTO part VALUES (?, ?, ?, ?, ?, ?)",
                          [f"prt_{mid}", mid, sid, created, created, json.dumps({"type": "text", "text": CANARY})])

    def update(self, mid: str, data: dict) -> None:
        self.conn.execute("UPDATE message SET data = ?, time_updated = time_updated + 1 WHERE id = ?",
                          [json.dumps(data), mid])

    def close(self) -> None:
        self.conn.close()


@pytest.fixture
def data_root(home: Path) -> Path:
    return home / ".local" / "share" / "opencode"


@pytest.fixture
def ocdb(data_root: Path):
    db = OpenCodeDb(data_root / "opencode.db")
    yield db
    db.close()


def run(db, env):
    return scan_tool(db, env, OpenCode())


def totals(db) -> dict:
    return tool_totals(db, "opencode")


def event_count(db) -> int:
    return tool_event_count(db, "opencode")


def expect(*parts: tuple[int, int, int, int, int]) -> dict:
    """Each part: (input, output, reasoning, cache read, cache write) as OpenCode writes them."""
    inp, out, rea, cr, cw = (sum(p[i] for p in parts) for i in range(5))
    return {"input_tokens": inp, "cache_read_tokens": cr, "cache_write_tokens": cw,
            "output_tokens": out + rea, "reasoning_tokens": rea, "total_tokens": inp + cr + cw + out + rea}


def assert_totals(db, expected: dict) -> None:
    t = totals(db)
    assert {k: t[k] for k in expected} == expected


M1 = (638, 412, 0, 42944, 1800)
M2 = (1200, 300, 150, 50000, 0)
M3 = (90, 700, 64, 0, 0)


def data_of(created: int, m: tuple, **kw) -> dict:
    inp, out, rea, read, write = m
    return assistant(created, inp, out, rea, read, write, **kw)


# ---- SQLite ------------------------------------------------------------------------------


def test_database_messages_with_reported_and_table_cost(db, env, ocdb):
    from datetime import UTC, datetime

    from genai_prices import Usage, calc_price

    ocdb.session("ses_1", T0)
    ocdb.message("msg_0001", "ses_1", user_message(T0 + 500))
    ocdb.message("msg_0002", "ses_1", data_of(T0 + 1000, M1, cost=0.0213))
    # A subscription provider reports cost 0: priced API-equivalent from the table.
    ocdb.message("msg_0003", "ses_1", data_of(T0 + 9000, M2, model="claude-sonnet-4.5", provider="github-copilot"))
    stats = run(db, env)
    assert stats.lines_skipped == 0 and not stats.errors
    assert_totals(db, expect(M1, M2))
    rows = dict(db.execute("SELECT event_key, cost_usd FROM events").fetchall())
    assert rows["msg_0002"] == pytest.approx(0.0213)
    price = calc_price(Usage(input_tokens=1200 + 50000, cache_read_tokens=50000, cache_write_tokens=0,
                             output_tokens=300 + 150), "claude-sonnet-4-5", provider_id="anthropic",
                       genai_request_timestamp=datetime.fromtimestamp((T0 + 9000) / 1000, tz=UTC))
    assert rows["msg_0003"] == pytest.approx(float(price.total_price), rel=1e-9)
    session, project = db.execute("SELECT session_id, project FROM events WHERE event_key = 'msg_0002'").fetchone()
    assert (session, project) == ("ses_1", CWD)


def test_rows_only_in_the_wal_are_noticed(db, env, ocdb):
    ocdb.session("ses_1", T0)
    ocdb.message("msg_0002", "ses_1", data_of(T0 + 1000, M1))
    run(db, env)
    main = ocdb.path.stat()
    ocdb.message("msg_0003", "ses_1", data_of(T0 + 9000, M2))
    after = ocdb.path.stat()
    # The new row lives only in the -wal file: the database file itself did not change.
    assert (after.st_size, after.st_mtime_ns) == (main.st_size, main.st_mtime_ns)
    stats = run(db, env)
    assert stats.events_added == 1
    assert_totals(db, expect(M1, M2))
    stats = run(db, env)
    assert (stats.files_read, stats.events_added) == (0, 0)


def test_rows_updated_in_place_count_once_with_final_figures(db, env, ocdb):
    ocdb.session("ses_1", T0)
    ocdb.message("msg_0002", "ses_1", data_of(T0 + 1000, (0, 0, 0, 0, 0)))  # step still running
    run(db, env)
    assert event_count(db) == 0
    ocdb.update("msg_0002", data_of(T0 + 1000, (638, 100, 0, 42944, 1800)))
    run(db, env)
    ocdb.update("msg_0002", data_of(T0 + 1000, M1, cost=0.0213))
    run(db, env)
    assert_totals(db, expect(M1))
    assert event_count(db) == 1
    assert totals(db)["cost_usd"] == pytest.approx(0.0213)


def test_forked_session_copies_count_once(db, env, ocdb):
    ocdb.session("ses_1", T0)
    ocdb.message("msg_0002", "ses_1", data_of(T0 + 1000, M1))
    ocdb.message("msg_0003", "ses_1", data_of(T0 + 9000, M2))
    # A fork later on: new session, copies under new ids with the original time.created.
    ocdb.session("ses_2", T0 + 100_000)
    ocdb.message("msg_0101", "ses_2", data_of(T0 + 1000, M1))
    ocdb.message("msg_0102", "ses_2", data_of(T0 + 9000, M2))
    ocdb.message("msg_0103", "ses_2", data_of(T0 + 120_000, M3))
    run(db, env)
    assert_totals(db, expect(M1, M2, M3))
    # The original session is deleted afterwards: the ledger keeps it, the copies stay dropped.
    ocdb.conn.execute("DELETE FROM message WHERE session_id = 'ses_1'")
    ocdb.conn.execute("DELETE FROM session WHERE id = 'ses_1'")
    run(db, env)
    assert_totals(db, expect(M1, M2, M3))


def test_fork_copy_whose_original_was_never_seen_counts(db, env, ocdb):
    ocdb.session("ses_2", T0 + 100_000)
    ocdb.message("msg_0101", "ses_2", data_of(T0 + 1000, M1))
    run(db, env)
    assert_totals(db, expect(M1))


def test_growing_session_rollups_are_not_counted_again(db, env, ocdb):
    """v1.16+ keeps running session totals beside the messages: cumulative, never usage."""
    ocdb.session("ses_1", T0)
    for i, (mid, m) in enumerate((("msg_0002", M1), ("msg_0003", M2))):
        ocdb.message(mid, "ses_1", data_of(T0 + 1000 * (i + 1), m))
        ocdb.conn.execute(
            "UPDATE session SET tokens_input = tokens_input + ?, tokens_output = tokens_output + ?,"
            " tokens_reasoning = tokens_reasoning + ?, tokens_cache_read = tokens_cache_read + ?,"
            " tokens_cache_write = tokens_cache_write + ?, time_updated = time_updated + 1 WHERE id = 'ses_1'", list(m))
        run(db, env)
    assert_totals(db, expect(M1, M2))
    assert event_count(db) == 2


def test_subagent_sessions_count(db, env, ocdb):
    ocdb.session("ses_1", T0)
    ocdb.message("msg_0002", "ses_1", data_of(T0 + 1000, M1))
    ocdb.session("ses_child", T0 + 2000, parent="ses_1")
    ocdb.message("msg_0050", "ses_child", data_of(T0 + 3000, M3, model="gpt-5", provider="openai"))
    run(db, env)
    assert_totals(db, expect(M1, M3))


def test_bad_rows_are_skipped_and_counted(db, env, ocdb):
    ocdb.session("ses_1", T0)
    ocdb.message("msg_0001", "ses_1", '{"role": "assistant", "tokens": {"input": 5')  # cut JSON
    bad = data_of(T0 + 1000, M1)
    bad["tokens"]["input"] = "many"
    ocdb.message("msg_0002", "ses_1", bad)
    ocdb.message("msg_0003", "ses_1", data_of(T0 + 9000, M2))
    stats = run(db, env)
    assert stats.lines_skipped == 2
    assert_totals(db, expect(M2))


def test_a_file_that_is_not_a_database_is_reported_not_fatal(db, env, data_root):
    data_root.mkdir(parents=True)
    (data_root / "opencode.db").write_bytes(b"this is not sqlite " * 100)
    stats = run(db, env)
    assert len(stats.errors) == 1 and "opencode.db" in stats.errors[0]
    assert event_count(db) == 0


def test_closed_database_is_read_without_creating_files(db, env, data_root):
    tool = OpenCodeDb(data_root / "opencode.db", checkpoint=True)
    tool.session("ses_1", T0)
    tool.message("msg_0002", "ses_1", data_of(T0 + 1000, M1))
    tool.close()  # the app quit: WAL checkpointed and removed
    before = {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in data_root.iterdir()}
    assert before.keys() == {"opencode.db"}
    run(db, env)
    assert_totals(db, expect(M1))
    after = {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in data_root.iterdir()}
    assert after == before


def test_xdg_data_home_and_channel_databases(db, home, tmp_path):
    from tokenlens.config import Env

    xdg = tmp_path / "xdg"
    env = Env(environ={"HOME": str(home), "XDG_DATA_HOME": str(xdg)})
    beta = OpenCodeDb(xdg / "opencode" / "opencode-beta.db")
    try:
        beta.session("ses_1", T0)
        beta.message("msg_0002", "ses_1", data_of(T0 + 1000, M1))
        run(db, env)
    finally:
        beta.close()
    assert_totals(db, expect(M1))


# ---- legacy JSON storage -------------------------------------------------------------------


def legacy_message(root: Path, sid: str, mid: str, data: dict) -> Path:
    path = root / "storage" / "message" / sid / f"{mid}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"id": mid, "sessionID": sid, **data}, indent=2))
    return path


def legacy_session(root: Path, sid: str, created: int) -> None:
    path = root / "storage" / "session" / "prj_1" / f"{sid}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"id": sid, "projectID": "prj_1", "directory": CWD, "title": CANARY,
                                "version": "0.9.0", "time": {"created": created, "updated": created}}))


def bump(path: Path) -> None:
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))


def test_legacy_message_files_and_their_rewrite(db, env, data_root):
    legacy_session(data_root, "ses_1", T0)
    legacy_message(data_root, "ses_1", "msg_0001", user_message(T0 + 500))
    path = legacy_message(data_root, "ses_1", "msg_0002", data_of(T0 + 1000, (638, 100, 0, 42944, 1800)))
    legacy_message(data_root, "ses_1", "msg_0003", data_of(T0 + 9000, M2))
    run(db, env)
    assert_totals(db, expect((638, 100, 0, 42944, 1800), M2))
    path.write_text(json.dumps({"id": "msg_0002", "sessionID": "ses_1", **data_of(T0 + 1000, M1)}))
    bump(path)
    run(db, env)
    assert_totals(db, expect(M1, M2))
    assert event_count(db) == 2
    assert run(db, env).events_added == 0


def test_legacy_fork_copies_count_once(db, env, data_root):
    legacy_session(data_root, "ses_1", T0)
    legacy_session(data_root, "ses_2", T0 + 100_000)
    legacy_message(data_root, "ses_1", "msg_0002", data_of(T0 + 1000, M1))
    legacy_message(data_root, "ses_2", "msg_0101", data_of(T0 + 1000, M1))
    run(db, env)
    assert_totals(db, expect(M1))


def test_same_message_in_legacy_files_and_database_counts_once_database_wins(db, env, data_root, ocdb):
    legacy_session(data_root, "ses_1", T0)
    # The legacy copy was written before the step finished; the database holds final figures.
    legacy_message(data_root, "ses_1", "msg_0002", data_of(T0 + 1000, (638, 100, 0, 42944, 1800)))
    run(db, env)
    assert_totals(db, expect((638, 100, 0, 42944, 1800)))
    ocdb.session("ses_1", T0)
    ocdb.message("msg_0002", "ses_1", data_of(T0 + 1000, M1))
    ocdb.message("msg_0003", "ses_1", data_of(T0 + 9000, M2))
    run(db, env)
    assert_totals(db, expect(M1, M2))
    # The legacy file is read again later (touched): it never overrides the database row.
    bump(data_root / "storage" / "message" / "ses_1" / "msg_0002.json")
    run(db, env)
    assert_totals(db, expect(M1, M2))
    assert event_count(db) == 2


def test_bad_legacy_file_is_skipped_and_counted(db, env, data_root):
    legacy_session(data_root, "ses_1", T0)
    bad = data_root / "storage" / "message" / "ses_1" / "msg_0009.json"
    bad.parent.mkdir(parents=True, exist_ok=True)
    bad.write_text('{"id": "msg_0009", "role": "assistant", "tokens": {')
    legacy_message(data_root, "ses_1", "msg_0002", data_of(T0 + 1000, M1))
    stats = run(db, env)
    assert stats.lines_skipped == 1
    assert_totals(db, expect(M1))


def test_canary_never_reaches_the_ledger(db, env, data_dir, data_root, ocdb):
    ocdb.session("ses_1", T0)
    ocdb.message("msg_0001", "ses_1", user_message(T0 + 500))
    ocdb.message("msg_0002", "ses_1", data_of(T0 + 1000, M1))
    ocdb.message("msg_0003", "ses_1", '{"role": "assistant", "note": "' + CANARY + '", "tokens": ')
    legacy_session(data_root, "ses_9", T0)
    legacy_message(data_root, "ses_9", "msg_0900", data_of(T0 + 1000, M3))
    stats = run(db, env)
    assert stats.events_added == 2 and stats.lines_skipped == 1
    db.conn.commit()
    files = [p for p in data_dir.rglob("*") if p.is_file()]
    assert any(p.name.endswith("-wal") for p in files)
    for path in files:
        assert CANARY.encode() not in path.read_bytes(), path
