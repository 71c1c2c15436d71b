"""Crush over its real storage: the global `projects.json` (internal/projects/projects.go) and
each project's `.crush/crush.db` with the `sessions` and `messages` tables as
charmbracelet/crush internal/db/migrations create them, written as internal/db/sql/sessions.sql
writes them (created_at in seconds from strftime('%s', 'now'); cost added per step, token
fields overwritten per step), in WAL mode by a live connection; through the real scan into a
real ledger and the real CLI. Expected figures are worked out by hand."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.ledger_helpers import cli_daily, scan_tool, tool_event_count, tool_totals
from tests.logs import CANARY
from tokenlens.config import Env
from tokenlens.tools.crush import homes
from tokenlens.tools.crush.usage import Crush

SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY, parent_session_id TEXT, title TEXT NOT NULL,
    message_count INTEGER NOT NULL DEFAULT 0 CHECK (message_count >= 0),
    prompt_tokens INTEGER NOT NULL DEFAULT 0 CHECK (prompt_tokens >= 0),
    completion_tokens INTEGER NOT NULL DEFAULT 0 CHECK (completion_tokens>= 0),
    cost REAL NOT NULL DEFAULT 0.0 CHECK (cost >= 0.0),
    updated_at INTEGER NOT NULL, created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS messages (
    id TEXT PRIMARY KEY, session_id TEXT NOT NULL, role TEXT NOT NULL, parts TEXT NOT NULL default '[]',
    model TEXT, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, finished_at INTEGER,
    FOREIGN KEY (session_id) REFERENCES sessions (id) ON DELETE CASCADE
);
ALTER TABLE sessions ADD COLUMN summary_message_id TEXT;
ALTER TABLE messages ADD COLUMN provider TEXT;
ALTER TABLE sessions ADD COLUMN todos TEXT;
"""
T0 = 1779008400  # 2026-05-17T09:00:00Z, in seconds as strftime('%s', 'now') gives it


class CrushDb:
    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA wal_autocheckpoint=0")
        self.conn.executescript(SCHEMA)

    def session(self, sid: str, created: int, parent: str | None = None) -> None:
        self.conn.execute("INSERT INTO sessions (id, parent_session_id, title, updated_at, created_at)"
                          " VALUES (?, ?, ?, ?, ?)", [sid, parent, f"t {CANARY}", created, created])

    def step(self, sid: str, at: int, cost: float, prompt: int, completion: int, model="claude-sonnet-4-5") -> None:
        """One agent step as updateSessionUsage + Save leave it: cost added, tokens overwritten."""
        self.conn.execute("UPDATE sessions SET cost = cost + ?, prompt_tokens = ?, completion_tokens = ?,"
                          " message_count = message_count + 1 WHERE id = ?", [cost, prompt, completion, sid])
        self.conn.execute("INSERT INTO messages (id, session_id, role, parts, model, provider, created_at, updated_at)"
                          " VALUES (?, ?, 'assistant', ?, ?, 'anthropic', ?, ?)",
                          [f"m-{sid}-{at}", sid, json.dumps([{"type": "text", "data": {"text": CANARY}}]), model,
                           at, at])

    def close(self) -> None:
        self.conn.close()


def register(home: Path, *projects: tuple[Path, str]) -> None:
    listing = {"projects": [{"path": str(p), "data_dir": d, "last_accessed": "2026-05-17T09:00:00Z"}
                            for p, d in projects]}
    path = home / ".local" / "share" / "crush" / "projects.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(listing))


@pytest.fixture
def project(home: Path) -> Path:
    p = home / "src" / "app"
    register(home, (p, str(p / ".crush")))
    return p


@pytest.fixture
def cdb(project: Path):
    c = CrushDb(project / ".crush" / "crush.db")
    yield c
    c.close()


def run(db, env):
    return scan_tool(db, env, Crush())


def test_cost_per_session_and_never_the_token_gauge(db, env, cdb, project):
    cdb.session("s1", T0)
    cdb.step("s1", T0 + 10, 0.0125, 18000, 400)
    cdb.step("s1", T0 + 40, 0.0210, 26000, 900)  # the gauge now says 26000/900
    cdb.session("s1-task", T0 + 20, parent="s1")  # a sub-agent: its cost is added to s1 when done
    cdb.step("s1-task", T0 + 30, 0.004, 5000, 100)
    cdb.conn.execute("UPDATE sessions SET cost = cost + 0.004 WHERE id = 's1'")  # updateParentSessionCost
    cdb.session("s2", T0 + 3600)
    cdb.step("s2", T0 + 3700, 0.5, 90000, 2000, model="gpt-5")
    cdb.session("s3", T0 + 7200)  # opened, nothing sent: no cost, no event
    stats = run(db, env)
    assert stats.lines_skipped == 0 and not stats.errors
    t = tool_totals(db, "crush")
    assert t["total_tokens"] == 0 and t["input_tokens"] == t["output_tokens"] == 0
    assert t["cost_usd"] == pytest.approx(0.0125 + 0.0210 + 0.004 + 0.5)
    rows = {r[0]: r[1:] for r in db.execute("SELECT event_key, ts_ms, model, project, cost_usd FROM events")}
    assert set(rows) == {"s1", "s2"}
    assert rows["s1"][:3] == (T0 * 1000, "claude-sonnet-4-5", str(project))
    assert rows["s2"][1] == "gpt-5" and rows["s2"][3] == pytest.approx(0.5)
    assert CANARY not in str(db.execute("SELECT * FROM events").fetchall())


