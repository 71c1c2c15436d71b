"""Every read over the ledger, in one place (issue 15, "one query layer").

Each function takes the ledger (a `Ledger` or anything with `execute`) and plain
parameters, and returns plain values: ints, tuples, dicts or lists of them. The modules
that shape numbers for people (reports, insights, status, the permissions snapshots, the
export) call these and never write SQL of their own; writes live in `tokenlens.store.writes`.

Time bounds are UTC milliseconds, `lo_ms` inclusive and `hi_ms` exclusive; None is open.
A `spans` argument is a zone's UTC-offset spans, [(start_ms, end_ms, offset_seconds)]
(`tokenlens.reports.zone_spans`): SQLite knows no named zones, so local days come from them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from tokenlens.store.ledger import QUARTER_MS

# ---- shared pieces ------------------------------------------------------------------------

COST_SQL = "COALESCE(SUM(e.cost_usd), 0.0)"
GROUP_COLUMNS = ("tool", "model", "project", "device")


def spans_cte(spans: list[tuple[int, int, int]]) -> tuple[str, list]:
    """The spans as a `WITH tz_spans(start_ms, end_ms, off)` clause and its parameters."""
    values = ", ".join("(?, ?, ?)" for _ in spans)
    return f"WITH tz_spans(start_ms, end_ms, off) AS (VALUES {values})", [v for span in spans for v in span]


def _event_filter(lo_ms: int | None, hi_ms: int | None, tools: Sequence[str] = (),
                  devices: Sequence[str] = ()) -> tuple[str, list]:
    """`devices`: values of events.device ('' is this device's own events); () is every device."""
    where, params = ["1=1"], []
    if lo_ms is not None:
        where.append("e.ts_ms >= ?")
        params.append(lo_ms)
    if hi_ms is not None:
        where.append("e.ts_ms < ?")
        params.append(hi_ms)
    if tools:
        where.append(f"e.tool IN ({', '.join('?' for _ in tools)})")
        params.extend(tools)
    if devices:
        where.append(f"e.device IN ({', '.join('?' for _ in devices)})")
        params.extend(devices)
    return " AND ".join(where), params


def _group_sql(by: str | None) -> str:
    if by is not None and by not in GROUP_COLUMNS:
        raise ValueError(f"cannot group by {by!r}")
    return f"e.{by}" if by else "''"


def _dicts(cursor) -> list[dict]:
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, values, strict=True)) for values in cursor]


def _sums_sql(unpriced: str = "e.cost_usd IS NULL AND e.total_tokens > 0") -> str:
    return f"""
    SUM(e.input_tokens) AS input_tokens,
    SUM(e.cache_read_tokens) AS cache_read_tokens,
    SUM(e.cache_write_5m_tokens + e.cache_write_1h_tokens) AS cache_write_tokens,
    SUM(e.output_tokens) AS output_tokens,
    SUM(e.reasoning_tokens) AS reasoning_tokens,
    SUM(e.total_tokens) AS total_tokens,
    COALESCE(SUM(e.cost_usd), 0.0) AS cost_usd,
    SUM({unpriced}) AS unpriced_events
"""


SUMS_SQL = _sums_sql()

# The rollup table (store/schema.py) shaped like `events` for the columns reports read.
ROLLUP_AS_EVENTS = f"""(SELECT bucket * {QUARTER_MS} AS ts_ms, tool, model, project, input_tokens,
    cache_read_tokens, cache_write_tokens AS cache_write_5m_tokens, 0 AS cache_write_1h_tokens,
    output_tokens, reasoning_tokens, total_tokens, cost_usd, unpriced_events FROM rollup)"""


# ---- events: counts ----------------------------------------------------------------------


def event_count(db) -> int:
    return db.execute("SELECT COUNT(*) FROM events").fetchone()[0]


def events_per_tool(db) -> dict[str, dict]:
    """{tool: {"events": n, "first_ms": ms, "last_ms": ms}} over the whole ledger: what
    `scan`, `sources` and `doctor` count per tool."""
    return {
        tool: {"events": n, "first_ms": first, "last_ms": last}
        for tool, n, first, last in db.execute(
            "SELECT tool, COUNT(*), MIN(ts_ms), MAX(ts_ms) FROM events GROUP BY tool"
        )
    }


def latest_event_ms(db, tools: Sequence[str] = ()) -> int | None:
    """When the newest usage (of these tools) happened; None for an empty ledger."""
    where, params = _event_filter(None, None, tools)
    return db.execute(f"SELECT MAX(e.ts_ms) FROM events e WHERE {where}", params).fetchone()[0]


def unpriced_models(db) -> list[dict]:
    """[{"tool", "model", "events"}] for usage with no known price."""
    return [
        {"tool": t, "model": m, "events": n}
        for t, m, n in db.execute(
            "SELECT tool, model, COUNT(*) FROM events WHERE cost_usd IS NULL AND total_tokens > 0"
            " GROUP BY tool, model ORDER BY tool, model"
        )
    ]


