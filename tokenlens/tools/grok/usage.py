"""Grok Build: one `turn_completed` update per finished turn in each session's
`<home>/sessions/<url-encoded cwd>/<session id>/updates.jsonl`, with `summary.json` beside it.

Confirmed against Grok Build's own source, github:xai-org/grok-build @ 19d42e35 (2026-08-19):
crates/codegen/xai-grok-shell/src/extensions/notification.rs `PromptUsage` / `PromptUsageModel`
("wire usage for ACP `_meta.usage` and `TurnCompleted.usage`", camelCase: `inputTokens`,
`outputTokens`, `totalTokens`, `cachedReadTokens`, `cacheCreationTokens`, `reasoningTokens`,
`modelCalls`, `costUsdTicks`, `costIsPartial`, and `modelUsage {<model id>: the same}`,
`usageIsIncomplete`); crates/codegen/xai-chat-state/src/usage.rs (`inputTokens` is the
request's `prompt_tokens`, `cachedReadTokens` its `cached_prompt_tokens`; total = input +
output); crates/codegen/xai-chat-state/src/actor/mutations.rs (each session's
`updates.jsonl`, never rewritten by compaction). The session layout and the `eventId` /
`agentTimestampMs` envelope are as ccusage's adapter reads them from real Grok CLI 1.0.0 logs
(github:ccusage/ccusage rust/adapters/grok/src/parser.rs @ 02319b32, paths.rs and README.md
@ 1a448b44):
- home `$GROK_HOME` (a non-empty value), else `~/.grok`; every `sessions/**/updates.jsonl`;
- a line is an ACP session update `{"timestamp": <epoch s>, "method": "_x.ai/session/update",
  "params": {"sessionId", "update": {"sessionUpdate", "usage"?}, "_meta": {"eventId",
  "agentTimestampMs"?}}}`; only `sessionUpdate: "turn_completed"` carries the turn's usage;
  a turn still running has no record yet;
- on that wire `inputTokens` is the FULL prompt, cache reads included, and
  `cacheCreationTokens` is "a subset of input_tokens on the wire"; `reasoningTokens` is a
  subset of output (notification.rs);
- `costUsdTicks` is fixed-point USD, 1e10 ticks = $1; Grok drops it when the bill is partial
  or incomplete ("absence of cost means untrustworthy or unknown, not free"), so a turn
  without ticks is priced from the table, or left unpriced;
- a resumed session writes the turns it carries over again, with the same `eventId`, into
  another session folder: the event key is (eventId, model) alone, no path or session in it,
  so such a copy is the one event it repeats.

Events: one per (turn, model) of `modelUsage`; without `modelUsage`, one for the turn's
top-level usage under `summary.json`'s `current_model_id` (else "unknown"). Time:
`_meta.agentTimestampMs`, else the envelope `timestamp` (epoch seconds), both UTC; a turn with
neither is skipped and counted (ccusage dates it 1970). Session: `params.sessionId`, else
`summary.json` `info.id`, else the folder name; project: `summary.json` `info.cwd` (or
`git_root_dir`), else the url-decoded parent folder name. Tokens: input = inputTokens less
the cache parts (each clamped to what is left), cache_read = cachedReadTokens, cache_write (5m)
= cacheCreationTokens, output = outputTokens, reasoning = reasoningTokens (informational, at
most the output). A turn without an eventId is keyed on its session, time, model and counts.

Not confirmed: the `eventId` repeat across resumed sessions was read in ccusage's loader, not
in Grok Build's resume code; older builds' `updates.jsonl` without `turn_completed` usage
(only a running context size, per codeburn's docs/providers/grok.md) yield nothing here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import unquote

from tokenlens.config import Env
from tokenlens.model import UsageEvent
from tokenlens.tools import grok as where
from tokenlens.tools.source import (
    BadLine,
    FileContext,
    JsonlSource,
    count,
    iso_to_ms,
    read_json_settings,
    text,
)

TICKS_PER_USD = 1e10
USAGE_FIELDS = ("inputTokens", "outputTokens", "cachedReadTokens", "cacheCreationTokens", "reasoningTokens",
                "costUsdTicks")


class Grok(JsonlSource):
    id = "grok"
    name = "Grok Build"
    line_markers = (b'"turn_completed"',)
    patterns = ("updates.jsonl",)

    def roots(self, env: Env) -> list[Path]:
        return [home / "sessions" for home in where.homes(env)]

    def new_state(self) -> dict[str, Any]:
        return {"summary": None}

    def parse_line(self, obj: dict, state: dict[str, Any], ctx: FileContext) -> list[UsageEvent]:
        params = obj.get("params")
        update = params.get("update") if isinstance(params, dict) else None
        if not isinstance(update, dict) or update.get("sessionUpdate") != "turn_completed":
            return []
        usage = update.get("usage")
        if usage is None:
            return []
        if not isinstance(usage, dict):
            raise BadLine("usage is not an object")
        meta = params.get("_meta") if isinstance(params.get("_meta"), dict) else {}
        ts_ms = _turn_time(obj, meta)
        if state["summary"] is None:
            state["summary"] = _session_summary(ctx.path)
        summary = state["summary"]
        session = text(params.get("sessionId")) or summary["session"]
        event_id = text(meta.get("eventId"))
        events = []
        for model, row in _model_rows(usage, summary["model"]):
            event = self._event(row, model, ts_ms, session, summary["project"], event_id)
            if event is not None:
                events.append(event)
        return events

    def _event(self, row: dict, model: str, ts_ms: int, session: str, project: str, event_id: str) -> UsageEvent | None:
        n = {name: count(row.get(name), name) for name in USAGE_FIELDS}
        cache_read = min(n["cachedReadTokens"], n["inputTokens"])
        cache_write = min(n["cacheCreationTokens"], n["inputTokens"] - cache_read)
        fresh = n["inputTokens"] - cache_read - cache_write
        output = n["outputTokens"]
        if not (fresh or cache_read or cache_write or output):
            return None
        key = (f"{event_id}|{model}" if event_id
               else f"{session}|{ts_ms}|{model}|{fresh}|{cache_read}|{cache_write}|{output}")
        return UsageEvent(
            tool=self.id,
            event_key=key,
            ts_ms=ts_ms,
            model=model,
            provider="x-ai" if model.startswith("grok") else "",
            session_id=session,
            project=project,
            input_tokens=fresh,
            cache_read_tokens=cache_read,
            cache_write_5m_tokens=cache_write,
            output_tokens=output,
            reasoning_tokens=min(n["reasoningTokens"], output),
            reported_cost_usd=n["costUsdTicks"] / TICKS_PER_USD if n["costUsdTicks"] else None,
        )


def _turn_time(obj: dict, meta: dict) -> int:
    agent_ms = meta.get("agentTimestampMs")
    if isinstance(agent_ms, int | float) and not isinstance(agent_ms, bool) and agent_ms > 0:
        return iso_to_ms(agent_ms)
    envelope = obj.get("timestamp")
    if envelope is None:
        raise BadLine("timestamp missing")
    return iso_to_ms(envelope)


def _model_rows(usage: dict, default_model: str) -> list[tuple[str, dict]]:
    """(model, usage) per model of the turn, in a stable order."""
    per_model = usage.get("modelUsage")
    if isinstance(per_model, dict) and per_model:
        rows = []
        for model, row in sorted(per_model.items()):
            if not isinstance(row, dict):
                raise BadLine("modelUsage entry is not an object")
            rows.append((model.removeprefix("[grok] ").strip() or "unknown", row))
        return rows
    if per_model is not None and not isinstance(per_model, dict):
        raise BadLine("modelUsage is not an object")
    return [(default_model, usage)]


def _session_summary(updates: Path) -> dict[str, str]:
    """Session id, project and default model of the session folder holding `updates`."""
    data = read_json_settings(updates.with_name("summary.json")) or {}
    info = data.get("info") if isinstance(data.get("info"), dict) else {}
    return {
        "session": text(info.get("id")) or updates.parent.name,
        "project": text(info.get("cwd")) or text(data.get("git_root_dir")) or unquote(updates.parent.parent.name),
        "model": text(data.get("current_model_id")) or "unknown",
    }
