"""Drive the sources into the ledger, exactly once.

The one rule that makes a kill -9 lose or duplicate nothing: events and the file position
they were read up to are committed in the same transaction. Everything else is idempotent
by construction (upserts on a stable per-tool event key), so re-reading a rewritten or
moved file costs time, never correctness.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import time
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from tokenlens.config import Env
from tokenlens.model import Action, UsageEvent
from tokenlens.pricing import Pricer
from tokenlens.store import rollup
from tokenlens.store.ledger import BUSY_TIMEOUT_MS, Ledger, is_busy
from tokenlens.tools.source import (
    BadLine,
    Discovered,
    FileContext,
    JsonlSource,
    SnapshotSource,
    Source,
    iter_lines,
    recording_unreadable,
    unreadable_reason,
)

BATCH_EVENTS = 8000
BATCH_BYTES = 64 << 20  # commit at least this often so a kill loses little work
HEAD_BYTES = 4096
MAX_SKIPS_KEPT_PER_FILE = 100


@dataclass
class SourceScan:
    source: str
    files_seen: int = 0
    files_read: int = 0
    files_missing: int = 0
    # Counted only when a file actually changed: a warm `report` should not count the ledger.
    events_before: int | None = None
    events_after: int = 0
    lines_skipped: int = 0
    errors: list[str] = field(default_factory=list)
    # Folders and files that exist but could not be read (e.g. mode 000, another user's):
    # {"path", "reason"} each. Their usage is missing from every total until they can be.
    unreadable: list[dict] = field(default_factory=list)

    def note_error(self, key: str, exc: OSError) -> None:
        """A file that failed to stat or read: said in `errors`; in `unreadable` too unless it
        is simply gone (vanished since it was listed)."""
        self.errors.append(f"{key}: {exc.strerror or exc}")
        reason = unreadable_reason(exc)
        if reason is not None and all(u["path"] != key for u in self.unreadable):
            self.unreadable.append({"path": key, "reason": reason, "kind": "file"})

    @property
    def events_added(self) -> int:
        return 0 if self.events_before is None else self.events_after - self.events_before


@dataclass
class ScanResult:
    sources: dict[str, SourceScan] = field(default_factory=dict)
    unknown_models: set[tuple[str, str]] = field(default_factory=set)
    seconds: float = 0.0

    @property
    def events_added(self) -> int:
        return sum(s.events_added for s in self.sources.values())

    @property
    def unreadable(self) -> dict[str, list[dict]]:
        """{source id: its unreadable paths}, only sources that have some."""
        return {sid: list(s.unreadable) for sid, s in self.sources.items() if s.unreadable}


@contextmanager
def write_transaction(db: Ledger, begun: bool = False):
    """BEGIN IMMEDIATE: take the write lock up front, so a concurrent writer makes us wait
    (busy timeout) instead of failing later with 'database is locked'.

    `begun`: the caller already holds it (see `_begin_if_free`)."""
    if not begun:
        db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.conn.rollback()
        raise
    else:
        db.execute("COMMIT")


def _begin_if_free(db: Ledger) -> bool:
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


# A scan with at least this many unread bytes is a big one: it writes with the bulk settings
# below, and parses on every core (forked workers, each with its own ledger connection;
# SQLite's write lock serialises their commits). Below it the fork is not worth it, and in a
# process with threads (the app) we never fork.
PARALLEL_MIN_BYTES = 48 << 20
MAX_WORKERS = 4


def scan(
    db: Ledger,
    env: Env | None = None,
    sources: Iterable[Source] | None = None,
    pricer: Pricer | None = None,
    progress: Callable[[str, Path], None] | None = None,
    workers: int | None = None,
) -> ScanResult:
    """Ingest every new line of every source; returns what was added per source.

    `workers`: processes to parse with (None: decide from the amount of unread data)."""
    from tokenlens.tools import all_sources

    env = env or Env()
    pricer = pricer or Pricer()
    started = time.perf_counter()
    result = ScanResult()
    known = _known_files(db)
    plan: list[tuple[Source, Discovered, SourceScan, int]] = []
    seen_by_source: dict[str, set[str]] = {}
    roots_by_source: dict[str, list[Path]] = {}
    for source in sources if sources is not None else all_sources():
        if source.no_local_data_reason:
            continue
        stats = result.sources[source.id] = SourceScan(source.id)
        seen = seen_by_source[source.id] = set()
        with recording_unreadable() as unreadable:
            roots_by_source[source.id] = source.roots(env)
            for found in source.discover(env):
                stats.files_seen += 1
                key = _path_key(found.path)
                seen.add(key)
                try:
                    unread = _unread_bytes(known.get(key), source, found)
                except OSError as exc:
                    stats.note_error(key, exc)
                    continue
                if unread is not None:
                    plan.append((source, found, stats, unread))
        stats.unreadable[:0] = [{**u, "path": _storable(u["path"])} for u in unreadable.values()]

    for stats in {id(p[2]): p[2] for p in plan}.values():
        stats.events_before = _count_events(db, stats.source)
    bulk = sum(p[3] for p in plan) >= PARALLEL_MIN_BYTES
    count = _worker_count(workers, bulk, len(plan)) if progress is None else 1
    if bulk:
        _use_bulk_settings(db)
    try:
        if count > 1:
            _ingest_in_parallel(db, plan, count, pricer, result)
        else:
            batch = Batch(db, pricer)
            for source, found, stats, _ in plan:
                if progress:
                    progress(source.id, found.path)
                _ingest_file_safely(batch, source, found, stats)
            batch.flush()
    finally:
        if bulk:
            _restore_settings_and_checkpoint(db)

    for source_id, stats in result.sources.items():
        stats.files_missing = _mark_missing(db, source_id, seen_by_source[source_id], roots_by_source[source_id])
        if stats.events_before is not None:
            stats.events_after = _count_events(db, source_id)
    if not rollup.is_exact(db):  # events changed by another hand since: re-sum them now
        with write_transaction(db):
            rollup.resum(db)
    result.unknown_models |= pricer.unknown_models
    result.seconds = time.perf_counter() - started
    return result


# SQLite copies the WAL into the database file every 1000 pages by default. A big scan commits
# a few dozen batches that touch the same index pages, which were then copied again and again;
# during such a scan the copy waits (the WAL grows to a few times the new data) and runs once.
BULK_WAL_PAGES = 16384
# Events arrive in key order of no use to the indexes: with SQLite's default 2 MB page cache a
# big scan re-reads index pages from the OS for nearly every insert (at 1 GB of history the
# inserts took twice as long). A bounded bigger cache for the scan keeps them in memory.
BULK_CACHE_KIB = 32768


def _use_bulk_settings(db: Ledger) -> None:
    db.execute(f"PRAGMA wal_autocheckpoint = {BULK_WAL_PAGES}")
    db.execute(f"PRAGMA cache_size = -{BULK_CACHE_KIB}")


def _restore_settings_and_checkpoint(db: Ledger) -> None:
    """Back to SQLite's defaults (the app's connection lives on), then the deferred copy."""
    db.execute("PRAGMA wal_autocheckpoint = 1000")
    db.execute("PRAGMA cache_size = -2000")
    try:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()  # a reader may hold it back: fine
    except sqlite3.OperationalError:
        pass  # e.g. the disk is full: the WAL keeps everything, a later checkpoint copies it


def _known_files(db: Ledger) -> dict[str, tuple]:
    """Every file's last-seen (size, mtime, inode), in one query: the warm path is a stat each."""
    return {path: rest for path, *rest in db.execute("SELECT path, size, mtime_ns, inode FROM files")}


