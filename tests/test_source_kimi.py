"""Kimi CLI: one StatusUpdate per LLM step; `/fork` and `/undo` copy a session's wire lines
into a new session dir, and the copies count once (keyed on message_id, never the path)."""

from __future__ import annotations

import json
from hashlib import md5
from pathlib import Path

from tests.logs import CANARY, append
from tokenlens.config import Env
from tokenlens.ingest import scan
from tokenlens.reports import build_report
from tokenlens.tools.kimi.usage import Kimi

WORK_DIR = "/home/me/repo"
SID = "1f0c5a7e-2b3d-4e8f-9a01-23456789abcd"
FORK_SID = "9e8d7c6b-5a49-4838-a271-60f5e4d3c2b1"
# 2025-11-20T23:59:59.5Z and the next day's first steps: epoch seconds, as kimi writes them.
T0 = 1763683199.5
DAY1, DAY2 = "2025-11-20", "2025-11-21"


def session_dir(share: Path, sid: str = SID, work_dir: str = WORK_DIR) -> Path:
    return share / "sessions" / md5(work_dir.encode()).hexdigest() / sid


def metadata() -> dict:
    return {"type": "metadata", "protocol_version": "1.9"}


def record(ts: float, kind: str, payload: dict) -> dict:
    return {"timestamp": ts, "message": {"type": kind, "payload": payload}}


def turn_begin(ts: float) -> dict:
    return record(ts, "TurnBegin", {"user_input": CANARY})


def turn_end(ts: float) -> dict:
    return record(ts, "TurnEnd", {})


def step(ts: float, msg_id: str | None, fresh: int, out: int, cr: int = 0, cw: int = 0) -> list[dict]:
    """StepBegin, the text, and the step's StatusUpdate as kimisoul sends it."""
    return [
        record(ts - 2, "StepBegin", {"n": 1}),
        record(ts - 1, "ContentPart", {"type": "text", "text": f"re {CANARY}"}),
        record(ts, "StatusUpdate", {
            "context_usage": 0.05, "context_tokens": fresh + cr + cw, "max_context_tokens": 262144,
            "token_usage": {"input_other": fresh, "output": out, "input_cache_read": cr, "input_cache_creation": cw},
            "message_id": msg_id, "plan_mode": False, "mcp_status": None}),
    ]


def compact_status(ts: float) -> dict:
    """/compact's StatusUpdate: context figures only, no token_usage."""
    return record(ts, "StatusUpdate", {"context_usage": 0.01, "context_tokens": 900, "max_context_tokens": 262144,
                                       "token_usage": None, "message_id": None, "plan_mode": None,
                                       "mcp_status": None})


def subagent_echo(ts: float) -> dict:
    """The parent's copy of a subagent's step, nested in a SubagentEvent: not counted again."""
    inner = step(ts, "chatcmpl-sub-1", 700, 70)[2]["message"]
    return record(ts, "SubagentEvent", {"parent_tool_call_id": "tool_1", "agent_id": "a1b2",
                                        "subagent_type": "coder", "event": inner})


def write_kimi_json(share: Path) -> None:
    share.mkdir(parents=True, exist_ok=True)
    (share / "kimi.json").write_text(json.dumps({"work_dirs": [
        {"path": WORK_DIR, "kaos": "local", "last_session_id": FORK_SID}]}))


def history(share: Path) -> tuple[Path, Path, Path]:
    """A session with two turns and a subagent, then `/fork` after turn 1 plus one new step."""
    write_kimi_json(share)
    wire = session_dir(share) / "wire.jsonl"
    turn1 = [turn_begin(T0 - 10), *step(T0, "chatcmpl-a1", 1000, 100, cr=5000),
             *step(T0 + 10, "chatcmpl-a2", 200, 20, cr=6000, cw=300), turn_end(T0 + 11)]
    turn2 = [turn_begin(T0 + 20), *step(T0 + 30, "chatcmpl-a3", 50, 5), subagent_echo(T0 + 40),
             compact_status(T0 + 50), turn_end(T0 + 51)]
    append(wire, metadata(), *turn1, *turn2)
    sub = session_dir(share) / "subagents" / "a1b2" / "wire.jsonl"
    append(sub, metadata(), *step(T0 + 40, "chatcmpl-sub-1", 700, 70))
    fork = session_dir(share, FORK_SID) / "wire.jsonl"
    # session_fork.py writes the source's lines verbatim (json.loads then the stripped text)
    copied = wire.read_text().splitlines()[: 1 + len(turn1)]
    fork.parent.mkdir(parents=True)
    fork.write_text("".join(line + "\n" for line in copied))
    append(fork, turn_begin(T0 + 60), *step(T0 + 70, "chatcmpl-f1", 3, 4, cr=9000))
    return wire, sub, fork


