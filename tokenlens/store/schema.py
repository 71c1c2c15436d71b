"""The ledger's schema as an ordered list of sqlite-utils migrations.

Add a migration at the end; never edit one that has shipped. Each runs in a transaction
with the record of it having run, so a kill during a migration leaves the old schema intact.

Each migration executes only the literal SQL of its `M00n_SQL` tuple: frozen text, never
built from constants that live on elsewhere (store/rollup.py's sums, QUARTER_MS), so a ledger
made today and one upgraded from any older version end with the same schema, and changing a
constant cannot change what a shipped migration did. A new rollup column is a new migration.
tests/test_migrations_frozen.py runs these tuples into a bare sqlite3 file and compares.
"""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("tokenlens")

M001_SQL = (
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
        )""",
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
        )""",
    "CREATE INDEX events_ts ON events (ts_ms)",
    "CREATE INDEX events_replay ON events (tool, replay_key) WHERE replay_key IS NOT NULL",
    "CREATE INDEX events_session ON events (session_id)",
    """
        CREATE TABLE skips (
            file_id INTEGER NOT NULL REFERENCES files(id),
            offset INTEGER NOT NULL,
            reason TEXT NOT NULL,
            PRIMARY KEY (file_id, offset)
        )""",
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)",
)

M002_SQL = (
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
        )""",
    "CREATE INDEX actions_ts ON actions (ts_ms)",
)

# Token sums per UTC quarter-hour (900000 ms), tool, model and project (store/rollup.py). m003
# kept them with triggers that summed per row; m004 replaced those. This is the text m003 ran
# from the day rollup.ROLLUP_SUMS gained unpriced_events (with m005); a ledger made before
# then got that column from m005 instead.
M003_SQL = (
    (
        "CREATE TABLE rollup (\n"
        "            bucket INTEGER NOT NULL, tool TEXT NOT NULL, model TEXT NOT NULL, "
        "project TEXT NOT NULL,\n"
        "            events INTEGER NOT NULL DEFAULT 0, "
        "input_tokens INTEGER NOT NULL DEFAULT 0, "
        "cache_read_tokens INTEGER NOT NULL DEFAULT 0, "
        "cache_write_tokens INTEGER NOT NULL DEFAULT 0, "
        "output_tokens INTEGER NOT NULL DEFAULT 0, "
        "reasoning_tokens INTEGER NOT NULL DEFAULT 0, total_tokens INTEGER NOT NULL DEFAULT 0, "
        "cost_usd REAL NOT NULL DEFAULT 0, unpriced_events INTEGER NOT NULL DEFAULT 0,\n"
        "            PRIMARY KEY (bucket, tool, model, project)\n"
        "        ) WITHOUT ROWID"
    ),
    (
        "INSERT INTO rollup SELECT e.ts_ms / 900000, e.tool, e.model, e.project, COUNT(*), "
        "SUM(e.input_tokens), SUM(e.cache_read_tokens), "
        "SUM(e.cache_write_5m_tokens + e.cache_write_1h_tokens), SUM(e.output_tokens), "
        "SUM(e.reasoning_tokens), SUM(e.total_tokens), SUM(COALESCE(e.cost_usd, 0.0)), "
        "SUM((e.cost_usd IS NULL AND e.total_tokens > 0)) FROM events e GROUP BY 1, 2, 3, 4"
    ),
    (
        "CREATE TRIGGER events_rollup_insert AFTER INSERT ON events BEGIN INSERT INTO rollup (bucket, "
        "tool, model, project, events, input_tokens, cache_read_tokens, cache_write_tokens, "
        "output_tokens, reasoning_tokens, total_tokens, cost_usd, "
        "unpriced_events) VALUES (NEW.ts_ms / 900000, NEW.tool, NEW.model, NEW.project, 1, "
        "NEW.input_tokens, NEW.cache_read_tokens, "
        "NEW.cache_write_5m_tokens + NEW.cache_write_1h_tokens, NEW.output_tokens, "
        "NEW.reasoning_tokens, NEW.total_tokens, COALESCE(NEW.cost_usd, 0.0), "
        "(NEW.cost_usd IS NULL AND NEW.total_tokens > 0)) ON CONFLICT (bucket, tool, model, "
        "project) DO UPDATE SET events = events + 1, "
        "input_tokens = input_tokens + excluded.input_tokens, "
        "cache_read_tokens = cache_read_tokens + excluded.cache_read_tokens, "
        "cache_write_tokens = cache_write_tokens + excluded.cache_write_tokens, "
        "output_tokens = output_tokens + excluded.output_tokens, "
        "reasoning_tokens = reasoning_tokens + excluded.reasoning_tokens, "
        "total_tokens = total_tokens + excluded.total_tokens, "
        "cost_usd = cost_usd + excluded.cost_usd, "
        "unpriced_events = unpriced_events + excluded.unpriced_events; END"
    ),
    (
        "CREATE TRIGGER events_rollup_delete AFTER DELETE ON events BEGIN UPDATE rollup SET "
        "events = events - 1, "
        "input_tokens = input_tokens - (OLD.input_tokens), "
        "cache_read_tokens = cache_read_tokens - (OLD.cache_read_tokens), "
        "cache_write_tokens = cache_write_tokens - (OLD.cache_write_5m_tokens + "
        "OLD.cache_write_1h_tokens), "
        "output_tokens = output_tokens - (OLD.output_tokens), "
        "reasoning_tokens = reasoning_tokens - (OLD.reasoning_tokens), "
        "total_tokens = total_tokens - (OLD.total_tokens), "
        "cost_usd = cost_usd - (COALESCE(OLD.cost_usd, 0.0)), "
        "unpriced_events = unpriced_events - ((OLD.cost_usd IS NULL AND OLD.total_tokens > 0)) "
        "WHERE bucket = OLD.ts_ms / 900000 AND tool = OLD.tool AND model = OLD.model AND "
        "project = OLD.project; "
        "DELETE FROM rollup WHERE bucket = OLD.ts_ms / 900000 AND tool = OLD.tool AND model = "
        "OLD.model AND project = OLD.project AND events <= 0; "
        "END"
    ),
    (
        "CREATE TRIGGER events_rollup_update AFTER UPDATE ON events BEGIN UPDATE rollup SET "
        "events = events - 1, "
        "input_tokens = input_tokens - (OLD.input_tokens), "
        "cache_read_tokens = cache_read_tokens - (OLD.cache_read_tokens), "
        "cache_write_tokens = cache_write_tokens - (OLD.cache_write_5m_tokens + "
        "OLD.cache_write_1h_tokens), "
        "output_tokens = output_tokens - (OLD.output_tokens), "
        "reasoning_tokens = reasoning_tokens - (OLD.reasoning_tokens), "
        "total_tokens = total_tokens - (OLD.total_tokens), "
        "cost_usd = cost_usd - (COALESCE(OLD.cost_usd, 0.0)), "
        "unpriced_events = unpriced_events - ((OLD.cost_usd IS NULL AND OLD.total_tokens > 0)) "
        "WHERE bucket = OLD.ts_ms / 900000 AND tool = OLD.tool AND model = OLD.model AND "
        "project = OLD.project; "
        "DELETE FROM rollup WHERE bucket = OLD.ts_ms / 900000 AND tool = OLD.tool AND model = "
        "OLD.model AND project = OLD.project AND events <= 0; "
        "INSERT INTO rollup (bucket, tool, model, project, events, input_tokens, "
        "cache_read_tokens, cache_write_tokens, output_tokens, reasoning_tokens, total_tokens, "
        "cost_usd, unpriced_events) VALUES (NEW.ts_ms / 900000, NEW.tool, NEW.model, "
        "NEW.project, 1, NEW.input_tokens, NEW.cache_read_tokens, "
        "NEW.cache_write_5m_tokens + NEW.cache_write_1h_tokens, NEW.output_tokens, "
        "NEW.reasoning_tokens, NEW.total_tokens, COALESCE(NEW.cost_usd, 0.0), "
        "(NEW.cost_usd IS NULL AND NEW.total_tokens > 0)) ON CONFLICT (bucket, tool, model, "
        "project) DO UPDATE SET events = events + 1, "
        "input_tokens = input_tokens + excluded.input_tokens, "
        "cache_read_tokens = cache_read_tokens + excluded.cache_read_tokens, "
        "cache_write_tokens = cache_write_tokens + excluded.cache_write_tokens, "
        "output_tokens = output_tokens + excluded.output_tokens, "
        "reasoning_tokens = reasoning_tokens + excluded.reasoning_tokens, "
        "total_tokens = total_tokens + excluded.total_tokens, "
        "cost_usd = cost_usd + excluded.cost_usd, "
        "unpriced_events = unpriced_events + excluded.unpriced_events; END"
    ),
)

M004_SQL = (
    "DROP TRIGGER events_rollup_insert",
    "DROP TRIGGER events_rollup_delete",
    "DROP TRIGGER events_rollup_update",
    "DROP INDEX events_session",
    "CREATE TABLE rollup_dirty (bucket INTEGER PRIMARY KEY)",
    (
        "CREATE TRIGGER events_note_insert AFTER INSERT ON events BEGIN INSERT INTO "
        "rollup_dirty (bucket) VALUES (NEW.ts_ms / 900000) ON CONFLICT DO NOTHING; "
        "END"
    ),
    (
        "CREATE TRIGGER events_note_delete AFTER DELETE ON events BEGIN INSERT INTO "
        "rollup_dirty (bucket) VALUES (OLD.ts_ms / 900000) ON CONFLICT DO NOTHING; "
        "END"
    ),
    (
        "CREATE TRIGGER events_note_update AFTER UPDATE ON events BEGIN INSERT INTO "
        "rollup_dirty (bucket) VALUES (OLD.ts_ms / 900000) ON CONFLICT DO NOTHING; "
        "INSERT INTO rollup_dirty (bucket) VALUES (NEW.ts_ms / 900000) ON CONFLICT DO NOTHING; "
        "END"
    ),
)

# m005 runs M005_SQL unless this finds the column (m003 made it on every ledger since).
M005_SKIP_IF = "SELECT 1 FROM pragma_table_info('rollup') WHERE name = 'unpriced_events'"
M005_SQL = (
    "ALTER TABLE rollup ADD COLUMN unpriced_events INTEGER NOT NULL DEFAULT 0",
    "DELETE FROM rollup",
    (
        "INSERT INTO rollup SELECT e.ts_ms / 900000, e.tool, e.model, e.project, COUNT(*), "
        "SUM(e.input_tokens), SUM(e.cache_read_tokens), "
        "SUM(e.cache_write_5m_tokens + e.cache_write_1h_tokens), SUM(e.output_tokens), "
        "SUM(e.reasoning_tokens), SUM(e.total_tokens), SUM(COALESCE(e.cost_usd, 0.0)), "
        "SUM((e.cost_usd IS NULL AND e.total_tokens > 0)) FROM events e GROUP BY 1, 2, 3, 4"
    ),
    "DELETE FROM rollup_dirty",
)

# Codex event keys were "<session>:<ts_ms>:<4 cumulative totals>"; they are now
# "<root session>:<4 totals>" (tools/codex/usage.py). The old key of a session that is no fork
# becomes its new key; every old row is marked a replay of "<ts_ms>:<totals>", the replay key
# the reader now gives each row, and Codex files are read again from their start: a re-read
# row replaces the old one (same key, or dropped as a replay of it: a fork's own rows, whose
# new key names the root), and rows of logs Codex no longer has stay as they were counted.
# OR IGNORE: two old rows that would share a new key (a counter reset) keep their old keys.
M006_SQL = (
    (
        "UPDATE events SET replay_key = substr(event_key, length(session_id) + 2), is_replay = 1 "
        "WHERE tool = 'codex' AND session_id != '' "
        "AND substr(event_key, 1, length(session_id) + 1) = session_id || ':' "
        "AND length(substr(event_key, length(session_id) + 2)) "
        "- length(replace(substr(event_key, length(session_id) + 2), ':', '')) = 4"
    ),
    (
        "UPDATE OR IGNORE events SET event_key = session_id || ':' || "
        "substr(replay_key, instr(replay_key, ':') + 1) "
        "WHERE tool = 'codex' AND is_replay = 1 AND event_key = session_id || ':' || replay_key"
    ),
    "DELETE FROM skips WHERE file_id IN (SELECT id FROM files WHERE source = 'codex')",
    (
        "UPDATE files SET offset = 0, head_len = 0, head_hash = NULL, state = NULL, size = NULL, "
        "mtime_ns = NULL, lines_skipped = 0 WHERE source = 'codex'"
    ),
)

# Plan-window readings (issue 17). `account` is '' when unknown, not NULL: NULLs are distinct
# in a UNIQUE index, so re-reading a log would add its readings again. `reading_key` is the
# reading's content (reset and percentage, tools/codex/limits.py): a repeat of it is the same
# row, first and last seen kept.
M007_SQL = (
    """
        CREATE TABLE limit_readings (
            id INTEGER PRIMARY KEY,
            tool TEXT NOT NULL,
            account TEXT NOT NULL DEFAULT '',
            window TEXT NOT NULL,
            window_minutes INTEGER,
            reading_key TEXT NOT NULL,
            observed_at_ms INTEGER NOT NULL,
            last_seen_ms INTEGER NOT NULL,
            used_percent REAL NOT NULL,
            resets_at_ms INTEGER,
            plan TEXT,
            source TEXT NOT NULL,
            file_id INTEGER REFERENCES files(id),
            UNIQUE (tool, account, window, reading_key)
        )""",
    "CREATE INDEX limit_readings_series ON limit_readings (tool, account, window, observed_at_ms)",
    # Codex files are read again from their start for the readings already behind their
    # offsets; the events' upserts on stable keys make that idempotent (as in m006).
    "DELETE FROM skips WHERE file_id IN (SELECT id FROM files WHERE source = 'codex')",
    (
        "UPDATE files SET offset = 0, head_len = 0, head_hash = NULL, state = NULL, size = NULL, "
        "mtime_ns = NULL, lines_skipped = 0 WHERE source = 'codex'"
    ),
)

# Several devices through a synced folder (tokenlens/sync/). `events.device` is '' for this
# device's own events and the id of the device a segment brought the others from, so
# `devices forget ID` deletes exactly those. `sync_sent` remembers what each own event looked
# like when it went into a segment (a rebuilt ledger keeps event ids, salvage copies it), so
# nothing is sent twice; `sync_segments` the segments written and read.
M008_SQL = (
    "ALTER TABLE events ADD COLUMN device TEXT NOT NULL DEFAULT ''",
    "CREATE INDEX events_device ON events (device) WHERE device != ''",
    """
        CREATE TABLE sync_config (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            folder TEXT NOT NULL,
            device_id TEXT NOT NULL,
            key_check TEXT NOT NULL,
            created_ms INTEGER NOT NULL
        )""",
    """
        CREATE TABLE devices (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL DEFAULT '',
            local_name TEXT,
            first_seen_ms INTEGER,
            last_segment_ms INTEGER,
            forgotten_ms INTEGER
        )""",
    """
        CREATE TABLE sync_segments (
            device TEXT NOT NULL,
            seq INTEGER NOT NULL,
            sha256 TEXT NOT NULL,
            events INTEGER NOT NULL,
            created_ms INTEGER NOT NULL,
            PRIMARY KEY (device, seq)
        ) WITHOUT ROWID""",
    """
        CREATE TABLE sync_sent (
            event_id INTEGER PRIMARY KEY,
            rank INTEGER NOT NULL,
            ts_ms INTEGER NOT NULL,
            total_tokens INTEGER NOT NULL,
            is_replay INTEGER NOT NULL
        )""",
    """
        CREATE TABLE device_permissions (
            device TEXT PRIMARY KEY,
            scanned_ms INTEGER,
            high INTEGER NOT NULL DEFAULT 0,
            medium INTEGER NOT NULL DEFAULT 0,
            low INTEGER NOT NULL DEFAULT 0,
            info INTEGER NOT NULL DEFAULT 0
        )""",
)

# (migration name, its SQL) in order, for tests that build a ledger without sqlite-utils.
FROZEN_SQL = (
    ("m001_usage_ledger", M001_SQL),
    ("m002_actions", M002_SQL),
    ("m003_rollup", M003_SQL),
    ("m004_rollup_marks_changed_quarter_hours", M004_SQL),
    ("m005_rollup_counts_unpriced_events", M005_SQL),
    ("m006_codex_keys_by_root_and_totals", M006_SQL),
    ("m007_limit_readings", M007_SQL),
    ("m008_devices", M008_SQL),
)


def _run(db: Database, statements: tuple[str, ...]) -> None:
    for sql in statements:
        db.execute(sql)


@migrations()
def m001_usage_ledger(db: Database) -> None:
    _run(db, M001_SQL)


@migrations()
def m002_actions(db: Database) -> None:
    _run(db, M002_SQL)


@migrations()
def m003_rollup(db: Database) -> None:
    _run(db, M003_SQL)


@migrations()
def m004_rollup_marks_changed_quarter_hours(db: Database) -> None:
    """m003's triggers summed into the rollup once per row, which cost more than the insert
    itself; now they only note the quarter-hour, and writers re-sum it (store/rollup.py).
    events_session goes too: no query looks events up by session alone.
    The note is not INSERT OR IGNORE: a trigger takes the conflict policy of the statement
    firing it."""
    _run(db, M004_SQL)


@migrations()
def m005_rollup_counts_unpriced_events(db: Database) -> None:
    """Reports say a cost is unknown where an event has no price; the rollup now counts those
    events per quarter-hour. (A ledger made after this change got the column from m003.)"""
    if db.execute(M005_SKIP_IF).fetchone() is not None:
        return
    _run(db, M005_SQL)


@migrations()
def m006_codex_keys_by_root_and_totals(db: Database) -> None:
    """Codex events are keyed by root session and cumulative totals (a fork's copies of its
    parent's rows collide with them): old keys are rewritten, old rows marked replays of
    their (time, totals), and Codex files read again (see M006_SQL)."""
    _run(db, M006_SQL)


@migrations()
def m007_limit_readings(db: Database) -> None:
    """Plan-window readings: Codex's rate_limits, Claude Code's status line (issue 17); Codex
    files are read again for the readings in what was already read."""
    _run(db, M007_SQL)


@migrations()
def m008_devices(db: Database) -> None:
    """Events other devices brought through a synced folder, kept apart by `events.device`;
    the devices seen, the segments written and read, what was sent (see M008_SQL)."""
    _run(db, M008_SQL)
