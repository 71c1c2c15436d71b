"""The permissions feature's tables (its own sqlite-utils migration set, applied by the ledger).

perm_scans    one row per distinct permission state ("snapshot"); re-confirming the same
              state only moves `confirmed_ms`, so a scan every minute costs no rows.
perm_grants   the grants of each snapshot (values are redacted; secrets only as keyed
              fingerprints).
perm_changes  what each snapshot added, removed or changed against the one before.
perm_first    per grant identity: first snapshot that saw it, and the earliest evidence
              (file mtime, tool backups) that it existed.
perm_seen     one row: the snapshot the person last looked at, what `--diff` compares with.
"""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("tokenlens.permissions")

# Each migration executes only its literal M00n_SQL text (see tokenlens/store/schema.py).
M001_SQL = (
    """
        CREATE TABLE perm_scans (
            id INTEGER PRIMARY KEY,
            scanned_ms INTEGER NOT NULL,
            confirmed_ms INTEGER NOT NULL,
            grants INTEGER NOT NULL DEFAULT 0,
            high INTEGER NOT NULL DEFAULT 0,
            medium INTEGER NOT NULL DEFAULT 0,
            low INTEGER NOT NULL DEFAULT 0,
            info INTEGER NOT NULL DEFAULT 0,
            problems TEXT NOT NULL DEFAULT '[]'
        )""",
    """
        CREATE TABLE perm_grants (
            scan_id INTEGER NOT NULL REFERENCES perm_scans(id),
            grant_key TEXT NOT NULL,
            tool TEXT NOT NULL,
            scope TEXT NOT NULL,
            kind TEXT NOT NULL,
            subject TEXT NOT NULL,
            value TEXT NOT NULL,
            risk TEXT NOT NULL,
            rule TEXT NOT NULL,
            source_file TEXT NOT NULL,
            fingerprint TEXT NOT NULL DEFAULT '',
            PRIMARY KEY (scan_id, grant_key)
        )""",
    """
        CREATE TABLE perm_changes (
            scan_id INTEGER NOT NULL REFERENCES perm_scans(id),
            grant_key TEXT NOT NULL,
            change TEXT NOT NULL,
            tool TEXT NOT NULL,
            scope TEXT NOT NULL,
            kind TEXT NOT NULL,
            subject TEXT NOT NULL,
            source_file TEXT NOT NULL,
            old_value TEXT, new_value TEXT,
            old_risk TEXT, new_risk TEXT,
            old_rule TEXT, new_rule TEXT,
            secret_changed INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (scan_id, grant_key)
        )""",
    """
        CREATE TABLE perm_first (
            grant_key TEXT PRIMARY KEY,
            first_scan_id INTEGER NOT NULL,
            first_seen_ms INTEGER NOT NULL,
            since_ms INTEGER NOT NULL
        )""",
)


M002_SQL = (
    """
        CREATE TABLE perm_seen (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            scan_id INTEGER NOT NULL REFERENCES perm_scans(id),
            seen_ms INTEGER NOT NULL,
            seen_by TEXT NOT NULL
        )""",
)

# (migration name, its SQL) in order: frozen text (see tokenlens/store/schema.py).
FROZEN_SQL = (
    ("m001_snapshots", M001_SQL),
    ("m002_seen_mark", M002_SQL),
)


@migrations()
def m001_snapshots(db: Database) -> None:
    for sql in M001_SQL:
        db.execute(sql)


@migrations()
def m002_seen_mark(db: Database) -> None:
    """perm_seen: the one snapshot the person last looked at (the app's Permissions tab, or
    `tokenlens permissions --diff --ack`). `--diff` compares against it, so a scan in between
    (the tray app's, a plain `permissions`) no longer swallows a change."""
    for sql in M002_SQL:
        db.execute(sql)
