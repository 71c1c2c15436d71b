"""The quarter-hour rollup that calendar reports read stays equal to the events it sums,
through inserts, streamed-line upserts, replay deletions and rewritten files."""

from __future__ import annotations

import pytest

from tests.logs import append, claude_assistant, codex_meta, codex_tokens, codex_turn
from tokenlens.ingest import scan
from tokenlens.reports import build_report

FIELDS = ("input_tokens", "cache_read_tokens", "cache_write_tokens", "output_tokens", "reasoning_tokens",
          "total_tokens")


def from_events(db):
    rows = db.execute(
        "SELECT ts_ms / 900000, tool, model, project, COUNT(*), SUM(input_tokens), SUM(cache_read_tokens),"
        " SUM(cache_write_5m_tokens + cache_write_1h_tokens), SUM(output_tokens), SUM(reasoning_tokens),"
        " SUM(total_tokens), SUM(COALESCE(cost_usd, 0)) FROM events GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4"
    ).fetchall()
    return rows


def from_rollup(db):
    return db.execute(
        "SELECT bucket, tool, model, project, events, input_tokens, cache_read_tokens, cache_write_tokens,"
        " output_tokens, reasoning_tokens, total_tokens, cost_usd FROM rollup ORDER BY 1, 2, 3, 4"
    ).fetchall()


def assert_rollup_matches(db):
    a, b = from_events(db), from_rollup(db)
    assert [r[:-1] for r in a] == [r[:-1] for r in b]
    assert [r[-1] for r in a] == pytest.approx([r[-1] for r in b], abs=1e-9)


def test_rollup_follows_every_kind_of_change(db, env, home):
    main = home / ".claude/projects/-p/s1.jsonl"
    sub = home / ".claude/projects/-p/s1/subagents/agent-a.jsonl"
    append(main, claude_assistant("2026-11-24T10:00:01Z", "s1", "m1", "r1", inp=5, out=2, cr=100, cw=10, cw_1h=4, stop=None))
    append(sub, claude_assistant("2026-11-24T10:07:00Z", "s1", "m2", "rX", inp=9, out=9, sidechain=True))
    scan(db, env)
    assert_rollup_matches(db)
    # The final streamed line replaces the snapshot (an UPDATE); the parent's line makes the
    # sidechain replay go (a DELETE); a new model lands in the same quarter-hour.
    append(main, claude_assistant("2026-11-24T10:00:02Z", "s1", "m1", "r1", inp=5, out=300, cr=100, cw=10, cw_1h=4),
           claude_assistant("2026-11-24T10:08:00Z", "s1", "m2", "r2", inp=9, out=9),
           claude_assistant("2026-11-24T10:09:00Z", "s1", "m3", "r3", model="claude-opus-4-6", inp=1, out=1))
    sid = "0197a0c0-1111-7000-8000-000000000001"
    append(home / f".codex/sessions/2026/11/24/rollout-2026-11-24T10-00-00-{sid}.jsonl",
           codex_meta("2026-11-24T10:00:00Z", sid), codex_turn("2026-11-24T10:00:01Z"),
           codex_tokens("2026-11-24T10:14:59Z", total=(100, 10, 20, 5), last=(100, 10, 20, 5)))
    scan(db, env)
    assert_rollup_matches(db)
    assert db.execute("SELECT COUNT(*) FROM events WHERE tool = 'claude-code'").fetchone()[0] == 3
    # A rewritten file re-read from the start: upserts of equal rank are UPDATEs too.
    main.write_text(main.read_text())
    scan(db, env)
    assert_rollup_matches(db)


def test_calendar_report_from_rollup_equals_the_events(db, env, home):
    path = home / ".claude/projects/-p/s.jsonl"
    for i in range(200):
        ts = f"2026-03-{1 + i % 28:02d}T{i % 24:02d}:{(i * 7) % 60:02d}:00Z"
        append(path, claude_assistant(ts, "s", f"m{i}", f"r{i}", inp=i, out=3 * i, cr=11 * i))
    scan(db, env)
    for zone in ("America/New_York", "Asia/Kolkata", "Asia/Kathmandu", "Australia/Lord_Howe"):
        report = build_report(db, "daily", tz=zone, by="model")
        by_day: dict[str, int] = {}
        for local_day, out in _events_by_local_day(db, zone):
            by_day[local_day] = by_day.get(local_day, 0) + out
        assert {r["period"]: r["output_tokens"] for r in report.rows} == by_day


def _events_by_local_day(db, zone_name):
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(zone_name)
    for ts_ms, out in db.execute("SELECT ts_ms, output_tokens FROM events"):
        yield datetime.fromtimestamp(ts_ms / 1000, tz=UTC).astimezone(zone).date().isoformat(), out