def events_from_deleted_logs(db) -> int:
    """Events whose log file the tool has since deleted."""
    return db.execute(
        "SELECT COUNT(*) FROM events e JOIN files f ON f.id = e.file_id WHERE f.missing = 1").fetchone()[0]


def absolute_projects(db) -> list[str]:
    """Every distinct project path (absolute ones only) the ledger has seen."""
    return [r[0] for r in db.execute("SELECT DISTINCT project FROM events WHERE project LIKE '/%'").fetchall()]


# ---- events: reports (tokenlens.reports) -------------------------------------------------


def first_event_ms(db, at_or_after: int, *, lo_ms: int | None = None, hi_ms: int | None = None,
                   tools: Sequence[str] = (), from_rollup: bool = False, devices: Sequence[str] = ()) -> int | None:
    """The earliest event time >= `at_or_after` matching the filter; None when there is none."""
    where_sql, params = _event_filter(lo_ms, hi_ms, tools, devices)
    table = ROLLUP_AS_EVENTS if from_rollup else "events"
    sql = f"SELECT MIN(e.ts_ms) FROM {table} e WHERE {where_sql} AND e.ts_ms >= ?"
    return db.execute(sql, [*params, at_or_after]).fetchone()[0]


def calendar_sums(db, spans: list[tuple[int, int, int]], *, lo_ms: int | None = None, hi_ms: int | None = None,
                  tools: Sequence[str] = (), by: str | None = None, from_rollup: bool = False,
                  devices: Sequence[str] = ()) -> list[dict]:
    """Sums per local day ("bucket", ISO date), group, tool and model. `from_rollup` reads the
    quarter-hour rollup instead of the events (exact when every bound is on a quarter-hour)."""
    where_sql, params = _event_filter(lo_ms, hi_ms, tools, devices)
    cte, cte_params = spans_cte(spans)
    table = ROLLUP_AS_EVENTS if from_rollup else "events"
    sql = f"""
        {cte}
        SELECT date(e.ts_ms / 1000 + s.off, 'unixepoch') AS bucket, {_group_sql(by)} AS "group",
               e.tool AS tool, e.model AS model, {_sums_sql("e.unpriced_events") if from_rollup else SUMS_SQL}
        FROM {table} e JOIN tz_spans s ON e.ts_ms >= s.start_ms AND e.ts_ms < s.end_ms
        WHERE {where_sql}
        GROUP BY bucket, "group", e.tool, e.model
    """
    return _dicts(db.execute(sql, cte_params + params))


def session_sums(db, *, lo_ms: int | None = None, hi_ms: int | None = None, tools: Sequence[str] = (),
                 by: str | None = None, devices: Sequence[str] = ()) -> list[dict]:
    """Sums per (tool, session id), group and model ("bucket" is the session id)."""
    where_sql, params = _event_filter(lo_ms, hi_ms, tools, devices)
    sql = f"""
        SELECT e.session_id AS bucket, {_group_sql(by)} AS "group", e.tool AS tool, e.model AS model,
               MAX(e.project) AS project,
               strftime('%Y-%m-%dT%H:%M:%SZ', MAX(e.ts_ms) / 1000, 'unixepoch') AS last_activity,
               MIN(e.ts_ms) AS first_ms, MAX(e.ts_ms) AS last_ms,
               {SUMS_SQL}
        FROM events e WHERE {where_sql}
        GROUP BY bucket, "group", e.tool, e.model
    """
    return _dicts(db.execute(sql, params))


def minute_sums(db, *, lo_ms: int | None = None, hi_ms: int | None = None, tools: Sequence[str] = (),
                by: str | None = None, devices: Sequence[str] = ()) -> list[dict]:
    """Sums per UTC minute ("minute", ms / 60000), group, tool and model, oldest first."""
    where_sql, params = _event_filter(lo_ms, hi_ms, tools, devices)
    sql = f"""
        SELECT e.ts_ms / 60000 AS minute, {_group_sql(by)} AS "group", e.tool AS tool, e.model AS model,
               {SUMS_SQL}
        FROM events e WHERE {where_sql}
        GROUP BY minute, "group", e.tool, e.model ORDER BY minute
    """
    return _dicts(db.execute(sql, params))


# ---- events: the app's numbers (tokenlens.insights) --------------------------------------


