"""A big first scan on every core: this process and forked workers (tokenlens.ingest.forked)
each take the next file, biggest first, and write over connections of their own.
"""

from __future__ import annotations

from pathlib import Path

from tokenlens.ingest.read import ingest_file_safely
from tokenlens.ingest.result import ScanResult, SourceScan
from tokenlens.pricing import Pricer
from tokenlens.store.ledger import Ledger
from tokenlens.store.writer import Batch, use_bulk_settings


def ingest_in_parallel(db: Ledger, plan: list, count: int, pricer: Pricer, result: ScanResult,
                       progress=None) -> None:
    """This process and `count - 1` forked workers each take the next file (biggest first).

    Only this process imports genai-prices (~0.2 s): it does so while the workers already
    parse, and answers their rate questions (each model once per worker). The workers die
    with this process, however it ends (tokenlens.forked)."""
    from tokenlens.ingest.forked import Tasks, Workers

    db_path = db.execute("PRAGMA database_list").fetchone()[2]
    order = sorted(range(len(plan)), key=lambda i: -plan[i][3])
    tasks = Tasks(len(order))

    def ingest_share(channel) -> dict:
        return _ingest_share(db_path, plan, order, channel, progress)

    with Workers(count - 1, ingest_share, tasks, lambda questions: answer_rates(pricer, questions)) as workers:
        pricer.preload()
        batch = Batch(db, pricer)
        for taken in iter(tasks.take, None):
            source, found, stats, _ = plan[order[taken]]
            if progress:
                progress(source.id, found.path)
            ingest_file_safely(batch, source, found, stats)
        batch.flush()
    for share in workers.results():
        _merge_share(share, result)


def answer_rates(pricer: Pricer, questions: list) -> list:
    """A worker's rate questions, answered from this process's price table."""
    try:
        return [pricer.rates_and_scope(*question) for question in questions]
    except Exception as exc:  # noqa: BLE001 - sent back to the worker, which raises it there
        raise RatesUnavailable(f"pricing failed in the main process: {exc}") from None


class RatesUnavailable(Exception):
    """Sent to a worker instead of rates when the main process could not work them out."""


def _ingest_share(db_path: str, plan: list, order: list[int], channel, progress=None) -> dict:
    """In a forked worker: ingest the files it is handed, over a connection of its own."""
    from tokenlens.store.ledger import connect

    db = connect(Path(db_path))
    use_bulk_settings(db)
    pricer = Pricer(ask=channel.ask)
    batch = Batch(db, pricer)
    out: dict = {"stats": {}, "unknown": []}
    try:
        for taken in iter(channel.next_task, None):
            source, found, _, _ = plan[order[taken]]
            if progress:
                progress(source.id, found.path)
            stats = SourceScan(source.id)
            ingest_file_safely(batch, source, found, stats)
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
