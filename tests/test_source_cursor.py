"""Cursor (partial): per-reply `tokenCount` on `bubbleId:<composer>:<bubble>` rows of
`cursorDiskKV` in `User/globalStorage/state.vscdb`, the shape codeburn's reader queries in
real databases. Cursor fills a reply's counts in place when its stream ends; current builds
write zeros (nothing is estimated). Expected totals are worked out by hand."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from tests.ledger_helpers import scan_tool, tool_event_count, tool_totals
from tests.logs import CANARY
from tokenlens.config import Env
from tokenlens.reports import build_report
from tokenlens.status import sources_status
from tokenlens.tools.cursor.usage import Cursor

DAY1, DAY2 = "2025-06-30", "2025-07-01"
C1, C2 = "0f4c2a8e-1111-4a5b-9c3d-000000000001", "0f4c2a8e-2222-4a5b-9c3d-000000000002"


def state_db(home: Path) -> Path:
    return home / ".config" / "Cursor" / "User" / "globalStorage" / "state.vscdb"


class StateDb:
    """Cursor's global state database: VS Code's ItemTable plus Cursor's cursorDiskKV."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(path)
        self.conn.executescript("""
            CREATE TABLE IF NOT EXISTS ItemTable (key TEXT UNIQUE ON CONFLICT REPLACE, value BLOB);
            CREATE TABLE IF NOT EXISTS cursorDiskKV (key TEXT UNIQUE ON CONFLICT REPLACE, value BLOB);
        """)
        self.conn.execute("INSERT INTO ItemTable VALUES ('cursorAuth/accessToken', ?)", [CANARY])
        self.conn.commit()

    def put(self, key: str, value: dict | bytes) -> StateDb:
        blob = value if isinstance(value, bytes) else json.dumps(value).encode()
        self.conn.execute("INSERT INTO cursorDiskKV VALUES (?, ?)", [key, blob])
        self.conn.commit()
        return self

    def close(self) -> None:
        self.conn.close()


def bubble(kind: int, created: str | None, inp: int = 0, out: int = 0, model: str | None = None) -> dict:
    value = {"_v": 3, "type": kind, "bubbleId": "b", "text": CANARY, "requestId": "req-1",
             "tokenCount": {"inputTokens": inp, "outputTokens": out}, "codeBlocks": []}
    if created is not None:
        value["createdAt"] = created
    if model is not None:
        value["modelInfo"] = {"modelName": model}
    return value


def workspace(home: Path, name: str, folder_uri: str, composers: list[str], key: str) -> None:
    """A `User/workspaceStorage/<hash>/` folder: its folder URI and the composers opened there."""
    ws = state_db(home).parent.parent / "workspaceStorage" / name
    ws.mkdir(parents=True)
    (ws / "workspace.json").write_text(json.dumps({"folder": folder_uri}))
    conn = sqlite3.connect(ws / "state.vscdb")
    conn.execute("CREATE TABLE ItemTable (key TEXT UNIQUE ON CONFLICT REPLACE, value BLOB)")
    conn.execute("INSERT INTO ItemTable VALUES (?, ?)",
                 [key, json.dumps({"allComposers": [{"composerId": c, "name": CANARY} for c in composers]})])
    conn.commit()
    conn.close()


def history(home: Path) -> StateDb:
    workspace(home, "6f1d0c9e8b7a", "file:///home/me/cursor%20proj", [C1], "composer.composerHeaders")
    workspace(home, "00broken", "file:///home/me/other", [C2], "composer.composerData")
    (state_db(home).parent.parent / "workspaceStorage" / "00broken" / "state.vscdb").write_bytes(b"not a database")
    db = StateDb(state_db(home))
    db.put(f"composerData:{C1}", {"composerId": C1, "createdAt": 1751326000000, "contextTokensUsed": 99000})
    db.put(f"bubbleId:{C1}:u1", bubble(1, "2025-06-30T23:29:00.000Z"))
    db.put(f"bubbleId:{C1}:a1", bubble(2, "2025-06-30T23:30:00.000Z", 4200, 380, model="claude-4-sonnet"))
    db.put(f"bubbleId:{C1}:a2", bubble(2, "2025-07-01T00:10:00.000Z", 1500, 90))  # model from a1
    db.put(f"bubbleId:{C2}:a1", bubble(2, "2025-07-01T09:00:00.000Z", 0, 0, model="default"))  # a new build: zeros
    # A tool-call sub-row (a newline in the composer part): not a chat of its own.
    db.put(f"bubbleId:task-call_1\nfc_2:{C2}", bubble(2, "2025-07-01T09:00:01.000Z", 70, 7))
    return db


