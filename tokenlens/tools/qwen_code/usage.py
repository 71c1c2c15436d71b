"""Qwen Code: `~/.qwen/projects/<sanitized-cwd>/chats/<sessionId>.jsonl` (`$QWEN_HOME` replaces `~/.qwen`).

Append-only JSONL of records `{uuid, parentUuid, sessionId, timestamp, type, cwd, model?,
usageMetadata?, forkedFrom?, isSidechain?}` (log_formats.md §4, checked against qwen-code's
`ChatRecord` in chatRecordingService.ts). Usage sits on `type: "assistant"` records.

Traps handled here:
- `/branch` copies records verbatim into a new session file (new `sessionId`, same `uuid`,
  plus `forkedFrom`): the key is the `uuid` alone, so a copy is the same event; the original
  ranks above the copy, so the event keeps its first session even when the copy is read later.
  A copy whose original file was deleted still counts (once);
- `system` records with `subtype: "ui_telemetry"` repeat API-response token counts for the UI:
  never counted, or every request would count twice;
- subagent records (`isSidechain`, `agentId`) are real requests: counted.

Tokens (Gemini `usageMetadata` shape): `promptTokenCount` includes `cachedContentTokenCount`,
so input = prompt - cached. For output, qwen-code's OpenAI-compatible converter (its main path:
DashScope, OpenRouter...) writes `candidatesTokenCount = completion_tokens`, which already
includes `thoughtsTokenCount = reasoning_tokens`, while the native Gemini path keeps thoughts
separate. `totalTokenCount` tells them apart: when total == prompt + candidates, thoughts are
inside candidates; otherwise (total == prompt + candidates + thoughts, or no total) they are
added. Qwen Code records no cost. genai-prices has no Alibaba provider, so Qwen models are
priced as OpenRouter's `qwen/<model>` (log_formats.md §13.2).

Not confirmed from source: `QWEN_RUNTIME_DIR` moving the chats (not followed), Windows paths
(assumed `%USERPROFILE%\\.qwen`).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tokenlens.config import Env
from tokenlens.model import UsageEvent
from tokenlens.tools import qwen_code as where
from tokenlens.tools.source import (
    BadLine,
    Discovered,
    FileContext,
    JsonlSource,
    count,
    files_in_project_chats,
    iso_to_ms,
    text,
)

UNKNOWN_MODEL = "unknown"


class QwenCode(JsonlSource):
    id = "qwen-code"
    name = "Qwen Code"
    line_markers = (b'"usageMetadata"',)
    patterns = ("*.jsonl",)

    def roots(self, env: Env) -> list[Path]:
        homes = where.homes(env)
        return [h / "projects" for h in homes]

    def discover(self, env: Env) -> Iterator[Discovered]:
        return files_in_project_chats(self.roots(env), self.patterns)

    def parse_line(self, obj: dict, state: dict[str, Any], ctx: FileContext) -> list[UsageEvent]:
        usage = obj.get("usageMetadata")
        if obj.get("type") != "assistant" or not isinstance(usage, dict):
            return []
        prompt = count(usage.get("promptTokenCount"), "promptTokenCount")
        cached = min(count(usage.get("cachedContentTokenCount"), "cachedContentTokenCount"), prompt)
        candidates = count(usage.get("candidatesTokenCount"), "candidatesTokenCount")
        thoughts = count(usage.get("thoughtsTokenCount"), "thoughtsTokenCount")
        total = count(usage.get("totalTokenCount"), "totalTokenCount")
        if thoughts and total == prompt + candidates:
            output, reasoning = candidates, min(thoughts, candidates)  # OpenAI style: inside
        else:
            output, reasoning = candidates + thoughts, thoughts  # Gemini style: separate

        session = text(obj.get("sessionId")) or ctx.path.stem
        ts_ms = iso_to_ms(obj.get("timestamp"))
        uuid = text(obj.get("uuid"))
        key = uuid or f"{session}:{ts_ms}:{prompt}:{cached}:{candidates}:{thoughts}"
        model, provider = _model_and_provider(obj.get("model"))
        return [
            UsageEvent(
                tool=self.id,
                event_key=key,
                ts_ms=ts_ms,
                model=model,
                provider=provider,
                session_id=session,
                project=text(obj.get("cwd")),
                input_tokens=prompt - cached,
                cache_read_tokens=cached,
                output_tokens=output,
                reasoning_tokens=reasoning,
                rank=0 if isinstance(obj.get("forkedFrom"), dict) else 1,
            )
        ]


def _model_and_provider(value: Any) -> tuple[str, str]:
    if value is not None and not isinstance(value, str):
        raise BadLine("model is not a string")
    model = (value or "").strip()
    if not model:
        return UNKNOWN_MODEL, ""
    if model.lower().startswith("qwen") and "/" not in model:
        return f"qwen/{model}", "openrouter"
    return model, ""
