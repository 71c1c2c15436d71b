"""Open the ledger database: private file modes, WAL, a busy timeout, migrations applied."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlite_utils import Database

from tokenlens.config import DB_FILENAME, DataDirError, create_private_file, ensure_data_dir

BUSY_TIMEOUT_MS = 30_000
# Each feature owns a migration set (a module with `migrations`), applied in this order.
MIGRATION_MODULES = (
    "tokenlens.store.schema",
    "tokenlens.permissions.schema",
    "tokenlens.export.schema",
)


class LedgerError(Exception):
    """The ledger cannot be opened or is damaged; the message is one line for the person."""


def ledger_path(data_dir: Path) -> Path:
    return data_dir / DB_FILENAME


def connect(path: Path) -> Database:
    """A connection with the pragmas every user of the ledger needs (GUI worker, CLI, tests)."""
    # check_same_thread=False: the app hands a connection to exactly one worker thread.
    conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False)
    db = Database(conn, execute_plugins=False)
    db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    db.execute("PRAGMA journal_mode = WAL")
    # In WAL mode NORMAL survives an application crash (kill -9); only an OS crash may
    # lose the newest commits, which the next scan re-reads from the logs.
    db.execute("PRAGMA synchronous = NORMAL")
    return db


def apply_migrations(db: Database) -> None:
    import importlib

    for name in MIGRATION_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        module.migrations.apply(db)


def open_ledger(data_dir: Path, *, migrate: bool = True) -> Database:
    try:
        ensure_data_dir(data_dir)
    except DataDirError as exc:
        raise LedgerError(str(exc)) from exc
    path = ledger_path(data_dir)
    try:
        create_private_file(path)
        db = connect(path)
        if migrate:
            apply_migrations(db)
    except sqlite3.DatabaseError as exc:
        raise LedgerError(f"ledger {path} is damaged or unreadable: {exc}") from exc
    except OSError as exc:
        raise LedgerError(f"cannot open ledger {path}: {exc.strerror or exc}") from exc
    return db
