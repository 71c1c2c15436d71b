"""The numbers the tray app shows: today at a glance, trends, sessions, personal signals.

Pure queries over the ledger (no Qt): every function takes the database, a time zone and
explicit time bounds or "now", so tests pin the clock. Sums happen in SQL; local days and
hours come from the zone's UTC-offset spans (the same trick as `tokenlens.reports`), so
DST days bucket correctly.

Deliberately absent: any ranking against other people. These are the person's own numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

# The formatting the tooltip, popup and window share lives in tokenlens.numbers (the status
# line imports it without this module); the app imports it from here.
from tokenlens.numbers import format_cost, format_tokens  # noqa: F401
from tokenlens.reports import local_date_to_ms, zone_spans
from tokenlens.store import queries
from tokenlens.store.ledger import Ledger

GROUPS = ("tool", "model", "device")


@dataclass(frozen=True)
class DayTotal:
    day: date
    tokens: int
    cost: float


@dataclass
class Glance:
    """What the tray icon, its tooltip and the popup show."""

    day: date
    today_tokens: int = 0
    today_cost: float = 0.0
    avg7_tokens: float = 0.0  # mean of the 7 full days before today, idle days included
    avg7_cost: float = 0.0
    week_tokens: int = 0  # ISO week so far (Monday to today)
    week_cost: float = 0.0
    series14: list[DayTotal] = field(default_factory=list)  # oldest first, today last
    by_tool_today: list[tuple[str, int, float]] = field(default_factory=list)
    by_tool_week: list[tuple[str, int, float]] = field(default_factory=list)
    events_total: int = 0

    @property
    def ratio_to_average(self) -> float | None:
        """Today's tokens over the 7-day average; None when there is no history to compare."""
        if self.avg7_tokens <= 0:
            return None
        return self.today_tokens / self.avg7_tokens


@dataclass
class DailySeries:
    """Tokens and cost per local day and group (tool or model) over a range of days."""

    days: list[date]
    groups: list[str]  # largest first (by tokens over the whole range)
    values: dict[tuple[date, str], tuple[int, float]]

    def value(self, day: date, group: str, metric: str = "tokens") -> float:
        tokens, cost = self.values.get((day, group), (0, 0.0))
        return cost if metric == "cost" else tokens

    def day_total(self, day: date, metric: str = "tokens") -> float:
        return sum(self.value(day, g, metric) for g in self.groups)


# ---- time helpers ---------------------------------------------------------------------


def now_ms() -> int:
    return int(datetime.now(tz=UTC).timestamp() * 1000)


def local_day(zone: ZoneInfo, at_ms: int) -> date:
    return datetime.fromtimestamp(at_ms / 1000, tz=UTC).astimezone(zone).date()


def day_range_ms(zone: ZoneInfo, first: date, last: date) -> tuple[int, int]:
    """[start of `first`, start of the day after `last`) in UTC ms."""
    return local_date_to_ms(first, zone), local_date_to_ms(last + timedelta(days=1), zone)


# ---- daily series ---------------------------------------------------------------------


def _rollup_serves(db: Ledger, lo_ms: int, hi_ms: int) -> bool:
    """True when the quarter-hour rollup gives exactly what the events would for [lo, hi):
    bounds on quarter-hours (local days and hours are, in every zone in use) and no change
    left un-summed. Then the app reads a few rows per quarter-hour, not every event."""
    from tokenlens.store import rollup
    from tokenlens.store.ledger import QUARTER_MS

    return lo_ms % QUARTER_MS == 0 and hi_ms % QUARTER_MS == 0 and rollup.is_exact(db)


def daily_series(
    db: Ledger, zone: ZoneInfo, first: date, last: date, by: str = "tool", tool: str | None = None
) -> DailySeries:
    """Per local day from `first` to `last` (inclusive), split by tool, model or device."""
    if by not in GROUPS:
        raise ValueError(f"by must be one of {GROUPS}")
    lo, hi = day_range_ms(zone, first, last)
    # The rollup has no device column: a split by device reads the events.
    rows = queries.daily_tokens_and_cost(db, zone_spans(zone, lo, hi), lo, hi, by=by, tool=tool,
                                         from_rollup=by != "device" and _rollup_serves(db, lo, hi))
    if by == "device":  # the names the person gave their devices (tokenlens/sync/)
        names = queries.device_names(db)
        rows = [(day, names.get(group, group), tokens, cost) for day, group, tokens, cost in rows]
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    values: dict[tuple[date, str], tuple[int, float]] = {}
    group_tokens: dict[str, int] = {}
    for day_text, group, tokens, cost in rows:
        key = (date.fromisoformat(day_text), group or "unknown")
        old_tokens, old_cost = values.get(key, (0, 0.0))
        values[key] = (old_tokens + tokens, old_cost + cost)
        group_tokens[key[1]] = group_tokens.get(key[1], 0) + tokens
    groups = sorted(group_tokens, key=lambda g: (-group_tokens[g], g))
    return DailySeries(days=days, groups=groups, values=values)


