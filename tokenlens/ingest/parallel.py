"""A big first scan on every core: this process and worker processes (tokenlens.ingest.forked)
each take the next file in the plan's order (newest first: tokenlens.ingest.plan.newest_first)
and write over connections of their own.

Workers are forks where that is safe (Linux, a single-threaded caller) and spawned
interpreters elsewhere (Windows, macOS; `plan.start_method`). A spawned worker gets only its
plan: the sources and files in the order they are handed out, and the ledger's path.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable
from pathlib import Path

from tokenlens.ingest.read import ingest_file_safely
from tokenlens.ingest.result import ScanResult, SourceScan
from tokenlens.pricing import Pricer
from tokenlens.store.ledger import Ledger
from tokenlens.store.writer import Batch, use_bulk_settings

# What starting a worker can raise where none can be had (no fork, no working spawn: a frozen
# app without it, a sandbox without semaphores or pipes, a plan that does not pickle).
START_ERRORS = (OSError, ImportError, RuntimeError, ValueError, pickle.PicklingError, AttributeError, TypeError)


def ingest_in_parallel(db: Ledger, plan: list, count: int, pricer: Pricer, result: ScanResult,
                       progress=None, *, method: str = "fork",
                       advanced: Callable[[int], None] | None = None) -> bool:
    """This process and `count - 1` workers each take the next file, in plan order.

    Only this process imports genai-prices (~0.2 s): it does so while the workers already
    parse, and answers their rate questions (each model once per worker). The workers die
    with this process, however it ends (tokenlens.ingest.forked). Returns False, having read
    nothing, when no worker could be started: the caller then reads alone.

    `progress(source id, path)` is called before each file, by forked workers in their own
    process, for spawned ones here; `advanced(bytes)` after each file, here."""
    from tokenlens.ingest.forked import Tasks, Workers

    db_path = db.execute("PRAGMA database_list").fetchone()[2]
    jobs = [(p.source, p.found, p.unread) for p in plan]
    tasks = Tasks(len(jobs))
    relay = method != "fork"  # a spawned worker cannot call this process's callback itself

    def heard(note) -> None:
        kind, *rest = note
        if kind == "reading" and progress is not None:
            progress(rest[0], Path(rest[1]))
        elif kind == "read" and advanced is not None:
            advanced(rest[0])

    workers = Workers(count - 1, ingest_share, tasks, lambda questions: answer_rates(pricer, questions),
                      method=method, notify=heard,
                      args=(db_path, jobs, None if relay else progress, relay and progress is not None,
                            advanced is not None))
    try:
        workers.__enter__()
    except START_ERRORS:
        return False
    try:
        pricer.preload()
        batch = Batch(db, pricer)
        for taken in iter(tasks.take, None):
            source, found, nbytes = jobs[taken]
            if progress:
                progress(source.id, found.path)
            ingest_file_safely(batch, source, found, result.sources[source.id])
            if advanced:
                advanced(nbytes)
        batch.flush()
    except BaseException as exc:
        workers.__exit__(type(exc), exc, exc.__traceback__)
        raise
    workers.__exit__(None, None, None)
    for share in workers.results():
        _merge_share(share, result)
    return True


def answer_rates(pricer: Pricer, questions: list) -> list:
    """A worker's rate questions, answered from this process's price table."""
    try:
        return [pricer.rates_and_scope(*question) for question in questions]
    except Exception as exc:  # noqa: BLE001 - sent back to the worker, which raises it there
        raise RatesUnavailable(f"pricing failed in the main process: {exc}") from None


class RatesUnavailable(Exception):
    """Sent to a worker instead of rates when the main process could not work them out."""


def ingest_share(channel, db_path: str, jobs: list, progress=None, announce: bool = False,
                 count_bytes: bool = False) -> dict:
    """In a worker: ingest the files it is handed, over a connection of its own.

    `announce`: tell the parent which file is next (it calls the progress callback);
    `count_bytes`: tell it each file's size once read (a progress bar's)."""
    from tokenlens.store.ledger import connect

    db = connect(Path(db_path))
    use_bulk_settings(db)
    pricer = Pricer(ask=channel.ask)
    batch = Batch(db, pricer)
    out: dict = {"stats": {}, "unknown": []}
    try:
        for taken in iter(channel.next_task, None):
            source, found, nbytes = jobs[taken]
            if progress:
                progress(source.id, found.path)
            if announce:
                channel.note(("reading", source.id, str(found.path)))
            stats = SourceScan(source.id)
            ingest_file_safely(batch, source, found, stats)
            if count_bytes:
                channel.note(("read", nbytes))
            mine = out["stats"].setdefault(source.id, [0, 0, [], [], 0])
            mine[0] += stats.files_read
            mine[1] += stats.lines_skipped
            mine[2] += stats.errors
            mine[3] += stats.unreadable
            mine[4] += stats.limit_readings
        batch.flush()
        out["unknown"] = sorted(pricer.unknown_models)
    finally:
        db.conn.close()
    return out


def _merge_share(share: dict, result: ScanResult) -> None:
    for source_id, (files_read, lines_skipped, errors, unreadable, readings) in share["stats"].items():
        stats = result.sources[source_id]
        stats.files_read += files_read
        stats.lines_skipped += lines_skipped
        stats.limit_readings += readings
        stats.errors += errors
        stats.unreadable += unreadable
    result.unknown_models |= {tuple(u) for u in share["unknown"]}
