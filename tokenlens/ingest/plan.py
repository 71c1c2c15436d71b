"""What a scan will read: each found file's unread bytes (a stat each on the warm path), how
many processes to read with, and what exists but cannot be read.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from typing import NamedTuple

from tokenlens.config import Env
from tokenlens.store.writer import storable
from tokenlens.tools.source import Discovered, Source, recording_unreadable, unreadable_reason

# A scan with at least this many unread bytes is a big one: it writes with the bulk settings
# below, and parses on every core (forked workers, each with its own ledger connection;
# SQLite's write lock serialises their commits). Below it the fork is not worth it, and in a
# process with threads (the app) we never fork.
PARALLEL_MIN_BYTES = 48 << 20


MAX_WORKERS = 4


class Planned(NamedTuple):
    """One file a scan will read."""

    source: Source
    found: Discovered
    stats: object  # the source's SourceScan, shared by its files
    unread: int  # bytes, an estimate (the progress bar's unit)
    changed_ns: int  # when it last changed (its mtime, or a companion's if later)


def unread_bytes(known: tuple | None, source: Source, found: Discovered) -> tuple[int, int] | None:
    """None when the file is surely unchanged since its last read; else (a size estimate,
    when it last changed in ns: its own mtime, or a companion's if later)."""
    st = found.stat or os.stat(found.path)
    if (known is not None and not source.reads_whole(found.path)
            and tuple(known) == (st.st_size, st.st_mtime_ns, st.st_ino)):
        return None
    # Whole-file sources check their companion files in _ingest_file; a SQLite `-wal` written
    # today makes its database today's even while the main file's mtime is older.
    return st.st_size, max([st.st_mtime_ns, *_companion_mtimes(source, found)])


def _companion_mtimes(source: Source, found: Discovered) -> list[int]:
    if not source.reads_whole(found.path):
        return []
    stamps = []
    for other in source.companion_files(found.path):
        try:
            stamps.append(os.stat(other).st_mtime_ns)
        except OSError:
            pass  # absent companions are the common case; a real read error shows in the read
    return stamps


def newest_first(plan: list) -> list:
    """The read plan by when each file last changed, newest first, so whatever is watching a
    big scan (the app, a progress bar) gets the recent days before the old history.

    Order cannot change what is counted: an event in several files is one row kept by rank,
    and a replay gives way to its original whichever is read first (store/writer.py). Only
    which copy's session and file a row names, when two copies tie on rank, follows the read
    order, as it already did between the parallel path's workers."""
    return sorted(plan, key=lambda entry: -entry.changed_ns)


# How workers start: None decides (below); tests set "spawn" to run that path on Linux.
START_METHOD: str | None = None


def start_method(chosen: bool = False) -> str | None:
    """"fork" where it is safe and cheapest (Linux, no other thread running), else "spawn"
    (Windows has no fork; on macOS a fork is unsafe once system frameworks are loaded; in a
    threaded process a fork may copy a lock some other thread held). None: no way to start
    a worker here; the scan reads in one process. `chosen`: the caller set the worker count
    itself (as before spawn existed, it gets forks on Linux whatever threads it runs; the app
    never does)."""
    if START_METHOD is not None:
        return START_METHOD
    import threading

    if sys.platform.startswith("linux") and hasattr(os, "fork") and (chosen or threading.active_count() == 1):
        return "fork"
    import multiprocessing

    return "spawn" if "spawn" in multiprocessing.get_all_start_methods() else None


def worker_count(requested: int | None, bulk: bool, files: int) -> int:
    if requested is not None:
        return max(1, requested)
    import threading

    if threading.active_count() > 1 or not bulk:
        return 1  # forking a threaded process (the GUI) is unsafe; small scans gain nothing
    return max(1, min(MAX_WORKERS, os.cpu_count() or 1, files))


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
            out[source.id] = [{**u, "path": storable(u["path"])} for u in found_bad.values()]
    return out