def _unread_bytes(known: tuple | None, source: Source, found: Discovered) -> int | None:
    """None when the file is surely unchanged since its last read; else a size estimate."""
    st = found.stat or os.stat(found.path)
    if (known is not None and not source.reads_whole(found.path)
            and tuple(known) == (st.st_size, st.st_mtime_ns, st.st_ino)):
        return None
    return st.st_size  # whole-file sources check their companion files in _ingest_file


def _ingest_file_safely(batch: Batch, source: Source, found: Discovered, stats: SourceScan) -> None:
    try:
        _ingest_file(batch, source, found, stats)
    except OSError as exc:
        # Vanished or unreadable mid-read: what was staged up to there stays; next scan retries.
        stats.note_error(_path_key(found.path), exc)


def _worker_count(requested: int | None, bulk: bool, files: int) -> int:
    if requested is not None:
        return max(1, requested)
    import threading

    if threading.active_count() > 1 or not bulk:
        return 1  # forking a threaded process (the GUI) is unsafe; small scans gain nothing
    return max(1, min(MAX_WORKERS, os.cpu_count() or 1, files))


def _ingest_in_parallel(db: Ledger, plan: list, count: int, pricer: Pricer, result: ScanResult) -> None:
    """This process and `count - 1` forked workers each take the next file (biggest first).

    Only this process imports genai-prices (~0.2 s): it does so while the workers already
    parse, and answers their rate questions (each model once per worker). The workers die
    with this process, however it ends (tokenlens.forked)."""
    from tokenlens.forked import Tasks, Workers

    db_path = db.execute("PRAGMA database_list").fetchone()[2]
    order = sorted(range(len(plan)), key=lambda i: -plan[i][3])
    tasks = Tasks(len(order))

    def ingest_share(channel) -> dict:
        return _ingest_share(db_path, plan, order, channel)

    with Workers(count - 1, ingest_share, tasks, lambda questions: _answer_rates(pricer, questions)) as workers:
        pricer.preload()
        batch = Batch(db, pricer)
        for taken in iter(tasks.take, None):
            source, found, stats, _ = plan[order[taken]]
            _ingest_file_safely(batch, source, found, stats)
        batch.flush()
    for share in workers.results():
        _merge_share(share, result)


