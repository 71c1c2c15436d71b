"""Amp (Sourcegraph): `$XDG_DATA_HOME/amp/threads/T-<uuid>.json` (default `~/.local/share/amp`).

One JSON document per thread, rewritten whole on every update (log_formats.md §6): re-read
whole when it changes, events upserted by stable ids, so a rewrite never double counts.

Two schemas, both read:
- current: each assistant message carries `usage: {model, timestamp, inputTokens,
  outputTokens, cacheCreationInputTokens, cacheReadInputTokens, totalTokens, credits}`;
  key (thread id, messageId);
- older: `usageLedger.events[] = {id, timestamp, model, credits, tokens: {input, output},
  fromMessageId, toMessageId}`, with cache figures on the target message's `usage` when it
  has them; key (thread id, ledger event id). A ledger event whose target message already
  carries input/output figures is the same request and is not counted again.

Tokens are Anthropic-style separate buckets: input = inputTokens (uncached),
cache_read = cacheReadInputTokens, cache_write (5m) = cacheCreationInputTokens,
output = outputTokens. Amp reports `credits`, not USD: the ledger has no column for credits,
so cost comes from the price table (API-equivalent). Amp has no project/cwd field.

Not confirmed from source (Amp is closed source): the macOS/Windows locations (assumed the same
XDG path under the home directory), whether `toMessageId` is a `messageId` or an index into
`messages` (both are tried), and whether 1-hour cache writes occur (counted as 5-minute).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import orjson

from tokenlens.config import Env
from tokenlens.model import UsageEvent
from tokenlens.tools import amp as where
from tokenlens.tools.source import (
    RECORD_ERRORS,
    BadLine,
    FileContext,
    SnapshotSource,
    count,
    iso_to_ms,
    text,
)

UNKNOWN_MODEL = "unknown"


class Amp(SnapshotSource):
    id = "amp"
    name = "Amp"
    patterns = ("T-*.json",)

    def roots(self, env: Env) -> list[Path]:
        return [data / "threads" for data in where.data_dirs(env)]

    def read_snapshot(self, path: Path, ctx: FileContext) -> tuple[list[UsageEvent], int]:
        try:
            thread = orjson.loads(path.read_bytes())
        except orjson.JSONDecodeError:
            return [], 1  # mid-rewrite or damaged: the next change re-reads it
        if not isinstance(thread, dict):
            return [], 1
        thread_id = text(thread.get("id")) or path.stem
        raw = thread.get("messages")
        messages = [m for m in raw if isinstance(m, dict)] if isinstance(raw, list) else []
        fallback_ms = _fallback_ms(thread, path)
        events, bad = [], 0
        counted: set[int] = set()  # ids of messages counted from their own usage
        for message in messages:
            try:
                event = self._message_event(message, thread_id, fallback_ms)
            except RECORD_ERRORS:
                bad += 1
                continue
            if event:
                events.append(event)
                counted.add(id(message))
        ledger = thread.get("usageLedger")
        ledger_events = ledger.get("events") if isinstance(ledger, dict) else None
        for entry in ledger_events if isinstance(ledger_events, list) else []:
            try:
                target = _target_message(messages, entry.get("toMessageId"))
                if target is not None and id(target) in counted:
                    continue
                events.append(self._ledger_event(entry, target, thread_id, fallback_ms))
            except RECORD_ERRORS:
                bad += 1
        return events, bad

    def _message_event(self, message: dict, thread_id: str, fallback_ms: int) -> UsageEvent | None:
        usage = message.get("usage")
        if message.get("role") != "assistant" or not isinstance(usage, dict):
            return None
        if "inputTokens" not in usage and "outputTokens" not in usage:
            return None  # older schema: the ledger event carries input/output
        message_id = message.get("messageId")
        if isinstance(message_id, bool) or not isinstance(message_id, int | str) or message_id == "":
            raise BadLine("messageId missing")
        return UsageEvent(
            tool=self.id,
            event_key=f"{thread_id}:{message_id}",
            ts_ms=_ts(usage.get("timestamp"), fallback_ms),
            model=text(usage.get("model")) or UNKNOWN_MODEL,
            session_id=thread_id,
            input_tokens=count(usage.get("inputTokens"), "inputTokens"),
            cache_read_tokens=count(usage.get("cacheReadInputTokens"), "cacheReadInputTokens"),
            cache_write_5m_tokens=count(usage.get("cacheCreationInputTokens"), "cacheCreationInputTokens"),
            output_tokens=count(usage.get("outputTokens"), "outputTokens"),
        )

    def _ledger_event(self, entry: dict, target: dict | None, thread_id: str, fallback_ms: int) -> UsageEvent:
        if not isinstance(entry, dict):
            raise BadLine("ledger event is not an object")
        event_id = entry.get("id")
        if isinstance(event_id, bool) or not isinstance(event_id, int | str) or event_id == "":
            raise BadLine("ledger event id missing")
        tokens = entry.get("tokens")
        if not isinstance(tokens, dict):
            raise BadLine("ledger event without tokens")
        usage = target.get("usage") if target is not None else None
        usage = usage if isinstance(usage, dict) else {}
        return UsageEvent(
            tool=self.id,
            event_key=f"{thread_id}:ledger:{event_id}",
            ts_ms=_ts(entry.get("timestamp"), fallback_ms),
            model=text(entry.get("model")) or text(usage.get("model")) or UNKNOWN_MODEL,
            session_id=thread_id,
            input_tokens=count(tokens.get("input"), "tokens.input"),
            cache_read_tokens=count(usage.get("cacheReadInputTokens"), "cacheReadInputTokens"),
            cache_write_5m_tokens=count(usage.get("cacheCreationInputTokens"), "cacheCreationInputTokens"),
            output_tokens=count(tokens.get("output"), "tokens.output"),
        )


def _target_message(messages: list[dict], ref: Any) -> dict | None:
    if ref is None or isinstance(ref, bool):
        return None
    for message in messages:
        if message.get("messageId") == ref:
            return message
    if isinstance(ref, int) and 0 <= ref < len(messages):
        return messages[ref]
    return None


def _ts(value: Any, fallback_ms: int) -> int:
    if value is None or value == "":
        return fallback_ms
    return iso_to_ms(value)


def _fallback_ms(thread: dict, path: Path) -> int:
    created = thread.get("created")
    if isinstance(created, int | float) and not isinstance(created, bool) and 0 < created < 1e15:
        return iso_to_ms(created)
    try:
        return int(os.stat(path).st_mtime * 1000)
    except OSError:
        return 0
