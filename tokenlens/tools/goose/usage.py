"""Goose (Block): per-session token counters in `sessions/sessions.db`.

Where (log_formats.md §10): `$GOOSE_PATH_ROOT/data/sessions/`, else the XDG data dir on
Linux and macOS (`$XDG_DATA_HOME/goose/sessions`, default `~/.local/share/goose/sessions`),
`%APPDATA%\\Block\\goose\\data\\sessions` on Windows, plus the places ccusage also checks
(`~/Library/Application Support/goose/sessions`, `~/.local/share/Block/goose/sessions`).
Older Goose wrote `sessions/<id>.jsonl`, rewritten whole, whose first line holds the same
counters: read too, ranked below the database's copy of the same session.

Format: table `sessions(id, working_dir, created_at, updated_at, provider_name,
model_config_json, input_tokens, output_tokens, total_tokens, accumulated_input_tokens,
accumulated_output_tokens, accumulated_total_tokens[, accumulated_cost])`. The
`accumulated_*` columns run over the whole session (the plain ones only over the current
context); there is no cache split and no per-message usage.

Choice: one event per session, upserted by session id, carrying the session's current
`accumulated_*` counters, dated at the session's `created_at`. Why not diffs between
snapshots: a diff needs the previous counters, which would have to live outside the tool's
data, so a missed scan, a rebuilt ledger or a first scan of an old database would date usage
to whenever tokenlens happened to look. The upsert is exact and idempotent however often (or
rarely) the database is read, and a crash between reads loses nothing. The cost: a session
that runs across midnight is reported on the day it started. The rank is the session's
token total, so counters that ever go down (a rewritten session) never shrink the ledger.

Token mapping: `accumulated_input_tokens` → input (Goose reports the whole prompt; cached
tokens cannot be told apart, so a price from the table treats them as fresh input and can
overstate cost), `accumulated_output_tokens` → output; `total − input − output` > 0 (reasoning
some providers report only in the total) is added to output and kept as reasoning, as ccusage
does. `accumulated_cost`, where a build writes it, is used as the reported cost.

Not confirmed: whether Goose's `input_tokens` includes cache reads for every provider (it
does for Anthropic in the versions ccusage read), and the exact legacy JSONL header keys.
"""

from __future__ import annotations

import re
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from tokenlens.config import Env
from tokenlens.model import UsageEvent
from tokenlens.tools import goose as where
from tokenlens.tools.source import BadLine, FileContext, SnapshotSource, count, iso_to_ms, text
from tokenlens.tools.sqlite_ro import read_snapshot_db, table_columns, wal_path

DB_NAME = "sessions.db"
COLUMNS = (
    "id", "working_dir", "created_at", "updated_at", "provider_name", "model_config_json",
    "accumulated_input_tokens", "accumulated_output_tokens", "accumulated_total_tokens",
    "input_tokens", "output_tokens", "total_tokens", "accumulated_cost",
)
# Goose provider names -> genai-prices provider ids.
PROVIDER_IDS = {
    "azure_openai": "azure",
    "aws_bedrock": "aws",
    "gcp_vertex_ai": "google",
    "github_copilot": "github-copilot",
    "xai": "x-ai",
}
LEGACY_ID = re.compile(r"^(\d{8})_(\d{6})")
MAX_HEADER_BYTES = 1 << 20
DB_RANK, LEGACY_RANK = 1, 0


class Goose(SnapshotSource):
    id = "goose"
    name = "Goose"
    patterns = (DB_NAME, "*.jsonl")

    def roots(self, env: Env) -> list[Path]:
        return [data / "sessions" for data in where.data_dirs(env)]

    def companion_files(self, path: Path) -> tuple[Path, ...]:
        return (wal_path(path),) if path.name == DB_NAME else ()

    def read_snapshot(self, path: Path, ctx: FileContext) -> tuple[list[UsageEvent], int]:
        if path.name != DB_NAME:
            return self._read_legacy(path)
        return read_snapshot_db(path, self._read_sessions)

    def _read_sessions(self, conn: sqlite3.Connection) -> tuple[list[UsageEvent], int]:
        present = table_columns(conn, "sessions")
        if "id" not in present:
            return [], 0
        select = ", ".join(c if c in present else f"NULL AS {c}" for c in COLUMNS)
        events: list[UsageEvent] = []
        bad = 0
        for values in conn.execute(f"SELECT {select} FROM sessions"):
            row = dict(zip(COLUMNS, values, strict=True))
            try:
                event = self._session_event(row, DB_RANK)
            except (BadLine, TypeError, ValueError, OverflowError):
                bad += 1
                continue
            if event is not None:
                events.append(event)
        return events, bad

    def _read_legacy(self, path: Path) -> tuple[list[UsageEvent], int]:
        with open(path, "rb") as handle:
            first = handle.readline(MAX_HEADER_BYTES)
        if not first.strip():
            return [], 0
        try:
            header = orjson.loads(first)
            if not isinstance(header, dict):
                raise BadLine("header is not an object")
            row = {c: header.get(c) for c in COLUMNS}
            row["id"] = path.stem
            row["model_config_json"] = header.get("model_config") or header.get("model_config_json")
            if row["created_at"] is None:
                row["created_at"] = _legacy_created(path)
            event = self._session_event(row, LEGACY_RANK)
        except (orjson.JSONDecodeError, BadLine, TypeError, ValueError, OverflowError):
            return [], 1
        return ([event] if event is not None else []), 0

    def _session_event(self, row: dict[str, Any], rank: int) -> UsageEvent | None:
        session = row["id"]
        if not isinstance(session, str | int) or isinstance(session, bool) or session == "":
            raise BadLine("session id missing")
        accumulated = row["accumulated_input_tokens"] is not None or row["accumulated_output_tokens"] is not None
        prefix = "accumulated_" if accumulated else ""
        fresh = count(row[f"{prefix}input_tokens"], "input_tokens")
        output = count(row[f"{prefix}output_tokens"], "output_tokens")
        total = count(row[f"{prefix}total_tokens"], "total_tokens")
        extra = max(0, total - fresh - output)
        if not (fresh or output or extra):
            return None
        model, provider = _model(row["model_config_json"]), text(row["provider_name"])
        event = UsageEvent(
            tool=self.id,
            event_key=str(session),
            ts_ms=iso_to_ms(row["created_at"] if row["created_at"] is not None else row["updated_at"]),
            model=model,
            provider=PROVIDER_IDS.get(provider, provider),
            session_id=str(session),
            project=text(row["working_dir"]),
            input_tokens=fresh,
            output_tokens=output + extra,
            reasoning_tokens=extra,
            reported_cost_usd=_cost(row["accumulated_cost"]),
        )
        event.rank = event.total_tokens * 2 + rank
        return event


def _model(config: Any) -> str:
    if isinstance(config, str):
        try:
            config = orjson.loads(config)
        except orjson.JSONDecodeError:
            return "unknown"
    if isinstance(config, dict) and isinstance(config.get("model_name"), str) and config["model_name"]:
        return config["model_name"]
    return "unknown"


def _cost(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 < value < 1e9:
        return float(value)
    return None


def _legacy_created(path: Path) -> str | int:
    """Legacy ids are `YYYYMMDD_HHMMSS` (local time of the machine; read as UTC), else mtime."""
    match = LEGACY_ID.match(path.stem)
    try:
        if match:
            return datetime.strptime("".join(match.groups()), "%Y%m%d%H%M%S").replace(tzinfo=UTC).isoformat()
    except ValueError:
        match = None  # digits that are no date (e.g. month 13): fall back to the file's mtime
    return int(path.stat().st_mtime * 1000)
