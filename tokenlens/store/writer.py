"""Write what the scan read into the ledger: batches of events with the position each file
was read up to, in one transaction (the kill -9 rule), upserts on the stable event key, and
the files table (what was read, what the tools deleted).

Moved here from tokenlens/ingest.py, which now plans and reads (tokenlens/ingest/).
"""

from __future__ import annotations

import operator
import os
import sqlite3
import time
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from tokenlens.limits import LimitReading
from tokenlens.model import Action, UsageEvent
from tokenlens.pricing import Pricer
from tokenlens.store import rollup
from tokenlens.store.ledger import BUSY_TIMEOUT_MS, Ledger, is_busy
from tokenlens.store.writes import EVENT_INSERT_HEAD, EVENT_UPDATE_FROM_EXCLUDED
from tokenlens.tools.source import Source

HEAD_BYTES = 4096  # a file's head, hashed to notice it was rewritten
MAX_SKIPS_KEPT_PER_FILE = 100
BATCH_EVENTS = 8000


BATCH_BYTES = 64 << 20  # commit at least this often so a kill loses little work


@contextmanager
def write_transaction(db: Ledger, begun: bool = False):
    """BEGIN IMMEDIATE: take the write lock up front, so a concurrent writer makes us wait
    (busy timeout) instead of failing later with 'database is locked'.

    `begun`: the caller already holds it (see `begin_if_free`)."""
    if not begun:
        db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.conn.rollback()
        raise
    else:
        db.execute("COMMIT")


def begin_if_free(db: Ledger) -> bool:
    """BEGIN IMMEDIATE if no one else is writing; False (and no transaction) if someone is."""
    db.execute("PRAGMA busy_timeout = 0")
    try:
        db.execute("BEGIN IMMEDIATE")
        return True
    except sqlite3.OperationalError as exc:
        if is_busy(exc):
            return False
        raise
    finally:
        db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")


# SQLite copies the WAL into the database file every 1000 pages by default. A big scan commits
# a few dozen batches that touch the same index pages, which were then copied again and again;
# during such a scan the copy waits (the WAL grows to a few times the new data) and runs once.
BULK_WAL_PAGES = 16384


# Events arrive in key order of no use to the indexes: with SQLite's default 2 MB page cache a
# big scan re-reads index pages from the OS for nearly every insert (at 1 GB of history the
# inserts took twice as long). A bounded bigger cache for the scan keeps them in memory.
BULK_CACHE_KIB = 32768


def use_bulk_settings(db: Ledger) -> None:
    db.execute(f"PRAGMA wal_autocheckpoint = {BULK_WAL_PAGES}")
    db.execute(f"PRAGMA cache_size = -{BULK_CACHE_KIB}")


def restore_settings_and_checkpoint(db: Ledger) -> None:
    """Back to SQLite's defaults (the app's connection lives on), then the deferred copy."""
    db.execute("PRAGMA wal_autocheckpoint = 1000")
    db.execute("PRAGMA cache_size = -2000")
    try:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()  # a reader may hold it back: fine
    except sqlite3.OperationalError:
        pass  # e.g. the disk is full: the WAL keeps everything, a later checkpoint copies it


def known_files(db: Ledger) -> dict[str, tuple]:
    """Every file's last-seen (size, mtime, inode), in one query: the warm path is a stat each."""
    return {path: rest for path, *rest in db.execute("SELECT path, size, mtime_ns, inode FROM files")}


class FileLookup:
    """known_files' `get`, one query a file: for a scan of the few files a watcher named."""

    def __init__(self, db: Ledger) -> None:
        self.db = db

    def get(self, path: str) -> list | None:
        row = self.db.execute("SELECT size, mtime_ns, inode FROM files WHERE path = ?", [path]).fetchone()
        return list(row) if row is not None else None