def test_counted_bubbles_read_zero_ones_not_estimated(db, env, home):
    live = history(home)
    try:
        result = scan_tool(db, env, Cursor())
        assert (result.events_added, result.lines_skipped) == (2, 0)
        t = tool_totals(db, "cursor")
        assert (t["input_tokens"], t["output_tokens"], t["cache_read_tokens"], t["cache_write_tokens"]) == (
            4200 + 1500, 380 + 90, 0, 0)
        days = {r["period"]: r["total_tokens"] for r in build_report(db, "daily", tz="UTC", tool="cursor").rows}
        assert days == {DAY1: 4580, DAY2: 1590}
        # Los Angeles (UTC-7 in summer): both replies on June 30.
        la = {r["period"]: r["total_tokens"] for r in build_report(db, "daily", tz="America/Los_Angeles",
                                                                   tool="cursor").rows}
        assert la == {DAY1: 4580 + 1590}
        assert t["models"] == ["claude-4-sonnet"]
        projects = {r["group"] for r in build_report(db, "daily", tz="UTC", tool="cursor", by="project").rows}
        assert projects == {"/home/me/cursor proj"}  # C1's workspace, from workspaceStorage
        # A reply whose stream ends later: its counts are filled in place, the event follows.
        live.put(f"bubbleId:{C2}:a2", bubble(2, "2025-07-01T10:00:00.000Z", 0, 12, model="gpt-5"))
        assert scan_tool(db, env, Cursor()).events_added == 1
        live.put(f"bubbleId:{C2}:a2", bubble(2, "2025-07-01T10:00:00.000Z", 800, 150, model="gpt-5"))
        scan_tool(db, env, Cursor())
        assert tool_event_count(db, "cursor") == 3
        assert tool_totals(db, "cursor")["total_tokens"] == 4580 + 1590 + 950
        assert scan_tool(db, env, Cursor()).events_added == 0
    finally:
        live.close()
    stored = db.execute("SELECT group_concat(event_key) || group_concat(model) FROM events").fetchone()[0]
    assert CANARY not in stored


def test_bad_bubbles_counted(db, home):
    live = StateDb(home / "AppData" / "Roaming" / "Cursor" / "User" / "globalStorage" / "state.vscdb")
    live.put(f"bubbleId:{C1}:ok", bubble(2, "2025-07-01T12:00:00Z", 100, 10, model="gpt-5"))
    live.put(f"bubbleId:{C1}:notime", bubble(2, None, 100, 10))
    live.put(f"bubbleId:{C1}:neg", bubble(2, "2025-07-01T12:00:01Z", -1, 10))
    live.put(f"bubbleId:{C1}:broken", b'{"type": 2, "tokenCount": {"inputTokens": 5')
    live.close()
    result = scan_tool(db, Env(environ={"HOME": str(home)}), Cursor())  # Windows' %APPDATA% default
    assert (result.events_added, result.lines_skipped) == (1, 3)
    assert tool_totals(db, "cursor")["cost_usd"] > 0  # gpt-5 priced from the table


def test_sources_says_partial(db, env, home):
    history(home).close()
    row = {r["id"]: r for r in sources_status(db, env)}["cursor"]
    assert row["reads_usage"] == "partial" and "cursor.com" in row["why_not"]