def daily_tokens_and_cost(db, spans: list[tuple[int, int, int]], lo_ms: int, hi_ms: int, by: str = "tool",
                          tool: str | None = None, from_rollup: bool = False) -> list[tuple[str, str | None, int, float]]:
    """[(local ISO day, group value, tokens, cost)] for events in [lo, hi). `from_rollup`:
    summed from the quarter-hour rollup (exact when it is and the bounds are quarter-hours)."""
    cte, params = spans_cte(spans)
    table = ROLLUP_AS_EVENTS if from_rollup else "events"
    where, where_params = "e.ts_ms >= ? AND e.ts_ms < ?", [lo_ms, hi_ms]
    if tool:
        where += " AND e.tool = ?"
        where_params.append(tool)
    return db.execute(
        f"""{cte}
        SELECT date(e.ts_ms / 1000 + s.off, 'unixepoch') AS day, {_group_sql(by)} AS grp,
               SUM(e.total_tokens), {COST_SQL}
        FROM {table} e JOIN tz_spans s ON e.ts_ms >= s.start_ms AND e.ts_ms < s.end_ms
        WHERE {where}
        GROUP BY day, grp""",
        params + where_params,
    ).fetchall()


def tokens_by_weekday_hour(db, spans: list[tuple[int, int, int]], lo_ms: int,
                           hi_ms: int, from_rollup: bool = False) -> list[tuple[int, int, int]]:
    """[(local weekday with Sunday 0, local hour, tokens)] for events in [lo, hi)."""
    cte, params = spans_cte(spans)
    table = ROLLUP_AS_EVENTS if from_rollup else "events"
    return db.execute(
        f"""{cte}
        SELECT CAST(strftime('%w', e.ts_ms / 1000 + s.off, 'unixepoch') AS INTEGER) AS wd,
               CAST(strftime('%H', e.ts_ms / 1000 + s.off, 'unixepoch') AS INTEGER) AS hr,
               SUM(e.total_tokens)
        FROM {table} e JOIN tz_spans s ON e.ts_ms >= s.start_ms AND e.ts_ms < s.end_ms
        WHERE e.ts_ms >= ? AND e.ts_ms < ?
        GROUP BY wd, hr""",
        params + [lo_ms, hi_ms],
    ).fetchall()


def active_local_days(db, spans: list[tuple[int, int, int]], lo_ms: int, hi_ms: int) -> int:
    """How many local days in [lo, hi) have any event."""
    cte, params = spans_cte(spans)
    return db.execute(
        f"""{cte}
        SELECT COUNT(DISTINCT date(e.ts_ms / 1000 + s.off, 'unixepoch'))
        FROM events e JOIN tz_spans s ON e.ts_ms >= s.start_ms AND e.ts_ms < s.end_ms
        WHERE e.ts_ms >= ? AND e.ts_ms < ?""",
        params + [lo_ms, hi_ms],
    ).fetchone()[0]


def project_totals(db, lo_ms: int, hi_ms: int, limit: int) -> list[tuple[str | None, int, float, int]]:
    """[(project, tokens, cost, sessions)] in [lo, hi), most tokens first."""
    return db.execute(
        f"""SELECT e.project, SUM(e.total_tokens) AS tokens, {COST_SQL} AS cost,
                   COUNT(DISTINCT e.session_id) AS sessions
            FROM events e WHERE e.ts_ms >= ? AND e.ts_ms < ?
            GROUP BY e.project ORDER BY tokens DESC, e.project LIMIT ?""",
        [lo_ms, hi_ms, limit],
    ).fetchall()


def session_totals(db, lo_ms: int, hi_ms: int, limit: int | None = None) -> list[tuple]:
    """One row per (tool, session id) active in [lo, hi), newest first: (tool, session id,
    project, first ms, last ms, events, comma-joined models, input, cache read, cache write,
    output, total, cost, unpriced events)."""
    sql = f"""
        SELECT e.tool, e.session_id, MAX(e.project), MIN(e.ts_ms), MAX(e.ts_ms), COUNT(*),
               group_concat(DISTINCT e.model),
               SUM(e.input_tokens), SUM(e.cache_read_tokens),
               SUM(e.cache_write_5m_tokens + e.cache_write_1h_tokens), SUM(e.output_tokens),
               SUM(e.total_tokens), {COST_SQL}, SUM(e.cost_usd IS NULL AND e.total_tokens > 0)
        FROM events e WHERE e.ts_ms >= ? AND e.ts_ms < ?
        GROUP BY e.tool, e.session_id ORDER BY MAX(e.ts_ms) DESC"""
    params: list = [lo_ms, hi_ms]
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    return db.execute(sql, params).fetchall()


def session_models(db, tool: str, session_id: str) -> list[tuple]:
    """One session's usage per model, largest first: (model, requests, first ms, last ms,
    project, input, cache read, cache write 5m, cache write 1h, output, reasoning, total, cost,
    unpriced events)."""
    return db.execute(
        f"""SELECT e.model, COUNT(*), MIN(e.ts_ms), MAX(e.ts_ms), MAX(e.project),
                   SUM(e.input_tokens), SUM(e.cache_read_tokens), SUM(e.cache_write_5m_tokens),
                   SUM(e.cache_write_1h_tokens), SUM(e.output_tokens), SUM(e.reasoning_tokens),
                   SUM(e.total_tokens), {COST_SQL}, SUM(e.cost_usd IS NULL AND e.total_tokens > 0)
            FROM events e WHERE e.session_id = ? AND e.tool = ?
            GROUP BY e.model ORDER BY SUM(e.total_tokens) DESC, e.model""",
        [session_id, tool],
    ).fetchall()