def _answer_rates(pricer: Pricer, questions: list) -> list:
    """A worker's rate questions, answered from this process's price table."""
    try:
        return [pricer.rates_and_scope(*question) for question in questions]
    except Exception as exc:  # noqa: BLE001 - sent back to the worker, which raises it there
        raise RatesUnavailable(f"pricing failed in the main process: {exc}") from None


class RatesUnavailable(Exception):
    """Sent to a worker instead of rates when the main process could not work them out."""


def _ingest_share(db_path: str, plan: list, order: list[int], channel) -> dict:
    """In a forked worker: ingest the files it is handed, over a connection of its own."""
    from tokenlens.store.ledger import connect

    db = connect(Path(db_path))
    _use_bulk_settings(db)
    pricer = Pricer(ask=channel.ask)
    batch = Batch(db, pricer)
    out: dict = {"stats": {}, "unknown": []}
    try:
        for taken in iter(channel.next_task, None):
            source, found, _, _ = plan[order[taken]]
            stats = SourceScan(source.id)
            _ingest_file_safely(batch, source, found, stats)
            mine = out["stats"].setdefault(source.id, [0, 0, [], []])
            mine[0] += stats.files_read
            mine[1] += stats.lines_skipped
            mine[2] += stats.errors
            mine[3] += stats.unreadable
        batch.flush()
        out["unknown"] = sorted(pricer.unknown_models)
    finally:
        db.conn.close()
    return out


def _merge_share(share: dict, result: ScanResult) -> None:
    for source_id, (files_read, lines_skipped, errors, unreadable) in share["stats"].items():
        stats = result.sources[source_id]
        stats.files_read += files_read
        stats.lines_skipped += lines_skipped
        stats.errors += errors
        stats.unreadable += unreadable
    result.unknown_models |= {tuple(u) for u in share["unknown"]}


def _storable(value):
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


def _path_key(path: Path) -> str:
    return _storable(str(path))


def _executemany(db: Ledger, sql: str, rows: list[tuple]) -> None:
    try:
        db.conn.executemany(sql, rows)
    except UnicodeEncodeError:
        # Rare (a non-UTF-8 file name became a session id or project): escape and retry.
        db.conn.executemany(sql, [tuple(_storable(v) for v in row) for row in rows])


def find_unreadable(env: Env, sources: Iterable[Source]) -> dict[str, list[dict]]:
    """{source id: [{"path", "reason"}]} of what each source's logs hold that cannot be read
    now, for `sources` and `doctor`, which do not scan: folders discovery could not list, and
    listed files this user may not open (an access check per file: fine here, never done by a
    scan, which finds those when it opens them). Only sources with some are in it."""
    out: dict[str, list[dict]] = {}
    for source in sources:
        if source.no_local_data_reason:
            continue
        with recording_unreadable() as unreadable:
            source.roots(env)
            files = [found.path for found in source.discover(env)]
        found_bad = dict(unreadable)
        for path in files:
            if not os.access(path, os.R_OK):
                try:
                    os.stat(path)
                except OSError as exc:
                    reason = unreadable_reason(exc)
                else:
                    reason = "permission denied"
                if reason is not None:
                    found_bad.setdefault(str(path), {"path": str(path), "reason": reason, "kind": "file"})
        if found_bad:
            out[source.id] = [{**u, "path": _storable(u["path"])} for u in found_bad.values()]
    return out


def _count_events(db: Ledger, tool: str) -> int:
    return db.execute("SELECT COUNT(*) FROM events WHERE tool = ?", [tool]).fetchone()[0]


