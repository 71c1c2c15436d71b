"""pi: `<agent dir>/sessions/--<cwd, '/' '\\' ':' → '-'>--/<ISO time>_<uuid>.jsonl`.

Confirmed against github:badlogic/pi-mono (HEAD 83378aa, 2026-03-15):
- agent dir and `sessions/` (packages/coding-agent/src/config.ts); the folder and file names
  (packages/coding-agent/src/core/session-manager.ts `getDefaultSessionDir`, `newSession`);
- line 1 the header `{type: "session", version: 3, id, timestamp, cwd, parentSession?}`, then
  entries `{type, id (8 hex), parentId, timestamp (ISO)}`; a `message` entry holds the
  AssistantMessage `{role, api, provider, model, usage {input, output, cacheRead, cacheWrite,
  totalTokens, cost {..., total}}, stopReason, timestamp (ms)}` (session-manager.ts,
  packages/ai/src/types.ts `Usage`, `AssistantMessage`);
- `/fork` (`createBranchedSession`) and `forkFrom` write a new file with a new header and the
  copied entries, same ids and timestamps (session-manager.ts).

This is the entry format OpenClaw (built on pi) keeps, so the record is read by OpenClaw's
reader (tools/openclaw/usage.py): separate buckets (`input` excludes the cache), the model
from the message or the last `model_change`, pi's own `usage.cost.total` as the reported
cost, the project from the header's `cwd`. Only the key differs: (entry id, entry timestamp),
with no session in it, so a forked copy is the same event as its original in any file.
Entries without an id (v1 files, before ids) are keyed on their timestamp and counts.

`input` excluding the cache was read in packages/ai/src/providers/anthropic.ts,
openai-responses-shared.ts and openai-completions.ts (cached tokens subtracted); the other
providers were not checked. openai-completions.ts adds `reasoning_tokens` to `output`, which
OpenAI already counts in completion tokens: kept as pi logged it (not confirmed either way).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from tokenlens.config import Env
from tokenlens.model import UsageEvent
from tokenlens.tools import pi as where
from tokenlens.tools.openclaw.usage import MARKERS, OpenClaw
from tokenlens.tools.source import FileContext, JsonlSource, text


class Pi(JsonlSource):
    id = "pi"
    name = "pi"
    line_markers = MARKERS
    patterns = ("*.jsonl",)

    def roots(self, env: Env) -> list[Path]:
        return [home / "sessions" for home in where.homes(env)]

    def new_state(self) -> dict[str, Any]:
        return OpenClaw.new_state(self)

    def parse_line(self, obj: dict, state: dict[str, Any], ctx: FileContext) -> list[UsageEvent]:
        session = ctx.path.stem.rsplit("_", 1)[-1]  # `<time>_<uuid>` until the header is read
        events = OpenClaw._parse_record(self, obj, state, session, None, rank=0)
        entry_id, stamp = text(obj.get("id")), text(obj.get("timestamp"))
        return [replace(event, event_key=_key(event, entry_id, stamp)) for event in events]


def _key(event: UsageEvent, entry_id: str, stamp: str) -> str:
    if entry_id and stamp:
        return f"{entry_id}@{stamp}"
    return (f"{event.ts_ms}:{event.input_tokens}:{event.output_tokens}:{event.cache_read_tokens}:"
            f"{event.cache_write_5m_tokens}")