def session_actions(db, tool: str, session_id: str) -> list[tuple[str, int, int, int]]:
    """What the agent did in one session: (category, calls, risky, risky and unattended)."""
    return db.execute(
        "SELECT category, COUNT(*), SUM(risky), SUM(risky AND unattended) FROM actions"
        " WHERE tool = ? AND session_id = ? GROUP BY category ORDER BY COUNT(*) DESC, category",
        [tool, session_id],
    ).fetchall()


def prompt_totals(db, lo_ms: int, hi_ms: int) -> tuple[int, int, int, float, int]:
    """(input, cache read, cache write, cost, sessions) over [lo, hi); a session is a
    (tool, session id) pair."""
    return db.execute(
        f"""SELECT COALESCE(SUM(input_tokens), 0), COALESCE(SUM(cache_read_tokens), 0),
                   COALESCE(SUM(cache_write_5m_tokens + cache_write_1h_tokens), 0), {COST_SQL},
                   COUNT(DISTINCT e.tool || char(0) || e.session_id)
            FROM events e WHERE e.ts_ms >= ? AND e.ts_ms < ?""",
        [lo_ms, hi_ms],
    ).fetchone()


# ---- files and skipped lines (tokenlens.status) ------------------------------------------


def files_per_source(db) -> dict[str, tuple[int, int | None, int | None, int | None]]:
    """{source: (files, deleted by the tool, lines skipped, last event ms)}."""
    return {
        source: (files, missing, skipped, last_ms)
        for source, files, missing, skipped, last_ms in db.execute(
            "SELECT source, COUNT(*), SUM(missing), SUM(lines_skipped), MAX(last_event_ms)"
            " FROM files GROUP BY source"
        )
    }


def lines_skipped_total(db) -> int:
    return db.execute("SELECT COALESCE(SUM(lines_skipped), 0) FROM files").fetchone()[0]


def files_deleted_by_tools(db) -> int:
    return db.execute("SELECT COUNT(*) FROM files WHERE missing = 1").fetchone()[0]


def skipped_lines(db, limit: int) -> list[tuple[str, int, str]]:
    """[(file path, offset, reason)] of lines the parsers skipped, by path and offset."""
    return db.execute(
        "SELECT f.path, s.offset, s.reason FROM skips s JOIN files f ON f.id = s.file_id"
        " ORDER BY f.path, s.offset LIMIT ?",
        [limit],
    ).fetchall()


# ---- agent actions (tokenlens.permissions.actions) ---------------------------------------


def action_counts_per_day(db, since_ms: int) -> list[tuple[int, str, str, int, int | None, int | None]]:
    """[(UTC day number, tool, category, calls, risky, risky and unattended)] since `since_ms`."""
    return db.execute(
        "SELECT ts_ms / 86400000 AS day, tool, category, COUNT(*), SUM(risky), SUM(risky AND unattended)"
        " FROM actions WHERE ts_ms >= ? GROUP BY day, tool, category ORDER BY day DESC, tool, category",
        [since_ms],
    ).fetchall()


# ---- permission snapshots (tokenlens.permissions.snapshots) ------------------------------


def has_perm_scan(db) -> bool:
    return db.execute("SELECT 1 FROM perm_scans LIMIT 1").fetchone() is not None


def latest_perm_scan_id(db) -> int | None:
    row = db.execute("SELECT MAX(id) FROM perm_scans").fetchone()
    return row[0] if row else None


def perm_scan_before(db, scan_id: int) -> int | None:
    """The id of the snapshot recorded just before `scan_id`."""
    return db.execute("SELECT MAX(id) FROM perm_scans WHERE id < ?", [scan_id]).fetchone()[0]


def perm_scan_at_or_before(db, at_ms: int) -> int | None:
    """The id of the last snapshot recorded at or before `at_ms`."""
    return db.execute("SELECT MAX(id) FROM perm_scans WHERE scanned_ms <= ?", [at_ms]).fetchone()[0]


def first_perm_scan(db) -> tuple[int | None, int | None]:
    """(id, scanned ms) of the first snapshot; (None, None) before any."""
    first_id, first_ms = db.execute("SELECT MIN(id), MIN(scanned_ms) FROM perm_scans").fetchone()
    return first_id, first_ms


def perm_scan_scanned_ms(db, scan_id: int) -> int | None:
    row = db.execute("SELECT scanned_ms FROM perm_scans WHERE id = ?", [scan_id]).fetchone()
    return row[0] if row else None


