"""pi: assistant message entries' usage, pi's own cost; `/fork` copies entries (same id and
timestamp) into a new file, and the copies count once."""

from __future__ import annotations

import json
from pathlib import Path

from tests.logs import CANARY
from tokenlens.config import Env
from tokenlens.ingest import scan
from tokenlens.reports import build_report
from tokenlens.tools.pi.usage import Pi

CWD = "/home/me/repo"
SID = "0f5e2c1a-7b3d-4c9e-8a21-5d4c3b2a1f00"
FORK_SID = "7d6c5b4a-3e2f-4a1b-9c8d-0e1f2a3b4c5d"


def session_file(agent: Path, sid: str, stamp: str, cwd: str = CWD) -> Path:
    slug = "--" + cwd.lstrip("/").replace("/", "-") + "--"
    return agent / "sessions" / slug / f"{stamp.replace(':', '-').replace('.', '-')}_{sid}.jsonl"


def write(path: Path, *entries: dict) -> None:
    """JSON.stringify: compact, one entry a line, appended."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as fh:
        for entry in entries:
            fh.write((entry if isinstance(entry, str) else json.dumps(entry, separators=(",", ":"))) + "\n")


def header(sid: str, ts: str, parent: str | None = None) -> dict:
    h = {"type": "session", "version": 3, "id": sid, "timestamp": ts, "cwd": CWD}
    if parent:
        h["parentSession"] = parent
    return h


def user(eid: str, parent: str | None, ts: str, ms: int) -> dict:
    return {"type": "message", "id": eid, "parentId": parent, "timestamp": ts,
            "message": {"role": "user", "content": CANARY, "timestamp": ms}}


def assistant(eid: str, parent: str, ts: str, ms: int, inp: int, out: int, cr: int = 0, cw: int = 0,
              cost: float = 0.0, model: str = "claude-sonnet-4-5") -> dict:
    return {"type": "message", "id": eid, "parentId": parent, "timestamp": ts,
            "message": {"role": "assistant", "content": [{"type": "text", "text": f"re {CANARY}"}],
                        "api": "anthropic-messages", "provider": "anthropic", "model": model,
                        "usage": {"input": inp, "output": out, "cacheRead": cr, "cacheWrite": cw,
                                  "totalTokens": inp + out + cr + cw,
                                  "cost": {"input": 0, "output": 0, "cacheRead": 0, "cacheWrite": 0, "total": cost}},
                        "stopReason": "stop", "timestamp": ms}}


# 2026-03-10 23:59:59.900 UTC, then the next day
T1, M1 = "2026-03-10T23:59:59.900Z", 1773187199900
T2, M2 = "2026-03-11T00:00:05.000Z", 1773187205000
T3, M3 = "2026-03-11T01:00:00.000Z", 1773190800000


def history(agent: Path) -> tuple[Path, Path]:
    original = session_file(agent, SID, "2026-03-10T23:59:00.000Z")
    write(original, header(SID, "2026-03-10T23:59:00.000Z"),
          {"type": "model_change", "id": "aa000001", "parentId": None, "timestamp": "2026-03-10T23:59:00.100Z",
           "provider": "anthropic", "modelId": "claude-sonnet-4-5"},
          user("aa000002", "aa000001", "2026-03-10T23:59:58.000Z", 1773187198000),
          assistant("aa000003", "aa000002", T1, M1, 100, 10, cr=1000, cw=50, cost=0.0125),
          user("aa000004", "aa000003", "2026-03-11T00:00:01.000Z", 1773187201000),
          assistant("aa000005", "aa000004", T2, M2, 200, 20, cr=2000, cost=0.0250))
    # /fork from the second user message: the root→leaf entries copied verbatim, then a new call
    fork = session_file(agent, FORK_SID, "2026-03-11T00:30:00.000Z")
    lines = original.read_text().splitlines()
    write(fork, header(FORK_SID, "2026-03-11T00:30:00.000Z", parent=str(original)), *lines[1:5],
          assistant("bb000001", "aa000004", T3, M3, 7, 3, cr=500, cost=0.001))
    return original, fork


def test_usage_cost_and_fork_copies_count_once(db, env, home):
    history(home / ".pi" / "agent")
    scan(db, env, [Pi()])
    t = build_report(db, "daily", tz="UTC", tool="pi").totals
    assert (t["input_tokens"], t["output_tokens"], t["cache_read_tokens"], t["cache_write_tokens"]) == (
        100 + 200 + 7, 10 + 20 + 3, 1000 + 2000 + 500, 50)
    assert db.execute("SELECT COUNT(*) FROM events WHERE tool='pi'").fetchone()[0] == 3
    assert abs(t["cost_usd"] - (0.0125 + 0.0250 + 0.001)) < 1e-6  # pi's own cost, not re-priced
    days = {r["period"]: r["total_tokens"] for r in build_report(db, "daily", tz="UTC", tool="pi").rows}
    assert days == {"2026-03-10": 1160, "2026-03-11": 2220 + 510}
    projects = {r["group"] for r in build_report(db, "daily", tz="UTC", tool="pi", by="project").rows}
    assert projects == {CWD}


def test_bad_lines_counted_incremental_and_agent_dir(db, home):
    agent = home / "tau"
    write(session_file(home / ".pi" / "agent", SID, "2026-03-10T00:00:00.000Z"),
          assistant("cc000001", "x", T1, M1, 9, 9))
    path = session_file(agent, SID, "2026-03-11T00:00:00.000Z")
    write(path, header(SID, "2026-03-11T00:00:00.000Z"), assistant("dd000001", "x", T2, M2, 10, 1))
    env = Env(environ={"HOME": str(home), "PI_CODING_AGENT_DIR": str(agent)})
    scan(db, env, [Pi()])
    assert build_report(db, "daily", tz="UTC", tool="pi").totals["total_tokens"] == 11
    write(path, '{"type":"message","id":"dd000002","message":{"role":"assistant","usage":{"input"',
          assistant("dd000003", "x", T3, M3, -5, 1),
          assistant("dd000004", "x", T3, M3, 20, 2))
    result = scan(db, env, [Pi()]).sources["pi"]
    assert (result.events_added, result.lines_skipped) == (1, 2)
    assert build_report(db, "daily", tz="UTC", tool="pi").totals["total_tokens"] == 11 + 22
    assert scan(db, env, [Pi()]).sources["pi"].events_added == 0