def test_a_growing_cost_replaces_the_session_and_a_reread_adds_nothing(db, env, cdb):
    cdb.session("s1", T0)
    cdb.step("s1", T0 + 10, 0.01, 1000, 10)
    run(db, env)
    assert run(db, env).events_added == 0
    cdb.step("s1", T0 + 20, 0.02, 1200, 20)
    assert run(db, env).files_read == 1
    assert tool_event_count(db, "crush") == 1
    assert tool_totals(db, "crush")["cost_usd"] == pytest.approx(0.03)


def test_a_malformed_row_is_skipped_and_counted(db, env, project):
    path = project / ".crush" / "crush.db"
    path.parent.mkdir(parents=True)
    conn = sqlite3.connect(path)
    # No CHECK constraints: what a damaged or hand-edited file may hold.
    conn.executescript("CREATE TABLE sessions (id TEXT PRIMARY KEY, parent_session_id TEXT, cost, created_at);"
                       f"INSERT INTO sessions VALUES ('ok', NULL, 0.25, {T0});"
                       f"INSERT INTO sessions VALUES ('neg', NULL, -1.0, {T0});"
                       "INSERT INTO sessions VALUES ('notime', NULL, 0.1, 'yesterday');"
                       f"INSERT INTO sessions VALUES ('text', NULL, 'a lot', {T0});")
    conn.commit()
    conn.close()
    stats = run(db, env)
    assert stats.lines_skipped == 3
    assert tool_event_count(db, "crush") == 1


def test_milliseconds_and_a_relative_data_dir(db, env, home):
    p = home / "work" / "other"
    register(home, (p, ".crush"))  # a relative data_dir is resolved against the project
    c = CrushDb(p / ".crush" / "crush.db")
    c.session("s1", T0 * 1000 + 250)  # the schema comment's milliseconds
    c.step("s1", T0 * 1000 + 500, 0.07, 10, 10)
    c.close()
    run(db, env)
    assert db.execute("SELECT ts_ms FROM events").fetchone()[0] == T0 * 1000 + 250


def test_homes_honour_crush_global_data(tmp_path):
    assert homes(Env(environ={"HOME": str(tmp_path), "CRUSH_GLOBAL_DATA": str(tmp_path / "g")})) == [tmp_path / "g"]
    assert homes(Env(environ={"HOME": str(tmp_path)})) == [tmp_path / ".local" / "share" / "crush"]


def test_sources_says_partial(db, env, cdb, data_dir, home):
    cdb.session("s1", T0)
    cdb.step("s1", T0 + 10, 0.01, 1000, 10)
    from tokenlens.cli import cli

    env_vars = {"HOME": str(home), "XDG_DATA_HOME": "", "CRUSH_GLOBAL_DATA": ""}
    assert CliRunner().invoke(cli, ["--data-dir", str(data_dir), "scan", "--json"], env=env_vars).exit_code == 0
    result = CliRunner().invoke(cli, ["--data-dir", str(data_dir), "sources", "--json"], env=env_vars)
    assert result.exit_code == 0, result.output
    row = next(r for r in json.loads(result.stdout)["sources"] if r["id"] == "crush")
    assert row["reads_usage"] == "partial" and row["events"] == 1
    assert row["why_not"].startswith("cost only") and row["note"] == row["why_not"]


def test_a_session_near_local_midnight_lands_on_its_local_day(data_dir, home, cdb):
    """`created_at` is epoch seconds (UTC). Berlin (UTC+2 in May): one session begun at 23:59:30
    on May 17 and run on past midnight stays on May 17 (a session's cost is dated at its
    creation); one begun at 00:00:30 is on May 18. In UTC both are May 17."""
    late, early = T0 + 12 * 3600 + 59 * 60 + 30, T0 + 13 * 3600 + 30  # 21:59:30Z, 22:00:30Z
    cdb.session("s-late", late)
    cdb.step("s-late", late + 10, 0.011, 9000, 100)
    cdb.step("s-late", late + 90, 0.013, 9500, 120)  # after local midnight
    cdb.session("s-early", early)
    cdb.step("s-early", early + 10, 0.2, 40000, 800)
    days = cli_daily(data_dir, home, "crush", "Europe/Berlin")
    assert {day: round(row["cost_usd"], 6) for day, row in days.items()} == {"2026-05-17": 0.024, "2026-05-18": 0.2}
    assert all(row["total_tokens"] == 0 for row in days.values())
    utc = cli_daily(data_dir, home, "crush", "UTC")
    assert {day: round(row["cost_usd"], 6) for day, row in utc.items()} == {"2026-05-17": 0.224}