def perm_scan_confirmed(db, scan_id: int) -> tuple[int, str] | None:
    """(confirmed ms, problems as JSON text) of a snapshot."""
    return db.execute("SELECT confirmed_ms, problems FROM perm_scans WHERE id = ?", [scan_id]).fetchone()


def latest_perm_risk_counts(db) -> tuple[int, int, int, int] | None:
    """(high, medium, low, info) grant counts of the newest snapshot; None before any."""
    return db.execute("SELECT high, medium, low, info FROM perm_scans ORDER BY id DESC LIMIT 1").fetchone()


def latest_perm_problems(db) -> str | None:
    """The newest snapshot's problems as JSON text; None before any."""
    row = db.execute("SELECT problems FROM perm_scans ORDER BY id DESC LIMIT 1").fetchone()
    return row[0] if row else None


def perm_scan_stats(db) -> tuple[int, int | None]:
    """(how many snapshots, the last confirmed ms)."""
    return db.execute("SELECT COUNT(*), MAX(confirmed_ms) FROM perm_scans").fetchone()


def perm_grants_of(db, scan_id: int, columns: Sequence[str]) -> list[tuple]:
    """[(grant key, *columns)] of one snapshot's grants."""
    return db.execute(f"SELECT grant_key, {', '.join(columns)} FROM perm_grants WHERE scan_id = ?",
                      [scan_id]).fetchall()


def perm_changes_of(db, scan_id: int) -> list[tuple[str, str]]:
    """[(grant key, "added" | "removed" | "changed")] recorded with a snapshot."""
    return db.execute("SELECT grant_key, change FROM perm_changes WHERE scan_id = ?", [scan_id]).fetchall()


def perm_change_history(db, limit: int) -> list[tuple]:
    """Changes across snapshots, newest first: (scanned ms, change, tool, scope, kind,
    subject, old value, new value, old risk, new risk, secret changed)."""
    return db.execute(
        "SELECT s.scanned_ms, c.change, c.tool, c.scope, c.kind, c.subject, c.old_value, c.new_value,"
        " c.old_risk, c.new_risk, c.secret_changed FROM perm_changes c JOIN perm_scans s ON s.id = c.scan_id"
        " ORDER BY s.id DESC, c.tool, c.subject LIMIT ?",
        [limit],
    ).fetchall()


def perm_since(db) -> dict[str, int]:
    """{grant key: earliest evidence ms} for every grant ever seen."""
    return dict(db.execute("SELECT grant_key, since_ms FROM perm_first").fetchall())


def perm_seen_mark(db) -> tuple[int, int] | None:
    """(scan id, seen ms) of the snapshot the person last looked at; None before any look."""
    return db.execute(
        "SELECT m.scan_id, m.seen_ms FROM perm_seen m JOIN perm_scans s ON s.id = m.scan_id WHERE m.id = 1"
    ).fetchone()


# ---- the export log (tokenlens.export.summary) -------------------------------------------


def export_log(db, limit: int) -> list[tuple[int, str, str, float | None]]:
    """[(ts ms, period, sha256, noise epsilon)] of exported files, newest first."""
    return db.execute(
        "SELECT ts_ms, period, sha256, noise_epsilon FROM exports ORDER BY ts_ms DESC, id DESC LIMIT ?",
        [limit],
    ).fetchall()


def epsilon_per_distinct_export(db, period: str) -> list[tuple[str, float]]:
    """[(sha256, epsilon)] per distinct noisy file exported for `period`."""
    return db.execute(
        "SELECT sha256, MAX(noise_epsilon) FROM exports WHERE period = ? AND noise_epsilon IS NOT NULL"
        " GROUP BY sha256",
        [period],
    ).fetchall()


# ---- plan-window readings (tokenlens.limits) ----------------------------------------------

LIMIT_COLUMNS = ("tool, account, window, window_minutes, observed_at_ms, last_seen_ms, used_percent,"
                 " resets_at_ms, plan, source")


def latest_limit_readings(db) -> list[dict]:
    """The newest reading of each (tool, account, window); of two first seen at the same
    time, the higher percentage (the one that can only be too cautious).

    Window by window through the series index, two seeks each (the next window, its newest
    reading), rather than a GROUP BY over every reading: the status line runs this on every
    message, and a year of Codex logs holds tens of thousands of readings for a handful of
    windows."""
    out = []
    key: tuple | None = ("", "", "")
    while (key := _next_limit_window(db, key)) is not None:
        out += _dicts(db.execute(
            f"SELECT {LIMIT_COLUMNS} FROM limit_readings WHERE tool = ? AND account = ? AND window = ?"
            " ORDER BY observed_at_ms DESC, used_percent DESC LIMIT 1", list(key)))
    out.sort(key=lambda r: (r["tool"], r["account"], r["window_minutes"] is not None, r["window_minutes"] or 0,
                            r["window"]))
    return out


