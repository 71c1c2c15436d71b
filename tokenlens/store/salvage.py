"""Carry an old ledger's history into a fresh one, as much of it as can still be read.

The ledger is the person's history: usage whose logs the tools have deleted survives only
there, and so do the permission snapshots and the export log. `doctor --rebuild` therefore
never starts from nothing. From the ledger it set aside it takes

- a healthy file: every row, read directly;
- a damaged file: what SQLite's own recovery finds page by page (the sqlite3 shell's
  `.recover`, which also reads pages no longer reachable from the schema), or, where that
  shell is not installed, every row that can be reached by rowid, stepping around the
  damaged ranges;

and copies every table the new schema has, column by column (except the rollup, which is
re-summed from the events). Files whose logs still exist are then read again from the start
by the scan that follows: upserts on the event key make that idempotent, and it restores any
of their events that the damage took. What the old rollup counted tells how many events
could not be saved at all.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from tokenlens.store.ledger import Ledger

# Derived from the events, not history: rebuilt by the scan's re-sum.
NOT_COPIED = {"rollup", "rollup_dirty", "_sqlite_migrations"}
# Bookkeeping that belongs to the new file's own schema.
META_NOT_COPIED = ("schema_fingerprint",)
WALK_CHUNK = 512
RECOVER_TIMEOUT_S = 600


@dataclass
class Salvage:
    method: str  # "copied", "recovered" (sqlite3 .recover) or "walked" (row by row)
    rows: dict[str, int] = field(default_factory=dict)  # copied per table
    events_counted: int | None = None  # the old ledger's own count (its rollup), None if unreadable
    problems: list[str] = field(default_factory=list)  # what could not be read, one line each

    @property
    def events(self) -> int:
        return self.rows.get("events", 0)


def carry_over(db: Ledger, old: Path, damaged: bool) -> Salvage:
    """Copy what can be read of the ledger file `old` into the fresh ledger `db`."""
    counted = _event_count(old)
    with tempfile.TemporaryDirectory(prefix="tokenlens-salvage-") as work:
        if not damaged:
            readable, salvage = old, Salvage("copied")
        else:
            readable = Path(work) / "recovered.db"
            salvage = _recover(old, readable, db)
        _copy_tables(db, readable, salvage)
    salvage.events_counted = counted
    _rewind_files_that_exist(db)
    return salvage


def _recover(old: Path, target: Path, db: Ledger) -> Salvage:
    shell = shutil.which("sqlite3")
    if shell is not None:
        problem = _recover_with_shell(shell, old, target)
        if problem is None:
            return Salvage("recovered")
        salvage = Salvage("walked", problems=[f"sqlite3 .recover failed ({problem}); read row by row instead"])
    else:
        salvage = Salvage("walked", problems=["the sqlite3 shell is not installed; read row by row"])
    target.unlink(missing_ok=True)
    _walk_rows(old, target, db, salvage)
    return salvage


def _recover_with_shell(shell: str, old: Path, target: Path) -> str | None:
    """`sqlite3 OLD .recover | sqlite3 TARGET`; None on success, else why not."""
    try:
        dump = subprocess.Popen([shell, str(old), ".recover"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        # Errors of the load are rows .recover could not rebuild; what it could is in target.
        subprocess.run([shell, str(target)], stdin=dump.stdout, capture_output=True, timeout=RECOVER_TIMEOUT_S)
        dump.stdout.close()
        dump.wait(RECOVER_TIMEOUT_S)
    except (OSError, subprocess.SubprocessError) as exc:
        return str(exc)
    if dump.returncode != 0 or not target.exists():
        return f"exit status {dump.returncode}"
    return None


def _walk_rows(old: Path, target: Path, db: Ledger, salvage: Salvage) -> None:
    """Every row reachable by rowid from each table of the new schema, into `target`."""
    source = sqlite3.connect(f"file:{old}?mode=ro", uri=True)
    out = sqlite3.connect(target)
    try:
        for table, create in _tables(db):
            out.execute(create)
            columns = _columns_of(db, table)
            if _without_rowid(create):
                _copy_whole_table(source, out, table, columns, salvage)
            else:
                _walk_table(source, out, table, columns, salvage)
            out.commit()
    finally:
        source.close()
        out.close()


def _copy_whole_table(source, out, table: str, columns: list[str], salvage: Salvage) -> None:
    names = ", ".join(columns)
    try:
        rows = source.execute(f"SELECT {names} FROM {table}").fetchall()
    except sqlite3.DatabaseError as exc:
        salvage.problems.append(f"{table}: unreadable ({exc})")
        return
    out.executemany(f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(columns))})", rows)


def _walk_table(source, out, table: str, columns: list[str], salvage: Salvage) -> None:
    names = ", ".join(["rowid", *columns])
    try:
        source.execute(f"SELECT rowid FROM {table} LIMIT 0").fetchall()
    except sqlite3.DatabaseError as exc:  # not a database, or the schema itself is gone
        salvage.problems.append(f"{table}: unreadable ({exc})")
        return
    insert = f"INSERT OR IGNORE INTO {table} (rowid, {', '.join(columns)}) VALUES ({', '.join('?' * (len(columns) + 1))})"
    try:
        highest = source.execute(f"SELECT MAX(rowid) FROM {table}").fetchone()[0] or 0
    except sqlite3.DatabaseError:
        highest = None  # the right edge of the tree is damaged: walk until rows stop coming
    unreadable = 0
    low, barren = 1, 0  # barren: chunks in a row that gave no row (only gaps or damage)
    while low <= highest if highest is not None else barren < 64:
        rows, lost = _read_range(source, table, names, low, low + WALK_CHUNK - 1)
        out.executemany(insert, rows)
        unreadable += lost
        barren = 0 if rows else barren + 1
        low += WALK_CHUNK
    if unreadable:
        salvage.problems.append(f"{table}: {unreadable} rowids in damaged pages could not be read")


def _read_range(source, table: str, names: str, low: int, high: int) -> tuple[list, int]:
    """Rows with rowid in [low, high]; a range that fails is halved down to single rowids."""
    try:
        return source.execute(f"SELECT {names} FROM {table} WHERE rowid BETWEEN ? AND ?", [low, high]).fetchall(), 0
    except sqlite3.DatabaseError:
        if low == high:
            return [], 1
    middle = (low + high) // 2
    left, lost_left = _read_range(source, table, names, low, middle)
    right, lost_right = _read_range(source, table, names, middle + 1, high)
    return left + right, lost_left + lost_right


def _copy_tables(db: Ledger, readable: Path, salvage: Salvage) -> None:
    db.execute("ATTACH DATABASE ? AS old", [str(readable)])
    try:
        db.execute("BEGIN IMMEDIATE")
        try:
            for table, _ in _tables(db):
                salvage.rows[table] = _copy_table(db, table, salvage)
        except BaseException:
            db.conn.rollback()
            raise
        db.execute("COMMIT")
    finally:
        db.execute("DETACH DATABASE old")


def _copy_table(db: Ledger, table: str, salvage: Salvage) -> int:
    theirs = {row[1] for row in db.execute(f"PRAGMA old.table_info({table})")}
    if not theirs:
        if table != "meta":
            salvage.problems.append(f"{table}: not found in the old ledger")
        return 0
    columns = ", ".join(c for c in _columns_of(db, table) if c in theirs)
    where = f" WHERE key NOT IN ({', '.join('?' * len(META_NOT_COPIED))})" if table == "meta" else ""
    try:
        cursor = db.execute(f"INSERT OR IGNORE INTO main.{table} ({columns}) SELECT {columns} FROM old.{table}{where}",
                            list(META_NOT_COPIED) if where else [])
    except sqlite3.DatabaseError as exc:
        salvage.problems.append(f"{table}: unreadable ({exc})")
        return 0
    return cursor.rowcount


def _event_count(old: Path) -> int | None:
    """How many events the old ledger held, by its own rollup (kept exact by every scan);
    None when those pages are unreadable too."""
    try:
        conn = sqlite3.connect(f"file:{old}?mode=ro", uri=True)
    except sqlite3.Error:
        return None
    try:
        if conn.execute("SELECT EXISTS (SELECT 1 FROM rollup_dirty)").fetchone()[0]:
            return None  # a scan was cut short before its re-sum: the rollup is not the events
        return conn.execute("SELECT COALESCE(SUM(events), 0) FROM rollup").fetchone()[0]
    except sqlite3.DatabaseError:
        return None
    finally:
        conn.close()


def _rewind_files_that_exist(db: Ledger) -> None:
    """Logs that still exist are read again from the start; deleted ones keep their record."""
    rows = db.execute("SELECT id, path FROM files").fetchall()
    again = [(fid,) for fid, path in rows if os.path.lexists(path)]
    db.execute("BEGIN IMMEDIATE")
    db.conn.executemany(
        "UPDATE files SET offset = 0, head_len = 0, head_hash = NULL, size = NULL, mtime_ns = NULL, inode = NULL,"
        " dev = NULL, state = NULL, lines_skipped = 0 WHERE id = ?", again)
    db.conn.executemany("DELETE FROM skips WHERE file_id = ?", again)
    # Events of a file whose record was lost keep their usage, not a dangling link.
    db.execute("UPDATE events SET file_id = NULL WHERE file_id IS NOT NULL AND file_id NOT IN (SELECT id FROM files)")
    db.execute("COMMIT")


def _tables(db: Ledger) -> list[tuple[str, str]]:
    rows = db.execute("SELECT name, sql FROM main.sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
                      " ORDER BY rowid").fetchall()
    return [(name, sql) for name, sql in rows if name not in NOT_COPIED]


def _columns_of(db: Ledger, table: str) -> list[str]:
    return [row[1] for row in db.execute(f"PRAGMA main.table_info({table})")]


def _without_rowid(create: str) -> bool:
    return "WITHOUT ROWID" in create.upper()
