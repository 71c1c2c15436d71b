"""GitHub Copilot CLI: `$COPILOT_HOME/session-state/<sessionId>/events.jsonl` (default `~/.copilot`).

Format (log_formats.md §8, confidence M): append-only JSONL `{type, data, id, timestamp,
parentId}`. Token usage is written only in `session.shutdown` events, as
`data.modelMetrics.<model>.usage{inputTokens, outputTokens, cacheReadTokens, cacheWriteTokens,
reasoningTokens}`.

Traps handled here:
- the counters restart each time a session is entered (resume, compaction), and each such
  period ends with its own `session.shutdown`: every shutdown is summed, one event per
  (session, shutdown event id, model), so a repeated line never counts twice;
- `inputTokens` includes cache reads and writes (confirmed below): fresh input =
  input − read − write (≥ 0);
- reasoning is kept as the informational part of output (clamped to output);
- Claude model names use dots (`claude-sonnet-4.6`): turned into the API's hyphens;
- `requests.cost` counts premium requests, not dollars: it is not a cost. Prices come from
  the model's API price (an API-equivalent cost; the person pays in premium requests).
- Older builds wrote `session-state/<sessionId>.jsonl` directly: also read.

Not read / not confirmed:
- usage of a session ended with `/new` (no shutdown is written; copilot-cli #3994) is lost
  at the source;
- the opt-in OpenTelemetry file export (`COPILOT_OTEL_FILE_EXPORTER_PATH`) reports the same
  calls per request; reading both would double count and the two cannot be matched, so only
  the session log (no setup needed) is read;
- that `outputTokens` already includes `reasoningTokens` comes from third-party readers
  (agentsview, ccusage); the published bundle does not say;
- the bundle's `cache_write_1h` token type (see below) cannot be told apart from 5-minute
  writes in `usage`, so all cache writes are counted as 5-minute writes;
- 1.0.102's schema also lists `session.usage_record` and `session.usage_checkpoint` events
  (not marked ephemeral; they might cover sessions with no shutdown): not read, their
  relation to the shutdown totals is not worked out.

Checked against the published npm package `@github/copilot` (closed source, bundle shipped),
issue 16 — are there builds whose shutdown carries `tokenDetails` and no per-model `usage`?
None found, in 0.0.354, 1.0.10, 1.0.24, 1.0.34, 1.0.39, 1.0.40, 1.0.80 and 1.0.102 (latest,
2026-10-21; from 1.0.80 the JS ships inside `@github/copilot-<platform>` as a Node SEA
binary whose `copilot.tgz` asset holds it):
- up to 1.0.39 (`package/app.js`) the shutdown's `modelMetrics.<model>` is `{requests, usage}`;
- from 1.0.40 (`package/app.js`) the usage tracker starts every model at `usage` with five
  zero counters, adds each `assistant.usage` event's counts to it, and separately sums that
  event's billing `copilotUsage.tokenDetails` by token type; `session.shutdown` writes
  `requests`, `usage` and, only when non-empty, `tokenDetails: {<type>: {tokenCount}}` and
  `totalNanoAiu` (also session-wide). Types seen: `input` (uncached), `cache_read`,
  `cache_write`, `output`; 1.0.102 adds `cache_write_1h`;
- 1.0.80 and 1.0.102 `schemas/session-events.schema.json` make `ShutdownModelMetric.usage`
  required, with inputTokens/outputTokens/cacheReadTokens/cacheWriteTokens required.
  1.0.102's `cli-main.js` hands `session.shutdown` to native code (`prebuilds/*/runtime.node`,
  not readable as JS); its schema also repeats the counts in `providerModelMetrics`,
  `agentMetrics` and `accountingSnapshot`. Only `modelMetrics.<model>.usage` is read, so
  the repeats and `tokenDetails` (the same calls, billed) are never added on top of it.
- `inputTokens` includes cache reads and writes, confirmed by the bundle: 1.0.40's
  `assistant.usage` telemetry puts uncached input at inputTokens − cacheRead − cacheWrite,
  and 1.0.80's `/usage` view (which can prefer `tokenDetails` behind a flag) turns
  `tokenDetails` back into usage as inputTokens = input + cache_read + cache_write.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tokenlens.config import Env
from tokenlens.model import UsageEvent
from tokenlens.pricing import guess_provider
from tokenlens.tools import copilot_cli as where
from tokenlens.tools.source import BadLine, FileContext, JsonlSource, count, iso_to_ms, text

CLAUDE_DOTTED = re.compile(r"(?<=\d)\.(?=\d)")


class CopilotCli(JsonlSource):
    id = "copilot-cli"
    name = "GitHub Copilot CLI"
    line_markers = (b"session.shutdown", b"session.start")
    patterns = ("*.jsonl",)

    def roots(self, env: Env) -> list[Path]:
        homes = where.homes(env)
        return [h / "session-state" for h in homes]

    def new_state(self) -> dict[str, Any]:
        return {"session": None, "cwd": ""}

    def parse_line(self, obj: dict, state: dict[str, Any], ctx: FileContext) -> list[UsageEvent]:
        kind = obj.get("type")
        data = obj.get("data")
        if kind == "session.start":
            if isinstance(data, dict):
                _read_start(data, state)
            return []
        if kind != "session.shutdown":
            return []
        if not isinstance(data, dict):
            raise BadLine("session.shutdown without data")
        metrics = data.get("modelMetrics")
        if metrics is None:
            return []  # a session that made no model call
        if not isinstance(metrics, dict):
            raise BadLine("modelMetrics is not an object")
        ts_ms = iso_to_ms(obj.get("timestamp"))
        session = state.get("session") or _session_from_path(ctx.path)
        shutdown_id = text(obj.get("id")) or str(ts_ms)
        events = []
        for model, metric in metrics.items():
            event = self._model_event(model, metric, session, shutdown_id, ts_ms, state)
            if event is not None:
                events.append(event)
        return events

    def _model_event(
        self, model: str, metric: Any, session: str, shutdown_id: str, ts_ms: int, state: dict
    ) -> UsageEvent | None:
        if not isinstance(metric, dict):
            raise BadLine("model metric is not an object")
        usage = metric.get("usage")
        if usage is None:
            return None
        if not isinstance(usage, dict):
            raise BadLine("usage is not an object")
        prompt = count(usage.get("inputTokens"), "inputTokens")
        cache_read = count(usage.get("cacheReadTokens"), "cacheReadTokens")
        cache_write = count(usage.get("cacheWriteTokens"), "cacheWriteTokens")
        output = count(usage.get("outputTokens"), "outputTokens")
        reasoning = count(usage.get("reasoningTokens"), "reasoningTokens")
        if not (prompt or cache_read or cache_write or output):
            return None
        name = api_model_name(model)
        return UsageEvent(
            tool=self.id,
            event_key=f"{session}:{shutdown_id}:{model}",
            ts_ms=ts_ms,
            model=name,
            provider=guess_provider(name) or "",
            session_id=session,
            project=state.get("cwd") or "",
            input_tokens=max(0, prompt - cache_read - cache_write),
            cache_read_tokens=cache_read,
            cache_write_5m_tokens=cache_write,
            output_tokens=output,
            reasoning_tokens=min(reasoning, output),
        )


def api_model_name(model: str) -> str:
    """`claude-sonnet-4.6` → `claude-sonnet-4-6`; other families keep their dots (gpt-5.1)."""
    return CLAUDE_DOTTED.sub("-", model) if model.startswith("claude") else model


def _read_start(data: dict, state: dict) -> None:
    state["session"] = text(data.get("sessionId")) or state.get("session")
    context = data.get("context")
    cwd = context.get("cwd") if isinstance(context, dict) else data.get("cwd")
    if isinstance(cwd, str):
        state["cwd"] = cwd


def _session_from_path(path: Path) -> str:
    return path.parent.name if path.name == "events.jsonl" else path.stem
