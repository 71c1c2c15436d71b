"""Factory Droid CLI: `<home>/.factory/sessions/<cwd-slug>/<session-id>.settings.json`.

Droid is closed source. What is read here was checked in its published npm package
(`@factory/cli` 0.225.1, whose binary ships as `@factory/cli-linux-x64` 0.225.2, `bin/droid`, a
Bun bundle: the strings quoted below are in it) and in ccusage's open-source reader
(ryoppippi/ccusage, rust/crates/ccusage/src/adapter/droid/{paths,parser,loader}.rs). No code
was taken from either.

- Where: `join(home, ".factory", "sessions")`, the home being `$FACTORY_HOME_OVERRIDE`, else
  HOME (the bundle's `FACTORY_HOME_OVERRIDE ?? HOME ?? USERPROFILE`); per project a
  `<cwd-slug>` folder, per session `<id>.jsonl` (transcript, first line
  `{"type":"session_start", "id", "cwd", "parent"?...}`) beside `<id>.settings.json`.
  ccusage's `DROID_SESSIONS_DIR` is its own override, not Droid's, and is not read here.
- What: the settings file is rewritten whole (`writeFileSync(..., JSON.stringify(settings))`)
  and holds the session's cumulative `tokenUsage {inputTokens, outputTokens,
  cacheCreationTokens, cacheReadTokens, thinkingTokens, factoryCredits?}` (the bundle's
  schema; no `totalTokens`), `model`, `providerLock` and `providerLockTimestamp`. Each API
  call's usage is added to the counters (`sessionTokenUsage.inputTokens += ...`), so they only
  grow: one event per session, keyed by the session id, ranked by its total so the largest
  snapshot wins. `inclusiveTokenUsage` (own + sub-agent sessions) is not read: each sub-agent
  session has a settings file of its own.
- Buckets: input = inputTokens (uncached: for OpenAI's Responses API the bundle stores
  `max(0, input_tokens - cached_tokens)`), cache_read = cacheReadTokens, cache_write (5m) =
  cacheCreationTokens, output = outputTokens. **Thinking is inside outputTokens**: output is
  the API's own `output_tokens` (which for Anthropic and OpenAI includes reasoning), while
  `thinkingTokens` is the API's `reasoning_tokens` (OpenAI) or an estimate from the length of
  the streamed thinking text (Anthropic, Google, Bedrock). So it is reasoning_tokens here,
  capped at output and never added. ccusage adds it on top (its totalTokens and its cost).
- Time: `providerLockTimestamp`, which the bundle sets once, when the session first locks a
  provider (so the whole session lands at its start); else the file's mtime. No per-call times.
- Compaction: when a session is compacted Droid starts a successor session (new id, its
  transcript `session_start` naming `parent`, then a `compaction_state` line) whose counters
  start from the parent's (`inheritTokenUsage`). Counting both would count the parent twice
  (ccusage does), so a successor's event is its counters minus the parent's, when the parent's
  settings file is in the same folder and every parent counter is <= the successor's. A fork
  (`forkSession`) starts from zero (`tokenUsage: void 0`) and is counted whole.
- Project: the transcript's `session_start.cwd`, else the `<cwd-slug>` folder name as it is
  (the slug function could not be identified in the minified bundle, so it is not reversed).

Not confirmed: Windows/macOS layout (assumed the same under the home), the slug's encoding, a
compaction successor whose parent's counters grew after the hand-off (then not subtracted), a
fork of a compaction successor that out-spends its source in every bucket (then wrongly
subtracted), and whether a deleted parent file can reappear (a successor read while its parent
is missing is counted whole). Droid reports no USD cost (`factoryCredits` are Factory's
billing units): cost comes from the price table.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import orjson

from tokenlens.config import Env
from tokenlens.model import UsageEvent
from tokenlens.tools import droid as where
from tokenlens.tools.source import (
    MAX_SETTINGS_BYTES,
    BadLine,
    FileContext,
    SnapshotSource,
    count,
    iso_to_ms,
    text,
)

SUFFIX = ".settings.json"
UNKNOWN_MODEL = "unknown"
BUCKETS = ("inputTokens", "outputTokens", "cacheCreationTokens", "cacheReadTokens", "thinkingTokens")
# The transcript's first lines are small headers; a line longer than this is not read.
HEADER_BYTES = 1 << 20
RECORD_ERRORS = (BadLine, TypeError, ValueError, AttributeError, KeyError, OverflowError)


class Droid(SnapshotSource):
    id = "droid"
    name = "Factory Droid"
    patterns = ("*" + SUFFIX,)

    def roots(self, env: Env) -> list[Path]:
        return [d / "sessions" for d in where.factory_dirs(env)]

    def read_snapshot(self, path: Path, ctx: FileContext) -> tuple[list[UsageEvent], int]:
        settings = _load(path)
        if settings is None:
            return [], 1  # mid-rewrite or damaged: the next change re-reads it
        try:
            usage = _counters(settings)
            if usage is None:
                return [], 0  # a session that has made no call yet
            session_id = path.name[: -len(SUFFIX)] if path.name.endswith(SUFFIX) else path.stem
            header, compacted = _transcript_header(path.with_name(session_id + ".jsonl"))
            parent = text(header.get("parent"))
            if compacted and parent:
                usage = _minus_parent(usage, path.with_name(parent + SUFFIX))
            stamp = settings.get("providerLockTimestamp")
            ts_ms = iso_to_ms(stamp) if isinstance(stamp, str) and stamp.strip() else _mtime_ms(path)
        except RECORD_ERRORS:
            return [], 1
        inp, out, cw, cr, thinking = (usage[k] for k in BUCKETS)
        if inp + out + cw + cr == 0:
            return [], 0
        return [UsageEvent(
            tool=self.id,
            event_key=session_id,
            ts_ms=ts_ms,
            model=text(settings.get("model")).strip() or UNKNOWN_MODEL,
            session_id=session_id,
            project=text(header.get("cwd")) or path.parent.name,
            provider=text(settings.get("providerLock")),
            input_tokens=inp,
            cache_read_tokens=cr,
            cache_write_5m_tokens=cw,
            output_tokens=out,
            reasoning_tokens=min(thinking, out),
            rank=inp + out + cw + cr,
        )], 0


def _load(path: Path) -> dict | None:
    with open(path, "rb") as handle:
        data = handle.read(MAX_SETTINGS_BYTES + 1)
    if len(data) > MAX_SETTINGS_BYTES:
        return None
    try:
        obj = orjson.loads(data)
    except orjson.JSONDecodeError:
        return None
    return obj if isinstance(obj, dict) else None


def _counters(settings: dict) -> dict[str, int] | None:
    usage = settings.get("tokenUsage")
    if usage is None:
        return None
    if not isinstance(usage, dict):
        raise BadLine("tokenUsage is not an object")
    return {k: count(usage.get(k), k) for k in BUCKETS}


def _minus_parent(usage: dict[str, int], parent_path: Path) -> dict[str, int]:
    """A compaction successor's own usage: its counters less the parent's it started from."""
    try:
        parent = _load(parent_path)
        inherited = _counters(parent) if parent is not None else None
    except (OSError, *RECORD_ERRORS):
        return usage
    if inherited is None or any(inherited[k] > usage[k] for k in BUCKETS):
        return usage
    return {k: usage[k] - inherited[k] for k in BUCKETS}


def _transcript_header(path: Path) -> tuple[dict[str, Any], bool]:
    """The transcript's `session_start` object, and whether a `compaction_state` line follows
    it before any message (a compaction successor's transcript)."""
    try:
        with open(path, "rb") as handle:
            first = handle.readline(HEADER_BYTES)
            second = handle.readline(HEADER_BYTES)
    except OSError:
        return {}, False
    try:
        start = orjson.loads(first)
    except orjson.JSONDecodeError:
        return {}, False
    if not isinstance(start, dict) or start.get("type") != "session_start":
        return {}, False
    compacted = b'"compaction_state"' in second[:4096]
    if compacted:
        try:
            nxt = orjson.loads(second)
            compacted = isinstance(nxt, dict) and nxt.get("type") == "compaction_state"
        except orjson.JSONDecodeError:
            compacted = False
    return start, compacted


def _mtime_ms(path: Path) -> int:
    try:
        return int(os.stat(path).st_mtime * 1000)
    except OSError:
        return 0