def glance(db: Ledger, zone: ZoneInfo, at_ms: int | None = None) -> Glance:
    """Today, the 7 days before it, this ISO week and the last 14 days, split by tool."""
    at_ms = now_ms() if at_ms is None else at_ms
    today = local_day(zone, at_ms)
    first = today - timedelta(days=13)
    series = daily_series(db, zone, first, today, by="tool")
    result = Glance(day=today)
    result.series14 = [
        DayTotal(d, int(series.day_total(d)), series.day_total(d, "cost")) for d in series.days
    ]
    result.today_tokens = result.series14[-1].tokens
    result.today_cost = result.series14[-1].cost
    previous7 = result.series14[-8:-1]
    result.avg7_tokens = sum(d.tokens for d in previous7) / 7
    result.avg7_cost = sum(d.cost for d in previous7) / 7
    monday = today - timedelta(days=today.weekday())
    week = [d for d in result.series14 if d.day >= monday]
    result.week_tokens = sum(d.tokens for d in week)
    result.week_cost = sum(d.cost for d in week)
    result.by_tool_today = _split(series, [today])
    result.by_tool_week = _split(series, [d.day for d in week])
    result.events_total = queries.event_count(db)
    return result


def _split(series: DailySeries, days: list[date]) -> list[tuple[str, int, float]]:
    out = []
    for group in series.groups:
        tokens = sum(series.value(d, group) for d in days)
        cost = sum(series.value(d, group, "cost") for d in days)
        if tokens or cost:
            out.append((group, int(tokens), cost))
    return sorted(out, key=lambda r: (-r[1], r[0]))


# ---- patterns -------------------------------------------------------------------------


def hour_of_week(db: Ledger, zone: ZoneInfo, lo_ms: int, hi_ms: int) -> list[list[int]]:
    """Tokens per local [weekday][hour]; weekday 0 is Monday."""
    grid = [[0] * 24 for _ in range(7)]
    rows = queries.tokens_by_weekday_hour(db, zone_spans(zone, lo_ms, hi_ms), lo_ms, hi_ms,
                                          from_rollup=_rollup_serves(db, lo_ms, hi_ms))
    for sunday_first, hour, tokens in rows:
        grid[(sunday_first + 6) % 7][hour] += tokens
    return grid


def busiest_hours(grid: list[list[int]], count: int = 3) -> list[int]:
    """The local hours of day with the most tokens (summed over weekdays), busiest first."""
    per_hour = [sum(grid[d][h] for d in range(7)) for h in range(24)]
    ranked = sorted((h for h in range(24) if per_hour[h] > 0), key=lambda h: (-per_hour[h], h))
    return ranked[:count]


def top_projects(db: Ledger, lo_ms: int, hi_ms: int, limit: int = 8) -> list[dict]:
    rows = queries.project_totals(db, lo_ms, hi_ms, limit)
    return [
        {"project": project or "", "tokens": tokens, "cost": cost, "sessions": sessions}
        for project, tokens, cost, sessions in rows
    ]


# ---- sessions -------------------------------------------------------------------------


def sessions(db: Ledger, lo_ms: int, hi_ms: int, limit: int | None = None) -> list[dict]:
    """One row per (tool, session) with activity in [lo, hi): newest first."""
    out = []
    rows = queries.session_totals(db, lo_ms, hi_ms, limit)
    for (tool, sid, project, start, end, n, models, inp, cr, cw, outp, total, cost, unpriced) in rows:
        out.append(
            {
                "tool": tool,
                "session_id": sid,
                "project": project or "",
                "start_ms": start,
                "end_ms": end,
                "requests": n,
                "models": sorted(m for m in (models or "").split(",") if m),
                "input_tokens": inp,
                "cache_read_tokens": cr,
                "cache_write_tokens": cw,
                "output_tokens": outp,
                "total_tokens": total,
                "cost_usd": cost,
                "cost_complete": not unpriced,
                "cache_hit": cache_hit_ratio_of(inp, cr, cw),
            }
        )
    return out