def storable(value):
    """Text SQLite can bind. File names need not be UTF-8 (Python keeps such bytes as lone
    surrogates); they, and ids taken from them, keep those bytes as \\xNN escapes."""
    if not isinstance(value, str):
        return value
    try:
        value.encode("utf-8")
        return value
    except UnicodeEncodeError:
        try:
            return value.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        except UnicodeEncodeError:
            return value.encode("utf-8", "backslashreplace").decode("utf-8")


def path_key(path: Path) -> str:
    return storable(str(path))


def executemany(db: Ledger, sql: str, rows: list[tuple]) -> None:
    try:
        db.conn.executemany(sql, rows)
    except UnicodeEncodeError:
        # Rare (a non-UTF-8 file name became a session id or project): escape and retry.
        db.conn.executemany(sql, [tuple(storable(v) for v in row) for row in rows])


def count_events(db: Ledger, tool: str) -> int:
    return db.execute("SELECT COUNT(*) FROM events WHERE tool = ?", [tool]).fetchone()[0]


def mark_missing(db: Ledger, tool: str, seen: set[str], roots: list[Path]) -> int:
    """Note which files the tool deleted (their events stay); returns how many are gone.

    Not being found by this scan proves nothing by itself: the roots may have changed (an env
    var now points elsewhere), a directory may be unreadable, a caller may have narrowed what
    was discovered. So a file is marked only when it lies under a root this scan looked at
    AND the file system says it no longer exists; one found again, or still there, is not."""
    rows = db.execute("SELECT id, path, missing FROM files WHERE source = ?", [tool]).fetchall()
    looked = {path_key(r) for r in roots}
    under = tuple(r.rstrip(os.sep) + os.sep for r in looked)
    gone, back, missing_now = [], [], 0
    for fid, path, missing in rows:
        if path in seen:
            is_gone = False
        elif path in looked or path.startswith(under) or missing:
            is_gone = _vanished(path)
        else:
            is_gone = False  # outside what was looked at: unknown, left as it was
        missing_now += is_gone
        if is_gone and not missing:
            gone.append((fid,))
        elif missing and not is_gone:
            back.append((fid,))
    if gone or back:
        with write_transaction(db):
            db.conn.executemany("UPDATE files SET missing = 1 WHERE id = ?", gone)
            db.conn.executemany("UPDATE files SET missing = 0 WHERE id = ?", back)
    return missing_now


def _vanished(path: str) -> bool:
    """True only when the path is verifiably absent; unreadable (EACCES, EIO) is not absent."""
    try:
        os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return True
    except (OSError, ValueError):
        return False
    return False


@dataclass
class FileRow:
    id: int | None  # None: a file first seen by this scan, inserted when its batch is written
    path: str
    source: str
    dev: int | None
    inode: int | None
    size: int | None
    mtime_ns: int | None
    offset: int
    head_len: int
    head_hash: str | None
    state: dict[str, Any] | None
    lines_skipped: int
    reread: bool = False  # read again from the start: its old skipped-line records go


