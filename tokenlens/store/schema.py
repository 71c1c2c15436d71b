"""The ledger's schema as an ordered list of sqlite-utils migrations.

Add a migration at the end; never edit one that has shipped. Each runs in a transaction
with the record of it having run, so a kill during a migration leaves the old schema intact.
"""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from tokenlens.store.ledger import QUARTER_MS
from tokenlens.store.rollup import ROLLUP_SUMS, SUMS_OF_EVENTS, rollup_value

migrations = Migrations("tokenlens")


@migrations()
def m001_usage_ledger(db: Database) -> None:
    db.execute(
        """
        CREATE TABLE files (
            id INTEGER PRIMARY KEY,
            source TEXT NOT NULL,
            path TEXT NOT NULL UNIQUE,
            dev INTEGER, inode INTEGER, size INTEGER, mtime_ns INTEGER,
            offset INTEGER NOT NULL DEFAULT 0,
            head_len INTEGER NOT NULL DEFAULT 0,
            head_hash TEXT,
            state TEXT,
            lines_skipped INTEGER NOT NULL DEFAULT 0,
            events_seen INTEGER NOT NULL DEFAULT 0,
            last_event_ms INTEGER,
            missing INTEGER NOT NULL DEFAULT 0,
            first_seen_ms INTEGER,
            last_scan_ms INTEGER
        )"""
    )
    db.execute(
        """
        CREATE TABLE events (
            id INTEGER PRIMARY KEY,
            tool TEXT NOT NULL,
            event_key TEXT NOT NULL,
            ts_ms INTEGER NOT NULL,
            session_id TEXT NOT NULL DEFAULT '',
            project TEXT NOT NULL DEFAULT '',
            model TEXT NOT NULL DEFAULT '',
            provider TEXT NOT NULL DEFAULT '',
            input_tokens INTEGER NOT NULL DEFAULT 0,
            cache_read_tokens INTEGER NOT NULL DEFAULT 0,
            cache_write_5m_tokens INTEGER NOT NULL DEFAULT 0,
            cache_write_1h_tokens INTEGER NOT NULL DEFAULT 0,
            output_tokens INTEGER NOT NULL DEFAULT 0,
            reasoning_tokens INTEGER NOT NULL DEFAULT 0,
            total_tokens INTEGER NOT NULL DEFAULT 0,
            cost_usd REAL,
            cost_source TEXT,
            rank INTEGER NOT NULL DEFAULT 0,
            replay_key TEXT,
            is_replay INTEGER NOT NULL DEFAULT 0,
            file_id INTEGER REFERENCES files(id),
            UNIQUE (tool, event_key)
        )"""
    )
    db.execute("CREATE INDEX events_ts ON events (ts_ms)")
    db.execute("CREATE INDEX events_replay ON events (tool, replay_key) WHERE replay_key IS NOT NULL")
    db.execute("CREATE INDEX events_session ON events (session_id)")
    db.execute(
        """
        CREATE TABLE skips (
            file_id INTEGER NOT NULL REFERENCES files(id),
            offset INTEGER NOT NULL,
            reason TEXT NOT NULL,
            PRIMARY KEY (file_id, offset)
        )"""
    )
    db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")


@migrations()
def m002_actions(db: Database) -> None:
    db.execute(
        """
        CREATE TABLE actions (
            id INTEGER PRIMARY KEY,
            tool TEXT NOT NULL,
            action_key TEXT NOT NULL,
            ts_ms INTEGER NOT NULL,
            session_id TEXT NOT NULL DEFAULT '',
            category TEXT NOT NULL,
            risky INTEGER NOT NULL DEFAULT 0,
            unattended INTEGER NOT NULL DEFAULT 0,
            file_id INTEGER REFERENCES files(id),
            UNIQUE (tool, action_key)
        )"""
    )
    db.execute("CREATE INDEX actions_ts ON actions (ts_ms)")


# Token sums per UTC quarter-hour, tool, model and project (store/rollup.py). m003 kept them
# with triggers that summed per row; m004 replaced those.


def _rollup_add_sql(row: str) -> str:
    columns = ", ".join(name for name, _ in ROLLUP_SUMS)
    values = ", ".join(rollup_value(expr, row) for _, expr in ROLLUP_SUMS)
    sets = ", ".join(f"{name} = {name} + excluded.{name}" for name, _ in ROLLUP_SUMS)
    return (
        f"INSERT INTO rollup (bucket, tool, model, project, events, {columns})"
        f" VALUES ({row}.ts_ms / {QUARTER_MS}, {row}.tool, {row}.model, {row}.project, 1, {values})"
        f" ON CONFLICT (bucket, tool, model, project) DO UPDATE SET events = events + 1, {sets};"
    )


