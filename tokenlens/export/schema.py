"""The export log: when a summary was written, for which period, and its SHA-256.

Only that: not where the file went (a path can name a person or a project) nor its content.
Applied by tokenlens.store.ledger after the core migrations.
"""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("tokenlens.export")

# Each migration executes only its literal M00n_SQL text (see tokenlens/store/schema.py).
M001_SQL = (
    """
        CREATE TABLE exports (
            id INTEGER PRIMARY KEY,
            ts_ms INTEGER NOT NULL,
            period TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            noise_epsilon REAL
        )""",
    "CREATE INDEX exports_period ON exports (period)",
)

# (migration name, its SQL) in order: frozen text (see tokenlens/store/schema.py).
FROZEN_SQL = (
    ("m001_export_log", M001_SQL),
)


@migrations()
def m001_export_log(db: Database) -> None:
    for sql in M001_SQL:
        db.execute(sql)