class Batch:
    """What parsed files produced, written to the ledger in as few transactions as possible.

    Each file's events are staged together with the position they were read up to, so a
    transaction always holds both (the kill -9 rule). Small files share a transaction: a
    first scan of hundreds of sessions then commits a few dozen times, not twice per file.
    """

    def __init__(self, db: Ledger, pricer: Pricer) -> None:
        self.db, self.pricer = db, pricer
        self._clear()

    def _clear(self) -> None:
        self.events: list[tuple[FileRow, UsageEvent]] = []
        self.actions: list[tuple[FileRow, Action]] = []
        self.readings: list[tuple[FileRow, LimitReading]] = []
        self.skips: list[tuple[FileRow, int, str]] = []
        self.rereads: list[FileRow] = []
        self.positions: list[tuple[FileRow, list]] = []
        self.nbytes = 0

    def _size(self, times: int) -> bool:
        return len(self.events) + len(self.actions) >= times * BATCH_EVENTS or self.nbytes >= times * BATCH_BYTES

    def flush_if_full(self) -> None:
        """Write a full batch, unless another process is writing right now: then go on
        reading and try again later, up to twice the size, rather than wait idle for it."""
        if self._size(1):
            self.flush(wait=self._size(2))

    def stage(self, row: FileRow, st, offset: int, head_hash: str | None, state, events, skips, nbytes: int,
              *, at_end: bool = True) -> int:
        """Add a file's events and skipped lines up to `offset`, and that position itself;
        returns how many of the events were plan-window readings.

        `at_end`: the file was read to its end (as it was when stat'ed). Only then is its size
        recorded: a stop mid-file (then a kill) must not make the rest look already read."""
        if row.reread:
            self.rereads.append(row)
            row.reread = False
        room = max(0, MAX_SKIPS_KEPT_PER_FILE - row.lines_skipped)
        row.lines_skipped += len(skips)
        self.skips += [(row, off, reason) for off, reason in skips[:room]]
        usage = readings = 0
        last_ms = None
        for e in events:
            if isinstance(e, Action):
                self.actions.append((row, e))
            elif isinstance(e, LimitReading):
                self.readings.append((row, e))
                readings += 1
                continue  # a reading is not usage: the file's last event time stays
            else:
                self.events.append((row, e))
                usage += 1
            if last_ms is None or e.ts_ms > last_ms:
                last_ms = e.ts_ms
        # The state is serialised now: the parser goes on changing its dict after this point.
        self.positions.append((row, [
            st.st_dev, st.st_ino, st.st_size if at_end else None, st.st_mtime_ns, offset, min(HEAD_BYTES, offset), head_hash,
            orjson.dumps(state).decode() if state is not None else None,
            row.lines_skipped, usage, int(time.time() * 1000), last_ms,
        ]))
        row.offset = offset
        self.nbytes += nbytes
        return readings

    def flush(self, wait: bool = True) -> None:
        if not self.positions:
            return
        db = self.db
        if not wait and not begin_if_free(db):
            return
        with write_transaction(db, begun=not wait):
            self._insert_new_files()
            if self.rereads:
                db.conn.executemany("DELETE FROM skips WHERE file_id = ?", [(r.id,) for r in self.rereads])
            if self.events:
                _upsert_events(db, self.events, self.pricer)
            if self.actions:
                _insert_actions(db, self.actions)
            if self.readings:
                from tokenlens.store.writes import upsert_limit_readings

                upsert_limit_readings(db, [r for _, r in self.readings], [row.id for row, _ in self.readings])
            if self.skips:
                db.conn.executemany("INSERT OR IGNORE INTO skips (file_id, offset, reason) VALUES (?, ?, ?)",
                                    [(row.id, off, reason) for row, off, reason in self.skips])
            db.conn.executemany(UPDATE_POSITION_SQL, [(*values, row.id) for row, values in self.positions])
            rollup.resum(db)
        self._clear()

    def _insert_new_files(self) -> None:
        new = {id(row): row for row, _ in self.positions if row.id is None}
        now = int(time.time() * 1000)
        for row in new.values():
            # Another scanner (the app's watcher, a CLI run) may have added the same file meanwhile.
            self.db.execute("INSERT INTO files (source, path, first_seen_ms) VALUES (?, ?, ?)"
                            " ON CONFLICT (path) DO NOTHING", [row.source, row.path, now])
            row.id = self.db.execute("SELECT id FROM files WHERE path = ?", [row.path]).fetchone()[0]


UPDATE_POSITION_SQL = """
UPDATE files SET dev = ?, inode = ?, size = ?, mtime_ns = ?, offset = ?, head_len = ?, head_hash = ?,
    state = ?, lines_skipped = ?, events_seen = events_seen + ?, missing = 0, last_scan_ms = ?,
    last_event_ms = MAX(COALESCE(last_event_ms, 0), COALESCE(?, 0))
WHERE id = ?"""