def _rollup_remove_sql(row: str) -> str:
    sets = ", ".join(f"{name} = {name} - ({rollup_value(expr, row)})" for name, expr in ROLLUP_SUMS)
    where = (f"bucket = {row}.ts_ms / {QUARTER_MS} AND tool = {row}.tool AND model = {row}.model"
             f" AND project = {row}.project")
    return (f"UPDATE rollup SET events = events - 1, {sets} WHERE {where};"
            f" DELETE FROM rollup WHERE {where} AND events <= 0;")


@migrations()
def m003_rollup(db: Database) -> None:
    sums = ", ".join(f"{name} {'REAL' if name == 'cost_usd' else 'INTEGER'} NOT NULL DEFAULT 0" for name, _ in ROLLUP_SUMS)
    db.execute(
        f"""CREATE TABLE rollup (
            bucket INTEGER NOT NULL, tool TEXT NOT NULL, model TEXT NOT NULL, project TEXT NOT NULL,
            events INTEGER NOT NULL DEFAULT 0, {sums},
            PRIMARY KEY (bucket, tool, model, project)
        ) WITHOUT ROWID"""
    )
    db.execute(
        f"INSERT INTO rollup SELECT e.ts_ms / {QUARTER_MS}, e.tool, e.model, e.project, COUNT(*), {SUMS_OF_EVENTS}"
        f" FROM events e GROUP BY 1, 2, 3, 4"
    )
    db.execute(f"CREATE TRIGGER events_rollup_insert AFTER INSERT ON events BEGIN {_rollup_add_sql('NEW')} END")
    db.execute(f"CREATE TRIGGER events_rollup_delete AFTER DELETE ON events BEGIN {_rollup_remove_sql('OLD')} END")
    db.execute(
        "CREATE TRIGGER events_rollup_update AFTER UPDATE ON events BEGIN"
        f" {_rollup_remove_sql('OLD')} {_rollup_add_sql('NEW')} END"
    )


@migrations()
def m004_rollup_marks_changed_quarter_hours(db: Database) -> None:
    """m003's triggers summed into the rollup once per row, which cost more than the insert
    itself; now they only note the quarter-hour, and writers re-sum it (store/rollup.py).
    events_session goes too: no query looks events up by session alone."""
    for trigger in ("events_rollup_insert", "events_rollup_delete", "events_rollup_update"):
        db.execute(f"DROP TRIGGER {trigger}")
    db.execute("DROP INDEX events_session")
    db.execute("CREATE TABLE rollup_dirty (bucket INTEGER PRIMARY KEY)")

    def note(row: str) -> str:
        # Not INSERT OR IGNORE: a trigger takes the conflict policy of the statement firing it.
        return f"INSERT INTO rollup_dirty (bucket) VALUES ({row}.ts_ms / {QUARTER_MS}) ON CONFLICT DO NOTHING;"

    db.execute(f"CREATE TRIGGER events_note_insert AFTER INSERT ON events BEGIN {note('NEW')} END")
    db.execute(f"CREATE TRIGGER events_note_delete AFTER DELETE ON events BEGIN {note('OLD')} END")
    db.execute(f"CREATE TRIGGER events_note_update AFTER UPDATE ON events BEGIN {note('OLD')} {note('NEW')} END")


@migrations()
def m005_rollup_counts_unpriced_events(db: Database) -> None:
    """Reports say a cost is unknown where an event has no price; the rollup now counts those
    events per quarter-hour. (A ledger made after this change got the column from m003.)"""
    if "unpriced_events" in {c.name for c in db["rollup"].columns}:
        return
    db.execute("ALTER TABLE rollup ADD COLUMN unpriced_events INTEGER NOT NULL DEFAULT 0")
    db.execute("DELETE FROM rollup")
    db.execute(
        f"INSERT INTO rollup SELECT e.ts_ms / {QUARTER_MS}, e.tool, e.model, e.project, COUNT(*), {SUMS_OF_EVENTS}"
        f" FROM events e GROUP BY 1, 2, 3, 4"
    )
    db.execute("DELETE FROM rollup_dirty")
