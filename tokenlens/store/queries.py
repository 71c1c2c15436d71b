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

from collections.abc import Sequence

from tokenlens.store.ledger import QUARTER_MS

# ---- shared pieces ------------------------------------------------------------------------

COST_SQL = "COALESCE(SUM(e.cost_usd), 0.0)"
GROUP_COLUMNS = ("tool", "model", "project")


def spans_cte(spans: list[tuple[int, int, int]]) -> tuple[str, list]:
    """The spans as a `WITH tz_spans(start_ms, end_ms, off)` clause and its parameters."""
    values = ", ".join("(?, ?, ?)" for _ in spans)
    return f"WITH tz_spans(start_ms, end_ms, off) AS (VALUES {values})", [v for span in spans for v in span]


def _event_filter(lo_ms: int | None, hi_ms: int | None, tools: Sequence[str] = ()) -> tuple[str, list]:
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
                   tools: Sequence[str] = (), from_rollup: bool = False) -> int | None:
    """The earliest event time >= `at_or_after` matching the filter; None when there is none."""
    where_sql, params = _event_filter(lo_ms, hi_ms, tools)
    table = ROLLUP_AS_EVENTS if from_rollup else "events"
    sql = f"SELECT MIN(e.ts_ms) FROM {table} e WHERE {where_sql} AND e.ts_ms >= ?"
    return db.execute(sql, [*params, at_or_after]).fetchone()[0]


def calendar_sums(db, spans: list[tuple[int, int, int]], *, lo_ms: int | None = None, hi_ms: int | None = None,
                  tools: Sequence[str] = (), by: str | None = None, from_rollup: bool = False) -> list[dict]:
    """Sums per local day ("bucket", ISO date), group, tool and model. `from_rollup` reads the
    quarter-hour rollup instead of the events (exact when every bound is on a quarter-hour)."""
    where_sql, params = _event_filter(lo_ms, hi_ms, tools)
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
                 by: str | None = None) -> list[dict]:
    """Sums per (tool, session id), group and model ("bucket" is the session id)."""
    where_sql, params = _event_filter(lo_ms, hi_ms, tools)
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
                by: str | None = None) -> list[dict]:
    """Sums per UTC minute ("minute", ms / 60000), group, tool and model, oldest first."""
    where_sql, params = _event_filter(lo_ms, hi_ms, tools)
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
