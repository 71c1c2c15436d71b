"""The ledger's schema as an ordered list of sqlite-utils migrations.

Add a migration at the end; never edit one that has shipped. Each runs in a transaction
with the record of it having run, so a kill during a migration leaves the old schema intact.
"""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

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


def apply(db: Database) -> None:
    migrations.apply(db)


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