def _mark_missing(db: Ledger, tool: str, seen: set[str], roots: list[Path]) -> int:
    """Note which files the tool deleted (their events stay); returns how many are gone.

    Not being found by this scan proves nothing by itself: the roots may have changed (an env
    var now points elsewhere), a directory may be unreadable, a caller may have narrowed what
    was discovered. So a file is marked only when it lies under a root this scan looked at
    AND the file system says it no longer exists; one found again, or still there, is not."""
    rows = db.execute("SELECT id, path, missing FROM files WHERE source = ?", [tool]).fetchall()
    looked = {_path_key(r) for r in roots}
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


# ---- one file -------------------------------------------------------------------


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
              *, at_end: bool = True) -> None:
        """Add a file's events and skipped lines up to `offset`, and that position itself.

        `at_end`: the file was read to its end (as it was when stat'ed). Only then is its size
        recorded: a stop mid-file (then a kill) must not make the rest look already read."""
        if row.reread:
            self.rereads.append(row)
            row.reread = False
        room = max(0, MAX_SKIPS_KEPT_PER_FILE - row.lines_skipped)
        row.lines_skipped += len(skips)
        self.skips += [(row, off, reason) for off, reason in skips[:room]]
        usage = 0
        last_ms = None
        for e in events:
            if isinstance(e, Action):
                self.actions.append((row, e))
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

    def flush(self, wait: bool = True) -> None:
        if not self.positions:
            return
        db = self.db
        if not wait and not _begin_if_free(db):
            return
        with write_transaction(db, begun=not wait):
            self._insert_new_files()
            if self.rereads:
                db.conn.executemany("DELETE FROM skips WHERE file_id = ?", [(r.id,) for r in self.rereads])
            if self.events:
                _upsert_events(db, self.events, self.pricer)
            if self.actions:
                _insert_actions(db, self.actions)
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


def _file_row(db: Ledger, source: Source, path: Path) -> FileRow:
    key = _path_key(path)
    row = db.execute(
        "SELECT id, dev, inode, size, mtime_ns, offset, head_len, head_hash, state, lines_skipped"
        " FROM files WHERE path = ?", [key]).fetchone()
    if row is None:
        return FileRow(None, key, source.id, None, None, None, None, 0, 0, None, None, 0)
    state = orjson.loads(row[8]) if row[8] else None
    return FileRow(row[0], key, source.id, *row[1:8], state, row[9])


def _unchanged(row: FileRow, st: os.stat_result) -> bool:
    return (row.size, row.mtime_ns, row.inode) == (st.st_size, st.st_mtime_ns, st.st_ino)


def _ingest_file(batch: Batch, source: Source, found: Discovered, stats: SourceScan) -> None:
    path = found.path
    st = os.stat(path)
    row = _file_row(batch.db, source, path)
    whole = source.reads_whole(path)
    # Taken before reading, like `st`: a write during the read is noticed next scan.
    companions = _companion_stamp(source, path) if whole else None
    if _unchanged(row, st) and (not whole or (row.state or {}).get("companions") == companions):
        return
    stats.files_read += 1
    ctx = FileContext(path=path, root=found.root)
    if whole and isinstance(source, SnapshotSource):
        _ingest_snapshot(batch, source, ctx, row, st, stats, companions)
    elif isinstance(source, JsonlSource):
        _ingest_jsonl(batch, source, ctx, row, st, stats)
    batch.flush_if_full()


def _companion_stamp(source: Source, path: Path) -> list | None:
    """(size, mtime) of files that change without touching `path` (a SQLite `-wal`)."""
    stamps: list = []
    for other in source.companion_files(path):
        try:
            cst = os.stat(other)
            stamps.append([cst.st_size, cst.st_mtime_ns])
        except OSError:
            stamps.append(None)
    return stamps or None


def _head_hash(handle, length: int) -> str:
    # pread leaves the file position alone: the line reader is mid-stream.
    return hashlib.sha1(os.pread(handle.fileno(), length, 0)).hexdigest()


def _was_rewritten(row: FileRow, st: os.stat_result, handle) -> bool:
    if row.offset == 0:
        return False
    if row.inode is not None and (row.dev, row.inode) != (st.st_dev, st.st_ino):
        return True
    if st.st_size < row.offset:
        return True
    return _head_hash(handle, row.head_len) != row.head_hash


