"""Read another tool's SQLite database without writing to it or blocking its writer.

- `mode=ro` always: we never write, and never take a write lock.
- When the database has no `-wal` file (the tool is not running, or it does not use WAL),
  it is opened `immutable=1`: SQLite then creates no `-wal`/`-shm` files next to it. A
  read-only connection to a WAL database would otherwise create both and leave them behind.
- When a `-wal` file exists it is opened without `immutable`, so rows still in the WAL are
  seen (immutable would ignore them).
- A busy/locked database is retried briefly, then reported as OSError(EBUSY): ingest leaves
  the file's position untouched and retries on the next scan.
"""

from __future__ import annotations

import errno
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from tokenlens.model import UsageEvent
from tokenlens.tools.source import FileContext, SnapshotSource

BUSY_RETRIES = 5
BUSY_TIMEOUT_S = 1.0


def wal_path(path: Path) -> Path:
    return path.with_name(path.name + "-wal")


def _uri(path: Path) -> str:
    # as_uri() percent-encodes '?', '#' and '%' in the path, so they cannot end the filename.
    query = "mode=ro" if wal_path(path).exists() else "mode=ro&immutable=1"
    return f"{path.absolute().as_uri()}?{query}"


def _is_busy(exc: sqlite3.Error) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


def _connect_with_snapshot(path: Path) -> sqlite3.Connection:
    """Connect and take a read snapshot (BEGIN + a first read), retrying while busy."""
    last: sqlite3.Error | None = None
    for attempt in range(BUSY_RETRIES):
        conn = None
        try:
            conn = sqlite3.connect(_uri(path), uri=True, timeout=BUSY_TIMEOUT_S)
            conn.execute("BEGIN")  # deferred: a shared read snapshot, never a write lock
            conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
            return conn
        except sqlite3.OperationalError as exc:
            if conn is not None:
                conn.close()
            if not _is_busy(exc):
                raise
            last = exc
            time.sleep(0.05 * (attempt + 1))
    raise OSError(errno.EBUSY, f"database is busy ({last})")


@contextmanager
def open_readonly(path: Path) -> Iterator[sqlite3.Connection]:
    """A read-only connection holding one read transaction: a consistent view of the data.

    Raises OSError(EBUSY) when still busy after retries, sqlite3.DatabaseError when the
    file is not a (readable) database."""
    conn = _connect_with_snapshot(path)
    try:
        yield conn
    finally:
        conn.close()


def read_snapshot_db(path: Path, read: Callable[[sqlite3.Connection], tuple[list, int]]) -> tuple[list, int]:
    """`read` (events, bad records) over a read-only connection; a file that is not a
    database, or is damaged, counts as one bad record, which doctor reports."""
    try:
        with open_readonly(path) as conn:
            return read(conn)
    except sqlite3.DatabaseError:
        return [], 1


def table_columns(conn: sqlite3.Connection, table: str) -> set[str]:
    """Column names of `table` (empty when it does not exist): schemas differ by version."""
    return {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}


class DatabaseSource(SnapshotSource):
    """A reader of one tool's SQLite database: the file and its `-wal` change together, and a
    damaged file counts as one bad record. Subclasses say what to read in `read_database`;
    those that need more than the connection override `read_snapshot` too."""

    def companion_files(self, path: Path) -> tuple[Path, ...]:
        return (wal_path(path),)

    def read_snapshot(self, path: Path, ctx: FileContext) -> tuple[list[UsageEvent], int]:
        return read_snapshot_db(path, self.read_database)

    def read_database(self, conn: sqlite3.Connection) -> tuple[list[UsageEvent], int]:
        raise NotImplementedError