def _next_limit_window(db, key: tuple) -> tuple | None:
    """The (tool, account, window) after `key` in the series index, by a seek at each level: a
    row-value `>` would step through every reading of the current window to leave it."""
    tool, account, window = key
    for where, args in (("tool = ? AND account = ? AND window > ?", [tool, account, window]),
                        ("tool = ? AND account > ?", [tool, account]),
                        ("tool > ?", [tool])):
        row = db.execute(f"SELECT tool, account, window FROM limit_readings WHERE {where}"
                         " ORDER BY tool, account, window LIMIT 1", args).fetchone()
        if row is not None:
            return tuple(row)
    return None


def limit_readings_of(db, tool: str, account: str, window: str, since_ms: int | None = None) -> list[dict]:
    """One window's readings, oldest first (since `since_ms`, first seen, when given)."""
    sql = (f"SELECT {LIMIT_COLUMNS} FROM limit_readings WHERE tool = ? AND account = ? AND window = ?"
           " AND observed_at_ms >= ? ORDER BY observed_at_ms, used_percent")
    return _dicts(db.execute(sql, [tool, account, window, since_ms if since_ms is not None else -(1 << 62)]))


def limit_reading_seen_since(db, reading, since_ms: int) -> bool:
    """Whether this reading (same window, same content) was last seen at `since_ms` or later:
    the status line, run every few hundred ms with the same windows, then writes nothing."""
    row = db.execute("SELECT 1 FROM limit_readings WHERE tool = ? AND account = ? AND window = ?"
                     " AND reading_key = ? AND last_seen_ms >= ?",
                     [reading.tool, reading.account, reading.window, reading.reading_key, since_ms]).fetchone()
    return row is not None


def device_limit_readings_of(db, device: str, tool: str, account: str, window: str,
                             since_ms: int | None = None) -> list[dict]:
    """limit_readings_of for another device's window (readings sync brought)."""
    sql = (f"SELECT {LIMIT_COLUMNS} FROM device_limit_readings WHERE device = ? AND tool = ? AND account = ?"
           " AND window = ? AND observed_at_ms >= ? ORDER BY observed_at_ms, used_percent")
    return _dicts(db.execute(sql, [device, tool, account, window,
                                   since_ms if since_ms is not None else -(1 << 62)]))


def latest_device_limit_readings(db) -> list[dict]:
    """latest_limit_readings for the other devices (not forgotten), each row with its `device`."""
    cols = ", ".join(f"r.{c.strip()}" for c in LIMIT_COLUMNS.split(","))
    sql = f"""
        WITH newest AS (SELECT device, tool, account, window, MAX(observed_at_ms) AS at
                        FROM device_limit_readings GROUP BY device, tool, account, window)
        SELECT r.device, {cols} FROM newest n JOIN device_limit_readings r
          ON r.device = n.device AND r.tool = n.tool AND r.account = n.account AND r.window = n.window
          AND r.observed_at_ms = n.at
        WHERE r.device NOT IN (SELECT id FROM devices WHERE forgotten_ms IS NOT NULL)
        ORDER BY r.device, r.tool, r.account, r.window_minutes, r.window, r.used_percent DESC"""
    out: dict[tuple, dict] = {}
    for row in _dicts(db.execute(sql)):
        out.setdefault((row["device"], row["tool"], row["account"], row["window"]), row)
    return list(out.values())


SYNC_LIMIT_COLUMNS = ("tool", "account", "window", "window_minutes", "reading_key", "observed_at_ms",
                      "last_seen_ms", "used_percent", "resets_at_ms", "plan", "source")


def own_limit_readings_to_send(db) -> list[tuple]:
    """This device's readings not yet in a segment as they are now (new, or first or last
    seen since): (id, *SYNC_LIMIT_COLUMNS)."""
    cols = ", ".join(f"r.{c}" for c in SYNC_LIMIT_COLUMNS)
    return db.execute(
        f"SELECT r.id, {cols} FROM limit_readings r LEFT JOIN limit_readings_sent s ON s.reading_id = r.id"
        " WHERE s.reading_id IS NULL OR s.observed_at_ms != r.observed_at_ms OR s.last_seen_ms != r.last_seen_ms"
        " ORDER BY r.id").fetchall()


def own_limit_reading_ids(db, rows: list[tuple]) -> list[tuple[int, int, int]]:
    """(id, observed_at_ms, last_seen_ms) of own readings as a segment read back had them
    (rows of SYNC_LIMIT_COLUMNS), for those the ledger holds."""
    import orjson

    keys = orjson.dumps([[r[0], r[1], r[2], r[4], r[5], r[6]] for r in rows]).decode()
    return [tuple(r) for r in db.execute(
        "SELECT l.id, json_extract(k.value, '$[4]'), json_extract(k.value, '$[5]') FROM json_each(?) k"
        " JOIN limit_readings l ON l.tool = json_extract(k.value, '$[0]') AND l.account = json_extract(k.value, '$[1]')"
        " AND l.window = json_extract(k.value, '$[2]') AND l.reading_key = json_extract(k.value, '$[3]')", [keys])]