def _ingest_jsonl(batch: Batch, source: JsonlSource, ctx, row: FileRow, st, stats) -> None:
    with open(ctx.path, "rb") as handle:
        if _was_rewritten(row, st, handle):
            # Re-read from the start; upserts by event key make the repeats harmless.
            row.offset, row.state, row.lines_skipped, row.reread = 0, None, 0, True
        state = row.state if row.state is not None else source.new_state()
        has_marker = _marker_test(source.line_markers)
        glance = source.glance if type(source).glance is not JsonlSource.glance else None
        pending: list[UsageEvent] = []
        skips: list[tuple[int, str]] = []
        offset = row.offset
        batch_start = offset
        for line, line_start, next_offset in iter_lines(handle, row.offset):
            if line is None:
                skips.append((line_start, "line too long"))
            elif has_marker is not None and not has_marker(line):
                # Unparsed for speed; still, a line that cannot be a JSON object is bad input.
                head = line.lstrip()[:1]
                if head and head != b"{":
                    skips.append((line_start, "not a JSON object"))
                elif glance is not None:
                    glance(line, state)
            else:
                try:
                    pending.extend(source.parse_line(source.decode(line), state, ctx))
                except orjson.JSONDecodeError:
                    skips.append((line_start, "invalid JSON"))
                except BadLine as exc:
                    skips.append((line_start, str(exc)))
                except (KeyError, TypeError, ValueError, AttributeError, IndexError, OverflowError):
                    skips.append((line_start, "unexpected record shape"))
            offset = next_offset
            if len(pending) >= BATCH_EVENTS or offset - batch_start >= BATCH_BYTES:
                _stage(batch, row, st, handle, offset, state, pending, skips, stats, offset - batch_start,
                       at_end=False)
                batch.flush_if_full()
                pending, skips, batch_start = [], [], offset
        _stage(batch, row, st, handle, offset, state, pending, skips, stats, offset - batch_start)


def _stage(batch: Batch, row: FileRow, st, handle, offset, state, events, skips, stats, nbytes: int,
           at_end: bool = True) -> None:
    stats.lines_skipped += len(skips)
    head_hash = _head_hash(handle, min(HEAD_BYTES, offset)) if handle is not None else None
    batch.stage(row, st, offset, head_hash, state, events, skips, nbytes, at_end=at_end)


def _marker_test(markers: tuple[bytes, ...]) -> Callable[[bytes], bool] | None:
    """A fast `any(m in line for m in markers)`: a first scan runs it on every line."""
    if not markers:
        return None
    if len(markers) == 1:
        marker = markers[0]
        return lambda line: marker in line

    def has_marker(line: bytes) -> bool:
        for marker in markers:  # a plain loop: no generator built per line
            if marker in line:
                return True
        return False

    return has_marker


def _ingest_snapshot(batch: Batch, source: SnapshotSource, ctx, row: FileRow, st, stats, companions=None) -> None:
    events, bad = source.read_snapshot(ctx.path, ctx)
    skips = [(i, "bad record") for i in range(bad)]
    row.lines_skipped, row.reread = 0, True
    state = {"companions": companions} if companions is not None else None
    _stage(batch, row, st, None, st.st_size, state, events, skips, stats, st.st_size)


UPSERT_SQL = """
INSERT INTO events (tool, event_key, ts_ms, session_id, project, model, provider,
    input_tokens, cache_read_tokens, cache_write_5m_tokens, cache_write_1h_tokens,
    output_tokens, reasoning_tokens, total_tokens, cost_usd, cost_source, rank,
    replay_key, is_replay, file_id)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (tool, event_key) DO UPDATE SET
    ts_ms = excluded.ts_ms, session_id = excluded.session_id, project = excluded.project,
    model = excluded.model, provider = excluded.provider,
    input_tokens = excluded.input_tokens, cache_read_tokens = excluded.cache_read_tokens,
    cache_write_5m_tokens = excluded.cache_write_5m_tokens,
    cache_write_1h_tokens = excluded.cache_write_1h_tokens,
    output_tokens = excluded.output_tokens, reasoning_tokens = excluded.reasoning_tokens,
    total_tokens = excluded.total_tokens, cost_usd = excluded.cost_usd,
    cost_source = excluded.cost_source, rank = excluded.rank,
    replay_key = excluded.replay_key, is_replay = excluded.is_replay, file_id = excluded.file_id
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
    _executemany(db, UPSERT_SQL, rows)
    for tool, keys in replay_keys.items():
        db.execute(DROP_REPLAYS_SQL, [tool, orjson.dumps(sorted(keys)).decode()])


def _insert_actions(db: Ledger, actions: list[tuple[FileRow, Action]]) -> None:
    _executemany(
        db,
        "INSERT OR IGNORE INTO actions (tool, action_key, ts_ms, session_id, category, risky,"
        " unattended, file_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (a.tool, a.action_key, a.ts_ms, a.session_id, a.category, int(a.risky), int(a.unattended), row.id)
            for row, a in actions
        ],
    )
