"""Hermes Agent (Nous Research): running token counters per session in SQLite `state.db`.

Where: `$HERMES_HOME/state.db`, default `~/.hermes/state.db` (NousResearch/hermes-agent
hermes_state.py: `DEFAULT_DB_PATH = get_hermes_home() / "state.db"`), and each named profile's
`<home>/profiles/<name>/state.db` (a profile is its own HERMES_HOME; ccusage reads only the
default file). WAL mode; opened read-only (sqlite_ro), the `-wal` is part of the fingerprint.

Format (hermes_state_common.py SCHEMA_SQL): `sessions(id TEXT PRIMARY KEY, model,
parent_session_id, started_at REAL NOT NULL (epoch seconds), input_tokens, output_tokens,
cache_read_tokens, cache_write_tokens, reasoning_tokens, billing_provider, estimated_cost_usd,
actual_cost_usd, cwd, ...)`. hermes_state_usage.py: the CLI adds per-call deltas to those
counters, the gateway sets them to absolute cumulative values; newer builds also upsert
`session_daily_usage(session_id, day, input_tokens, output_tokens, cache_read_tokens,
cache_write_tokens, reasoning_tokens, estimated_cost_usd, actual_cost_usd, api_call_count)`
in the same transaction, `day = date('now', 'localtime')` (the machine's local date).

Events:
- without `session_daily_usage`: one event per session, key = session id, at `started_at`;
- with it: one event per (session, day) row, key `<id>@<day>`, at `started_at` on the
  session's first local day, else at 12:00 local time of that day (noon keeps the date in any
  report zone within 11 hours of the machine's); plus a remainder event keyed by the session
  id, at `started_at`, holding the counters minus the sum of its day rows (usage from before
  the build that writes day rows; 0 for a new session, so none is emitted).
Copies: the same session id in two profile databases is a copy (a profile cloned from
another). The keys are the same, and the rank is the event's token total, so the ledger keeps
the larger counter; counters only grow, so a re-read never shrinks an event.

Tokens (hermes agent/usage_pricing.py per shared/specs/new_tools.md §4): input excludes cache;
output includes reasoning. So input = input_tokens, cache_read = cache_read_tokens,
cache_write (5m) = cache_write_tokens, output = output_tokens, reasoning = reasoning_tokens
(informational, never added again; ccusage adds it on top of output). Cost reported:
`actual_cost_usd` when positive, else `estimated_cost_usd` when positive, else priced from the
table (subscription routes report 0).

Not confirmed from source: the exact CREATE TABLE of `session_daily_usage` (inferred from its
upsert in hermes_state_usage.py: ON CONFLICT(session_id, day) implies that unique key); that
`output_tokens` includes reasoning (usage_pricing.py not read here, taken from the notes);
whether a compression child session starts its counters at zero (each session id is counted
once, as ccusage does); auxiliary calls (`record_auxiliary_usage`) go only to
`session_model_usage`, which is not read, so they are missing here (and in ccusage).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

from tokenlens.config import Env
from tokenlens.model import UsageEvent
from tokenlens.tools import hermes as where
from tokenlens.tools.source import (
    BadLine,
    Discovered,
    _walk_files,
    count,
    iso_to_ms,
    note_unreadable,
    text,
)
from tokenlens.tools.sqlite_ro import DatabaseSource, table_columns

DB_NAME = "state.db"
SESSION_COLUMNS = (
    "id", "model", "billing_provider", "started_at", "cwd", "input_tokens", "output_tokens",
    "cache_read_tokens", "cache_write_tokens", "reasoning_tokens", "estimated_cost_usd", "actual_cost_usd",
)
DAY_COLUMNS = (
    "session_id", "day", "input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens",
    "reasoning_tokens", "estimated_cost_usd", "actual_cost_usd",
)
COUNTERS = ("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens", "reasoning_tokens")
COSTS = ("estimated_cost_usd", "actual_cost_usd")
RECORD_ERRORS = (BadLine, TypeError, ValueError, OverflowError)
# Hermes billing_provider -> genai-prices provider id; others are priced by model family.
PROVIDERS = {
    "anthropic": "anthropic",
    "openai": "openai",
    "openrouter": "openrouter",
    "gemini": "google",
    "google": "google",
    "xai": "x-ai",
    "deepseek": "deepseek",
    "mistral": "mistral",
}


class Hermes(DatabaseSource):
    id = "hermes"
    name = "Hermes Agent"

    def roots(self, env: Env) -> list[Path]:
        return where.homes(env)

    def discover(self, env: Env) -> Iterator[Discovered]:
        # Only `state.db` and `profiles/*/state.db`: the home also holds logs, skills, caches.
        for root in self.roots(env):
            for path in _walk_files(root / DB_NAME, (DB_NAME,)):
                yield Discovered(path, root)
            try:
                profiles = sorted(p for p in (root / "profiles").iterdir() if p.is_dir())
            except OSError as exc:
                note_unreadable(root / "profiles", exc, "folder")
                profiles = []
            for profile in profiles:
                for path in _walk_files(profile / DB_NAME, (DB_NAME,)):
                    yield Discovered(path, root)

    def read_database(self, conn: sqlite3.Connection) -> tuple[list[UsageEvent], int]:
        present = table_columns(conn, "sessions")
        if "id" not in present:
            return [], 0
        events: list[UsageEvent] = []
        bad = 0
        days, bad_days = _day_rows(conn)
        bad += bad_days
        select = ", ".join(c if c in present else f"NULL AS {c}" for c in SESSION_COLUMNS)
        for values in conn.execute(f"SELECT {select} FROM sessions"):
            row = dict(zip(SESSION_COLUMNS, values, strict=True))
            try:
                events += self._session_events(row, days)
            except RECORD_ERRORS:
                bad += 1
        return events, bad

    def _session_events(self, row: dict[str, Any], days: dict[str, list[dict]] | None) -> list[UsageEvent]:
        session = row["id"]
        if not isinstance(session, str) or not session:
            raise BadLine("session id missing")
        started_ms = iso_to_ms(row["started_at"])
        totals = {c: count(row[c], c) for c in COUNTERS}
        costs = {c: _money(row[c]) for c in COSTS}
        events = []
        remainder_totals, remainder_costs = dict(totals), dict(costs)
        for day_row in (days or {}).get(session, []):
            day = day_row["day"]
            ts = started_ms if _local_date(started_ms) == day else _local_noon_ms(day)
            events.append(self._event(row, f"{session}@{day.isoformat()}", ts, day_row["tokens"], day_row["costs"]))
            for c in COUNTERS:
                remainder_totals[c] = max(0, remainder_totals[c] - day_row["tokens"][c])
            for c in COSTS:
                if remainder_costs[c] is not None:
                    remainder_costs[c] = max(0.0, remainder_costs[c] - (day_row["costs"][c] or 0.0))
        events.append(self._event(row, session, started_ms, remainder_totals, remainder_costs))
        return [e for e in events if e is not None]

    def _event(self, row: dict, key: str, ts_ms: int, tokens: dict[str, int], costs: dict) -> UsageEvent | None:
        if not any(tokens.values()):
            return None
        output, reasoning = tokens["output_tokens"], tokens["reasoning_tokens"]
        provider = text(row["billing_provider"])
        event = UsageEvent(
            tool=self.id,
            event_key=key,
            ts_ms=ts_ms,
            model=text(row["model"]) or "unknown",
            provider=PROVIDERS.get(provider, ""),
            session_id=row["id"],
            project=text(row["cwd"]),
            input_tokens=tokens["input_tokens"],
            cache_read_tokens=tokens["cache_read_tokens"],
            cache_write_5m_tokens=tokens["cache_write_tokens"],
            output_tokens=max(output, reasoning),  # reasoning is part of output; never less
            reasoning_tokens=reasoning,
            reported_cost_usd=_reported(costs),
        )
        event.rank = event.total_tokens  # a profile's copy of a session: the larger counter wins
        return event


def _day_rows(conn: sqlite3.Connection) -> tuple[dict[str, list[dict]] | None, int]:
    """{session id: [{"day", "tokens", "costs"}]} from `session_daily_usage`, None without it."""
    present = table_columns(conn, "session_daily_usage")
    if not {"session_id", "day"} <= present:
        return None, 0
    select = ", ".join(c if c in present else f"NULL AS {c}" for c in DAY_COLUMNS)
    rows: dict[str, list[dict]] = {}
    bad = 0
    for values in conn.execute(f"SELECT {select} FROM session_daily_usage ORDER BY session_id, day"):
        row = dict(zip(DAY_COLUMNS, values, strict=True))
        try:
            if not isinstance(row["session_id"], str) or not isinstance(row["day"], str):
                raise BadLine("session_id or day missing")
            entry = {"day": date.fromisoformat(row["day"]),
                     "tokens": {c: count(row[c], c) for c in COUNTERS},
                     "costs": {c: _money(row[c]) for c in COSTS}}
        except RECORD_ERRORS:
            bad += 1
            continue
        rows.setdefault(row["session_id"], []).append(entry)
    return rows, bad


def _local_date(ts_ms: int) -> date:
    return datetime.fromtimestamp(ts_ms / 1000).date()  # the machine's zone, as Hermes wrote `day`


def _local_noon_ms(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, 12).astimezone().timestamp() * 1000)


def _money(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value or not -1e9 < value < 1e9:
        raise BadLine("cost is not a number")
    return max(0.0, float(value))


def _reported(costs: dict) -> float | None:
    for name in ("actual_cost_usd", "estimated_cost_usd"):
        if costs[name] is not None and costs[name] > 0:
            return costs[name]
    return None