@dataclass
class SessionDetail:
    """One session in full: what the Sessions tab opens on a double-click."""

    tool: str
    session_id: str
    project: str
    start_ms: int
    end_ms: int
    requests: int
    models: list[dict]  # per model: name, requests, total_tokens, cost_usd
    tokens: dict[str, int]  # by kind: input, cache_read, cache_write_5m, cache_write_1h, output, reasoning
    total_tokens: int
    cost_usd: float
    cost_complete: bool
    actions: list[dict]  # per category: category, count, risky, risky_unattended

    @property
    def length_ms(self) -> int:
        return self.end_ms - self.start_ms


TOKEN_KINDS = ("input", "cache_read", "cache_write_5m", "cache_write_1h", "output", "reasoning")


def session_detail(db: Ledger, tool: str, session_id: str) -> SessionDetail | None:
    """None when the ledger holds no event of that session (e.g. it was rebuilt meanwhile)."""
    rows = queries.session_models(db, tool, session_id)
    if not rows:
        return None
    kinds = dict.fromkeys(TOKEN_KINDS, 0)
    models = []
    for (model, n, _first, _last, _project, *counts, total, cost, unpriced) in rows:
        for kind, value in zip(TOKEN_KINDS, counts, strict=True):
            kinds[kind] += value or 0
        models.append({"model": model or "unknown", "requests": n, "total_tokens": total,
                       "cost_usd": cost, "cost_complete": not unpriced})
    actions = [{"category": c, "count": n, "risky": risky or 0, "risky_unattended": alone or 0}
               for c, n, risky, alone in queries.session_actions(db, tool, session_id)]
    return SessionDetail(
        tool=tool, session_id=session_id,
        project=next((r[4] for r in rows if r[4]), "") or "",
        start_ms=min(r[2] for r in rows), end_ms=max(r[3] for r in rows),
        requests=sum(r[1] for r in rows), models=models, tokens=kinds,
        total_tokens=sum(m["total_tokens"] for m in models),
        cost_usd=sum(m["cost_usd"] for m in models),
        cost_complete=all(m["cost_complete"] for m in models), actions=actions,
    )


def format_duration(ms: int) -> str:
    """A session's length: "under a minute", "42 min", "3 h 05 min", "2 d 4 h"."""
    minutes = ms // 60_000
    if minutes < 1:
        return "under a minute"
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes:02d} min"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h"


def cache_hit_ratio_of(input_tokens: int, cache_read: int, cache_write: int) -> float | None:
    """Share of prompt tokens served from cache; None when there was no prompt at all."""
    prompt = input_tokens + cache_read + cache_write
    return cache_read / prompt if prompt else None


@dataclass
class Signals:
    """Useful mirrors for one person over a range: how they use the tools, not a score."""

    cache_hit_ratio: float | None
    sessions: int
    cost_per_session: float | None
    busiest_hours: list[int]
    biggest_sessions: list[dict]
    active_days: int


def signals(db: Ledger, zone: ZoneInfo, lo_ms: int, hi_ms: int, biggest: int = 5,
            grid: list[list[int]] | None = None) -> Signals:
    """`grid`: hour_of_week over the same span when the caller has it already (the Overview)."""
    inp, cr, cw, cost, n_sessions = queries.prompt_totals(db, lo_ms, hi_ms)
    if grid is None:
        grid = hour_of_week(db, zone, lo_ms, hi_ms)
    active_days = queries.active_local_days(db, zone_spans(zone, lo_ms, hi_ms), lo_ms, hi_ms)
    biggest_rows = sorted(sessions(db, lo_ms, hi_ms), key=lambda s: -s["total_tokens"])[:biggest]
    return Signals(
        cache_hit_ratio=cache_hit_ratio_of(inp, cr, cw),
        sessions=n_sessions,
        cost_per_session=cost / n_sessions if n_sessions else None,
        busiest_hours=busiest_hours(grid),
        biggest_sessions=biggest_rows,
        active_days=active_days,
    )

