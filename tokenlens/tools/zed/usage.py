"""Zed's built-in agent: token counts per thread in SQLite `threads/threads.db`.

Where (zed-industries/zed crates/agent/src/db.rs, ThreadsDatabase::new):
`paths::data_dir().join("threads").join("threads.db")`; data_dir is `~/.local/share/zed`
($XDG_DATA_HOME, or $FLATPAK_XDG_DATA_HOME, + `zed`) on Linux, `~/Library/Application
Support/Zed` on macOS, `%LOCALAPPDATA%\\Zed` on Windows (crates/paths/src/paths.rs, per
shared/specs/new_tools.md; not re-read here). Opened read-only (sqlite_ro); a `-wal` is part
of the fingerprint.

Format (db.rs): `threads(id TEXT PRIMARY KEY, summary TEXT, updated_at TEXT (RFC 3339),
data_type TEXT 'json'|'zstd', data BLOB)`, later `parent_id` (a subagent's parent thread),
`folder_paths`, `created_at`. `save_thread_sync` writes the whole thread as zstd-compressed
JSON (`DbThread` + `"version": "0.3.0"`) with INSERT ... ON CONFLICT(id) DO UPDATE: each save
replaces the row. The JSON holds `model` ({provider, model}), `cumulative_token_usage` and
`request_token_usage` ({user message id: TokenUsage}); TokenUsage is `{input_tokens,
output_tokens, cache_creation_input_tokens, cache_read_input_tokens}`.

What those hold (crates/agent/src/thread.rs, `update_token_usage`/`accumulate_token_usage`):
every UsageUpdate *replaces* `request_token_usage[last user message]`, so a turn's entry is the
usage of its last request only (Zed reads it as the context size); a turn with tool calls
makes several requests. `cumulative_token_usage` adds each request's usage (the running
maximum within a request, so a streamed update is not added twice): that is the thread's
real total. Truncating a thread (editing an earlier message) removes turns from
`request_token_usage` but not from the cumulative total.

Events: one per thread, key = thread id, at the thread's `updated_at` (Zed keeps no
per-request time), tokens = `cumulative_token_usage`, or the sum of `request_token_usage`
when that is larger (builds whose agent did not yet accumulate the cumulative total: a lower
bound there). Rank = the total, so a re-read after a truncation never shrinks the ledger's
copy. A thread continued on a later day moves, whole, to that day. A subagent thread
(`parent_id`) is its own thread with its own requests and is counted as one.

Tokens: Zed's buckets are Anthropic's (input excludes cache reads and writes), so input =
input_tokens, cache_read = cache_read_input_tokens, cache_write (5m) =
cache_creation_input_tokens, output = output_tokens. Cost is priced from the table by model.

zstd: Python 3.14's `compression.zstd`, else the `zstandard` package (a dependency below 3.14).
A row that is not valid zstd or JSON, or holds counts of the wrong type, is skipped and counted.

Not confirmed from source: that every provider Zed supports (OpenAI, Google, Ollama...) maps
its usage into these buckets with input excluding cached tokens (only the Anthropic shape is
documented by the struct); crates/paths/src/paths.rs was not read at the zed repository
itself, nor how `folder_paths` separates several folders (the first line is taken as the
project); whether a subagent's usage is also added to its parent's cumulative total (thread.rs
passes no usage up that was seen here); legacy (agent v1, pre-0.3.0) thread JSON, where
`request_token_usage` is a list, is read through its `cumulative_token_usage` alone.
Agents run inside Zed over ACP (Claude Code, Gemini CLI...) log in their own tools' files.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from tokenlens.config import Env
from tokenlens.model import UsageEvent
from tokenlens.tools import zed as where
from tokenlens.tools.source import (
    BadLine,
    Discovered,
    _walk_files,
    count,
    iso_to_ms,
    text,
)
from tokenlens.tools.sqlite_ro import DatabaseSource, table_columns

try:  # Python 3.14+: the standard library's zstd
    from compression import zstd as _zstd

    _ZSTD_ERRORS: tuple[type[BaseException], ...] = (_zstd.ZstdError, EOFError)

    def _decompress(data: bytes) -> bytes:
        return _zstd.decompress(data)
except ImportError:  # older Pythons: the zstandard library
    import zstandard as _zstd

    _ZSTD_ERRORS = (_zstd.ZstdError,)

    def _decompress(data: bytes) -> bytes:
        # Zed's frames (zstd::encode_all) carry no content size: stream them out.
        return _zstd.ZstdDecompressor().decompressobj().decompress(data)


DB_PATH = ("threads", "threads.db")
BUCKETS = ("input_tokens", "output_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")
RECORD_ERRORS = (BadLine, TypeError, ValueError, OverflowError, UnicodeDecodeError)
MAX_THREAD_BYTES = 256 << 20  # a decompressed thread bigger than this is damage, not a thread
# Zed's language-model provider ids -> genai-prices provider ids; others by model family.
PROVIDERS = {
    "anthropic": "anthropic",
    "openai": "openai",
    "google": "google",
    "openrouter": "openrouter",
    "deepseek": "deepseek",
    "mistral": "mistral",
    "x_ai": "x-ai",
}


class Zed(DatabaseSource):
    id = "zed"
    name = "Zed agent"

    def roots(self, env: Env) -> list[Path]:
        return [home.joinpath(*DB_PATH) for home in where.data_dirs(env)]

    def discover(self, env: Env) -> Iterator[Discovered]:
        for root in self.roots(env):
            for path in _walk_files(root, (DB_PATH[-1],)):
                yield Discovered(path, root)

    def read_database(self, conn: sqlite3.Connection) -> tuple[list[UsageEvent], int]:
        present = table_columns(conn, "threads")
        if not {"id", "data_type", "data"} <= present:
            return [], 0
        updated = "updated_at" if "updated_at" in present else "NULL"
        folders = "folder_paths" if "folder_paths" in present else "NULL"
        events: list[UsageEvent] = []
        bad = 0
        for thread_id, updated_at, data_type, data, folder_paths in conn.execute(
                f"SELECT id, {updated}, data_type, data, {folders} FROM threads"):
            try:
                event = self._thread_event(thread_id, updated_at, data_type, data, folder_paths)
            except RECORD_ERRORS + _ZSTD_ERRORS:
                bad += 1
                continue
            if event is not None:
                events.append(event)
        return events, bad

    def _thread_event(self, thread_id: Any, updated_at: Any, data_type: Any, data: Any,
                      folder_paths: Any) -> UsageEvent | None:
        if not isinstance(thread_id, str) or not thread_id:
            raise BadLine("thread id missing")
        thread = _thread_json(data_type, data)
        cumulative = _usage(thread.get("cumulative_token_usage"))
        requests = thread.get("request_token_usage")
        summed = dict.fromkeys(BUCKETS, 0)
        if isinstance(requests, dict):
            for usage in requests.values():
                for bucket, value in _usage(usage).items():
                    summed[bucket] += value
        elif requests is not None and not isinstance(requests, list):  # a list: legacy, per message index
            raise BadLine("request_token_usage has wrong type")
        tokens = cumulative if sum(cumulative.values()) >= sum(summed.values()) else summed
        if not any(tokens.values()):
            return None
        ts = iso_to_ms(updated_at if updated_at is not None else thread.get("updated_at"))
        model, provider = _model(thread.get("model"))
        event = UsageEvent(
            tool=self.id,
            event_key=thread_id,
            ts_ms=ts,
            model=model or "unknown",
            provider=PROVIDERS.get(provider, ""),
            session_id=thread_id,
            project=_first_folder(folder_paths),
            input_tokens=tokens["input_tokens"],
            cache_read_tokens=tokens["cache_read_input_tokens"],
            cache_write_5m_tokens=tokens["cache_creation_input_tokens"],
            output_tokens=tokens["output_tokens"],
        )
        event.rank = event.total_tokens  # a truncated thread's smaller total never replaces the larger
        return event


def _thread_json(data_type: Any, data: Any) -> dict:
    if isinstance(data, str):
        data = data.encode()
    if not isinstance(data, bytes):
        raise BadLine("thread data missing")
    if data_type == "zstd":
        data = _decompress(data)
    elif data_type != "json":
        raise BadLine("unknown data_type")
    if len(data) > MAX_THREAD_BYTES:
        raise BadLine("thread too large")
    try:
        thread = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise BadLine("invalid JSON") from exc
    if not isinstance(thread, dict):
        raise BadLine("not a JSON object")
    return thread


def _usage(value: Any) -> dict[str, int]:
    if value is None:
        return dict.fromkeys(BUCKETS, 0)
    if not isinstance(value, dict):
        raise BadLine("token usage has wrong type")
    return {bucket: count(value.get(bucket), bucket) for bucket in BUCKETS}


def _model(value: Any) -> tuple[str, str]:
    if not isinstance(value, dict):
        return "", ""
    return text(value.get("model")), text(value.get("provider"))


def _first_folder(value: Any) -> str:
    """The first of the workspace folders Zed stores newline-separated (PathList::serialize)."""
    return text(value).split("\n", 1)[0]
