"""ZCode: `model_usage` rows in `<home>/cli/db/db.sqlite`, the schema ccusage's adapter tests
pin for real databases, written by a live WAL connection; `input_tokens` includes both cache
slices; a copy of a row in a second home (ZCODE_HOME lists several) is one request.
Expected totals are worked out by hand."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from tests.ledger_helpers import scan_tool, tool_event_count, tool_totals
from tokenlens.config import Env
from tokenlens.reports import build_report
from tokenlens.tools.zcode.usage import ZCode

DAY1, DAY2 = "2026-08-16", "2026-08-17"
LATE_DAY1_MS = int(datetime(2026, 8, 16, 23, 59, 59, tzinfo=UTC).timestamp() * 1000)
DAY2_MS = int(datetime(2026, 8, 17, 8, tzinfo=UTC).timestamp() * 1000)

SCHEMA = """
CREATE TABLE session (id TEXT PRIMARY KEY, directory TEXT, version TEXT);
CREATE TABLE model_usage (
    id TEXT PRIMARY KEY, session_id TEXT, started_at INTEGER, model_id TEXT, provider_id TEXT,
    status TEXT, input_tokens INTEGER, output_tokens INTEGER, reasoning_tokens INTEGER,
    cache_creation_input_tokens INTEGER, cache_read_input_tokens INTEGER, computed_total_tokens INTEGER
);
"""


class ZCodeDb:
    """A ZCode CLI database as the app keeps it open: WAL mode, rows not yet checkpointed."""

    def __init__(self, home: Path) -> None:
        path = home / "cli" / "db" / "db.sqlite"
        path.parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(path)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA wal_autocheckpoint=0")
        self.conn.executescript(SCHEMA)

    def session(self, sid: str, directory: str) -> ZCodeDb:
        self.conn.execute("INSERT INTO session VALUES (?, ?, '0.9.1')", [sid, directory])
        self.conn.commit()
        return self

    def usage(self, uid: str, sid: str, started_at, status: str, inp, out: int, cw: int = 0, cr: int = 0,
              model: str = "GLM-5.2") -> ZCodeDb:
        total = inp + out if isinstance(inp, int) else None
        self.conn.execute("INSERT INTO model_usage VALUES (?, ?, ?, ?, 'builtin:zai-coding-plan', ?, ?, ?, 0, ?, ?, ?)",
                          [uid, sid, started_at, model, status, inp, out, cw, cr, total])
        self.conn.commit()
        return self

    def close(self) -> None:
        self.conn.close()


def history(zcode_home: Path) -> ZCodeDb:
    db = ZCodeDb(zcode_home).session("ses-1", "/home/me/glmproj")
    db.usage("u1", "ses-1", LATE_DAY1_MS, "completed", 16507, 59, cr=11712)
    db.usage("u2", "ses-1", DAY2_MS, "completed", 1000, 300, cw=100, cr=200)
    db.usage("u3", "ses-1", DAY2_MS + 1000, "error", 0, 0)  # nothing counted: no event
    db.usage("u4", "ses-1", DAY2_MS + 2000, "cancelled", 400, 0)  # the provider had counted the prompt
    return db


# By hand: u1 16507 in = 11712 cached + 4795 fresh, 59 out; u2 1000 in = 200 cached + 100 written
# + 700 fresh, 300 out; u4 400 fresh.
DAY1_TOTAL = 16507 + 59
DAY2_TOTAL = 1000 + 300 + 400


def test_rows_split_cache_out_of_input_and_days(db, env, home):
    live = history(home / ".zcode")
    try:
        result = scan_tool(db, env, ZCode())
        assert (result.events_added, result.lines_skipped) == (3, 0)
        t = tool_totals(db, "zcode")
        assert (t["input_tokens"], t["cache_read_tokens"], t["cache_write_tokens"], t["output_tokens"]) == (
            4795 + 700 + 400, 11712 + 200, 100, 59 + 300)
        days = {r["period"]: r for r in build_report(db, "daily", tz="UTC", tool="zcode").rows}
        assert {d: r["total_tokens"] for d, r in days.items()} == {DAY1: DAY1_TOTAL, DAY2: DAY2_TOTAL}
        assert days[DAY1]["cost_usd"] > 0 and days[DAY2]["cost_usd"] > 0  # no cost column: GLM priced
        # One second before UTC midnight is the next morning in Shanghai (UTC+8).
        shanghai = {r["period"]: r["total_tokens"] for r in build_report(db, "daily", tz="Asia/Shanghai",
                                                                          tool="zcode").rows}
        assert shanghai == {DAY2: DAY1_TOTAL + DAY2_TOTAL}
        projects = {r["group"] for r in build_report(db, "daily", tz="UTC", tool="zcode", by="project").rows}
        assert projects == {"/home/me/glmproj"}
        live.usage("u5", "ses-1", DAY2_MS + 3000, "completed", 50, 5)  # a new request while ZCode runs
        assert scan_tool(db, env, ZCode()).events_added == 1
        assert tool_totals(db, "zcode")["total_tokens"] == DAY1_TOTAL + DAY2_TOTAL + 55
    finally:
        live.close()


def test_bad_rows_counted_and_copies_across_homes_once(db, home):
    first, second = home / "z1", home / "z2"
    history(first).close()
    copy = ZCodeDb(second).session("ses-1", "/home/me/glmproj")
    copy.usage("u1", "ses-1", LATE_DAY1_MS, "completed", 16507, 59, cr=11712)  # the same request
    copy.usage("u7", "ses-1", DAY2_MS + 9000, "completed", 80, 8)
    copy.usage("u8", "ses-1", DAY2_MS + 9001, "completed", "many", 8)  # not a count
    copy.usage("u9", "ses-1", None, "completed", 10, 1)  # no time
    copy.usage("u10", "ses-1", DAY2_MS + 9002, "completed", -10, 1)
    copy.close()
    env = Env(environ={"HOME": str(home), "ZCODE_HOME": f"{first},{second}"})
    result = scan_tool(db, env, ZCode())
    assert result.lines_skipped == 3
    assert tool_event_count(db, "zcode") == 4  # u1 (in both homes), u2, u4, u7
    assert tool_totals(db, "zcode")["total_tokens"] == DAY1_TOTAL + DAY2_TOTAL + 88


def test_other_schema_reads_nothing(db, env, home):
    path = home / ".zcode" / "cli" / "db" / "db.sqlite"
    path.parent.mkdir(parents=True)
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE unrelated (id TEXT)")
    conn.commit()
    conn.close()
    result = scan_tool(db, env, ZCode())
    assert (result.events_added, result.lines_skipped, result.errors) == (0, 0, [])
