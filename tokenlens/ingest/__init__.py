"""Drive the tools' logs into the ledger, exactly once.

The one rule that makes a kill -9 lose or duplicate nothing: events and the file position
they were read up to are committed in the same transaction (tokenlens.store.writer).
Everything else is idempotent by construction (upserts on a stable per-tool event key), so
re-reading a rewritten or moved file costs time, never correctness.

- plan.py: which files changed, how many processes; what cannot be read
- read.py: one file, from where the last scan stopped
- parallel.py, forked.py: a big first scan on every core, workers that die with the scan
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from tokenlens.config import Env
from tokenlens.ingest.plan import (
    PARALLEL_MIN_BYTES,
    Planned,
    find_unreadable,
    newest_first,
    start_method,
    unread_bytes,
    worker_count,
)
from tokenlens.ingest.read import ingest_file_safely
from tokenlens.ingest.result import ScanResult, SourceScan
from tokenlens.pricing import Pricer
from tokenlens.store import rollup
from tokenlens.store.ledger import Ledger
from tokenlens.store.writer import (
    Batch,
    FileLookup,
    count_events,
    known_files,
    mark_missing,
    path_key,
    restore_settings_and_checkpoint,
    storable,
    use_bulk_settings,
    write_transaction,
)
from tokenlens.tools.source import Source, recording_unreadable

__all__ = ["ScanResult", "SourceScan", "find_unreadable", "scan"]


def _progress_counter(advanced: Callable[[int, int], None] | None, total: int) -> Callable[[int], None] | None:
    """`advanced(done, total)` as a step function taking each file's bytes (from any thread)."""
    if advanced is None:
        return None
    import threading

    lock = threading.Lock()
    done = [0]

    def step(nbytes: int) -> None:
        with lock:
            done[0] = min(total, done[0] + nbytes)
            advanced(done[0], total)

    advanced(0, total)
    return step


def _among(source: Source, env: Env, roots: list[Path], only: Iterable[Path]):
    """What `source` discovers among the changed files `only`; None: none of them is its.
    (Compared as text: this runs for every source about once a second while a tool writes.)"""
    case = os.path.normcase  # Windows paths compare without case, as Path's do
    texts = {case(str(r)) for r in roots}
    prefixes = tuple(t.rstrip(os.sep) + os.sep for t in texts)
    mine = [p for p in only if case(str(p)) in texts or case(str(p)).startswith(prefixes)]
    if not mine:
        return None
    found = source.discover_among(env, mine)
    return found if found is not None else source.discover(env)


def scan(
    db: Ledger,
    env: Env | None = None,
    sources: Iterable[Source] | None = None,
    pricer: Pricer | None = None,
    progress: Callable[[str, Path], None] | None = None,
    workers: int | None = None,
    advanced: Callable[[int, int], None] | None = None,
    only: Iterable[Path] | None = None,
    modified_since_ns: int | None = None,
) -> ScanResult:
    """Ingest every new line of every source; returns what was added per source.

    `workers`: processes to parse with (None: decide from the amount of unread data).
    `progress(source id, path)` is called just before each file is read, in whichever
    process reads it (forked workers call it themselves; spawned ones have it called here).
    `advanced(bytes read, bytes to read)` is called in this process once the files to read
    are known and after each file (from a worker-serving thread for the workers' files).
    `only`: files a watcher saw change: each source reads those of them it would discover,
    and nothing else (no walk; files gone are noted by the next full scan). A source that
    cannot tell which files are its own without a walk (tools.source.discover_among) walks
    as usual, if any of the files lies under its roots.
    A scan given `only` counts no events (`events_added` is 0): two counts of a tool's events
    were most of what a watcher's scan of one written file cost; `files_read` says what changed.
    `modified_since_ns`: read only files that changed at or after this time (ns since the
    epoch), the others being left for a later scan (`ScanResult.deferred_bytes`); everything
    found still counts as seen, so nothing is marked missing.

    Files are read newest first (plan.newest_first)."""
    from tokenlens.tools import all_sources

    env = env or Env()
    pricer = pricer or Pricer()
    started = time.perf_counter()
    result = ScanResult()
    # A focused scan looks up its few files one by one, not every file the ledger knows.
    known = known_files(db) if only is None else FileLookup(db)
    plan: list[Planned] = []
    seen_by_source: dict[str, set[str]] = {}
    roots_by_source: dict[str, list[Path]] = {}
    for source in sources if sources is not None else all_sources():
        if source.no_local_data_reason:
            continue
        with recording_unreadable() as unreadable:
            roots = source.roots(env)
            if only is None:
                discovered = source.discover(env)
                roots_by_source[source.id] = roots
            elif (discovered := _among(source, env, roots, only)) is None:
                continue
            stats = result.sources[source.id] = SourceScan(source.id)
            seen = seen_by_source[source.id] = set()
            for found in discovered:
                stats.files_seen += 1
                key = path_key(found.path)
                seen.add(key)
                try:
                    change = unread_bytes(known.get(key), source, found)
                except OSError as exc:
                    stats.note_error(key, exc)
                    continue
                if change is None:
                    continue
                if modified_since_ns is not None and change[1] < modified_since_ns:
                    result.deferred_files += 1
                    result.deferred_bytes += change[0]
                    continue
                plan.append(Planned(source, found, stats, *change))
        stats.unreadable[:0] = [{**u, "path": storable(u["path"])} for u in unreadable.values()]

    plan = newest_first(plan)
    for stats in {id(p.stats): p.stats for p in plan}.values() if only is None else ():
        stats.events_before = count_events(db, stats.source)
    to_read = sum(p.unread for p in plan)
    bulk = to_read >= PARALLEL_MIN_BYTES
    count = worker_count(workers, bulk, len(plan))
    method = start_method(chosen=workers is not None) if count > 1 else None
    step = _progress_counter(advanced, to_read)
    if bulk:
        use_bulk_settings(db)
    try:
        parallel = False
        if method is not None:
            from tokenlens.ingest.parallel import ingest_in_parallel

            parallel = ingest_in_parallel(db, plan, count, pricer, result, progress, method=method, advanced=step)
        if not parallel:
            batch = Batch(db, pricer)
            for source, found, stats, unread, _ in plan:
                if progress:
                    progress(source.id, found.path)
                ingest_file_safely(batch, source, found, stats)
                if step:
                    step(unread)
            batch.flush()
    finally:
        if bulk:
            restore_settings_and_checkpoint(db)

    for source_id, stats in result.sources.items():
        if source_id in roots_by_source:  # a full look at its roots: what is gone is known
            stats.files_missing = mark_missing(db, source_id, seen_by_source[source_id], roots_by_source[source_id])
        if stats.events_before is not None:
            stats.events_after = count_events(db, source_id)
    if not rollup.is_exact(db):  # events changed by another hand since: re-sum them now
        with write_transaction(db):
            rollup.resum(db)
    result.unknown_models |= pricer.unknown_models
    result.seconds = time.perf_counter() - started
    return result
