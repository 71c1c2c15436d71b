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
    """Record readings (tokenlens.limits.LimitReading); a repeat of one only moves its first and
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


# ---- devices through a synced folder (tokenlens.sync.engine) ------------------------------

# One event row's columns and its update from a newer stage, shared by this device's scans
# (store/writer.py UPSERT_SQL) and other devices' imports (IMPORT_EVENT_SQL below), which differ
# only in the last column and in when a stored row may be replaced.
EVENT_INSERT_HEAD = """INSERT INTO events (tool, event_key, ts_ms, session_id, project, model, provider,
    input_tokens, cache_read_tokens, cache_write_5m_tokens, cache_write_1h_tokens,
    output_tokens, reasoning_tokens, total_tokens, cost_usd, cost_source, rank,
    replay_key, is_replay, """
EVENT_UPDATE_FROM_EXCLUDED = """ON CONFLICT (tool, event_key) DO UPDATE SET
    ts_ms = excluded.ts_ms, session_id = excluded.session_id, project = excluded.project,
    model = excluded.model, provider = excluded.provider,
    input_tokens = excluded.input_tokens, cache_read_tokens = excluded.cache_read_tokens,
    cache_write_5m_tokens = excluded.cache_write_5m_tokens,
    cache_write_1h_tokens = excluded.cache_write_1h_tokens,
    output_tokens = excluded.output_tokens, reasoning_tokens = excluded.reasoning_tokens,
    total_tokens = excluded.total_tokens, cost_usd = excluded.cost_usd,
    cost_source = excluded.cost_source, rank = excluded.rank,
    replay_key = excluded.replay_key, is_replay = excluded.is_replay"""



# Another device's event: added when new; when the ledger has it already (a copied ~/.claude,
# an NFS home: the same event on two devices) it counts once. Only a copy another device
# brought is updated, and only by a later stage of the same event (a higher rank): this
# device's own events are its logs' to change.
IMPORT_EVENT_SQL = f"""
{EVENT_INSERT_HEAD}device)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
{EVENT_UPDATE_FROM_EXCLUDED}
WHERE events.device != '' AND excluded.rank > events.rank
"""


def import_events(db, device: str, rows: list[tuple]) -> int:
    """Another device's events (rows of queries.SYNC_EVENT_COLUMNS); how many were new.
    Replays whose original is now in the ledger go, as the ingest does (store/writer.py)."""
    import orjson

    from tokenlens.store.writer import DROP_REPLAYS_SQL, executemany

    keys = sorted({(row[0], row[1]) for row in rows})
    known = db.execute(
        "SELECT COUNT(*) FROM json_each(?) k JOIN events e ON e.tool = json_extract(k.value, '$[0]')"
        " AND e.event_key = json_extract(k.value, '$[1]')", [orjson.dumps(keys).decode()]).fetchone()[0]
    executemany(db, IMPORT_EVENT_SQL, [(*row, device) for row in rows])
    added = len(keys) - known
    replay_keys: dict[str, set[str]] = {}
    for row in rows:
        if row[17] is not None:
            replay_keys.setdefault(row[0], set()).add(row[17])
    for tool, keys in replay_keys.items():
        db.execute(DROP_REPLAYS_SQL, [tool, orjson.dumps(sorted(keys)).decode()])
    return added


def mark_sent(db, rows: list[tuple[int, int, int, int, int]]) -> None:
    """(event id, rank, ts_ms, total_tokens, is_replay) of own events now in a segment."""
    db.conn.executemany(
        "INSERT INTO sync_sent (event_id, rank, ts_ms, total_tokens, is_replay) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (event_id) DO UPDATE SET rank = excluded.rank, ts_ms = excluded.ts_ms,"
        " total_tokens = excluded.total_tokens, is_replay = excluded.is_replay", rows)


def set_sync_config(db, folder: str, device_id: str, key_check: str, now_ms: int) -> None:
    db.execute("INSERT INTO sync_config (id, folder, device_id, key_check, created_ms) VALUES (1, ?, ?, ?, ?)"
               " ON CONFLICT (id) DO UPDATE SET folder = excluded.folder, device_id = excluded.device_id,"
               " key_check = excluded.key_check",
               [folder, device_id, key_check, now_ms])


def retire_own_id(db, old: str, new: str, now_ms: int) -> None:
    """This device now syncs as `new`: it keeps its name, and its old id's segments (its own
    events, which it has) are not read as another device's."""
    db.execute("UPDATE devices SET local_name = (SELECT COALESCE(local_name, NULLIF(name, '')) FROM devices"
               " WHERE id = ?) WHERE id = ? AND local_name IS NULL", [old, new])
    db.execute("UPDATE devices SET forgotten_ms = ? WHERE id = ?", [now_ms, old])


