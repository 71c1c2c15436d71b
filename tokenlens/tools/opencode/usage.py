"""OpenCode: `$XDG_DATA_HOME/opencode` (default `~/.local/share/opencode` on every OS).

Two on-disk generations, both read (log_formats.md §5):
- current: SQLite `opencode.db` (release channels: `opencode-<channel>.db`), WAL mode; table
  `message(id, session_id, time_created, time_updated, data JSON)` and
  `session(id, parent_id, directory, time_created, ...)`. Opened read-only (`sqlite_ro`: a
  `file:...?mode=ro` URI, never `immutable=1` while a WAL exists, retried while busy). The
  `-wal` file's size/mtime are part of the file's fingerprint, so rows that live only in the
  WAL are noticed before a checkpoint;
- legacy: one file per message, `storage/message/<sessionID>/msg_<id>.json`, rewritten in
  place, with sessions in `storage/session/<projectID>/<sessionID>.json`.

Traps handled here:
- rows are updated in place (tokens and cost arrive when a step finishes): the database is
  re-read whole when it or its WAL changes and events are upserted by message id;
- the same message in legacy JSON and in the database (OpenCode migrated the files into the
  database keeping the ids): one key, the database row ranks higher;
- forking a session copies its messages under new ids with the same `time.created` and
  token counts (tokscale #446). A copy is recognised by its own data: a message created before
  its session was is a copy. It is marked a replay of (time.created, model, tokens), and is
  dropped whenever the original is in the ledger; a copy whose original was never seen counts.

Tokens: `tokens.input` excludes cache reads/writes; `tokens.reasoning` is not in
`tokens.output` and is billed at the output rate. So input = input, cache_read = cache.read,
cache_write (5m) = cache.write, output = output + reasoning, reasoning = reasoning. `cost`
(USD, from models.dev prices) is used when positive; it is 0 for subscription and free
providers (github-copilot, ...), which are then priced API-equivalent from the table.

Not confirmed from source: that a fork keeps `time.created` (taken from tokscale #446), the
Windows location (assumed `%USERPROFILE%\\.local\\share\\opencode`), and the `data` column
holding or omitting `id`/`sessionID` (both are handled; the row's columns win).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from tokenlens.config import Env
from tokenlens.model import UsageEvent
from tokenlens.tools import opencode as where
from tokenlens.tools.source import (
    RECORD_ERRORS,
    BadLine,
    Discovered,
    FileContext,
    SnapshotSource,
    _walk_files,
    count,
    note_unreadable,
    text,
)
from tokenlens.tools.sqlite_ro import open_readonly

DB_PATTERNS = ("opencode.db", "opencode-*.db")
RANK_LEGACY, RANK_DB = 0, 1
# providerID -> genai-prices provider id. Others (github-copilot, opencode, bedrock...) are
# priced by model family, API-equivalent.
PROVIDERS = {
    "anthropic": "anthropic",
    "openai": "openai",
    "google": "google",
    "openrouter": "openrouter",
    "xai": "x-ai",
    "deepseek": "deepseek",
    "mistral": "mistral",
}
MESSAGE_SQL = """
SELECT m.id, m.session_id, m.data, s.time_created, s.directory
FROM message m LEFT JOIN session s ON s.id = m.session_id
"""


class OpenCodeDatabaseError(OSError):
    """The database could not be read now (locked, not OpenCode's); the next scan retries."""


class OpenCode(SnapshotSource):
    id = "opencode"
    name = "OpenCode"

    def __init__(self) -> None:
        self._legacy_sessions: dict[Path, dict[str, Path | dict]] = {}

    def roots(self, env: Env) -> list[Path]:
        return where.data_dirs(env)

    def discover(self, env: Env) -> Iterator[Discovered]:
        # Never walk the whole data dir: storage/part and snapshot/ hold very many files.
        for root in self.roots(env):
            try:
                dbs = sorted(p for p in root.iterdir() if p.is_file() and _is_db_name(p.name))
            except OSError as exc:
                note_unreadable(root, exc, "folder")  # not there (the usual case) is not noted
                dbs = []
            for path in dbs:
                yield Discovered(path, root)
            for path in _walk_files(root / "storage" / "message", ("*.json",)):
                yield Discovered(path, root)

    def companion_files(self, path: Path) -> tuple[Path, ...]:
        return (path.with_name(path.name + "-wal"),) if path.suffix == ".db" else ()

    def read_snapshot(self, path: Path, ctx: FileContext) -> tuple[list[UsageEvent], int]:
        if path.suffix == ".db":
            return self._read_database(path)
        return self._read_legacy_message(path, ctx)

    # ---- SQLite ----------------------------------------------------------------------

    def _read_database(self, path: Path) -> tuple[list[UsageEvent], int]:
        rows = _query_read_only(path, MESSAGE_SQL)
        events, bad = [], 0
        for message_id, session_id, data, session_created, directory in rows:
            try:
                info = orjson.loads(data)
                if not isinstance(info, dict):
                    raise BadLine("message data is not an object")
                event = self._event(info, text(message_id), text(session_id), session_created, RANK_DB, text(directory))
            except (orjson.JSONDecodeError, *RECORD_ERRORS):
                bad += 1
                continue
            if event:
                events.append(event)
        return events, bad

    # ---- legacy JSON -----------------------------------------------------------------

    def _read_legacy_message(self, path: Path, ctx: FileContext) -> tuple[list[UsageEvent], int]:
        try:
            info = orjson.loads(path.read_bytes())
            if not isinstance(info, dict):
                raise BadLine("not a JSON object")
            session_id = text(info.get("sessionID")) or path.parent.name
            session = self._legacy_session(ctx.root, session_id) if ctx.root else {}
            event = self._event(info, text(info.get("id")) or path.stem, session_id,
                                _session_created(session), RANK_LEGACY, text(session.get("directory")))
        except (orjson.JSONDecodeError, *RECORD_ERRORS):
            return [], 1
        return ([event] if event else []), 0

    def _legacy_session(self, root: Path, session_id: str) -> dict:
        """The legacy session file's object (one read per session per scan), or {}."""
        if root not in self._legacy_sessions:
            index = {p.stem: p for p in _walk_files(root / "storage" / "session", ("*.json",))}
            self._legacy_sessions[root] = index
        found = self._legacy_sessions[root].get(session_id)
        if not isinstance(found, Path):
            return found or {}
        try:
            session = orjson.loads(found.read_bytes())
        except (OSError, orjson.JSONDecodeError):
            session = {}
        session = session if isinstance(session, dict) else {}
        self._legacy_sessions[root][session_id] = session
        return session

    # ---- one message -----------------------------------------------------------------

    def _event(
        self, info: dict, message_id: str, session_id: str, session_created: Any, rank: int, directory: str
    ) -> UsageEvent | None:
        tokens = info.get("tokens")
        if info.get("role") != "assistant" or not isinstance(tokens, dict):
            return None
        if not message_id:
            raise BadLine("message id missing")
        cache = tokens.get("cache") if isinstance(tokens.get("cache"), dict) else {}
        fresh = count(tokens.get("input"), "tokens.input")
        output = count(tokens.get("output"), "tokens.output")
        reasoning = count(tokens.get("reasoning"), "tokens.reasoning")
        cache_read = count(cache.get("read"), "tokens.cache.read")
        cache_write = count(cache.get("write"), "tokens.cache.write")
        if not (fresh or output or reasoning or cache_read or cache_write):
            return None  # a step still running: its row is rewritten when tokens arrive
        times = info.get("time") if isinstance(info.get("time"), dict) else {}
        created = times.get("created")
        if isinstance(created, bool) or not isinstance(created, int | float) or created <= 0:
            raise BadLine("time.created missing")
        model = text(info.get("modelID")) or "unknown"
        path_info = info.get("path") if isinstance(info.get("path"), dict) else {}
        is_copy = isinstance(session_created, int | float) and created < session_created
        return UsageEvent(
            tool=self.id,
            event_key=message_id,
            ts_ms=int(created),
            model=model,
            provider=PROVIDERS.get(text(info.get("providerID")), ""),
            session_id=session_id or text(info.get("sessionID")),
            project=text(path_info.get("cwd")) or text(path_info.get("root")) or directory,
            input_tokens=fresh,
            cache_read_tokens=cache_read,
            cache_write_5m_tokens=cache_write,
            output_tokens=output + reasoning,
            reasoning_tokens=reasoning,
            reported_cost_usd=_cost(info.get("cost")),
            rank=rank,
            replay_key=f"{int(created)}:{model}:{fresh}:{output}:{reasoning}:{cache_read}:{cache_write}",
            is_replay=is_copy,
        )


def _is_db_name(name: str) -> bool:
    from fnmatch import fnmatch

    return any(fnmatch(name, p) for p in DB_PATTERNS)


def _query_read_only(path: Path, sql: str) -> list[tuple]:
    """All rows of `sql`, read without writing or locking out the tool (see sqlite_ro)."""
    try:
        with open_readonly(path) as conn:
            return conn.execute(sql).fetchall()
    except sqlite3.DatabaseError as exc:  # no message table, not a database...
        raise OpenCodeDatabaseError(f"not readable as an OpenCode database: {exc}") from exc


def _session_created(session: dict) -> Any:
    times = session.get("time")
    return times.get("created") if isinstance(times, dict) else None


def _cost(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and value == value and value > 0:
        return float(value)
    return None
