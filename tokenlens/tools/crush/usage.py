"""Crush (charmbracelet): cost per session in each project's SQLite `crush.db`. Cost only:
the token fields are the last step's context size, not counts, and are not read.

Where (charmbracelet/crush @ 37f36e93824e5c4f892e4a817f7f628e2682fe14):
internal/projects/projects.go keeps `projects.json` (`{"projects": [{"path", "data_dir",
"last_accessed"}]}`) beside `config.GlobalConfigData()` (internal/config/load.go:
`$CRUSH_GLOBAL_DATA`, else `$XDG_DATA_HOME/crush`, else `%LOCALAPPDATA%\\crush` on Windows,
else `~/.local/share/crush`); internal/cmd/root.go registers every project Crush runs in with
its `Options.DataDirectory`, which load.go resolves against the project (default `.crush`,
config.go `defaultDataDirectory`); internal/db/connect.go opens `<data dir>/crush.db` in WAL
mode. Opened read-only (sqlite_ro), the `-wal` is part of the fingerprint. Projects come from
that list only, never a disk crawl.

Format (internal/db/migrations/20250424200609_initial.sql and later): `sessions(id TEXT PRIMARY
KEY, parent_session_id TEXT, title, message_count, prompt_tokens, completion_tokens, cost REAL,
updated_at INTEGER, created_at INTEGER, summary_message_id, todos)`. The comment says
milliseconds, but internal/db/sql/sessions.sql inserts `strftime('%s', 'now')` (seconds); both
are read (iso_to_ms tells them apart).

What the columns hold (internal/agent/agent.go `updateSessionUsage`): `session.Cost += cost`
after every step, the model catalog's price of the step's usage, or the provider's own figure
(OpenRouter), 0 for a flat-rate model or a step whose usage was estimated;
`updateSessionTokenCounters` OVERWRITES `completion_tokens` with the step's output and
`prompt_tokens` with its input + cache reads: a gauge of the context, not a count. A
sub-agent runs in a child session (`parent_session_id`), whose cost
internal/agent/coordinator.go `updateParentSessionCost` adds to the parent when it finishes;
title generation adds to the session itself.

Events: one per top-level session (parent_session_id NULL or empty, as Crush's own
internal/db/sql/stats.sql counts), key = session id, at `created_at`, with its `cost` as the
reported cost and ZERO token counts (the gauge is never shown as a count). A session whose
cost is 0 holds nothing to record and yields no event. Rank = the cost in micro-dollars, so a
re-read keeps the larger figure (the cost only grows). Model: the last assistant message's
`model` in `messages`, for display only (the cost is the session's own).

Hence `reads_usage = "partial"`: cost per session, no tokens; a session's whole cost is
dated at its creation. Not counted: a failed sub-agent run's cost (never added to the parent
by updateParentSessionCost); usage before a session's cost was recorded (estimated steps).
Not confirmed from source: whether a Windows Crush writes forward or back slashes in
`projects.json` (the path is taken as written).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tokenlens.config import Env
from tokenlens.model import UsageEvent
from tokenlens.tools import crush as where
from tokenlens.tools.source import (
    BadLine,
    Discovered,
    FileContext,
    _walk_files,
    iso_to_ms,
    read_json_settings,
    text,
)
from tokenlens.tools.sqlite_ro import DatabaseSource, read_snapshot_db, table_columns

DB_NAME = "crush.db"
PROJECTS = "projects.json"
DEFAULT_DATA_DIR = ".crush"
RECORD_ERRORS = (BadLine, TypeError, ValueError, OverflowError)


def project_data_dirs(env: Env) -> list[tuple[Path, Path]]:
    """(project folder, its data dir) for every project in Crush's projects.json files."""
    found: list[tuple[Path, Path]] = []
    for home in where.homes(env):
        listing = read_json_settings(home / PROJECTS) or {}
        projects = listing.get("projects")
        for entry in projects if isinstance(projects, list) else []:
            if not isinstance(entry, dict) or not text(entry.get("path")):
                continue
            project = Path(entry["path"])
            data_dir = Path(text(entry.get("data_dir")) or DEFAULT_DATA_DIR)
            pair = (project, data_dir if data_dir.is_absolute() else project / data_dir)
            if pair not in found:
                found.append(pair)
    return found


class Crush(DatabaseSource):
    id = "crush"
    name = "Crush"
    reads_usage = "partial"
    partial_reason = ("cost only: Crush's token fields are the last step's context size, not counts,"
                      " so its usage shows as cost with no tokens")

    def roots(self, env: Env) -> list[Path]:
        return [data_dir / DB_NAME for _, data_dir in project_data_dirs(env)]

    def discover(self, env: Env) -> Iterator[Discovered]:
        for root in self.roots(env):
            for path in _walk_files(root, (DB_NAME,)):
                yield Discovered(path, root)

    def read_snapshot(self, path: Path, ctx: FileContext) -> tuple[list[UsageEvent], int]:
        project = str(path.parent.parent) if path.parent.name == DEFAULT_DATA_DIR else ""
        return read_snapshot_db(path, lambda conn: self._read(conn, project))

    def _read(self, conn: sqlite3.Connection, project: str) -> tuple[list[UsageEvent], int]:
        present = table_columns(conn, "sessions")
        if not {"id", "cost", "created_at"} <= present:
            return [], 0
        parent = "parent_session_id" if "parent_session_id" in present else "NULL"
        models = _last_models(conn)
        events: list[UsageEvent] = []
        bad = 0
        for sid, cost, created_at, parent_id in conn.execute(
                f"SELECT id, cost, created_at, {parent} FROM sessions"):
            if parent_id:  # a sub-agent's or title session: its cost is in its parent's
                continue
            try:
                event = self._event(sid, cost, created_at, models.get(sid), project)
            except RECORD_ERRORS:
                bad += 1
                continue
            if event is not None:
                events.append(event)
        return events, bad

    def _event(self, sid: Any, cost: Any, created_at: Any, model: tuple[str, str] | None,
               project: str) -> UsageEvent | None:
        if not isinstance(sid, str) or not sid:
            raise BadLine("session id missing")
        usd = _money(cost)
        if usd == 0:
            return None
        name, provider = model or ("", "")
        event = UsageEvent(tool=self.id, event_key=sid, ts_ms=iso_to_ms(created_at), model=name or "unknown",
                           provider=provider, session_id=sid, project=project, reported_cost_usd=usd)
        event.rank = round(usd * 1_000_000)  # the cost only grows: a re-read keeps the larger
        return event


def _last_models(conn: sqlite3.Connection) -> dict[str, tuple[str, str]]:
    """{session id: (model, provider)} of its latest assistant message (display only)."""
    present = table_columns(conn, "messages")
    if not {"session_id", "role", "model", "created_at"} <= present:
        return {}
    provider = "provider" if "provider" in present else "NULL"
    out: dict[str, tuple[str, str]] = {}
    for sid, model, prov in conn.execute(
            f"SELECT session_id, model, {provider} FROM messages WHERE role = 'assistant' AND model IS NOT NULL"
            " ORDER BY created_at"):
        if isinstance(sid, str) and isinstance(model, str):
            out[sid] = (model, prov if isinstance(prov, str) else "")
    return out


def _money(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value or not 0 <= value < 1e9:
        raise BadLine("cost is not a number")
    return float(value)
