"""ZCode: one row per model request in SQLite `<home>/cli/db/db.sqlite`, table `model_usage`.

ZCode is closed source (no package on a registry reachable here), so the layout is taken from
ccusage's adapter, whose tests pin the shape of real databases
(github:ccusage/ccusage rust/adapters/zcode/src/loader.rs and paths.rs @ 02a2b34f, README.md
@ 2801bc72), and shared/specs/new_tools.md §9:
- `$ZCODE_HOME` (comma-separated homes), else `~/.zcode`; the file `cli/db/db.sqlite`;
- `model_usage(id TEXT PRIMARY KEY, session_id, started_at INTEGER (epoch ms), model_id
  (e.g. "GLM-5.2", no provider prefix), provider_id (e.g. "builtin:zai-coding-plan"), status
  ("completed" | "error" | "cancelled"), input_tokens, output_tokens, reasoning_tokens,
  cache_creation_input_tokens, cache_read_input_tokens, computed_total_tokens)` and
  `session(id, directory)`;
- `input_tokens` INCLUDES both cache slices: `computed_total_tokens = input_tokens +
  output_tokens` exactly on every row ccusage observed, and the cache buckets fit within the
  input; `reasoning_tokens` has been 0 so far and is taken as a part of output (as the GLM
  API reports it);
- no cost column: priced from the table (GLM models are in genai-prices' snapshot).

Events: one per row, key = the row `id` (a copy of the database in a second home repeats
ids: one event), at `started_at` (UTC epoch ms), project = the session's `directory`.
Tokens: cache_read = cache_read_input_tokens and cache_write (5m) =
cache_creation_input_tokens, each clamped to the input left; input = input_tokens less both;
output = output_tokens; reasoning = reasoning_tokens (informational, at most the output).
Unlike ccusage, rows of every status are read: a request that failed or was cancelled after
the provider counted tokens was still billed; the ones observed so far record zeros and so
yield no event. A row whose counts are not non-negative integers, or with no id or time, is
skipped and counted. A database without `model_usage` (another build) yields nothing.

Not confirmed: the schema in ZCode's own code; whether a Windows or macOS build keeps the CLI
database elsewhere (codeburn's docs/providers/zcode.md: the macOS app folder holds only
Electron state, and `~/.zcode/cli/log/*.jsonl` redacts token counts).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tokenlens.config import Env
from tokenlens.model import UsageEvent
from tokenlens.tools import zcode as where
from tokenlens.tools.source import (
    BadLine,
    Discovered,
    _walk_files,
    count,
    iso_to_ms,
    text,
)
from tokenlens.tools.sqlite_ro import DatabaseSource, table_columns

DB_PATH = ("cli", "db", "db.sqlite")
COLUMNS = ("id", "session_id", "started_at", "model_id", "provider_id", "input_tokens", "output_tokens",
           "reasoning_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")
RECORD_ERRORS = (BadLine, TypeError, ValueError, OverflowError)


class ZCode(DatabaseSource):
    id = "zcode"
    name = "ZCode"

    def roots(self, env: Env) -> list[Path]:
        return where.homes(env)

    def discover(self, env: Env) -> Iterator[Discovered]:
        # Only the CLI's database: the home also holds logs and app state.
        for root in self.roots(env):
            for path in _walk_files(root.joinpath(*DB_PATH), (DB_PATH[-1],)):
                yield Discovered(path, root)

    def read_database(self, conn: sqlite3.Connection) -> tuple[list[UsageEvent], int]:
        present = table_columns(conn, "model_usage")
        if "id" not in present:
            return [], 0
        directories = _session_directories(conn)
        select = ", ".join(c if c in present else f"NULL AS {c}" for c in COLUMNS)
        events: list[UsageEvent] = []
        bad = 0
        for values in conn.execute(f"SELECT {select} FROM model_usage ORDER BY started_at, id"):
            row = dict(zip(COLUMNS, values, strict=True))
            try:
                event = self._event(row, directories)
            except RECORD_ERRORS:
                bad += 1
                continue
            if event is not None:
                events.append(event)
        return events, bad

    def _event(self, row: dict[str, Any], directories: dict[str, str]) -> UsageEvent | None:
        if not isinstance(row["id"], str) or not row["id"]:
            raise BadLine("id missing")
        if row["started_at"] is None:
            raise BadLine("started_at missing")
        ts_ms = iso_to_ms(row["started_at"])
        whole_input = count(row["input_tokens"], "input_tokens")
        cache_read = min(count(row["cache_read_input_tokens"], "cache_read_input_tokens"), whole_input)
        cache_write = min(count(row["cache_creation_input_tokens"], "cache_creation_input_tokens"),
                          whole_input - cache_read)
        output = count(row["output_tokens"], "output_tokens")
        reasoning = count(row["reasoning_tokens"], "reasoning_tokens")
        if not (whole_input or output):
            return None
        session = text(row["session_id"])
        return UsageEvent(
            tool=self.id,
            event_key=row["id"],
            ts_ms=ts_ms,
            model=text(row["model_id"]) or "unknown",
            provider="zai" if "zai" in text(row["provider_id"]) or text(row["model_id"]).lower().startswith("glm")
            else "",
            session_id=session,
            project=directories.get(session, ""),
            input_tokens=whole_input - cache_read - cache_write,
            cache_read_tokens=cache_read,
            cache_write_5m_tokens=cache_write,
            output_tokens=output,
            reasoning_tokens=min(reasoning, output),
        )


def _session_directories(conn: sqlite3.Connection) -> dict[str, str]:
    if not {"id", "directory"} <= table_columns(conn, "session"):
        return {}
    return {sid: directory for sid, directory in conn.execute("SELECT id, directory FROM session")
            if isinstance(sid, str) and isinstance(directory, str)}
