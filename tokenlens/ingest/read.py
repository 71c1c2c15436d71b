"""Read one file of a tool's logs from where the last scan stopped: JSONL from a byte offset
(a rewrite detected by the hash of its head), snapshot files whole; stage what they hold.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path

import orjson

from tokenlens.ingest.result import SourceScan
from tokenlens.model import Skip, UsageEvent
from tokenlens.store import writer
from tokenlens.store.writer import HEAD_BYTES, Batch, FileRow, file_row, path_key
from tokenlens.tools.source import (
    BadLine,
    Discovered,
    FileContext,
    JsonlSource,
    SnapshotSource,
    Source,
    iter_lines,
)


def ingest_file_safely(batch: Batch, source: Source, found: Discovered, stats: SourceScan) -> None:
    try:
        _ingest_file(batch, source, found, stats)
    except OSError as exc:
        # Vanished or unreadable mid-read: what was staged up to there stays; next scan retries.
        stats.note_error(path_key(found.path), exc)


def _unchanged(row: FileRow, st: os.stat_result) -> bool:
    return (row.size, row.mtime_ns, row.inode) == (st.st_size, st.st_mtime_ns, st.st_ino)


def _ingest_file(batch: Batch, source: Source, found: Discovered, stats: SourceScan) -> None:
    path = found.path
    st = os.stat(path)
    row = file_row(batch.db, source, path)
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
        # Per-file dedup: Claude Code writes one response as several lines with one key, so
        # only the line the upsert would keep (highest rank, the later on ties) is staged.
        pending: dict[tuple[str, str], UsageEvent] = {}
        actions: list = []
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
                    for item in source.parse_line(source.decode(line), state, ctx):
                        if type(item) is Skip:  # a part of the line was bad, the rest is kept
                            skips.append((line_start, item.reason))
                            continue
                        if type(item) is not UsageEvent:  # actions, limit readings: staged as they come
                            actions.append(item)
                            continue
                        key = (item.tool, item.event_key)
                        kept = pending.get(key)
                        if kept is None or item.rank >= kept.rank:
                            pending[key] = item
                except orjson.JSONDecodeError:
                    skips.append((line_start, "invalid JSON"))
                except BadLine as exc:
                    skips.append((line_start, str(exc)))
                except (KeyError, TypeError, ValueError, AttributeError, IndexError, OverflowError):
                    skips.append((line_start, "unexpected record shape"))
            offset = next_offset
            if len(pending) + len(actions) >= writer.BATCH_EVENTS or offset - batch_start >= writer.BATCH_BYTES:
                _stage(batch, row, st, handle, offset, state, [*actions, *pending.values()], skips, stats,
                       offset - batch_start, at_end=False)
                batch.flush_if_full()
                pending, actions, skips, batch_start = {}, [], [], offset
        _stage(batch, row, st, handle, offset, state, [*actions, *pending.values()], skips, stats,
               offset - batch_start)


def _stage(batch: Batch, row: FileRow, st, handle, offset, state, events, skips, stats, nbytes: int,
           at_end: bool = True) -> None:
    stats.lines_skipped += len(skips)
    head_hash = _head_hash(handle, min(HEAD_BYTES, offset)) if handle is not None else None
    stats.limit_readings += batch.stage(row, st, offset, head_hash, state, events, skips, nbytes, at_end=at_end)


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