def limit_reading_count(db) -> int:
    return db.execute("SELECT COUNT(*) FROM limit_readings").fetchone()[0]


def tokens_per_model_between(db, tool: str, lo_ms: int, hi_ms: int,
                             device: str = "") -> list[tuple[str, int, float, int]]:
    """(model, total tokens, cost, unpriced events) of one tool's events in [lo_ms, hi_ms) on
    one device ('' this one): a window is one device's plan use, not every device's."""
    # `+tool`: the time index, not (tool, event_key), which would walk every event of the tool
    # for each span (calibration asks once per window instance: hundreds of spans).
    sql = ("SELECT model, SUM(total_tokens), COALESCE(SUM(cost_usd), 0.0),"
           " SUM(cost_usd IS NULL AND total_tokens > 0) FROM events"
           " WHERE +tool = ? AND ts_ms >= ? AND ts_ms < ? AND +device = ? GROUP BY model")
    return [tuple(r) for r in db.execute(sql, [tool, lo_ms, hi_ms, device])]


def tokens_and_cost_between(db, lo_ms: int, hi_ms: int) -> tuple[int, float, int]:
    """(total tokens, cost, unpriced events) of every tool in [lo_ms, hi_ms): from the rollup
    when it is exact and the bounds are on quarter-hours (the status line's "today"), else
    from the events."""
    exact = db.execute("SELECT NOT EXISTS (SELECT 1 FROM rollup_dirty)").fetchone()[0] == 1
    if exact and lo_ms % QUARTER_MS == 0:
        sql = ("SELECT COALESCE(SUM(total_tokens), 0), COALESCE(SUM(cost_usd), 0.0),"
               " COALESCE(SUM(unpriced_events), 0) FROM rollup WHERE bucket >= ? AND bucket < ?")
        # The quarter-hour holding hi_ms is counted whole: "today so far" has nothing after now.
        row = db.execute(sql, [lo_ms // QUARTER_MS, -(-hi_ms // QUARTER_MS)]).fetchone()
    else:
        sql = ("SELECT COALESCE(SUM(total_tokens), 0), COALESCE(SUM(cost_usd), 0.0),"
               " COALESCE(SUM(cost_usd IS NULL AND total_tokens > 0), 0) FROM events WHERE ts_ms >= ? AND ts_ms < ?")
        row = db.execute(sql, [lo_ms, hi_ms]).fetchone()
    return int(row[0]), float(row[1]), int(row[2])


def file_stamp(db, path: str) -> tuple[int | None, int | None] | None:
    """(size, mtime_ns) the ledger last read a file at; None for a file it never read."""
    row = db.execute("SELECT size, mtime_ns FROM files WHERE path = ?", [path]).fetchone()
    return (row[0], row[1]) if row else None


def skipped_limit_readings(db) -> dict[str, int]:
    """Readings skipped as unusable: {"codex-log": log lines, "claude-statusline": payloads}."""
    logs = db.execute("SELECT COUNT(*) FROM skips WHERE reason LIKE 'rate_limits.%'").fetchone()[0]
    row = db.execute("SELECT value FROM meta WHERE key = 'statusline_readings_skipped'").fetchone()
    return {"codex-log": logs, "claude-statusline": int(row[0]) if row and str(row[0]).isdigit() else 0}


# ---- devices through a synced folder (tokenlens.sync) -------------------------------------

# The columns of an event a segment carries, in order (tokenlens/sync/engine.py).
SYNC_EVENT_COLUMNS = (
    "tool", "event_key", "ts_ms", "session_id", "project", "model", "provider",
    "input_tokens", "cache_read_tokens", "cache_write_5m_tokens", "cache_write_1h_tokens",
    "output_tokens", "reasoning_tokens", "total_tokens", "cost_usd", "cost_source", "rank",
    "replay_key", "is_replay",
)


def sync_config(db) -> tuple[str, str, str] | None:
    """(folder, this device's id, the folder key's check) once this ledger syncs; else None."""
    return db.execute("SELECT folder, device_id, key_check FROM sync_config WHERE id = 1").fetchone()


def own_unsent_events(db) -> list[tuple]:
    """This device's events not yet in a segment as they are now: (id, *SYNC_EVENT_COLUMNS)."""
    cols = ", ".join(f"e.{c}" for c in SYNC_EVENT_COLUMNS)
    return db.execute(
        f"SELECT e.id, {cols} FROM events e LEFT JOIN sync_sent s ON s.event_id = e.id"
        " WHERE e.device = '' AND (s.event_id IS NULL OR s.rank != e.rank OR s.ts_ms != e.ts_ms"
        " OR s.total_tokens != e.total_tokens OR s.is_replay != e.is_replay) ORDER BY e.id").fetchall()


def sent_versions(db, keys: list[tuple[str, str]]) -> list[tuple]:
    """(id, rank, ts_ms, total_tokens, is_replay) of this device's events with these (tool, key)."""
    import orjson

    return db.execute(
        "SELECT e.id, e.rank, e.ts_ms, e.total_tokens, e.is_replay FROM json_each(?) k"
        " JOIN events e ON e.tool = json_extract(k.value, '$[0]') AND e.event_key = json_extract(k.value, '$[1]')"
        " WHERE e.device = ''", [orjson.dumps(keys).decode()]).fetchall()


def known_segments(db, device: str) -> set[int]:
    return {seq for (seq,) in db.execute("SELECT seq FROM sync_segments WHERE device = ?", [device])}


def device_row(db, device: str) -> tuple | None:
    """(name, local_name, forgotten_ms) of a device seen (this one included)."""
    return db.execute("SELECT name, local_name, forgotten_ms FROM devices WHERE id = ?", [device]).fetchone()


def device_permissions(db, device: str) -> tuple | None:
    return db.execute("SELECT scanned_ms, high, medium, low, info FROM device_permissions WHERE device = ?",
                      [device]).fetchone()


def devices_overview(db) -> list[dict]:
    """Every device seen: its names, segments, events and days (UTC) covered; this device's
    events are those with device ''."""
    cfg = sync_config(db)
    self_id = cfg[1] if cfg else ""
    rows = db.execute(
        "SELECT d.id, d.name, d.local_name, d.first_seen_ms, d.last_segment_ms, d.forgotten_ms,"
        " (SELECT COUNT(*) FROM sync_segments s WHERE s.device = d.id),"
        " p.scanned_ms, p.high, p.medium, p.low, p.info"
        " FROM devices d LEFT JOIN device_permissions p ON p.device = d.id ORDER BY d.first_seen_ms, d.id").fetchall()
    counts = {dev: (n, days, lo, hi) for dev, n, days, lo, hi in db.execute(
        "SELECT device, COUNT(*), COUNT(DISTINCT ts_ms / 86400000), MIN(ts_ms), MAX(ts_ms) FROM events GROUP BY device")}
    out = []
    for dev, name, local, first, last_seg, forgotten, segs, scanned, high, medium, low, info in rows:
        n, days, lo, hi = counts.get("" if dev == self_id else dev, (0, 0, None, None))
        out.append({
            "id": dev, "name": local or name, "this_device": dev == self_id, "first_seen_ms": first,
            "last_segment_ms": last_seg, "forgotten_ms": forgotten, "segments": segs, "events": n,
            "days_covered": days, "first_event_ms": lo, "last_event_ms": hi,
            # (scanned_ms, grants per risk level in permissions.rules.RISK_LEVELS' order)
            "permissions": None if scanned is None and high is None else [scanned, high, medium, low, info],
        })
    return out


def device_choices(db) -> list[dict]:
    """The devices a tab's filter offers: id, name, whether it is this one, when forgotten.
    devices_overview without its counts, which read every event (the filter reloads whenever
    its tab does, about every 2 s while a tool writes)."""
    cfg = sync_config(db)
    self_id = cfg[1] if cfg else ""
    return [{"id": dev, "name": local or name, "this_device": dev == self_id, "forgotten_ms": forgotten}
            for dev, name, local, forgotten in db.execute(
                "SELECT id, name, local_name, forgotten_ms FROM devices ORDER BY first_seen_ms, id")]


def device_names(db) -> dict[str, str]:
    """Device column value ('' for this device) -> the name the person knows it by."""
    cfg = sync_config(db)
    names = {dev: local or name for dev, name, local in db.execute("SELECT id, name, local_name FROM devices")}
    if cfg:
        names[""] = names.pop(cfg[1], "this device")
    names.setdefault("", "this device")
    return names


def has_imported_events(db) -> bool:
    return db.execute("SELECT EXISTS (SELECT 1 FROM events WHERE device != '')").fetchone()[0] == 1


_DEVICE_VALUE = re.compile(r"^(|[a-z2-7]{16})$")


def restrict_to_devices(db, devices: Sequence[str]) -> None:
    """From now on, every query on this connection sees only these devices' events ('' is
    this device): a TEMP view named `events` shadows the table, SQLite resolving an
    unqualified name in the temp schema first. For the app's read-only jobs (a device filter
    over every tab query at once); never on a connection that writes events.
    The values are inlined (a view takes no parameters), so each must be a device id."""
    if not all(_DEVICE_VALUE.match(d) for d in devices) or not devices:
        raise ValueError(f"not device ids: {list(devices)!r}")
    listed = ", ".join(f"'{d}'" for d in devices)
    db.execute("DROP VIEW IF EXISTS temp.events")
    db.execute(f"CREATE TEMP VIEW events AS SELECT * FROM main.events WHERE device IN ({listed})")
