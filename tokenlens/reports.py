"""Daily/weekly/monthly/session/blocks reports, aggregated in SQL, bucketed in any time zone.

SQLite knows no named time zones, so we hand it the zone's UTC offsets as a small table of
spans (one row between DST transitions) and let it bucket each event by its local date.
That keeps the heavy work (summing every event) in SQL, exact for DST and for half-hour or
45-minute zones alike.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tokenlens.model import TOKEN_FIELDS
from tokenlens.store import queries, rollup
from tokenlens.store.ledger import QUARTER_MS, Ledger

KINDS = ("daily", "weekly", "monthly", "session", "blocks")
GROUPS = ("tool", "model", "project", "device")
BLOCK_MS = 5 * 3600 * 1000
DAY_MS = 86_400_000


class ReportError(ValueError):
    """A bad report request (unknown zone, bad date); the message is one line."""


# ---- time zones ------------------------------------------------------------------------


def local_zone_name() -> str:
    """The machine's IANA zone: $TZ, else /etc/localtime's target, else UTC."""
    tz = os.environ.get("TZ", "").lstrip(":")
    if tz:
        return tz
    try:
        target = os.path.realpath("/etc/localtime")
        if "zoneinfo/" in target:
            return target.split("zoneinfo/", 1)[1]
    except OSError:
        pass
    return "UTC"


def get_zone(name: str | None) -> ZoneInfo:
    name = name or local_zone_name()
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, IsADirectoryError) as exc:
        canonical = _zone_by_case(name)
        if canonical is None:
            raise ReportError(f"unknown time zone {name!r} (use an IANA name like Europe/Berlin)") from exc
    return ZoneInfo(canonical)


def _zone_by_case(name: str) -> str | None:
    """The one IANA zone spelled `name` in any case (utc -> UTC, europe/berlin -> Europe/Berlin);
    None when there is none. Listing the zones reads the tz database, so only a name that is
    not a zone as given pays for it."""
    from zoneinfo import available_timezones

    wanted = name.casefold()
    matches = sorted(z for z in available_timezones() if z.casefold() == wanted)
    if len(matches) > 1:
        raise ReportError(f"time zone {name!r} is ambiguous: it could be {' or '.join(matches)}")
    return matches[0] if matches else None


# Probing once a day finds every offset change: no two changes in tzdata since 1970 are
# closer than 6.96 days (America/Recife, 2000), so no pair can cancel between probes.
PROBE_MS = DAY_MS


def zone_spans(zone: ZoneInfo, start_ms: int, end_ms: int) -> list[tuple[int, int, int]]:
    """[(span_start_ms, span_end_ms, utc_offset_seconds)] covering [start_ms, end_ms)."""

    def offset_at(ms: int) -> int:
        return int(datetime.fromtimestamp(ms / 1000, zone).utcoffset().total_seconds())

    spans = []
    cursor = start_ms - DAY_MS
    current = offset_at(cursor)
    probe = cursor
    while probe < end_ms + DAY_MS:
        nxt = probe + PROBE_MS
        off = offset_at(nxt)
        if off != current:
            lo, hi = probe, nxt  # bisect to the minute where the offset changes
            while hi - lo > 60_000:
                mid = (lo + hi) // 2 // 60_000 * 60_000
                if mid <= lo:
                    break
                if offset_at(mid) == current:
                    lo = mid
                else:
                    hi = mid
            spans.append((cursor, hi, current))
            cursor, current = hi, off
        probe = nxt
    spans.append((cursor, end_ms + 2 * DAY_MS, current))
    return spans


def local_date_to_ms(day: date, zone: ZoneInfo) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=zone).timestamp() * 1000)


def parse_day(value: str | None, flag: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ReportError(f"{flag} must be a date like 2026-11-24, not {value!r}") from None


# ---- the report ------------------------------------------------------------------------


@dataclass
class Report:
    kind: str
    tz: str
    rows: list[dict] = field(default_factory=list)
    totals: dict = field(default_factory=dict)
    by: str | None = None
    # period (+ group) -> per-model rows, for the table view's breakdown
    breakdown: dict[tuple, list[dict]] = field(default_factory=dict)

    def key_of(self, row: dict) -> tuple:
        """The key of `row` in `breakdown`."""
        return _key(self.kind, row["period"], row["tools"][0] if row["tools"] else "", row.get("group"), self.by)

    def to_json(self) -> dict:
        return {"report": self.kind, "tz": self.tz, "rows": self.rows, "totals": self.totals}


def _key(kind: str, period: str, tool: str, group, by: str | None) -> tuple:
    """One row per period (and group); a session is a (tool, session id) pair, since two
    tools may well use the same id."""
    key = (period, tool) if kind == "session" else (period,)
    return (*key, group) if by else key


def _empty_row() -> dict:
    row = {f: 0 for f in TOKEN_FIELDS}
    row["cost_usd"] = 0.0
    row["models"] = set()
    row["tools"] = set()
    row["unpriced_events"] = 0
    row["unpriced_models"] = set()
    return row


def _add(into: dict, part: dict) -> None:
    for f in TOKEN_FIELDS:
        into[f] += part[f]
    into["cost_usd"] += part["cost_usd"]
    into["models"] |= part["models"]
    into["tools"] |= part["tools"]
    into["unpriced_events"] += part["unpriced_events"]
    into["unpriced_models"] |= part["unpriced_models"]


def _finish(row: dict) -> dict:
    """A row as JSON shows it. `cost_usd` is null where any of the row's usage has no known
    price (design.md: an unknown model's cost is null, never a made-up 0); `cost_usd_known`
    is the priced part, and `unpriced_models` names the models without a price."""
    row["models"] = sorted(m for m in row["models"] if m)
    row["tools"] = sorted(row["tools"])
    known = round(row["cost_usd"], 6)
    row["cost_usd"] = None if row.pop("unpriced_events") else known
    row["cost_usd_known"] = known
    row["unpriced_models"] = sorted(row["unpriced_models"])
    return row


def build_report(
    db: Ledger,
    kind: str = "daily",
    tz: str | None = None,
    since: str | None = None,
    until: str | None = None,
    tool: str | Sequence[str] | None = None,
    by: str | None = None,
    devices: Sequence[str] = (),
) -> Report:
    """`tool`: one tool id or several (any of them); None or empty for every tool.
    `devices`: values of events.device (`resolve_devices`; '' is this device); () is all."""
    if kind not in KINDS:
        raise ReportError(f"unknown report {kind!r}; choose one of {', '.join(KINDS)}")
    if by is not None and by not in GROUPS:
        raise ReportError(f"--by must be one of {', '.join(GROUPS)}")
    zone = get_zone(tz)
    since_day, until_day = parse_day(since, "--since"), parse_day(until, "--until")
    if since_day and until_day and since_day > until_day:
        raise ReportError("--since is after --until")
    lo = local_date_to_ms(since_day, zone) if since_day else None
    hi = local_date_to_ms(until_day + timedelta(days=1), zone) if until_day else None

    tools = tuple([tool] if isinstance(tool, str) else (tool or ()))
    bounds = {"lo_ms": lo, "hi_ms": hi, "tools": tools, "devices": tuple(devices)}

    report = Report(kind=kind, tz=zone.key, by=by)
    if kind in ("daily", "weekly", "monthly"):
        parts = _calendar_parts(db, zone, bounds, by)
    elif kind == "session":
        parts = _session_parts(db, bounds, by)
    else:
        parts = _block_parts(db, zone, bounds, by)
    if by == "device":
        names = queries.device_names(db)
        for part in parts:
            part["group"] = names.get(part["group"], part["group"])

    rows: dict[tuple, dict] = {}
    breakdown: dict[tuple, dict[str, dict]] = {}
    totals = _empty_row()
    for part in parts:
        period = _period_of(kind, part["bucket"])
        key = _key(kind, period, part["tool"], part["group"], by)
        if key not in rows:
            rows[key] = _empty_row()
            rows[key]["period"] = period
            for extra in ("project", "start", "end", "active", "last_activity"):
                if extra in part:
                    rows[key][extra] = part[extra]
            if by:
                rows[key]["group"] = part["group"]
        row = rows[key]
        if "last_activity" in part:
            row["last_activity"] = max(row.get("last_activity", ""), part["last_activity"])
        if "first_ms" in part:
            row["first_ms"] = min(row.get("first_ms", part["first_ms"]), part["first_ms"])
            row["last_ms"] = max(row.get("last_ms", part["last_ms"]), part["last_ms"])
        _add(row, part)
        _add(totals, part)
        per_model = breakdown.setdefault(key, {})
        model_row = per_model.setdefault(part["model"], _empty_row())
        _add(model_row, part)

    order = sorted(rows, key=lambda k: (rows[k].get("last_activity", ""), k) if kind == "session" else k)
    for key in order:
        row = rows[key]
        if "first_ms" in row:  # a session: when it started (UTC, like last_activity) and how long it ran
            first_ms, last_ms = row.pop("first_ms"), row.pop("last_ms")
            row["start"] = datetime.fromtimestamp(first_ms / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            row["duration_seconds"] = (last_ms - first_ms) // 1000
        report.rows.append(_order_keys(_finish(row), by))
        report.breakdown[key] = [
            {"model": m, **_finish(r)} for m, r in sorted(breakdown[key].items(), key=lambda i: -i[1]["total_tokens"])
        ]
    totals["period"] = "total"
    report.totals = _order_keys(_finish(totals), None)
    return report


def _order_keys(row: dict, by: str | None) -> dict:
    head = ["period"] + (["group"] if by else [])
    ordered = {k: row[k] for k in head if k in row}
    for f in (*TOKEN_FIELDS, "cost_usd", "models", "tools"):
        ordered[f] = row[f]
    for k, v in row.items():
        ordered.setdefault(k, v)
    return ordered


def _period_of(kind: str, bucket: str) -> str:
    if kind == "weekly":
        year, week, _ = date.fromisoformat(bucket).isocalendar()
        return f"{year}-W{week:02d}"
    if kind == "monthly":
        return bucket[:7]
    return bucket


SPAN_WINDOW_MS = 400 * DAY_MS


def _event_spans(db: Ledger, zone: ZoneInfo, bounds: dict, from_rollup: bool = False) -> list[tuple[int, int, int]]:
    """The zone's spans over the events `bounds` select: a zone has two spans a year at most.

    Spans are worked out only for ~yearly windows that hold events, jumping over empty
    years: one line from a skewed clock (year 1970 or 2999) must not cost every report
    centuries of probing. Windows never overlap, so no event can match two spans.
    """
    spans: list[tuple[int, int, int]] = []
    start = queries.first_event_ms(db, -(2**62), from_rollup=from_rollup, **bounds)
    while start is not None:
        end = start + SPAN_WINDOW_MS
        for lo, hi, off in zone_spans(zone, start, end):
            lo, hi = max(lo, start), min(hi, end)
            if lo < hi:
                spans.append((lo, hi, off))
        start = queries.first_event_ms(db, end, from_rollup=from_rollup, **bounds)
    return spans or [(0, 1, 0)]


def _parts(rows: list[dict]) -> list[dict]:
    for part in rows:
        part["models"] = {part["model"]}
        part["tools"] = {part["tool"]}
        part["unpriced_models"] = {part["model"] or "(unknown model)"} if part["unpriced_events"] else set()
    return rows


def _calendar_parts(db: Ledger, zone: ZoneInfo, bounds: dict, by: str | None) -> list[dict]:
    # Everything calendar reports filter and group by is in the quarter-hour rollup, which is
    # exact as long as every boundary (--since/--until, DST changes) falls on a quarter-hour.
    # The rollup does not keep devices apart (store/rollup.py): a device filter reads the events.
    from_rollup = (_quarter_aligned(bounds["lo_ms"], bounds["hi_ms"]) and not bounds["devices"] and by != "device"
                   and rollup.is_exact(db))
    spans = _event_spans(db, zone, bounds, from_rollup)
    if from_rollup and not _spans_aligned(spans):
        from_rollup = False  # a historical odd offset (local mean time): bucket the events themselves
        spans = _event_spans(db, zone, bounds)
    return _parts(queries.calendar_sums(db, spans, by=by, from_rollup=from_rollup, **bounds))


def _quarter_aligned(*bounds: int | None) -> bool:
    return all(v is None or v % QUARTER_MS == 0 for v in bounds)


def _spans_aligned(spans: list[tuple[int, int, int]]) -> bool:
    """Every span starts and ends on a quarter-hour and its offset is whole quarter-hours."""
    return not any(start % QUARTER_MS or end % QUARTER_MS or offset_s % 900 for start, end, offset_s in spans)


def _session_parts(db: Ledger, bounds: dict, by: str | None) -> list[dict]:
    return _parts(queries.session_sums(db, by=by, **bounds))


def _block_parts(db: Ledger, zone: ZoneInfo, bounds: dict, by: str | None) -> list[dict]:
    """5-hour billing windows: a block starts at the hour of its first event and ends 5 h
    later; the next event after that (or after a 5 h gap) opens a new one."""
    parts = _parts(queries.minute_sums(db, by=by, **bounds))
    now_ms = int(datetime.now(tz=UTC).timestamp() * 1000)
    block_start = last_ms = None
    for part in parts:
        ts = part["minute"] * 60_000
        if block_start is None or ts >= block_start + BLOCK_MS or ts - last_ms > BLOCK_MS:
            block_start = ts // 3_600_000 * 3_600_000
        last_ms = ts
        start = datetime.fromtimestamp(block_start / 1000, tz=UTC).astimezone(zone)
        # From the instant, not the wall clock: a block spanning a DST change still lasts 5 h.
        end = datetime.fromtimestamp((block_start + BLOCK_MS) / 1000, tz=UTC).astimezone(zone)
        part["bucket"] = start.isoformat()
        part["start"] = start.isoformat()
        part["end"] = end.isoformat()
        part["active"] = block_start + BLOCK_MS > now_ms
    return parts


def resolve_devices(db: Ledger, wanted: Sequence[str]) -> tuple[str, ...]:
    """--device NAME/ID values as events.device values ('' for this device); ReportError
    naming the known devices for one that is not."""
    names = queries.device_names(db)
    ids = {v: k for k, v in names.items()}
    config = queries.sync_config(db)
    out = []
    for value in wanted:
        if value in ids:
            out.append(ids[value])
        elif config and value == config[1]:
            out.append("")
        elif value in names and value:
            out.append(value)
        else:
            known = ", ".join(sorted(repr(n) for n in names.values()))
            raise ReportError(f"unknown device {value!r}; known: {known}")
    return tuple(dict.fromkeys(out))


def ledger_summary(db: Ledger) -> dict:
    """Counts for `doctor` and the app: events per tool, unknown models, skipped lines."""
    return {"tools": queries.events_per_tool(db), "unknown_models": queries.unpriced_models(db)}


def data_files_size(data_dir: Path) -> int:
    return sum(p.stat().st_size for p in data_dir.glob("ledger.db*") if p.is_file())


# What a table shows when no --since/--until is given (--json always covers everything):
# a span ending with the newest usage, so it is the same whatever day it is read.
DEFAULT_DAYS = {"daily": 30, "weekly": 7 * 12, "monthly": 365, "session": 30}


def default_since(db, kind: str, tz: str | None, tools=()) -> str | None:
    """The first day of the default table range (ISO date), or None to show everything."""
    from tokenlens.store import queries

    days = DEFAULT_DAYS.get(kind)
    latest = queries.latest_event_ms(db, list(tools or ())) if days else None
    if latest is None:
        return None
    zone = get_zone(tz)
    last_day = datetime.fromtimestamp(latest / 1000, tz=zone).date()
    first_day = last_day - timedelta(days=days - 1)
    return first_day.isoformat()
