"""Codebuff: `<config dir>/projects/<project>/chats/<chatId>/chat-messages.json`.

From Codebuff's source (github CodebuffAI/codebuff): the config dir is
`~/.config/manicode[-<env>]` (cli/src/utils/config-dir.ts); `<project>` is the basename of the
project root and `<chatId>` the chat's start time, ISO with `-` for `:`
(cli/src/project-files.ts); `chat-messages.json` is a JSON array of `ChatMessage {id, variant:
ai|user|agent|error, content, blocks, timestamp, credits?, metadata{runState?}}`, rewritten
whole on every save (`writeFileSync(JSON.stringify(messages))`, cli/src/utils/run-state-storage.ts,
cli/src/types/chat.ts). Codebuff's own message type has no token fields, only `credits`.

Token figures are read where ccusage (ryoppippi/ccusage,
rust/crates/ccusage/src/adapter/codebuff/parser.rs) finds them: a message's `metadata.usage`,
`metadata.codebuff.usage`, else the last assistant entry of its stored
`metadata.runState.sessionState.mainAgentState.messageHistory` with `providerOptions.usage` or
`providerOptions.codebuff.usage` (every stored runState repeats the earlier history, so only
the message's own last entry is taken). Both spellings are accepted: Anthropic-style
(`inputTokens` fresh, `cacheReadInputTokens`, `cacheCreationInputTokens`) and
OpenAI/OpenRouter-style (`prompt_tokens`/`promptTokens`, `completion_tokens`/`completionTokens`,
`prompt_tokens_details.cached_tokens`/`promptTokensDetails.cachedTokens`), and the AI SDK's
(`inputTokens` with `cachedInputTokens`, cached inside). **In the OpenAI and AI SDK shapes the
cached tokens are part of the prompt**: input = prompt - cached here; ccusage counts
them twice (as input and again as cache read). Reasoning (`completion_tokens_details.
reasoning_tokens`) is inside completion tokens: reasoning_tokens, never added.

Key: (chat folder, message id), so a rewrite replaces and never adds. Time: the message's
`timestamp`, else the chat id, else the file's mtime. Model: `metadata.model`, else the run
state entry's `providerOptions.codebuff.model`. `credits` are Codebuff billing units, not USD:
cost comes from the price table.

Not confirmed (hence `reads_usage = "partial"`): that Codebuff ever stores provider usage in
`chat-messages.json` (its types do not declare it; the paths are ccusage's), and that a turn of
several model calls keeps usage for each (only the last entry's is found). A Codebuff turn's
sub-agents are not counted separately.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from tokenlens.config import Env
from tokenlens.model import UsageEvent
from tokenlens.tools import codebuff as where
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
ASSISTANT = ("ai", "agent", "assistant")


class Codebuff(SnapshotSource):
    id = "codebuff"
    name = "Codebuff"
    patterns = ("chat-messages.json",)
    reads_usage = "partial"
    partial_reason = ("token counts only where a chat message keeps its provider usage (Codebuff's own "
                      "message type has only credits, which are not USD)")

    def roots(self, env: Env) -> list[Path]:
        return [home / "projects" for home in where.homes(env)]

    def read_snapshot(self, path: Path, ctx: FileContext) -> tuple[list[UsageEvent], int]:
        try:
            messages = orjson.loads(path.read_bytes())
        except orjson.JSONDecodeError:
            return [], 1  # mid-rewrite or damaged: the next change re-reads it
        if not isinstance(messages, list):
            return [], 1
        chat_id = path.parent.name
        project = path.parent.parent.parent.name if path.parent.parent.name == "chats" else ""
        channel = path.parents[4].name if len(path.parents) > 4 else ""
        session = f"{channel}/{project}/{chat_id}"
        fallback_ms = _chat_id_ms(chat_id)
        if fallback_ms is None:
            fallback_ms = _mtime_ms(path)
        events, bad = [], 0
        for ordinal, message in enumerate(messages):
            if not isinstance(message, dict):
                continue
            if text(message.get("variant")) not in ASSISTANT and text(message.get("role")) not in ASSISTANT:
                continue
            try:
                event = self._event(message, ordinal, session, project, fallback_ms)
            except RECORD_ERRORS:
                bad += 1
                continue
            if event is not None:
                events.append(event)
        return events, bad

    def _event(self, message: dict, ordinal: int, session: str, project: str, fallback_ms: int) -> UsageEvent | None:
        metadata = message.get("metadata")
        metadata = metadata if isinstance(metadata, dict) else {}
        codebuff = metadata.get("codebuff")
        raw, model = None, text(metadata.get("model"))
        for candidate in (metadata.get("usage"), codebuff.get("usage") if isinstance(codebuff, dict) else None):
            if isinstance(candidate, dict):
                raw = candidate
                break
        if raw is None:
            raw, state_model = _run_state_usage(metadata)
            model = model or state_model
        if raw is None:
            return None
        inp, out, cw, cr, reasoning = _buckets(raw)
        if inp + out + cw + cr == 0:
            return None
        message_id = message.get("id")
        key_id = message_id if isinstance(message_id, str) and message_id else f"#{ordinal}"
        stamp = message.get("timestamp")
        ts_ms = iso_to_ms(stamp) if isinstance(stamp, str | int | float) and stamp != "" else fallback_ms
        return UsageEvent(
            tool=self.id,
            event_key=f"{session}:{key_id}",
            ts_ms=ts_ms,
            model=model or text(raw.get("model")) or UNKNOWN_MODEL,
            session_id=session,
            project=project,
            input_tokens=inp,
            cache_read_tokens=cr,
            cache_write_5m_tokens=cw,
            output_tokens=out,
            reasoning_tokens=min(reasoning, out),
        )


def _run_state_usage(metadata: dict) -> tuple[dict | None, str]:
    history = metadata.get("runState")
    for step in ("sessionState", "mainAgentState", "messageHistory"):
        history = history.get(step) if isinstance(history, dict) else None
    if not isinstance(history, list):
        return None, ""
    for entry in reversed(history):
        if not isinstance(entry, dict) or entry.get("role") != "assistant":
            continue
        options = entry.get("providerOptions")
        if not isinstance(options, dict):
            continue
        codebuff = options.get("codebuff")
        codebuff = codebuff if isinstance(codebuff, dict) else {}
        for candidate in (options.get("usage"), codebuff.get("usage")):
            if isinstance(candidate, dict):
                return candidate, text(codebuff.get("model"))
    return None, ""


def _first(raw: dict, *names: str) -> Any:
    for name in names:
        if raw.get(name) is not None:
            return raw.get(name)
    return None


def _buckets(raw: dict) -> tuple[int, int, int, int, int]:
    """(fresh input, output, cache write, cache read, reasoning) from either spelling."""
    cw = count(_first(raw, "cacheCreationInputTokens", "cache_creation_input_tokens"), "cache write")
    out = count(_first(raw, "outputTokens", "output_tokens", "completionTokens", "completion_tokens"), "output")
    details = _first(raw, "completionTokensDetails", "completion_tokens_details")
    reasoning = count(_first(details, "reasoningTokens", "reasoning_tokens") if isinstance(details, dict) else None,
                      "reasoning")
    anthropic = _first(raw, "inputTokens", "input_tokens")
    if anthropic is not None and raw.get("cachedInputTokens") is not None:
        # The AI SDK's own usage shape: cachedInputTokens is part of inputTokens.
        total, cached = count(anthropic, "input"), count(raw.get("cachedInputTokens"), "cachedInputTokens")
        if cached > total:
            raise BadLine("cached tokens exceed the input")
        return total - cached, out, cw, cached, reasoning
    if anthropic is not None:  # Anthropic-style: input is already the uncached part
        cr = count(_first(raw, "cacheReadInputTokens", "cache_read_input_tokens"), "cache read")
        return count(anthropic, "input"), out, cw, cr, reasoning
    prompt = count(_first(raw, "promptTokens", "prompt_tokens"), "prompt")
    prompt_details = _first(raw, "promptTokensDetails", "prompt_tokens_details")
    cached = count(_first(prompt_details, "cachedTokens", "cached_tokens") if isinstance(prompt_details, dict)
                   else None, "cached")
    if cached > prompt:
        raise BadLine("cached tokens exceed the prompt")
    return prompt - cached, out, cw, cached, reasoning


def _chat_id_ms(chat_id: str) -> int | None:
    day, sep, clock = chat_id.partition("T")
    if not sep:
        return None
    try:
        stamp = datetime.fromisoformat(f"{day}T{clock.replace('-', ':', 2)}")
    except ValueError:
        return None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    try:
        return iso_to_ms(stamp.isoformat())
    except BadLine:
        return None


def _mtime_ms(path: Path) -> int:
    try:
        return int(os.stat(path).st_mtime * 1000)
    except OSError:
        return 0
