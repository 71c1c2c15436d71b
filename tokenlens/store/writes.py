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
