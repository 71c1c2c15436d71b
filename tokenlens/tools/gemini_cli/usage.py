"""Gemini CLI: `~/.gemini/tmp/<project>/chats/` (`$GEMINI_CLI_HOME/.gemini/...` when set).

Two on-disk generations, both read (log_formats.md §3):
- legacy `session-<time>-<id8>.json`: one JSON object `{sessionId, startTime, messages: [...]}`
  rewritten whole after each turn: re-read whole when it changes;
- current `session-<time>-<id8>.jsonl` (and subagent chats `chats/<parent>/<id>.jsonl`):
  append-only; the first line is session metadata, later lines are message records,
  `{"$set": {...}}` metadata patches and `{"$rewindTo": id}`. A message that changes (its
  tokens arrive, its tool calls update) is appended again whole with the same `id`.

Traps handled here:
- last write wins per (sessionId, message id), inside a file and across files: resuming a
  legacy session writes a `.jsonl` beside the `.json` holding every old message again (same
  session id, same message ids, checked in gemini-cli's chatRecordingService), so both files
  map to the same keys and the session is counted once;
- `$set.messages` re-lists existing messages (a history sync): ignored for counting;
- `$rewindTo` hides messages from the UI, but their tokens were spent: kept;
- a re-append with `tokens: null` does not erase figures already seen.

Tokens (`TokensSummary` in gemini-cli: input=promptTokenCount, output=candidatesTokenCount,
cached=cachedContentTokenCount, thoughts=thoughtsTokenCount, tool=toolUsePromptTokenCount):
`cached` is part of `input`; `tool` is extra prompt billed as input; `thoughts` is not part of
`output` but billed as output. So input = input + tool - cached, cache_read = cached,
output = output + thoughts, reasoning = thoughts. Gemini records no cost.

Not confirmed from source: the Windows location (assumed `%USERPROFILE%\\.gemini`), and the
`~/.gemini/projects.json` registry format (only the slug directory's `.project_root` file is read;
hash-named directories fall back to the directory name).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from tokenlens.config import Env
from tokenlens.model import UsageEvent
from tokenlens.tools import gemini_cli as where
from tokenlens.tools.source import (
    RECORD_ERRORS,
    BadLine,
    Discovered,
    FileContext,
    JsonlSource,
    Retention,
    SnapshotSource,
    count,
    files_in_project_chats,
    iso_to_ms,
    read_json_settings,
    text,
)

UNKNOWN_MODEL = "unknown"


DEFAULT_RETENTION_DAYS = 30
_AGE_UNITS = {"h": 1 / 24, "d": 1, "w": 7}


def retention_days(max_age) -> float | None:
    """Gemini's `maxAge` ("24h", "7d", "4w") in days; None if it is not of that form."""
    if not isinstance(max_age, str) or len(max_age) < 2 or max_age[-1] not in _AGE_UNITS:
        return None
    number = max_age[:-1].strip()
    if not number.isdigit():
        return None
    return int(number) * _AGE_UNITS[max_age[-1]]