def test_events_changed_by_another_hand_are_read_from_events_until_resummed(db, env, home):
    path = home / ".claude/projects/-p/s.jsonl"
    append(path, claude_assistant("2026-03-01T10:00:00Z", "s", "m1", "r1", inp=1, out=10),
           claude_assistant("2026-03-02T10:00:00Z", "s", "m2", "r2", inp=1, out=20))
    scan(db, env)
    assert db.execute("SELECT COUNT(*) FROM rollup_dirty").fetchone()[0] == 0  # writers leave no notes
    with db.conn:  # e.g. someone with the sqlite3 shell
        db.execute("DELETE FROM events WHERE event_key = 'm2:r2'")
    assert from_rollup(db) != from_events(db)  # stale, and the note says so
    report = build_report(db, "daily", tz="UTC")
    assert {r["period"]: r["output_tokens"] for r in report.rows} == {"2026-03-01": 10}
    scan(db, env)  # no file changed, yet the noted quarter-hour is summed again
    assert db.execute("SELECT COUNT(*) FROM rollup_dirty").fetchone()[0] == 0
    assert_rollup_matches(db)


def test_a_ledger_from_before_the_notes_migrates_with_its_rollup_exact(tmp_path, env, home):
    from sqlite_utils import Database

    from tokenlens.store import open_ledger
    from tokenlens.store.ledger import connect
    from tokenlens.store.schema import migrations

    data_dir = tmp_path / "old"
    data_dir.mkdir(mode=0o700)
    old = connect(data_dir / "ledger.db")
    migrations.apply(Database(old.conn, execute_plugins=False), stop_before="m004_rollup_marks_changed_quarter_hours")
    with old.conn:  # usage recorded under m003's per-row triggers, in the quarter-hour used below
        old.execute("INSERT INTO events (tool, event_key, ts_ms, model, output_tokens, total_tokens)"
                    " VALUES ('codex', 'k', 1772359260000, 'gpt-5', 7, 7)")
    old.conn.close()
    path = home / ".claude/projects/-p/s.jsonl"
    append(path, claude_assistant("2026-03-01T10:00:00Z", "s", "m1", "r1", inp=1, out=10))
    db = open_ledger(data_dir)
    scan(db, env)
    append(path, claude_assistant("2026-03-01T10:01:00Z", "s", "m1", "r1", inp=1, out=99))  # an UPDATE
    scan(db, env)
    assert_rollup_matches(db)
    assert [row[8] for row in from_rollup(db)] == [99, 7]  # claude-code, codex in 10:00-10:15
    db.conn.close()


def test_a_ledger_from_before_unpriced_counts_migrates_with_them(tmp_path, env, home):
    """m005 adds rollup.unpriced_events to a ledger whose rollup lacks it and re-sums it."""
    from sqlite_utils import Database

    from tokenlens.store import open_ledger
    from tokenlens.store.ledger import connect
    from tokenlens.store.schema import migrations

    data_dir = tmp_path / "old"
    data_dir.mkdir(mode=0o700)
    old = connect(data_dir / "ledger.db")
    migrations.apply(Database(old.conn, execute_plugins=False), stop_before="m005_rollup_counts_unpriced_events")
    old.execute("ALTER TABLE rollup DROP COLUMN unpriced_events")  # the rollup as m003 made it before
    with old.conn:  # one unpriced and one priced event in the same quarter-hour, already rolled up
        old.execute("INSERT INTO events (tool, event_key, ts_ms, model, output_tokens, total_tokens)"
                    " VALUES ('codex', 'k1', 1772359260000, 'no-such-model', 7, 7)")
        old.execute("INSERT INTO events (tool, event_key, ts_ms, model, output_tokens, total_tokens, cost_usd)"
                    " VALUES ('codex', 'k2', 1772359270000, 'gpt-5', 5, 5, 0.25)")
        old.execute("INSERT INTO rollup SELECT ts_ms / 900000, tool, model, project, 1, 0, 0, 0, output_tokens, 0,"
                    " total_tokens, COALESCE(cost_usd, 0) FROM events")
        old.execute("DELETE FROM rollup_dirty")
    old.conn.close()
    db = open_ledger(data_dir)
    assert db.execute("SELECT model, unpriced_events FROM rollup ORDER BY model").fetchall() == [
        ("gpt-5", 0), ("no-such-model", 1)]
    assert_rollup_matches(db)
    totals = build_report(db, "daily", tz="UTC").totals
    assert totals["cost_usd"] is None and totals["cost_usd_known"] == 0.25
    assert totals["unpriced_models"] == ["no-such-model"]
    db.conn.close()
