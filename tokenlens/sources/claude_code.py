"""Claude Code: `~/.claude/projects/**/*.jsonl` (and the old `~/.config/claude/projects`).

Traps handled here (log_formats.md §1):
- one API response is written as several lines sharing `message.id` + `requestId`; early
  streaming snapshots carry placeholder output counts, so the line with the largest total
  wins (rank), ties going to a line with a stop_reason;
- without `requestId` (proxies, gateways) the key is `message.id` scoped by session;
- a sidechain may replay its parent's message under a new requestId: such a line is a
  replay of `message.id` and is dropped when the parent's line is in the ledger;
- `<synthetic>` placeholder messages are not usage.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tokenlens.config import Env
from tokenlens.model import Action, UsageEvent
from tokenlens.sources.base import BadLine, FileContext, JsonlSource, count, iso_to_ms, text

PERMISSION_MODE = re.compile(rb'"permissionMode"\s*:\s*"([A-Za-z]{1,40})"')


class ClaudeCode(JsonlSource):
    id = "claude-code"
    name = "Claude Code"
    # tool_use blocks become Actions; permissionMode (on user lines) tells whether they ran
    # unasked. User lines carry whole tool results, so the mode is read by `glance` from the
    # raw bytes instead of parsing every one of them.
    line_markers = (b'"usage"', b'"tool_use"')

    def glance(self, line: bytes, state: dict[str, Any]) -> None:
        if b'"permissionMode"' in line:
            found = PERMISSION_MODE.search(line)
            if found:
                state["mode"] = found.group(1).decode("ascii")

    def roots(self, env: Env) -> list[Path]:
        configured = env.path_list("CLAUDE_CONFIG_DIR")
        if configured:
            return [p if p.name == "projects" else p / "projects" for p in configured]
        return [env.xdg("XDG_CONFIG_HOME", ".config") / "claude" / "projects", env.home / ".claude" / "projects"]

    def parse_line(self, obj: dict, state: dict[str, Any], ctx: FileContext) -> list[UsageEvent | Action]:
        if isinstance(obj.get("permissionMode"), str):
            state["mode"] = obj["permissionMode"]
        if obj.get("type") == "progress":
            # A subagent's message nested in the parent transcript (same key as its own file).
            nested = (obj.get("data") or {}).get("message")
            if not isinstance(nested, dict):
                return []
            obj = nested
        message = obj.get("message")
        if obj.get("type") != "assistant" or not isinstance(message, dict):
            return []
        ts_ms = iso_to_ms(obj.get("timestamp"))
        actions = _tool_actions(self.id, obj, message, state, ts_ms)
        usage = message.get("usage")
        if not isinstance(usage, dict):
            return actions
        model = message.get("model")
        if model == "<synthetic>":
            return []
        if not isinstance(model, str) or not model:
            raise BadLine("model missing")
        message_id = text(message.get("id"))
        request_id = text(obj.get("requestId"))
        session_id = text(obj.get("sessionId"))

        input_tokens = count(usage.get("input_tokens"), "input_tokens")
        output_tokens = count(usage.get("output_tokens"), "output_tokens")
        cache_read = count(usage.get("cache_read_input_tokens"), "cache_read_input_tokens")
        cache_write = count(usage.get("cache_creation_input_tokens"), "cache_creation_input_tokens")
        split = usage.get("cache_creation")
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
            project=text(obj.get("cwd")) or _project_from_dir(ctx),
            input_tokens=input_tokens,
            cache_read_tokens=cache_read,
            cache_write_5m_tokens=write_5m,
            cache_write_1h_tokens=write_1h,
            output_tokens=output_tokens,
            reported_cost_usd=_reported_cost(obj.get("costUSD")),
            fast_mode=usage.get("speed") == "fast",
            replay_key=message_id or None,
            is_replay=obj.get("isSidechain") is True,
        )
        event.rank = event.total_tokens * 2 + (message.get("stop_reason") is not None)
        return [*actions, event]


def _tool_actions(tool: str, obj: dict, message: dict, state: dict[str, Any], ts_ms: int) -> list[Action]:
    """One Action per tool_use block: category and risk only, never the command itself."""
    content = message.get("content")
    if not isinstance(content, list):
        return []
    actions = []
    for block in content:
        if type(block) is dict and block.get("type") == "tool_use" and isinstance(block.get("id"), str):
            from tokenlens.permissions.actions import RISKY, classify_claude

            category = classify_claude(text(block.get("name")), block.get("input"))
            actions.append(Action(tool=tool, action_key=block["id"], ts_ms=ts_ms, category=category,
                                  session_id=text(obj.get("sessionId")), risky=category in RISKY,
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
