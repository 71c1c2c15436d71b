"""Codex CLI: `$CODEX_HOME/sessions/YYYY/MM/DD/rollout-*.jsonl` and `archived_sessions/`.

Traps handled here (log_formats.md §2):
- `token_count` lines carry cumulative session totals and are re-emitted unchanged (UI and
  rate-limit refreshes): we count deltas between successive totals, never `last_token_usage`
  on every line;
- `input_tokens` includes cached input and `output_tokens` includes reasoning;
- the model is carried forward from the latest `turn_context`;
- a fork's rollout starts by copying its parent's whole rollout (its session_meta lines
  included), each line stamped when written, so a long copy spills past the fork's creation
  second. Copies are recognised by content: every row is keyed by (root session, cumulative
  totals), root being the end of the `forked_from_id` chain that the copied session_meta lines
  spell out (a fork of a fork names its parent, whose copied meta names the grandparent...).
  A copy gets its original's key and the upsert keeps one row; rank = -(forks away from the
  root), so the shallowest file holding a call, where it was made, keeps its session and time.
  A fork's own calls carry totals beyond the fork point, which the parent never reached.
  Rows without totals keep the time in their key. A subagent spawned without
  `forked_from_id` keeps the older rule: rows stamped in its creation second are baseline;
- Codex Desktop branches (ccusage #988) copy rows into a file with no session_meta (its
  session is the file name's uuid): such rows are replays of "<ts_ms>:<totals>", the replay
  key every row carries, dropped while an original with the same time and totals is in the
  ledger; the branch's own rows have new times and stay;
- the archive moves a rollout, so the same events appear under two paths: keys are built
  from the session, totals (and time), never the path;
- `token_count` lines also carry plan-window readings (`rate_limits`, also on `info: null`
  lines): tools/codex/limits.py reads them, in every shape Codex has written.

Residual risks: two calls of one lineage (two forks of one parent, one counter reset) whose
four cumulative totals are all equal merge into one row; two sessions' calls logged in the
same millisecond with equal totals make a branch-less copy of one drop the other, only when
the file holding it has no session_meta; a fork of a fork whose file lacks its parent's
copied session_meta keys the copied calls by the parent, not the root, and counts the root's
calls again; a Desktop branch of a Desktop branch counts the first branch's own calls twice.
Ledgers from before m006 (store/schema.py) had "<session>:<ts_ms>:<totals>" keys.

Codex source read (openai/codex, codex-rs/core): src/rollout/recorder.rs (SessionMeta with
`forked_from_id`; JsonlWriter::write_rollout_item stamps each line with the time of writing;
a new rollout is materialised on persist, buffered items written then); src/thread_manager.rs
(fork_thread: the parent's rollout history, cut by ForkSnapshot, becomes the new thread's
InitialHistory). How Codex Desktop writes a branch was not found in the source read.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec
import orjson

from tokenlens.config import Env
from tokenlens.model import Action, UsageEvent
from tokenlens.tools import codex as where
from tokenlens.tools.source import (
    BadLine,
    FileContext,
    JsonlSource,
    count,
    decode_typed,
    iso_to_ms,
    text,
)


# Every line is decoded by msgspec into these few fields (checked where used): instructions,
# messages, reasoning and tool output, nearly all of a rollout's bytes, are skipped unread.
class Payload(msgspec.Struct):
    type: Any = None
    info: Any = None  # token_count: the usage vectors
    model: Any = None
    cwd: Any = None
    approval_policy: Any = None
    id: Any = None
    source: Any = None
    forked_from_id: Any = None
    name: Any = None
    arguments: Any = None
    action: Any = None
    call_id: Any = None
    rate_limits: Any = None  # token_count: plan-window readings (tools/codex/limits.py)


class Line(msgspec.Struct):
    timestamp: Any = None
    type: Any = None
    payload: Payload | None = None


_DECODER = msgspec.json.Decoder(Line)


def decode_line(line: bytes) -> Line:
    # A payload that is not an object: the line is read as having none.
    return decode_typed(_DECODER, line, lambda obj: Line(timestamp=obj.get("timestamp"), type=obj.get("type")))


FIELDS = ("input_tokens", "cached_input_tokens", "output_tokens", "reasoning_output_tokens")
FALLBACK_MODEL = "gpt-5"  # builds of Sept 2025 wrote no turn_context; ccusage assumes the same


class Codex(JsonlSource):
    id = "codex"
    name = "Codex CLI"
    patterns = ("rollout-*.jsonl",)

    def roots(self, env: Env) -> list[Path]:
        homes = where.homes(env)
        # sessions/ first, so a live copy is read before its archived twin.
        return [h / sub for sub in ("sessions", "archived_sessions") for h in homes]

    def new_state(self) -> dict[str, Any]:
        # root/depth: the session this file's calls descend from and how many forks away
        # (following the copied session_meta lines); fork_second: a subagent's copied prefix.
        return {"prev": None, "model": None, "session": None, "cwd": "", "fork_second": None,
                "root": None, "depth": 0}

    def decode(self, line: bytes) -> Line:
        return decode_line(line)

    def parse_line(self, obj: Line, state: dict[str, Any], ctx: FileContext) -> list[UsageEvent | Action]:
        kind = obj.type
        payload = obj.payload
        if payload is None:
            return []
        if kind == "session_meta":
            _read_session_meta(obj, payload, state)
            return []
        if kind == "turn_context":
            if isinstance(payload.model, str) and payload.model:
                state["model"] = payload.model
            if isinstance(payload.cwd, str):
                state["cwd"] = payload.cwd
            if isinstance(payload.approval_policy, str):
                state["approval"] = payload.approval_policy
            _maybe_end_replay(obj, state)
            return []
        if kind == "response_item" and payload.type in TOOL_CALLS:
            return _tool_action(self.id, obj, payload, state, ctx)
        if kind != "event_msg" or payload.type != "token_count":
            return []
        info = payload.info
        limits = _limit_readings(obj, payload, state, ctx) if payload.rate_limits is not None else []
        if not isinstance(info, dict):
            return limits  # a rate-limit-only refresh
        ts_ms = iso_to_ms(obj.timestamp)
        total = _vector(info.get("total_token_usage"), "total_token_usage")
        last = _vector(info.get("last_token_usage"), "last_token_usage")
        if total is None and last is None:
            raise BadLine("token_count without usage")
        replaying = _maybe_end_replay(obj, state)
        delta = _delta(state.get("prev"), total, last)
        if total is not None:
            state["prev"] = total
        if delta is None or replaying or not any(delta):
            return limits
        model = text(payload.model) or text(info.get("model")) or state.get("model") or FALLBACK_MODEL
        session = state.get("session") or _session_from_name(ctx.path)
        fresh_input, cached, output, reasoning = delta
        cached = min(cached, fresh_input)
        vector = ":".join(map(str, total if total is not None else last))
        root = state.get("root") or session
        # Keyed by lineage and cumulative totals: a fork's copy of its parent's row gets the
        # parent's key, whatever time it was stamped with. Without totals, the time too.
        key = f"{root}:{vector}" if total is not None else f"{root}:{ts_ms}:{vector}"
        return [
            *limits,
            UsageEvent(
                tool=self.id,
                event_key=key,
                # The shallowest file holding a call is where it was made: it keeps the row.
                rank=-int(state.get("depth") or 0),
                # A file without session_meta (a Codex Desktop branch) copies rows with their
                # time and totals: such a row gives way to the original with the same pair.
                replay_key=f"{ts_ms}:{vector}",
                is_replay=not state.get("session"),
                ts_ms=ts_ms,
                model=model,
                provider="openai",
                session_id=session,
                project=state.get("cwd") or "",
                input_tokens=fresh_input - cached,
                cache_read_tokens=cached,
                output_tokens=output,
                reasoning_tokens=min(reasoning, output),
            )
        ]


def _limit_readings(obj: Line, payload: Payload, state: dict[str, Any], ctx: FileContext) -> list:
    from tokenlens.tools.codex.limits import home_label, readings

    try:
        ts_ms = iso_to_ms(obj.timestamp)
    except BadLine:
        return []  # the usage part says so, where there is one
    fork_second = state.get("fork_second")
    if fork_second is not None and ts_ms // 1000 <= fork_second:
        return []  # a subagent's copy of its parent's lines: the parent's readings, restamped
    return readings(payload.rate_limits, ts_ms, home_label(ctx.root), state)


TOOL_CALLS = ("function_call", "local_shell_call", "custom_tool_call", "web_search_call")


def _tool_action(tool: str, obj: Line, payload: Payload, state: dict[str, Any], ctx: FileContext) -> list[Action]:
    """One Action per tool call: category and risk only, never the command itself."""
    from tokenlens.actions import RISKY
    from tokenlens.tools.codex.actions import classify_codex

    kind = payload.type
    if kind == "local_shell_call":
        name, arguments = "local_shell", payload.action or {}
    elif kind == "web_search_call":
        name, arguments = "web_search", {}
    else:
        name = text(payload.name)
        arguments = payload.arguments
        if isinstance(arguments, str):
            try:
                arguments = orjson.loads(arguments)
            except orjson.JSONDecodeError:
                arguments = {}
    ts_ms = iso_to_ms(obj.timestamp)
    session = state.get("session") or _session_from_name(ctx.path)
    key = text(payload.call_id) or text(payload.id) or f"{session}:{ts_ms}:{name}"
    category = classify_codex(name, arguments)
    return [Action(tool=tool, action_key=key, ts_ms=ts_ms, category=category, session_id=session,
                   risky=category in RISKY, unattended=state.get("approval") == "never")]


def _read_session_meta(obj: Line, payload: Payload, state: dict[str, Any]) -> None:
    forked_from = text(payload.forked_from_id) or None
    if state.get("session"):
        # A fork file repeats its parent's session_meta (and a fork of a fork, its
        # grandparent's too): keep the fork's own id, follow the chain to the root.
        if forked_from and text(payload.id) == state.get("root") and forked_from != state.get("root"):
            state["root"] = forked_from
            state["depth"] = int(state.get("depth") or 0) + 1
        return
    state["session"] = text(payload.id) or None
    state["root"] = forked_from or state["session"]
    state["depth"] = 1 if forked_from else 0
    if isinstance(payload.cwd, str):
        state["cwd"] = payload.cwd
    source = payload.source
    spawned = isinstance(source, dict) and isinstance(source.get("subagent"), dict)
    if spawned and not forked_from:
        try:
            state["fork_second"] = iso_to_ms(obj.timestamp) // 1000
        except BadLine:
            state["fork_second"] = None


def _maybe_end_replay(obj: Line, state: dict[str, Any]) -> bool:
    """True while a fork's copied prefix (stamped with the fork's creation second) lasts."""
    fork_second = state.get("fork_second")
    if fork_second is None:
        return False
    try:
        second = iso_to_ms(obj.timestamp) // 1000
    except BadLine:
        return True
    if second > fork_second:
        state["fork_second"] = None
        return False
    return True


def _vector(value: Any, name: str) -> list[int] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise BadLine(f"{name} is not an object")
    return [count(value.get(f), f"{name}.{f}") for f in FIELDS]


def _delta(prev: list[int] | None, total: list[int] | None, last: list[int] | None) -> list[int] | None:
    if total is not None and prev is not None:
        if total == prev:
            return None  # a re-emitted, unchanged total
        if all(t >= p for t, p in zip(total, prev, strict=True)):
            return [t - p for t, p in zip(total, prev, strict=True)]
    # First row, a counter reset, or no totals: the per-request figures are all we have.
    return last if last is not None else total


def _session_from_name(path: Path) -> str:
    # rollout-2026-05-01T10-00-00-<uuid>.jsonl: the uuid is the last 5 dash-separated groups
    stem = path.stem
    parts = stem.split("-")
    return "-".join(parts[-5:]) if len(parts) >= 5 else stem
