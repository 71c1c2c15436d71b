"""Copilot CLI: usage only at session.shutdown; every shutdown of a resumed session is summed,
a repeated shutdown line is not, and inputTokens' cache share is split out."""

from __future__ import annotations

from pathlib import Path

from tests.logs import CANARY, append
from tokenlens.config import Env
from tokenlens.ingest import scan
from tokenlens.reports import build_report
from tokenlens.store.ledger import ledger_path
from tokenlens.tools.copilot_cli.usage import CopilotCli

SID = "6c1f8e2a-0d4b-4a57-9e1a-3b2c1d0e9f88"


def events_file(home: Path, sid: str = SID) -> Path:
    return home / ".copilot" / "session-state" / sid / "events.jsonl"


def start(sid: str = SID, cwd: str = "/home/me/repo") -> dict:
    return {"type": "session.start", "id": "e-start", "parentId": None, "timestamp": "2026-11-20T08:00:00.000Z",
            "data": {"sessionId": sid, "version": 1, "producer": "copilot-agent", "copilotVersion": "0.0.400",
                     "startTime": "2026-11-20T08:00:00.000Z", "context": {"cwd": cwd}}}


def user_message(text: str = CANARY) -> dict:
    return {"type": "user.message", "id": "e-u", "parentId": "e-start", "timestamp": "2026-11-20T08:00:05.000Z",
            "data": {"content": text}}


def assistant_message(out: int) -> dict:
    return {"type": "assistant.message", "id": "e-a", "parentId": "e-u", "timestamp": "2026-11-20T08:00:09.000Z",
            "data": {"content": f"re {CANARY}", "model": "claude-sonnet-4.6", "outputTokens": out}}


def shutdown(eid: str, ts: str, metrics: dict) -> dict:
    """metrics: model -> (inputTokens incl. cache, output, cacheRead, cacheWrite, reasoning)."""
    return {"type": "session.shutdown", "id": eid, "parentId": "e-a", "timestamp": ts,
            "data": {"shutdownType": "routine", "totalPremiumRequests": 3,
                     "modelMetrics": {
                         model: {"requests": {"count": 9, "cost": 3},
                                 "usage": {"inputTokens": i, "outputTokens": o, "cacheReadTokens": cr,
                                           "cacheWriteTokens": cw, "reasoningTokens": r}}
                         for model, (i, o, cr, cw, r) in metrics.items()}}}


def totals(db, **kw):
    return build_report(db, "daily", tz="UTC", tool="copilot-cli", **kw).totals


def test_every_shutdown_summed_repeats_not(db, env, home, data_dir):
    first = shutdown("e-s1", "2026-11-20T09:00:00.000Z",
                     {"claude-sonnet-4.6": (453000, 13100, 405700, 0, 0), "gpt-5.1": (2000, 300, 500, 0, 120)})
    append(events_file(home), start(), user_message(), assistant_message(13100), first,
           first,  # the same line written twice
           start(), user_message(),  # resumed: counters restart
           shutdown("e-s2", "2026-11-20T11:00:00.000Z", {"claude-sonnet-4.6": (1000, 50, 600, 100, 0)}))
    scan(db, env, [CopilotCli()])
    t = totals(db)
    # fresh input = inputTokens - cacheRead - cacheWrite, per shutdown and model
    assert t["input_tokens"] == (453000 - 405700) + (2000 - 500) + (1000 - 600 - 100)
    assert t["cache_read_tokens"] == 405700 + 500 + 600
    assert t["cache_write_tokens"] == 100
    assert t["output_tokens"] == 13100 + 300 + 50
    assert t["reasoning_tokens"] == 120
    assert t["total_tokens"] == 453000 + 2000 + 1000 + 13100 + 300 + 50
    # Claude's dotted names become the API's hyphenated ids, so they can be priced.
    assert t["models"] == ["claude-sonnet-4-6", "gpt-5.1"]
    assert db.execute("SELECT COUNT(*) FROM events WHERE tool='copilot-cli'").fetchone()[0] == 3
    assert {r["group"] for r in build_report(db, "daily", tz="UTC", tool="copilot-cli", by="project").rows} == {
        "/home/me/repo"}
    path = ledger_path(data_dir)
    wal = path.with_name(path.name + "-wal")
    stored = path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")
    assert CANARY.encode() not in stored


def test_incremental_bad_lines_and_no_double_count(db, env, home):
    path = events_file(home)
    append(path, start(), shutdown("e-s1", "2026-11-20T09:00:00.000Z", {"gpt-5.1": (100, 10, 0, 0, 0)}))
    scan(db, env, [CopilotCli()])
    assert totals(db)["total_tokens"] == 110
    append(path,
           '{"type":"session.shutdown","id":"e-x","data":{"modelMetrics":\n',  # truncated
           shutdown("e-neg", "2026-11-20T10:00:00.000Z", {"gpt-5.1": (-1, 10, 0, 0, 0)}),
           {"type": "session.shutdown", "id": "e-str", "timestamp": "2026-11-20T10:00:00.000Z",
            "data": {"modelMetrics": "lots"}},
           start(), shutdown("e-s2", "2026-11-20T12:00:00.000Z", {"gpt-5.1": (300, 30, 100, 0, 0)}))
    result = scan(db, env, [CopilotCli()])
    stats = result.sources["copilot-cli"]
    assert (stats.events_added, stats.lines_skipped) == (1, 3)
    assert totals(db)["total_tokens"] == 110 + 330
    assert scan(db, env, [CopilotCli()]).sources["copilot-cli"].events_added == 0
    assert totals(db)["total_tokens"] == 440


def test_copilot_home_and_old_flat_files(db, home):
    custom = home / "cp"
    append(custom / "session-state" / "old-session.jsonl",  # older builds: one flat file per session
           shutdown("e1", "2026-11-19T09:00:00.000Z", {"gpt-5": (50, 5, 0, 0, 0)}))
    append(events_file(home), shutdown("e1", "2026-11-19T09:00:00.000Z", {"gpt-5": (70, 7, 0, 0, 0)}))
    env = Env(environ={"HOME": str(home), "COPILOT_HOME": str(custom)})
    scan(db, env, [CopilotCli()])
    assert totals(db)["total_tokens"] == 55  # only COPILOT_HOME is looked at
    sessions = {r["period"] for r in build_report(db, "session", tz="UTC", tool="copilot-cli").rows}
    assert sessions == {"old-session"}
