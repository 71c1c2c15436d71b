"""Every write to the ledger outside the log ingest: permission snapshots, the seen mark,
the export log.

Kept apart from `tokenlens.store.queries` (the reads) because writes have rules reads do
not: the ledger has one writer at a time, so each of these runs inside the caller's
transaction (`write_transaction`, or `with db.conn:`) and none of them commits on its own.
A glance at this file is the whole list of what tokenlens changes in the ledger besides
the ingest (which writes through its own module).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

# ---- permission snapshots (tokenlens.permissions.snapshots) ------------------------------


def insert_perm_scan(db, now_ms: int, grants: int, risk_counts: Sequence[int], problems_json: str) -> int:
    """A new snapshot row; its id. `risk_counts`: grants per level in RISK_LEVELS' order
    (tokenlens.permissions.rules), which is the order of the table's columns."""
    cur = db.execute(
        "INSERT INTO perm_scans (scanned_ms, confirmed_ms, grants, high, medium, low, info, problems)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [now_ms, now_ms, grants, *risk_counts, problems_json],
    )
    return cur.lastrowid


def confirm_perm_scan(db, scan_id: int, now_ms: int, problems_json: str) -> None:
    """A scan found exactly the snapshot `scan_id` again: it still holds at `now_ms`."""
    db.execute("UPDATE perm_scans SET confirmed_ms = ?, problems = ? WHERE id = ?", [now_ms, problems_json, scan_id])


def insert_perm_grants(db, scan_id: int, columns: Sequence[str], rows: Iterable[tuple]) -> None:
    """`rows`: (grant key, *values of `columns`) for each grant of the snapshot."""
    db.conn.executemany(
        f"INSERT INTO perm_grants (scan_id, grant_key, {', '.join(columns)})"
        f" VALUES (?, ?, {', '.join('?' * len(columns))})",
        [(scan_id, *row) for row in rows],
    )


def insert_perm_changes(db, rows: Iterable[tuple]) -> None:
    """`rows`: (scan id, grant key, change, tool, scope, kind, subject, source file, old value,
    new value, old risk, new risk, old rule, new rule, secret changed)."""
    db.conn.executemany(
        "INSERT INTO perm_changes (scan_id, grant_key, change, tool, scope, kind, subject, source_file,"
        " old_value, new_value, old_risk, new_risk, old_rule, new_rule, secret_changed)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        list(rows),
    )


def remember_first_sightings(db, rows: Iterable[tuple[str, int, int, int]]) -> None:
    """`rows`: (grant key, scan id, first seen ms, since ms). A grant already known keeps its
    first sighting: one that comes back after removal is history, not a reset."""
    db.conn.executemany(
        "INSERT OR IGNORE INTO perm_first (grant_key, first_scan_id, first_seen_ms, since_ms) VALUES (?, ?, ?, ?)",
        list(rows),
    )


def set_perm_seen_mark(db, scan_id: int, seen_ms: int, seen_by: str) -> None:
    db.execute("INSERT INTO perm_seen (id, scan_id, seen_ms, seen_by) VALUES (1, ?, ?, ?)"
               " ON CONFLICT(id) DO UPDATE SET scan_id = excluded.scan_id, seen_ms = excluded.seen_ms,"
               " seen_by = excluded.seen_by", [scan_id, seen_ms, seen_by])


# ---- the export log (tokenlens.export.summary) -------------------------------------------


def log_export(db, ts_ms: int, period: str, sha256: str, noise_epsilon: float | None) -> None:
    db.execute(
        "INSERT INTO exports (ts_ms, period, sha256, noise_epsilon) VALUES (?, ?, ?, ?)",
        [ts_ms, period, sha256, noise_epsilon],
    )


# ---- plan-window readings (tokenlens.limits; the scan's Batch, tokenlens.store.writer) ----

UPSERT_LIMIT_READING_SQL = """
INSERT INTO limit_readings (tool, account, window, window_minutes, reading_key, observed_at_ms,
    last_seen_ms, used_percent, resets_at_ms, plan, source, file_id)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (tool, account, window, reading_key) DO UPDATE SET
    observed_at_ms = MIN(observed_at_ms, excluded.observed_at_ms),
    last_seen_ms = MAX(last_seen_ms, excluded.last_seen_ms),
    plan = COALESCE(excluded.plan, plan),
    file_id = COALESCE(file_id, excluded.file_id)
"""


def upsert_limit_readings(db, readings: Sequence, file_ids: Sequence[int | None] | None = None) -> None:
    """Record readings (tokenlens.model.LimitReading); a repeat of one only moves its first and
    last sightings. `file_ids`: the log file each came from (None: the status line)."""
    ids = file_ids if file_ids is not None else [None] * len(readings)
    db.conn.executemany(UPSERT_LIMIT_READING_SQL, [
        (r.tool, r.account, r.window, r.window_minutes, r.reading_key, r.observed_at_ms,
         max(r.last_seen_ms, r.observed_at_ms), r.used_percent, r.resets_at_ms, r.plan, r.source, fid)
        for r, fid in zip(readings, ids, strict=True)
    ])


STATUSLINE_SKIPPED_KEY = "statusline_readings_skipped"


def count_skipped_statusline_readings(db, count: int) -> None:
    """Status-line readings that were out of range have no log line to skip: counted here."""
    db.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET"
               " value = CAST(COALESCE(CAST(value AS INTEGER), 0) + excluded.value AS TEXT)",
               [STATUSLINE_SKIPPED_KEY, str(count)])
