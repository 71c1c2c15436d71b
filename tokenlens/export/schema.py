"""The export log: when a summary was written, for which period, and its SHA-256.

Only that: not where the file went (a path can name a person or a project) nor its content.
Applied by tokenlens.store.ledger after the core migrations.
"""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("tokenlens.export")


@migrations()
def m001_export_log(db: Database) -> None:
    db.execute(
        """
        CREATE TABLE exports (
            id INTEGER PRIMARY KEY,
            ts_ms INTEGER NOT NULL,
            period TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            noise_epsilon REAL
        )"""
    )
    db.execute("CREATE INDEX exports_period ON exports (period)")