def file_row(db: Ledger, source: Source, path: Path) -> FileRow:
    key = path_key(path)
    row = db.execute(
        "SELECT id, dev, inode, size, mtime_ns, offset, head_len, head_hash, state, lines_skipped"
        " FROM files WHERE path = ?", [key]).fetchone()
    if row is None:
        return FileRow(None, key, source.id, None, None, None, None, 0, 0, None, None, 0)
    state = orjson.loads(row[8]) if row[8] else None
    return FileRow(row[0], key, source.id, *row[1:8], state, row[9])


# `device = ''`: an event another device brought first (tokenlens/sync/) that this device's
# own logs also hold becomes this device's, so forgetting that other device keeps it.
UPSERT_SQL = f"""
{EVENT_INSERT_HEAD}file_id)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
{EVENT_UPDATE_FROM_EXCLUDED}, file_id = excluded.file_id,
    device = ''
WHERE excluded.rank >= events.rank
"""


DROP_REPLAYS_SQL = """
DELETE FROM events WHERE tool = ? AND is_replay = 1
  AND replay_key IN (SELECT value FROM json_each(?))
  AND EXISTS (SELECT 1 FROM events o WHERE o.tool = events.tool
              AND o.replay_key = events.replay_key AND o.is_replay = 0)
"""


def _keep_best(events: list[tuple[FileRow, UsageEvent]]) -> Iterable[tuple[FileRow, UsageEvent]]:
    """One event per key, the one the upsert would keep (highest rank; the later on ties).

    Claude Code writes one response as several lines: choosing here, before pricing and
    SQL, makes a first scan price and write each response once instead of once per line.
    """
    best: dict[tuple[str, str], tuple[FileRow, UsageEvent]] = {}
    for pair in events:
        e = pair[1]
        key = (e.tool, e.event_key)
        kept = best.get(key)
        if kept is None or e.rank >= kept[1].rank:
            best[key] = pair
    return best.values() if len(best) < len(events) else events


def _upsert_events(db: Ledger, events: list[tuple[FileRow, UsageEvent]], pricer: Pricer) -> None:
    rows = []
    replay_keys: dict[str, set[str]] = {}
    kept = list(_keep_best(events))
    pricer.prefetch(e for _, e in kept)
    for row, e in kept:
        cost, cost_source = pricer.cost(e)
        rows.append((
            e.tool, e.event_key, e.ts_ms, e.session_id, e.project, e.model, e.provider,
            e.input_tokens, e.cache_read_tokens, e.cache_write_5m_tokens, e.cache_write_1h_tokens,
            e.output_tokens, e.reasoning_tokens, e.total_tokens, cost, cost_source, e.rank,
            e.replay_key, int(e.is_replay), row.id,
        ))
        if e.replay_key is not None:
            replay_keys.setdefault(e.tool, set()).add(e.replay_key)
    # Keys are random (message and request ids): in key order, each index page of the unique
    # index is visited once per batch instead of once per row (a quarter of the insert time).
    rows.sort(key=_index_order)
    executemany(db, UPSERT_SQL, rows)
    for tool, keys in replay_keys.items():
        db.execute(DROP_REPLAYS_SQL, [tool, orjson.dumps(sorted(keys)).decode()])


_index_order = operator.itemgetter(0, 1)  # (tool, key): the unique index's order


def _insert_actions(db: Ledger, actions: list[tuple[FileRow, Action]]) -> None:
    rows = [
        (a.tool, a.action_key, a.ts_ms, a.session_id, a.category, int(a.risky), int(a.unattended), row.id)
        for row, a in actions
    ]
    rows.sort(key=_index_order)  # stable: of two rows with one key the first still wins
    executemany(
        db,
        "INSERT OR IGNORE INTO actions (tool, action_key, ts_ms, session_id, category, risky,"
        " unattended, file_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
