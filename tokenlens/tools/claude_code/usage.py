"""Claude Code: `~/.claude/projects/**/*.jsonl` (and the old `~/.config/claude/projects`).

Traps handled here (log_formats.md §1):
- one API response is written as several lines sharing `message.id` + `requestId`; early
  streaming snapshots carry placeholder output counts, so the line with the largest total
  wins (rank), ties going to a line with a stop_reason;
- without `requestId` (proxies, gateways) the key is `message.id` scoped by session;
- a sidechain may replay its parent's message under a new requestId: such a line is a
  replay of `message.id` and is dropped when the parent's line is in the ledger;
- `<synthetic>` placeholder messages are not usage;
- a line with no `type` (or one that is not a string) is skipped and counted, while lines of
  the types that are not usage (summary, file-history-snapshot...) are ignored silently.

Lines are decoded by msgspec into the few fields read here: the prompts, outputs and tool
results that make up nearly all of a transcript's bytes are skipped by the decoder without
ever becoming Python objects. That makes it cheaper to decode every line than to search each
one for marker words and parse the hits whole.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec

from tokenlens.config import Env
from tokenlens.model import Action, UsageEvent
from tokenlens.tools import claude_code as where
from tokenlens.tools.source import (
    BadLine,
    FileContext,
    JsonlSource,
    Retention,
    count,
    decode_typed,
    iso_to_ms,
    read_json_settings,
    text,
)

# Fields typed Any are checked where they are used (count, text, iso_to_ms), as for any
# source; the structs only say which parts of a line to keep.


class ToolInput(msgspec.Struct):
    command: Any = None


class Block(msgspec.Struct):
    type: Any = None
    id: Any = None
    name: Any = None
    input: ToolInput | None = None


class Usage(msgspec.Struct):
    # A struct rather than a dict: only these keys become Python objects.
    input_tokens: Any = None
    output_tokens: Any = None
    cache_read_input_tokens: Any = None
    cache_creation_input_tokens: Any = None
    cache_creation: Any = None
    speed: Any = None


class Message(msgspec.Struct):
    id: Any = None
    model: Any = None
    usage: Usage | None = None
    stop_reason: Any = None
    content: list[Block] | str | None = None


class Progress(msgspec.Struct):
    message: Line | None = None  # a subagent's line, nested in the parent transcript


class Line(msgspec.Struct):
    type: Any = None
    message: Message | None = None
    data: Progress | None = None
    requestId: Any = None  # noqa: N815 - the log's own key
    sessionId: Any = None  # noqa: N815
    cwd: Any = None
    timestamp: Any = None
    isSidechain: Any = None  # noqa: N815
    costUSD: Any = None  # noqa: N815
    permissionMode: Any = None  # noqa: N815


_DECODER = msgspec.json.Decoder(Line)
DEFAULT_CLEANUP_DAYS = 30
_LINE_KEYS = ("type", "requestId", "sessionId", "cwd", "timestamp", "isSidechain", "costUSD", "permissionMode")


def decode_line(line: bytes) -> Line:
    return decode_typed(_DECODER, line, lambda obj: msgspec.convert(_expected_shapes(obj), Line))


def _expected_shapes(obj: dict) -> dict:
    """The line with each part read here that has another shape (a message that is a string,
    a content block that is a number...) left out, as if the line lacked it."""
    out = {key: obj.get(key) for key in _LINE_KEYS}
    message = obj.get("message")
    if isinstance(message, dict):
        content = message.get("content")
        usage = message.get("usage")
        out["message"] = {
            "id": message.get("id"), "model": message.get("model"), "stop_reason": message.get("stop_reason"),
            "usage": usage if isinstance(usage, dict) else None,
            "content": [_block_shape(b) for b in content if isinstance(b, dict)] if isinstance(content, list) else None,
        }
    data = obj.get("data")
    nested = data.get("message") if isinstance(data, dict) else None
    if isinstance(nested, dict):
        out["data"] = {"message": _expected_shapes(nested)}
    return out


def _block_shape(block: dict) -> dict:
    tool_input = block.get("input")
    return {"type": block.get("type"), "id": block.get("id"), "name": block.get("name"),
            "input": {"command": tool_input.get("command")} if isinstance(tool_input, dict) else None}


class ClaudeCode(JsonlSource):
    id = "claude-code"
    name = "Claude Code"

    def roots(self, env: Env) -> list[Path]:
        return [home / "projects" for home in where.homes(env)]

    def retention(self, env: Env) -> Retention:
        """Claude Code deletes transcripts idle for `cleanupPeriodDays` (default 30) when it
        starts, and 0 stops it writing them at all (anthropics/claude-code #23710). With several
        config dirs, the shortest setting is the one to worry about."""
        files = [d / "settings.json" for d in where.configured_dirs(env) or [env.home / ".claude"]]
        set_in = []
        for path in files:
            value = (read_json_settings(path) or {}).get("cleanupPeriodDays")
            if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
                set_in.append((value, str(path)))
        if not set_in:
            return Retention(DEFAULT_CLEANUP_DAYS, f"cleanupPeriodDays, not set in {files[0]}", is_default=True)
        days, path = min(set_in)
        return Retention(days, f"cleanupPeriodDays {days:g} in {path}", is_default=False, writes_nothing=days == 0)

    def decode(self, line: bytes) -> Line:
        return decode_line(line)

    def parse_line(self, obj: Line, state: dict[str, Any], ctx: FileContext) -> list[UsageEvent | Action]:
        # Every transcript line names its type; those that are not usage ("user", "summary",
        # "file-history-snapshot", ...) are ignored below. A line without one is bad input.
        if obj.type is None:
            raise BadLine("type missing")
        if not isinstance(obj.type, str):
            raise BadLine("type is not a string")
        # permissionMode (on user lines) tells whether later tool calls ran unasked.
        if isinstance(obj.permissionMode, str):
            state["mode"] = obj.permissionMode
        if obj.type == "progress":
            # A subagent's message nested in the parent transcript (same key as its own file).
            if obj.data is None or obj.data.message is None:
                return []
            obj = obj.data.message
        message = obj.message
        if obj.type != "assistant" or message is None:
            return []
        ts_ms = iso_to_ms(obj.timestamp)
        actions = _tool_actions(self.id, obj, message, state, ts_ms)
        usage = message.usage
        if usage is None:
            return actions
        model = message.model
        if model == "<synthetic>":
            return []
        if not isinstance(model, str) or not model:
            raise BadLine("model missing")
        message_id = text(message.id)
        request_id = text(obj.requestId)
        session_id = text(obj.sessionId)

        input_tokens = count(usage.input_tokens, "input_tokens")
        output_tokens = count(usage.output_tokens, "output_tokens")
        cache_read = count(usage.cache_read_input_tokens, "cache_read_input_tokens")
        cache_write = count(usage.cache_creation_input_tokens, "cache_creation_input_tokens")
        split = usage.cache_creation
        if isinstance(split, dict) and ("ephemeral_5m_input_tokens" in split or "ephemeral_1h_input_tokens" in split):
            write_5m = count(split.get("ephemeral_5m_input_tokens"), "ephemeral_5m_input_tokens")
            write_1h = count(split.get("ephemeral_1h_input_tokens"), "ephemeral_1h_input_tokens")
        else:
            write_5m, write_1h = cache_write, 0

        if message_id and request_id:
            key = f"{message_id}:{request_id}"
        elif message_id:
            key = f"{session_id}:{message_id}"
        else:
            key = f"{session_id}:{ts_ms}:{input_tokens}:{output_tokens}:{cache_read}:{cache_write}"

        event = UsageEvent(
            tool=self.id,
            event_key=key,
            ts_ms=ts_ms,
            model=model,
            provider="anthropic" if model.startswith("claude") else "",
            session_id=session_id,
            project=text(obj.cwd) or _project_from_dir(ctx),
            input_tokens=input_tokens,
            cache_read_tokens=cache_read,
            cache_write_5m_tokens=write_5m,
            cache_write_1h_tokens=write_1h,
            output_tokens=output_tokens,
            reported_cost_usd=_reported_cost(obj.costUSD),
            fast_mode=usage.speed == "fast",
            replay_key=message_id or None,
            is_replay=obj.isSidechain is True,
        )
        event.rank = event.total_tokens * 2 + (message.stop_reason is not None)
        return [*actions, event]


def _tool_actions(tool: str, obj: Line, message: Message, state: dict[str, Any], ts_ms: int) -> list[Action]:
    """One Action per tool_use block: category and risk only, never the command itself."""
    if not isinstance(message.content, list):
        return []
    actions = []
    for block in message.content:
        if block.type == "tool_use" and isinstance(block.id, str):
            from tokenlens.actions import RISKY  # lazily: `report` never classifies
            from tokenlens.tools.claude_code.actions import classify_claude

            command = {"command": block.input.command} if block.input is not None else None
            category = classify_claude(text(block.name), command)
            actions.append(Action(tool=tool, action_key=block.id, ts_ms=ts_ms, category=category,
                                  session_id=text(obj.sessionId), risky=category in RISKY,
                                  unattended=state.get("mode") == "bypassPermissions"))
    return actions


def _reported_cost(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and value == value and value > 0:
        return float(value)
    return None


def _project_from_dir(ctx: FileContext) -> str:
    """The lossy `-home-me-proj` directory name, used only when lines carry no cwd."""
    if ctx.root is None:
        return ""
    try:
        return ctx.path.relative_to(ctx.root).parts[0]
    except (ValueError, IndexError):
        return ""