def note_device(db, device: str, name: str | None, now_ms: int, segment_ms: int | None = None) -> None:
    """A device seen (its name as it calls itself, when known) and its newest segment's time."""
    db.execute(
        "INSERT INTO devices (id, name, first_seen_ms, last_segment_ms) VALUES (?, COALESCE(?, ''), ?, ?)"
        " ON CONFLICT (id) DO UPDATE SET name = COALESCE(NULLIF(excluded.name, ''), devices.name),"
        " last_segment_ms = MAX(COALESCE(devices.last_segment_ms, 0), COALESCE(excluded.last_segment_ms, 0))",
        [device, name, now_ms, segment_ms])


def set_local_name(db, device: str, name: str | None) -> None:
    db.execute("UPDATE devices SET local_name = ? WHERE id = ?", [name, device])


def publish_own_name(db, device: str) -> None:
    """This device's new name went out in a segment: it is now its name everywhere."""
    db.execute("UPDATE devices SET name = COALESCE(local_name, name), local_name = NULL WHERE id = ?", [device])


def record_segment(db, device: str, seq: int, sha256: str, events: int, created_ms: int) -> None:
    db.execute("INSERT OR REPLACE INTO sync_segments (device, seq, sha256, events, created_ms) VALUES (?, ?, ?, ?, ?)",
               [device, seq, sha256, events, created_ms])


def set_device_permissions(db, device: str, scanned_ms: int | None, counts: tuple[int, int, int, int]) -> None:
    db.execute("INSERT OR REPLACE INTO device_permissions (device, scanned_ms, high, medium, low, info)"
               " VALUES (?, ?, ?, ?, ?, ?)", [device, scanned_ms, *counts])


IMPORT_DEVICE_LIMIT_READING_SQL = """
INSERT INTO device_limit_readings (device, tool, account, window, window_minutes, reading_key,
    observed_at_ms, last_seen_ms, used_percent, resets_at_ms, plan, source)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (device, tool, account, window, reading_key) DO UPDATE SET
    observed_at_ms = MIN(observed_at_ms, excluded.observed_at_ms),
    last_seen_ms = MAX(last_seen_ms, excluded.last_seen_ms),
    plan = COALESCE(excluded.plan, plan)
"""


def import_limit_readings(db, device: str, rows: list[tuple]) -> int:
    """Readings a segment brought (rows of queries.SYNC_LIMIT_COLUMNS, already checked): into
    `device_limit_readings` for another device, into this device's own `limit_readings` for a
    segment of its own read back. Returns how many were new."""
    before = _limit_rows(db, device)
    if device:
        db.conn.executemany(IMPORT_DEVICE_LIMIT_READING_SQL, [(device, *r) for r in rows])
    else:
        db.conn.executemany(UPSERT_LIMIT_READING_SQL, [(*r, None) for r in rows])
    return _limit_rows(db, device) - before


def _limit_rows(db, device: str) -> int:
    if device:
        return db.execute("SELECT COUNT(*) FROM device_limit_readings WHERE device = ?", [device]).fetchone()[0]
    return db.execute("SELECT COUNT(*) FROM limit_readings").fetchone()[0]


def mark_limits_sent(db, rows: list[tuple[int, int, int]]) -> None:
    """(reading id, observed_at_ms, last_seen_ms) of own readings now in a segment."""
    db.conn.executemany(
        "INSERT INTO limit_readings_sent (reading_id, observed_at_ms, last_seen_ms) VALUES (?, ?, ?)"
        " ON CONFLICT (reading_id) DO UPDATE SET observed_at_ms = excluded.observed_at_ms,"
        " last_seen_ms = excluded.last_seen_ms", rows)


def forget_device(db, device: str, now_ms: int) -> int:
    """Remove what `device` brought; its segments are not read again. Every other device's
    segments are read again at the next sync, so an event two devices both had (removed here
    with the first one's copy) comes back from the other. Returns the events removed."""
    removed = db.execute("DELETE FROM events WHERE device = ?", [device]).rowcount
    db.execute("DELETE FROM device_permissions WHERE device = ?", [device])
    db.execute("DELETE FROM device_limit_readings WHERE device = ?", [device])
    db.execute("DELETE FROM sync_segments WHERE device NOT IN (SELECT device_id FROM sync_config)")
    db.execute("UPDATE devices SET forgotten_ms = ? WHERE id = ?", [now_ms, device])
    return removed


def reset_sent(db) -> None:
    """The ledger now syncs through a folder with another key: nothing is in it yet."""
    db.execute("DELETE FROM sync_sent")
    db.execute("DELETE FROM sync_segments")
    db.execute("DELETE FROM limit_readings_sent")


def forget_sent(db) -> None:
    """This device's segments went missing from the folder: send all its events again."""
    db.execute("DELETE FROM sync_sent")
    db.execute("DELETE FROM limit_readings_sent")
