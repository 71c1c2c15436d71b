"""OpenClaw (ex-Clawdbot/Moltbot, built on pi-agent): transcripts in JSONL, later in SQLite.

Where (log_formats.md §7): state dir `$OPENCLAW_STATE_DIR`, else `~/.openclaw`, profile dirs
`~/.openclaw-<profile>` (`--dev` → `~/.openclaw-dev`) and the legacy `~/.clawdbot`,
`~/.moltbot`, `~/.moldbot`. Under each: `agents/<agentId>/`
- `sessions/<sessionId>.jsonl` (≤ 2026.8), with archived copies `<id>.jsonl.reset.<ts>` and
  `<id>.jsonl.deleted.<ts>`: still usage, so they are read too;
- `agent/openclaw-agent.sqlite` (2026.9+): `transcript_events(session_id, seq, event_json,
  created_at)`, where `event_json` is the same record a JSONL line holds.

Traps handled here:
- the same message can sit in a live file, an archive copy and the database (during the
  migration all three exist): the key is (session id, message id), never the path, so each
  message counts once wherever it was read first;
- tokens are separate buckets (`input` excludes `cacheRead`/`cacheWrite`), output includes
  thinking; the tool's own `usage.cost.total` is kept as the reported cost;
- the model comes from the message, else the last `model_change` (or a `custom`
  `model-snapshot` record);
- the database is read-only (`sqlite_ro`), re-read whole when it or its `-wal` changes.

Not confirmed / not read (said here so nobody assumes otherwise):
- `*.jsonl.deleted.<ts>.<hash>.zst` (zstd) archives and database rows stored compressed
  (`event_json` NULL, `event_zstd` set): Python 3.11 has no zstd decoder and no zstd package
  is a dependency. Compressed rows are counted as skipped so `doctor` shows them; `.zst` files
  are not discovered.
- That pi-agent's `input` excludes cached tokens for OpenAI-style providers too is from
  third-party readers of the format (M), not from pi-agent's source.
- The transcript table name and columns were checked against third-party readers and test
  fixtures of OpenClaw 2026.9.x; the spec notes names vary by version (L): a database without
  `transcript_events(session_id, event_json)` yields nothing rather than an error.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from stat import S_ISREG
from typing import Any

import orjson

from tokenlens.config import Env
from tokenlens.model import UsageEvent
from tokenlens.tools import openclaw as where
from tokenlens.tools.source import (
    BadLine,
    Discovered,
    FileContext,
    JsonlSource,
    SnapshotSource,
    _real,
    _walk_files,
    count,
    iso_to_ms,
    note_unreadable,
    text,
)
from tokenlens.tools.sqlite_ro import read_snapshot_db, table_columns, wal_path

DB_NAME = "openclaw-agent.sqlite"
TRANSCRIPT_PATTERNS = ("*.jsonl", "*.jsonl.reset.*", "*.jsonl.deleted.*")
NOT_TRANSCRIPTS = (".zst", ".tmp", ".lock")
MARKERS = (b'"usage"', b"model_change", b"model-snapshot", b'"session"')
# pi-agent provider names -> genai-prices provider ids (for when no cost was recorded).
PROVIDER_IDS = {
    "openai-codex": "openai",
    "google-gemini-cli": "google",
    "google-vertex": "google",
    "google-antigravity": "google",
    "amazon-bedrock": "aws",
    "azure-openai-responses": "azure",
    "xai": "x-ai",
}


class OpenClaw(JsonlSource, SnapshotSource):
    id = "openclaw"
    name = "OpenClaw"
    line_markers = MARKERS
    patterns = (*TRANSCRIPT_PATTERNS, DB_NAME)

    def roots(self, env: Env) -> list[Path]:
        return [home / "agents" for home in where.homes(env)]

    def discover(self, env: Env) -> Iterator[Discovered]:
        seen: set[Path] = set()
        for root in self.roots(env):
            for path in self._agent_files(root):
                resolved = _real(path)
                if resolved not in seen:
                    seen.add(resolved)
                    yield Discovered(path, root)

    def _agent_files(self, agents_dir: Path) -> Iterator[Path]:
        try:
            agents = sorted(p for p in agents_dir.iterdir() if p.is_dir())
        except OSError as exc:
            note_unreadable(agents_dir, exc, "folder")  # not there (the usual case) is not noted
            return
        for agent in agents:
            # The database first: its copy of a message is the one kept (rank) when both exist.
            db = agent / "agent" / DB_NAME
            try:
                if S_ISREG(os.stat(db).st_mode):
                    yield db
            except OSError as exc:
                note_unreadable(db, exc, "file")
            for path in _walk_files(agent / "sessions", TRANSCRIPT_PATTERNS):
                if not path.name.endswith(NOT_TRANSCRIPTS):
                    yield path

    def reads_whole(self, path: Path) -> bool:
        return path.name == DB_NAME

    def companion_files(self, path: Path) -> tuple[Path, ...]:
        return (wal_path(path),) if self.reads_whole(path) else ()

    # ---- JSONL transcripts ----

    def new_state(self) -> dict[str, Any]:
        return {"session": None, "cwd": "", "model": None, "provider": None}

    def parse_line(self, obj: dict, state: dict[str, Any], ctx: FileContext) -> list[UsageEvent]:
        return self._parse_record(obj, state, _session_from_name(ctx.path), None, rank=0)

    # ---- SQLite store ----

    def read_snapshot(self, path: Path, ctx: FileContext) -> tuple[list[UsageEvent], int]:
        return read_snapshot_db(path, self._read_transcripts)

    def _read_transcripts(self, conn: sqlite3.Connection) -> tuple[list[UsageEvent], int]:
        columns = table_columns(conn, "transcript_events")
        if not {"session_id", "event_json"} <= columns:
            return [], 0
        created = "created_at" if "created_at" in columns else "NULL"
        order = "seq" if "seq" in columns else "rowid"
        rows = conn.execute(
            f"SELECT session_id, event_json, {created} FROM transcript_events ORDER BY session_id, {order}"
        )
        events: list[UsageEvent] = []
        bad = 0
        current: Any = object()
        state = self.new_state()
        for session_id, event_json, created_at in rows:
            if session_id != current:
                current, state = session_id, self.new_state()
            try:
                events.extend(self._parse_row(event_json, state, text(session_id), created_at))
            except (BadLine, orjson.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError,
                    IndexError, OverflowError):
                bad += 1
        return events, bad

    def _parse_row(self, event_json: Any, state: dict, session_id: str, created_at: Any) -> list[UsageEvent]:
        if event_json is None:
            raise BadLine("compressed transcript row (zstd) cannot be read")
        raw = event_json.encode() if isinstance(event_json, str) else event_json
        if not isinstance(raw, bytes):
            raise BadLine("event_json is not text")
        if not any(m in raw for m in MARKERS):
            return []
        obj = orjson.loads(raw)
        if not isinstance(obj, dict):
            raise BadLine("not a JSON object")
        fallback_ms = iso_to_ms(created_at) if isinstance(created_at, int | float) and created_at > 0 else None
        return self._parse_record(obj, state, session_id, fallback_ms, rank=1)

    # ---- one record, either store ----

    def _parse_record(
        self, obj: dict, state: dict[str, Any], fallback_session: str, fallback_ms: int | None, rank: int
    ) -> list[UsageEvent]:
        kind = obj.get("type")
        if kind == "session":
            state["session"] = text(obj.get("id")) or state.get("session")
            if isinstance(obj.get("cwd"), str):
                state["cwd"] = obj["cwd"]
            return []
        if kind == "model_change":
            _remember_model(state, obj.get("modelId"), obj.get("provider"))
            return []
        if kind == "custom" and obj.get("customType") == "model-snapshot":
            data = obj.get("data")
            if isinstance(data, dict):
                _remember_model(state, data.get("modelId"), data.get("provider"))
            return []
        message = obj.get("message")
        if kind != "message" or not isinstance(message, dict) or message.get("role") != "assistant":
            return []
        usage = message.get("usage")
        if not isinstance(usage, dict):
            return []
        fresh = count(usage.get("input"), "input")
        output = count(usage.get("output"), "output")
        cache_read = count(usage.get("cacheRead"), "cacheRead")
        cache_write = count(usage.get("cacheWrite"), "cacheWrite")
        if not (fresh or output or cache_read or cache_write):
            return []  # an aborted or failed call: nothing was billed
        ts_ms = _timestamp(message, obj, fallback_ms)
        session = state.get("session") or fallback_session
        message_id = text(obj.get("id"))
        key = f"{session}:{message_id}" if message_id else f"{session}:{ts_ms}:{fresh}:{output}:{cache_read}:{cache_write}"
        provider = text(message.get("provider")) or state.get("provider") or ""
        return [
            UsageEvent(
                tool=self.id,
                event_key=key,
                ts_ms=ts_ms,
                model=text(message.get("model")) or state.get("model") or "unknown",
                provider=PROVIDER_IDS.get(provider, provider),
                session_id=session,
                project=state.get("cwd") or "",
                input_tokens=fresh,
                cache_read_tokens=cache_read,
                cache_write_5m_tokens=cache_write,
                output_tokens=output,
                reported_cost_usd=_reported_cost(usage.get("cost")),
                rank=rank,
            )
        ]


def _remember_model(state: dict, model: Any, provider: Any) -> None:
    if isinstance(model, str) and model:
        state["model"] = model
    if isinstance(provider, str) and provider:
        state["provider"] = provider


def _timestamp(message: dict, obj: dict, fallback_ms: int | None) -> int:
    value = message.get("timestamp")
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return iso_to_ms(value)
    if obj.get("timestamp") is not None or fallback_ms is None:
        return iso_to_ms(obj.get("timestamp"))
    return fallback_ms


def _reported_cost(cost: Any) -> float | None:
    if not isinstance(cost, dict):
        return None
    total = cost.get("total")
    if isinstance(total, int | float) and not isinstance(total, bool) and 0 < total < 1e9:
        return float(total)
    return None


def _session_from_name(path: Path) -> str:
    """`<id>.jsonl`, `<id>.jsonl.reset.<ts>`, `<id>.jsonl.deleted.<ts>` → `<id>`."""
    return path.name.split(".jsonl", 1)[0]


def _safe_glob(directory: Path, pattern: str) -> list[Path]:
    try:
        return list(directory.glob(pattern))
    except OSError as exc:
        note_unreadable(directory, exc, "folder")
        return []


def _is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError as exc:  # e.g. a profile folder of another user's: noted, not fatal
        note_unreadable(path, exc)
        return False
