"""Cursor (IDE): per-reply token counts where the local chat store still keeps them.
`reads_usage = "partial"`.

Where: `<app data>/Cursor/User/globalStorage/state.vscdb` (Linux `~/.config/Cursor/User`,
macOS `~/Library/Application Support/Cursor/User`, Windows `%APPDATA%\\Cursor\\User`), a
VS Code-style SQLite key-value store; table `cursorDiskKV(key TEXT, value BLOB)`.

Cursor is closed source; its package (an Electron app) is not on a registry reachable here.
The format is from two independent readers that open real databases:
github:getagentseal/codeburn src/providers/cursor.ts and docs/providers/cursor.md @ 02db4dc2
(its queries: `json_extract(value, '$.tokenCount.inputTokens')`, `'$.tokenCount.outputTokens'`,
`'$.modelInfo.modelName'`, `'$.createdAt'`, `'$.type'` over keys `bubbleId:%`), and
pppp606/cursor-efficiency docs/vscdbRelation.md (shared/specs/new_tools.md "Cursor"):
- each chat message is a row `bubbleId:<composer id>:<bubble id>` whose JSON value holds
  `type` (1 user, 2 assistant), `createdAt` (ISO time), `requestId`, `modelInfo.modelName`
  and `tokenCount {inputTokens, outputTokens}`;
- Cursor fills `tokenCount` in place when a reply's stream ends (codeburn had counted a
  bubble twice by keying on its tokens); builds from 2025 on leave it at {0, 0};
- a bubble key whose composer part holds a newline is a tool-call sub-row, not a chat.

What is read, exactly: every bubble with a non-zero `tokenCount`, one event per bubble, key =
the bubble's row key, at its `createdAt` (UTC), session = the composer id, model =
`modelInfo.modelName` (else the composer's model on another bubble, else "unknown"), input =
inputTokens, output = outputTokens, rank = the total (a re-read keeps the completed count).
A bubble that has counts but no usable time, or counts of the wrong type, or is not JSON, is
skipped and counted.

What is not there, hence "partial": no cache split (Cursor re-sends cached context on every
request; whether inputTokens includes it is unknown), no cost, no per-request counts at all in
current builds (zeros: nothing is estimated from text, unlike codeburn), and composerData's
context meter (`contextTokensUsed`) is a gauge, not a count. The billed figures per request
are only on cursor.com (dashboard, CSV export). Only the `bubbleId:` key range is selected:
the same database holds auth tokens, which are never read.

Project: a bubble names no folder. As codeburn does, each `User/workspaceStorage/<hash>/`
beside the global storage gives its folder (`workspace.json` `folder`, a file:// URI) and the
composers opened in it (its own `state.vscdb`, ItemTable `composer.composerData` or, in newer
builds, `composer.composerHeaders`: `{"allComposers": [{"composerId"}]}`). A workspace
database that cannot be read leaves its composers without a project, nothing else.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from urllib.parse import unquote, urlsplit

import orjson

from tokenlens.config import Env
from tokenlens.model import UsageEvent
from tokenlens.tools import cursor as where
from tokenlens.tools.source import (
    BadLine,
    FileContext,
    count,
    iso_to_ms,
    read_json_settings,
    text,
)
from tokenlens.tools.sqlite_ro import DatabaseSource, open_readonly, read_snapshot_db, table_columns

STATE_DB = ("User", "globalStorage", "state.vscdb")
RECORD_ERRORS = (BadLine, TypeError, ValueError, OverflowError, orjson.JSONDecodeError)


class Cursor(DatabaseSource):
    id = "cursor"
    name = "Cursor"
    reads_usage = "partial"
    partial_reason = ("per-reply tokens only where Cursor's local state.vscdb still records them (current "
                      "builds write zeros), with no cache split and no cost; Cursor keeps the billed figures "
                      "on cursor.com (dashboard / CSV export)")
    patterns = ("state.vscdb",)

    def roots(self, env: Env) -> list[Path]:
        return [home.joinpath(*STATE_DB) for home in where.homes(env)[1:]]

    def read_snapshot(self, path: Path, ctx: FileContext) -> tuple[list[UsageEvent], int]:
        projects = composer_projects(path.parent.parent / "workspaceStorage")
        return read_snapshot_db(path, lambda conn: self._read(conn, projects))

    def _read(self, conn: sqlite3.Connection, projects: dict[str, str]) -> tuple[list[UsageEvent], int]:
        if not {"key", "value"} <= table_columns(conn, "cursorDiskKV"):
            return [], 0
        bubbles: list[tuple[str, str, dict]] = []
        bad = 0
        # A key range, not LIKE: SQLite seeks the primary key instead of reading every row.
        for key, value in conn.execute(
                "SELECT key, value FROM cursorDiskKV WHERE key >= 'bubbleId:' AND key < 'bubbleId;'"):
            composer = _composer_of(key)
            if composer is None or value is None:
                continue
            raw = value if isinstance(value, bytes) else str(value).encode()
            if b'"tokenCount"' not in raw:
                continue  # never counted: nothing to read
            try:
                bubble = orjson.loads(raw)
                if not isinstance(bubble, dict):
                    raise BadLine("bubble is not an object")
            except RECORD_ERRORS:
                bad += 1
                continue
            bubbles.append((key, composer, bubble))
        models = _composer_models(bubbles)
        events: list[UsageEvent] = []
        for key, composer, bubble in bubbles:
            try:
                event = self._event(key, composer, bubble, models, projects)
            except RECORD_ERRORS:
                bad += 1
                continue
            if event is not None:
                events.append(event)
        return events, bad

    def _event(self, key: str, composer: str, bubble: dict, models: dict[str, str],
               projects: dict[str, str]) -> UsageEvent | None:
        tokens = bubble.get("tokenCount")
        if tokens is None:
            return None
        if not isinstance(tokens, dict):
            raise BadLine("tokenCount is not an object")
        inp = count(tokens.get("inputTokens"), "inputTokens")
        out = count(tokens.get("outputTokens"), "outputTokens")
        if not (inp or out):
            return None
        event = UsageEvent(
            tool=self.id,
            event_key=key,
            ts_ms=iso_to_ms(bubble.get("createdAt")),
            model=_model_of(bubble) or models.get(composer, "unknown"),
            session_id=composer,
            project=projects.get(composer, ""),
            input_tokens=inp,
            output_tokens=out,
        )
        event.rank = event.total_tokens
        return event


def _composer_of(key: str) -> str | None:
    """The composer id of `bubbleId:<composer>:<bubble>`; None for tool-call sub-rows."""
    parts = key.split(":", 2)
    if len(parts) != 3 or not parts[1] or any(c in parts[1] for c in "\r\n\x00"):
        return None
    return parts[1]


def _model_of(bubble: dict) -> str:
    info = bubble.get("modelInfo")
    name = text(info.get("modelName")) if isinstance(info, dict) else ""
    return "" if name == "default" else name


def _composer_models(bubbles: list[tuple[str, str, dict]]) -> dict[str, str]:
    """The first model named in each composer, for its bubbles that name none."""
    models: dict[str, str] = {}
    for _, composer, bubble in bubbles:
        if composer not in models and _model_of(bubble):
            models[composer] = _model_of(bubble)
    return models


COMPOSER_LISTS = ("composer.composerData", "composer.composerHeaders")


def composer_projects(workspace_storage: Path) -> dict[str, str]:
    """{composer id: project folder} from every workspace folder Cursor keeps."""
    found: dict[str, str] = {}
    try:
        workspaces = sorted(p for p in workspace_storage.iterdir() if p.is_dir())
    except OSError:
        return found
    for workspace in workspaces:
        folder = _workspace_folder(workspace / "workspace.json")
        db = workspace / "state.vscdb"
        if not folder or not db.is_file():
            continue
        for composer in _composers_in(db):
            found.setdefault(composer, folder)
    return found


def _workspace_folder(path: Path) -> str:
    data = read_json_settings(path) or {}
    uri = text(data.get("folder"))
    if not uri:
        return ""
    parts = urlsplit(uri)
    return unquote(parts.path) if parts.scheme == "file" else uri


def _composers_in(db: Path) -> list[str]:
    placeholders = ", ".join("?" for _ in COMPOSER_LISTS)
    try:
        with open_readonly(db) as conn:
            if "key" not in table_columns(conn, "ItemTable"):
                return []
            rows = conn.execute(f"SELECT value FROM ItemTable WHERE key IN ({placeholders})",
                                COMPOSER_LISTS).fetchall()
    except (OSError, sqlite3.DatabaseError):
        return []
    composers = []
    for (value,) in rows:
        try:
            listing = orjson.loads(value)
        except (orjson.JSONDecodeError, TypeError):
            continue
        entries = listing.get("allComposers") if isinstance(listing, dict) else None
        for entry in entries if isinstance(entries, list) else []:
            if isinstance(entry, dict) and isinstance(entry.get("composerId"), str):
                composers.append(entry["composerId"])
    return composers