def totals(db, **kw):
    return build_report(db, "daily", tz="UTC", tool="kimi-cli", **kw).totals


# By hand: steps a1, a2 (copied into the fork too), a3, the subagent's, the fork's f1.
FRESH = 1000 + 200 + 50 + 700 + 3
OUTPUT = 100 + 20 + 5 + 70 + 4
CACHE_READ = 5000 + 6000 + 9000
CACHE_WRITE = 300


def test_steps_summed_and_fork_copies_count_once(db, env, home):
    history(home / ".kimi")
    scan(db, env, [Kimi()])
    t = totals(db)
    assert (t["input_tokens"], t["output_tokens"], t["cache_read_tokens"], t["cache_write_tokens"]) == (
        FRESH, OUTPUT, CACHE_READ, CACHE_WRITE)
    assert t["total_tokens"] == FRESH + OUTPUT + CACHE_READ + CACHE_WRITE
    assert t["models"] == ["unknown"]
    assert db.execute("SELECT COUNT(*) FROM events WHERE tool='kimi-cli'").fetchone()[0] == 5
    # Epoch seconds: the first step is 23:59:59.5 UTC, everything after is the next day.
    days = {r["period"]: r["total_tokens"] for r in build_report(db, "daily", tz="UTC", tool="kimi-cli").rows}
    assert days == {DAY1: 1000 + 100 + 5000, DAY2: FRESH + OUTPUT + CACHE_READ + CACHE_WRITE - 6100}
    # The project comes from kimi.json's work dir (whose md5 names the sessions folder).
    projects = {r["group"] for r in build_report(db, "daily", tz="UTC", tool="kimi-cli", by="project").rows}
    assert projects == {WORK_DIR}
    sessions = {r["period"] for r in build_report(db, "session", tz="UTC", tool="kimi-cli").rows}
    assert sessions <= {SID, FORK_SID} and SID in sessions


def test_bad_lines_counted_incremental_and_share_dir(db, home):
    share = home / "elsewhere"
    append(home / ".kimi" / "sessions" / "h" / "s0" / "wire.jsonl", metadata(), *step(T0, "ignored", 9, 9))
    wire = session_dir(share) / "wire.jsonl"
    append(wire, metadata(), *step(T0, "m1", 10, 1))
    env = Env(environ={"HOME": str(home), "KIMI_SHARE_DIR": str(share)})
    scan(db, env, [Kimi()])
    assert totals(db)["total_tokens"] == 11  # only KIMI_SHARE_DIR is read
    bad_usage = step(T0 + 5, "m-bad", -3, 1)[2]
    wrong_shape = record(T0 + 6, "StatusUpdate", {"token_usage": "lots", "message_id": "m-str"})
    append(wire, '{"timestamp": 1763683300.0, "message": {"type": "StatusUpdate", "payload": {"token_usage"\n',
           bad_usage, wrong_shape, *step(T0 + 7, None, 20, 2), *step(T0 + 7, None, 20, 2))
    result = scan(db, env, [Kimi()]).sources["kimi-cli"]
    # three bad lines; the id-less step is keyed on its timestamp and counts, so its repeat is one event
    assert (result.events_added, result.lines_skipped) == (1, 3)
    assert totals(db)["total_tokens"] == 11 + 22
    assert scan(db, env, [Kimi()]).sources["kimi-cli"].events_added == 0
    # no kimi.json: no project, the session id still comes from the folder
    assert {r["period"] for r in build_report(db, "session", tz="UTC", tool="kimi-cli").rows} == {SID}
