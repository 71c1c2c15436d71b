"""Warp (partial): cumulative usage per agent conversation in `warp.sqlite`
`agent_conversations.conversation_data`, the JSON of warpdotdev/warp's AgentConversationData
(crates/persistence/src/model.rs), the table as its migration creates it, rewritten in place
as the conversation goes on. Expected totals are worked out by hand."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from tests.ledger_helpers import scan_tool, tool_event_count, tool_totals
from tests.logs import CANARY
from tokenlens.config import Env
from tokenlens.reports import build_report
from tokenlens.tools.warp.usage import Warp

DAY1, DAY2 = "2026-04-02", "2026-04-03"

# crates/persistence/migrations/2025-06-09-013710_create_agent_conversations_table (active_task_id
# dropped 2025-09-30, summary added 2026-07-07).
SCHEMA = """
CREATE TABLE agent_conversations (
    id INTEGER PRIMARY KEY NOT NULL, conversation_id TEXT NOT NULL, conversation_data TEXT NOT NULL,
    last_modified_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, summary TEXT
);
CREATE TABLE ai_queries (id INTEGER PRIMARY KEY, exchange_id TEXT, conversation_id TEXT, start_ts DATETIME,
    input TEXT, working_directory TEXT, output_status TEXT, model_id TEXT);
"""


def charged(inp: int, out: int, cr: int = 0, cw: int = 0, cents: tuple[float, ...] = (0, 0, 0, 0, 0)) -> dict:
    """ChargedUsageTotals: token counts and the cents Warp charged for each."""
    names = ("input_cost_in_cents", "output_cost_in_cents", "input_cache_read_cost_in_cents",
             "input_cache_write_cost_in_cents", "platform_cost_in_cents")
    return {**dict(zip(names, cents, strict=True)), "input_tokens": inp, "output_tokens": out,
            "input_cache_read_tokens": cr, "input_cache_write_tokens": cw, "web_search_count": 0,
            "web_search_cost_in_cents": 0.0}


def data(charged_usage: dict | None = None, provider_cents: float | None = None,
         models: tuple[tuple[str, int], ...] = ()) -> str:
    meta = {"was_summarized": False, "context_window_usage": 0.2, "credits_spent": 12.5,
            "platform_credits_spent": 0.0, "credits_spent_for_last_block": 1.5,
            "token_usage": [{"model_id": m, "warp_tokens": n, "byok_tokens": 0, "custom_endpoint_tokens": 0,
                             "warp_token_usage_by_category": {"primary_agent": n}} for m, n in models],
            "tool_usage_metadata": {}, "context_window_segments": []}
    if charged_usage is not None:
        meta["total_charged_usage"] = charged_usage
    if provider_cents is not None:
        meta["total_provider_cost_in_cents"] = provider_cents
    return json.dumps({"server_conversation_token": CANARY, "conversation_usage_metadata": meta,
                       "reverted_action_ids": None})


class WarpDb:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(path)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.executescript(SCHEMA)

    def save(self, conversation: str, blob: str, modified: str) -> WarpDb:
        """Warp's upsert: one row per conversation, rewritten with `Utc::now().naive_utc()`."""
        row = self.conn.execute("SELECT id FROM agent_conversations WHERE conversation_id = ?",
                                [conversation]).fetchone()
        if row:
            self.conn.execute("UPDATE agent_conversations SET conversation_data = ?, last_modified_at = ? "
                              "WHERE id = ?", [blob, modified, row[0]])
        else:
            self.conn.execute("INSERT INTO agent_conversations (conversation_id, conversation_data, "
                              "last_modified_at) VALUES (?, ?, ?)", [conversation, blob, modified])
        self.conn.commit()
        return self

    def close(self) -> None:
        self.conn.close()


def linux_db(home: Path) -> Path:
    return home / ".local" / "state" / "warp-terminal" / "warp.sqlite"


def history(home: Path) -> WarpDb:
    db = WarpDb(linux_db(home))
    db.save("conv-1", data(charged(900, 300, cr=20000, cw=1500, cents=(0.27, 0.45, 0.6, 0.5625, 0.1)),
                           provider_cents=1.7, models=(("claude-4-sonnet", 22700),)), "2026-04-02 23:50:00.125")
    db.save("conv-2", data(None, provider_cents=4.0, models=(("gpt-5", 9000),)), "2026-04-03 01:00:00")  # no split
    db.save("conv-3", data(None), "2026-04-03 02:00:00")  # the server sent nothing: no event
    return db


def test_conversation_totals_cost_and_in_place_growth(db, env, home):
    live = history(home)
    try:
        result = scan_tool(db, env, Warp())
        assert (result.events_added, result.lines_skipped) == (2, 0)
        days = {r["period"]: r for r in build_report(db, "daily", tz="UTC", tool="warp").rows}
        assert {d: r["total_tokens"] for d, r in days.items()} == {DAY1: 900 + 300 + 20000 + 1500, DAY2: 0}
        # What Warp charged: 0.27 + 0.45 + 0.6 + 0.5625 + 0.1 cents; conv-2 its provider cost, 4 cents.
        assert abs(days[DAY1]["cost_usd"] - 0.019825) < 1e-9
        assert abs(days[DAY2]["cost_usd"] - 0.04) < 1e-9
        t = tool_totals(db, "warp")
        assert (t["input_tokens"], t["cache_read_tokens"], t["cache_write_tokens"], t["output_tokens"]) == (
            900, 20000, 1500, 300)
        assert sorted(t["models"]) == ["claude-4-sonnet", "gpt-5"]
        # Ten minutes later in UTC+2 (Berlin in April) is the next day.
        berlin = {r["period"]: r["total_tokens"] for r in build_report(db, "daily", tz="Europe/Berlin",
                                                                       tool="warp").rows}
        assert berlin == {DAY2: 900 + 300 + 20000 + 1500}
        # The conversation goes on: Warp rewrites its row with larger totals and a later time.
        live.save("conv-1", data(charged(1000, 420, cr=31000, cw=1500, cents=(0.3, 0.63, 0.93, 0.5625, 0.1)),
                                 models=(("claude-4-sonnet", 33920),)), "2026-04-03 08:00:00")
        scan_tool(db, env, Warp())
        assert tool_event_count(db, "warp") == 2
        days = {r["period"]: r["total_tokens"] for r in build_report(db, "daily", tz="UTC", tool="warp").rows}
        assert days == {DAY2: 1000 + 420 + 31000 + 1500}  # the whole conversation moves to its last day
    finally:
        live.close()
    stored = db.execute("SELECT group_concat(event_key) || group_concat(session_id) FROM events").fetchone()[0]
    assert CANARY not in stored


def test_bad_rows_counted_and_tui_database(db, home):
    tui = WarpDb(home / ".local" / "state" / "warp-terminal" / "tui" / "warp.sqlite")
    tui.save("t-1", data(charged(50, 5)), "2026-04-03 10:00:00")
    tui.save("t-broken", '{"conversation_usage_metadata": {"total_charged_usage": ', "2026-04-03 10:00:01")
    tui.save("t-neg", data(charged(-50, 5)), "2026-04-03 10:00:02")
    tui.save("t-time", data(charged(50, 5)), "not a time")
    tui.close()
    result = scan_tool(db, Env(environ={"HOME": str(home)}), Warp())
    assert (result.events_added, result.lines_skipped) == (1, 3)
    assert tool_totals(db, "warp")["total_tokens"] == 55