class GeminiCli(JsonlSource, SnapshotSource):
    id = "gemini-cli"
    name = "Gemini CLI"
    # Message lines with usage carry "tokens"; the metadata line and `$set` carry "sessionId".
    line_markers = (b'"tokens"', b'"sessionId"')
    patterns = ("session-*.json", "*.jsonl")

    def __init__(self) -> None:
        self._projects: dict[Path, str] = {}

    def roots(self, env: Env) -> list[Path]:
        return [home / "tmp" for home in where.homes(env)]

    def discover(self, env: Env) -> Iterator[Discovered]:
        """Session files directly in `chats/`, and every chat file in its subfolders: subagent
        and skill-extraction chats (`kind: "subagent"`) are written as `chats/<parent session
        uuid>/<id>.json(l)` and `chats/skill-extraction-<n>/<id>.json`, without the
        `session-` prefix (seen in real histories people published; their usage is real)."""
        for found in files_in_project_chats(self.roots(env), ("*.json", "*.jsonl")):
            if found.path.parent.name != "chats" or found.path.suffix == ".jsonl" or found.path.name.startswith("session-"):
                yield found

    def reads_whole(self, path: Path) -> bool:
        return path.suffix == ".json"

    def retention(self, env: Env) -> Retention:
        """`general.sessionRetention` in settings.json: on by default with a 30-day `maxAge`
        since early 2026 (off by default before); `maxCount` may delete sooner."""
        path = where.homes(env)[0] / "settings.json"
        general = (read_json_settings(path) or {}).get("general")
        policy = general.get("sessionRetention") if isinstance(general, dict) else None
        if not isinstance(policy, dict):
            return Retention(DEFAULT_RETENTION_DAYS, f"general.sessionRetention, not set in {path}", is_default=True)
        if policy.get("enabled") is False:
            return Retention(None, f"general.sessionRetention.enabled false in {path}", is_default=False)
        days = retention_days(policy.get("maxAge"))
        setting = f"general.sessionRetention in {path}"
        if isinstance(policy.get("maxCount"), int) and not isinstance(policy.get("maxCount"), bool):
            setting += f", at most {policy['maxCount']} sessions"
        if days is None:
            return Retention(DEFAULT_RETENTION_DAYS, setting, is_default=True)
        return Retention(days, setting, is_default=False)

    def new_state(self) -> dict[str, Any]:
        return {"session": None, "start": None}

    def parse_line(self, obj: dict, state: dict[str, Any], ctx: FileContext) -> list[UsageEvent]:
        if "$rewindTo" in obj:
            return []  # the rewound messages' tokens were still spent
        if "$set" in obj:
            patch = obj["$set"]
            if isinstance(patch, dict) and isinstance(patch.get("sessionId"), str) and patch["sessionId"]:
                state["session"] = patch["sessionId"]
            return []
        if not isinstance(obj.get("id"), str):
            if isinstance(obj.get("sessionId"), str) and obj["sessionId"]:  # the metadata line
                state["session"] = obj["sessionId"]
                if isinstance(obj.get("startTime"), str):
                    state["start"] = obj["startTime"]
            return []
        session = state.get("session") or _session_from_name(ctx.path)
        event = self._message_event(obj, session, state.get("start"), ctx)
        return [event] if event else []

    def read_snapshot(self, path: Path, ctx: FileContext) -> tuple[list[UsageEvent], int]:
        try:
            record = orjson.loads(path.read_bytes())
        except orjson.JSONDecodeError:
            return [], 1  # mid-rewrite or damaged: the next change re-reads it
        messages = record.get("messages") if isinstance(record, dict) else None
        if not isinstance(messages, list):
            return [], 1
        session = text(record.get("sessionId")) or _session_from_name(path)
        start = record.get("startTime")
        events, bad = [], 0
        for message in messages:
            try:
                event = self._message_event(message, session, start, ctx) if isinstance(message, dict) else None
            except RECORD_ERRORS:
                bad += 1
                continue
            if event:
                events.append(event)
        return events, bad

    def _message_event(self, msg: dict, session: str, start: Any, ctx: FileContext) -> UsageEvent | None:
        tokens = msg.get("tokens")
        if msg.get("type") != "gemini" or not isinstance(tokens, dict):
            return None
        message_id = msg.get("id")
        if not isinstance(message_id, str) or not message_id:
            raise BadLine("message id missing")
        prompt = count(tokens.get("input"), "tokens.input") + count(tokens.get("tool"), "tokens.tool")
        cached = min(count(tokens.get("cached"), "tokens.cached"), prompt)
        thoughts = count(tokens.get("thoughts"), "tokens.thoughts")
        output = count(tokens.get("output"), "tokens.output") + thoughts
        model = msg.get("model")
        return UsageEvent(
            tool=self.id,
            event_key=f"{session}:{message_id}",
            ts_ms=_timestamp(msg.get("timestamp"), start, ctx.path),
            model=model if isinstance(model, str) and model else UNKNOWN_MODEL,
            provider="google",
            session_id=session,
            project=self._project(ctx),
            input_tokens=prompt - cached,
            cache_read_tokens=cached,
            output_tokens=output,
            reasoning_tokens=thoughts,
        )

    def _project(self, ctx: FileContext) -> str:
        """The project path from the slug dir's `.project_root`, else the dir's name (a hash)."""
        if ctx.root is None:
            return ""
        try:
            project_dir = ctx.root / ctx.path.relative_to(ctx.root).parts[0]
        except (ValueError, IndexError):
            return ""
        if project_dir not in self._projects:
            try:
                root_file = (project_dir / ".project_root").read_text(encoding="utf-8").strip()
            except (OSError, UnicodeDecodeError):
                root_file = ""
            self._projects[project_dir] = root_file or project_dir.name
        return self._projects[project_dir]




def _timestamp(value: Any, start: Any, path: Path) -> int:
    for candidate in (value, start):
        if candidate:
            try:
                return iso_to_ms(candidate)
            except BadLine:
                continue
    try:
        return int(os.stat(path).st_mtime * 1000)
    except OSError as exc:
        raise BadLine("no usable timestamp") from exc


def _session_from_name(path: Path) -> str:
    # session-2026-05-22T15-00-1a2b3c4d.json[l]: only 8 chars of the id; subagents: <id>.jsonl
    return path.stem
