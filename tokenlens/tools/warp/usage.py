"""Warp: cumulative usage per agent conversation in SQLite `warp.sqlite`, table
`agent_conversations`. `reads_usage = "partial"`.

Confirmed against github:warpdotdev/warp @ 19548aec (2026-08-22):
- the database is `warp.sqlite` in `warp_core::paths::secure_state_dir()` (macOS app group
  container) else `state_dir()` (directories' ProjectDirs state dir: `~/.local/state/
  warp-terminal` on Linux), the TUI's in a `tui` subfolder (app/src/persistence/sqlite.rs
  `app_database_file_path`, `tui_database_file_path`; crates/warp_core/src/paths.rs and
  paths_tests.rs for the folder names per OS and app id);
- `agent_conversations(id, conversation_id TEXT, conversation_data TEXT (JSON),
  last_modified_at TIMESTAMP, summary)` (crates/persistence/src/schema.rs; migration
  2025-06-09-013710_create_agent_conversations_table); each save rewrites the row and sets
  `last_modified_at` to `Utc::now().naive_utc()` (app/src/persistence/sqlite.rs): UTC;
- `conversation_data` is `AgentConversationData` whose `conversation_usage_metadata`
  (`ConversationUsageMetadata`, crates/persistence/src/model.rs) holds, summed over the whole
  conversation: `total_charged_usage` (`ChargedUsageTotals`: `input_tokens`, `output_tokens`,
  `input_cache_read_tokens`, `input_cache_write_tokens` and the matching `*_cost_in_cents`
  plus platform and web-search cents; its `total_tokens()` adds the four token fields, so
  input excludes the cache), absent when the server sent none (a flag off, an older
  conversation); `total_provider_cost_in_cents` (absent = not provided, never 0);
  `credits_spent`; and `token_usage` (per model: `model_id`, `warp_tokens`, `byok_tokens`,
  `custom_endpoint_tokens`, one unsplit total each).

Events: one per conversation, key = `conversation_id`, at `last_modified_at` (the whole
conversation lands on the day of its last change: Warp keeps no split per exchange), rank =
its total (the counters only grow, so a re-read keeps the larger). Tokens: input =
input_tokens, cache_read = input_cache_read_tokens, cache_write (5m) =
input_cache_write_tokens, output = output_tokens. Cost reported: the sum of
`total_charged_usage`'s cents (what Warp charged), else `total_provider_cost_in_cents`;
never credits converted at a guessed rate. A conversation without `total_charged_usage` but
with a provider cost is recorded as that cost with zero tokens: `token_usage`'s per-model
totals have no input/output split and are not shown as counts. Model: the `token_usage`
entry with the most tokens, for display (the cost is Warp's own).

Hence "partial": totals per conversation, not per request, dated at the last change; no
tokens for conversations the server sent no charged usage for. A row whose JSON is damaged,
or whose counts are not non-negative numbers, is skipped and counted. Not confirmed: whether
a forked conversation (`forked_from_server_conversation_token`) starts its totals at zero or
carries the parent's (each conversation id is counted once either way); Linux and Windows
folders were read in paths.rs, never seen on a real machine.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from tokenlens.config import Env
from tokenlens.model import UsageEvent
from tokenlens.tools import warp as where
from tokenlens.tools.source import (
    BadLine,
    Discovered,
    _walk_files,
    count,
    iso_to_ms,
    text,
)
from tokenlens.tools.sqlite_ro import DatabaseSource, table_columns

DB_NAME = "warp.sqlite"
TOKENS = ("input_tokens", "output_tokens", "input_cache_read_tokens", "input_cache_write_tokens")
CHARGED_CENTS = ("input_cost_in_cents", "output_cost_in_cents", "input_cache_read_cost_in_cents",
                 "input_cache_write_cost_in_cents", "platform_cost_in_cents", "web_search_cost_in_cents")
RECORD_ERRORS = (BadLine, TypeError, ValueError, OverflowError, orjson.JSONDecodeError)


class Warp(DatabaseSource):
    id = "warp"
    name = "Warp"
    reads_usage = "partial"
    partial_reason = ("totals per agent conversation only (no split per request), dated at the "
                      "conversation's last change; tokens only where Warp's server sent the charged usage")

    def roots(self, env: Env) -> list[Path]:
        return where.homes(env)

    def discover(self, env: Env) -> Iterator[Discovered]:
        # The GUI's database and the TUI's; the folder also holds logs and caches.
        for root in self.roots(env):
            for candidate in (root / DB_NAME, root / "tui" / DB_NAME):
                for path in _walk_files(candidate, (DB_NAME,)):
                    yield Discovered(path, root)

    def read_database(self, conn: sqlite3.Connection) -> tuple[list[UsageEvent], int]:
        if not {"conversation_id", "conversation_data", "last_modified_at"} <= table_columns(
                conn, "agent_conversations"):
            return [], 0
        events: list[UsageEvent] = []
        bad = 0
        for conversation, data, modified in conn.execute(
                "SELECT conversation_id, conversation_data, last_modified_at FROM agent_conversations"):
            try:
                event = self._event(conversation, data, modified)
            except RECORD_ERRORS:
                bad += 1
                continue
            if event is not None:
                events.append(event)
        return events, bad

    def _event(self, conversation: Any, data: Any, modified: Any) -> UsageEvent | None:
        if not isinstance(conversation, str) or not conversation:
            raise BadLine("conversation_id missing")
        blob = orjson.loads(data)
        meta = blob.get("conversation_usage_metadata") if isinstance(blob, dict) else None
        if meta is None:
            return None
        if not isinstance(meta, dict):
            raise BadLine("conversation_usage_metadata is not an object")
        charged = meta.get("total_charged_usage")
        if charged is not None and not isinstance(charged, dict):
            raise BadLine("total_charged_usage is not an object")
        tokens = {name: count((charged or {}).get(name), name) for name in TOKENS}
        cost = _charged_cost(charged) or _cents(meta.get("total_provider_cost_in_cents"))
        if not any(tokens.values()) and not cost:
            return None
        event = UsageEvent(
            tool=self.id,
            event_key=conversation,
            ts_ms=iso_to_ms(modified),
            model=_main_model(meta.get("token_usage")),
            session_id=conversation,
            input_tokens=tokens["input_tokens"],
            cache_read_tokens=tokens["input_cache_read_tokens"],
            cache_write_5m_tokens=tokens["input_cache_write_tokens"],
            output_tokens=tokens["output_tokens"],
            reported_cost_usd=cost,
        )
        event.rank = event.total_tokens or round((cost or 0) * 1_000_000)
        return event


def _cents(value: Any) -> float | None:
    """US cents as dollars; None when absent or not positive ("not provided", not free)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value or not -1e12 < value < 1e12:
        raise BadLine("cost is not a number")
    return value / 100 if value > 0 else None


def _charged_cost(charged: dict | None) -> float | None:
    if not charged:
        return None
    cents = [_cents(charged.get(name)) or 0.0 for name in CHARGED_CENTS]
    return sum(cents) or None


def _main_model(entries: Any) -> str:
    best, best_tokens = "unknown", 0
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict):
            continue
        tokens = sum(count(entry.get(k), k) for k in ("warp_tokens", "byok_tokens", "custom_endpoint_tokens"))
        if tokens > best_tokens and text(entry.get("model_id")):
            best, best_tokens = text(entry.get("model_id")), tokens
    return best
