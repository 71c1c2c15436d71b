"""Grok Build: `turn_completed` updates in `sessions/<url-encoded cwd>/<session>/updates.jsonl`,
in the shape ccusage's adapter reads from real Grok CLI 1.0.0 logs; a resumed session repeats
a turn (same eventId) in another folder; input includes the cache; cost in 1e-10 USD ticks.
Expected totals are worked out by hand."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from tests.ledger_helpers import scan_tool, tool_event_count, tool_totals
from tests.logs import CANARY, append
from tokenlens.config import Env
from tokenlens.reports import build_report
from tokenlens.tools.grok.usage import Grok

DAY1, DAY2 = "2026-03-10", "2026-03-11"
LAST_MS_OF_DAY1 = int(datetime(2026, 3, 10, 23, 59, 59, 900000, tzinfo=UTC).timestamp() * 1000)
DAY2_S = int(datetime(2026, 3, 11, tzinfo=UTC).timestamp())
CWD_A = "/home/me/grokproj"


def session_dir(grok_home: Path, cwd: str, session: str) -> Path:
    return grok_home / "sessions" / cwd.replace("/", "%2F") / session


def usage(inp: int, out: int, cached: int = 0, creation: int | None = None, reasoning: int = 0,
          ticks: int = 0) -> dict:
    row = {"inputTokens": inp, "outputTokens": out, "cachedReadTokens": cached, "reasoningTokens": reasoning,
           "totalTokens": inp + out, "costUsdTicks": ticks}
    if creation is not None:
        row["cacheCreationTokens"] = creation
    return row


def turn(event_id: str | None, session: str, per_model: dict[str, dict] | None = None, top: dict | None = None,
         seconds: int | None = None, agent_ms: int | None = None) -> dict:
    """A `turn_completed` session update as Grok writes it (ACP notification)."""
    if top is None:
        top = {k: sum(row.get(k, 0) for row in (per_model or {}).values())
               for k in ("inputTokens", "outputTokens", "cachedReadTokens", "reasoningTokens", "costUsdTicks")}
    body = dict(top)
    if per_model is not None:
        body["modelUsage"] = per_model
    meta = {} if event_id is None else {"eventId": event_id}
    if agent_ms is not None:
        meta["agentTimestampMs"] = agent_ms
    line = {"method": "_x.ai/session/update",
            "params": {"sessionId": session, "update": {"sessionUpdate": "turn_completed", "usage": body},
                       "_meta": meta}}
    if seconds is not None:
        line["timestamp"] = seconds
    return line


def chunk(session: str, seconds: int) -> dict:
    """A streamed message chunk: content, no usage."""
    return {"timestamp": seconds, "method": "_x.ai/session/update",
            "params": {"sessionId": session, "update": {"sessionUpdate": "agent_message_chunk",
                                                        "content": {"type": "text", "text": CANARY}},
                       "_meta": {"eventId": "chunk-1"}}}


def history(grok_home: Path) -> tuple[Path, Path]:
    """Session A (no summary.json) with two turns; session B, resumed from A, repeats A's
    first turn with its eventId and adds one turn of top-level usage only."""
    a = session_dir(grok_home, CWD_A, "sess-a") / "updates.jsonl"
    first = turn("evt-1", "sess-a", {"grok-4.5-build": usage(12000, 300, cached=9000, reasoning=120,
                                                              ticks=123_450_000)},
                 seconds=DAY2_S + 3600, agent_ms=LAST_MS_OF_DAY1)  # agent ms wins over the envelope
    append(a, chunk("sess-a", DAY2_S - 5), first,
           turn("evt-2", "sess-a", {"grok-4.5-build": usage(5000, 80, cached=4000, ticks=50_000_000),
                                    "grok-code-fast-1": usage(700, 20, ticks=1_000_000)}, seconds=DAY2_S + 30))
    b_dir = session_dir(grok_home, "/home/me/other", "0199-b")
    b_dir.mkdir(parents=True)
    (b_dir / "summary.json").write_text(json.dumps({"info": {"id": "sess-b", "cwd": "/home/me/other"},
                                                    "current_model_id": "grok-4.5-build"}))
    b = b_dir / "updates.jsonl"
    append(b, {**first, "params": {**first["params"], "sessionId": "sess-b"}},
           turn("evt-3", "", top=usage(2500, 40, cached=500, creation=200), agent_ms=(DAY2_S + 3600) * 1000))
    return a, b


# By hand. evt-1: 12000 in (9000 cached) -> 3000 fresh, 300 out (120 reasoning), $0.012345.
# evt-2: grok-4.5-build 1000 fresh + 4000 cached + 80 out ($0.005); grok-code-fast-1 700 + 20 ($0.0001).
# evt-3: 2500 in = 1800 fresh + 500 cached + 200 written, 40 out; no ticks: priced (model unpriced).
DAY1_TOTAL = 3000 + 9000 + 300
DAY2_TOTAL = (1000 + 4000 + 80) + (700 + 20) + (1800 + 500 + 200 + 40)


def test_turns_per_model_resume_copy_once_and_days(db, env, home):
    history(home / ".grok")
    result = scan_tool(db, env, Grok())
    assert (result.events_added, result.lines_skipped) == (4, 0)
    assert tool_event_count(db, "grok") == 4  # the resumed copy of evt-1 is the same event
    t = tool_totals(db, "grok")
    assert (t["input_tokens"], t["cache_read_tokens"], t["cache_write_tokens"], t["output_tokens"],
            t["reasoning_tokens"]) == (3000 + 1000 + 700 + 1800, 9000 + 4000 + 500, 200, 300 + 80 + 20 + 40, 120)
    assert t["total_tokens"] == DAY1_TOTAL + DAY2_TOTAL
    rows = {r["period"]: r for r in build_report(db, "daily", tz="UTC", tool="grok").rows}
    assert {d: r["total_tokens"] for d, r in rows.items()} == {DAY1: DAY1_TOTAL, DAY2: DAY2_TOTAL}
    assert abs(rows[DAY1]["cost_usd"] - 0.012345) < 1e-9  # Grok's own ticks, kept as they are
    assert rows[DAY2]["cost_usd"] is None  # evt-3 recorded no ticks and grok-4.5-build has no list price
    # Tokyo (UTC+9): every turn is on DAY2 there.
    tokyo = build_report(db, "daily", tz="Asia/Tokyo", tool="grok").rows
    assert [(r["period"], r["total_tokens"]) for r in tokyo] == [(DAY2, DAY1_TOTAL + DAY2_TOTAL)]
    models: dict[str, int] = {}
    for r in build_report(db, "daily", tz="UTC", tool="grok", by="model").rows:
        models[r["group"]] = models.get(r["group"], 0) + r["total_tokens"]
    assert models == {"grok-4.5-build": 12300 + 5080 + 2540, "grok-code-fast-1": 720}
    projects = {r["group"] for r in build_report(db, "daily", tz="UTC", tool="grok", by="project").rows}
    assert projects == {CWD_A, "/home/me/other"}  # from the folder name, and from summary.json
    assert scan_tool(db, env, Grok()).events_added == 0


def test_malformed_turns_skipped_and_counted_and_grok_home(db, home):
    grok_home = home / "elsewhere"
    append(home / ".grok" / "sessions" / "p" / "s" / "updates.jsonl",
           turn("evt-ignored", "s", {"grok-4": usage(10, 1)}, seconds=DAY2_S))
    path = session_dir(grok_home, CWD_A, "sess-c") / "updates.jsonl"
    append(path, turn("evt-c1", "sess-c", {"grok-4": usage(100, 10)}, seconds=DAY2_S))
    env = Env(environ={"HOME": str(home), "GROK_HOME": str(grok_home)})
    assert scan_tool(db, env, Grok()).events_added == 1  # only GROK_HOME is read
    append(path,
           '{"timestamp": 1773187200, "params": {"update": {"sessionUpdate": "turn_completed", "usage"\n',
           turn("evt-neg", "sess-c", {"grok-4": usage(-5, 1)}, seconds=DAY2_S + 1),
           turn("evt-notime", "sess-c", {"grok-4": usage(50, 5)}),
           turn("evt-shape", "sess-c", {"grok-4": "lots"}, top={}, seconds=DAY2_S + 2),
           turn("evt-c2", "sess-c", {"grok-4": usage(200, 20, cached=50)}, seconds=DAY2_S + 3))
    result = scan_tool(db, env, Grok())
    assert (result.events_added, result.lines_skipped) == (1, 4)
    t = tool_totals(db, "grok")
    assert (t["input_tokens"], t["cache_read_tokens"], t["output_tokens"]) == (100 + 150, 50, 10 + 20)
    assert t["cost_usd"] > 0  # no ticks: grok-4 priced from the table


def test_turn_without_event_id_counts_once(db, env, home):
    path = session_dir(home / ".grok", CWD_A, "sess-d") / "updates.jsonl"
    line = turn(None, "sess-d", {"grok-4": usage(300, 30)}, seconds=DAY2_S)
    append(path, line, line)  # the same turn twice: keyed on session, time, model and counts
    assert scan_tool(db, env, Grok()).events_added == 1
    assert tool_totals(db, "grok")["total_tokens"] == 330
