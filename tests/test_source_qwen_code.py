"""Qwen Code ingest over chat records in its real JSONL format, through the real scan into a
real ledger. Expected totals are worked out by hand; the price is checked against
genai-prices' calc_price for OpenRouter's `qwen/<model>`."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ledger_helpers import scan_tool, tool_event_count, tool_totals
from tests.logs import CANARY, append
from tokenlens.tools.qwen_code.usage import QwenCode

S1 = "5c1d2e3f-0000-4000-8000-000000000001"
S2 = "5c1d2e3f-0000-4000-8000-000000000002"
CWD = "/home/me/qproj"


# ---- fixture builders: the ChatRecord lines qwen-code's ChatRecordingService writes ---------


def chat_file(home: Path, session: str, name: str | None = None) -> Path:
    return home / ".qwen" / "projects" / "-home-me-qproj" / "chats" / f"{name or session}.jsonl"


def base(uuid: str, parent: str | None, session: str, ts: str, kind: str) -> dict:
    return {"uuid": uuid, "parentUuid": parent, "sessionId": session, "timestamp": ts, "type": kind,
            "cwd": CWD, "version": "0.40.1", "gitBranch": "main"}


def user(uuid: str, session: str, ts: str) -> dict:
    return {**base(uuid, None, session, ts, "user"), "message": {"role": "user", "parts": [{"text": CANARY}]}}


def assistant(uuid: str, parent: str, session: str, ts: str, usage: dict, model: str = "qwen3-coder-plus", **extra) -> dict:
    return {**base(uuid, parent, session, ts, "assistant"), "model": model,
            "message": {"role": "model", "parts": [{"text": f"done: {CANARY}"}]}, "usageMetadata": usage, **extra}


def usage(prompt: int, candidates: int, cached: int = 0, thoughts: int = 0, total: int | None = None) -> dict:
    u = {"promptTokenCount": prompt, "candidatesTokenCount": candidates, "thoughtsTokenCount": thoughts,
         "cachedContentTokenCount": cached}
    if total is not None:
        u["totalTokenCount"] = total
    return u


def telemetry(uuid: str, session: str, ts: str) -> dict:
    """The UI's copy of an API response's token counts: must never be counted."""
    return {**base(uuid, None, session, ts, "system"), "subtype": "ui_telemetry",
            "systemPayload": {"uiEvent": {"event.name": "qwen-code.api_response", "model": "qwen3-coder-plus",
                                          "input_token_count": 24100, "output_token_count": 380,
                                          "cached_content_token_count": 20480, "usageMetadata": usage(24100, 380)}}}


def run(db, env):
    return scan_tool(db, env, QwenCode())


def totals(db) -> dict:
    return tool_totals(db, "qwen-code")


def event_count(db) -> int:
    return tool_event_count(db, "qwen-code")


def expect(*parts: tuple[int, int, int, int]) -> dict:
    """Each part: (fresh input, cache read, output incl. reasoning, reasoning)."""
    inp, cr, out, rea = (sum(p[i] for p in parts) for i in range(4))
    return {"input_tokens": inp, "cache_read_tokens": cr, "cache_write_tokens": 0, "output_tokens": out,
            "reasoning_tokens": rea, "total_tokens": inp + cr + out}


def assert_totals(db, expected: dict) -> None:
    t = totals(db)
    assert {k: t[k] for k in expected} == expected


# R1: OpenAI-compatible provider: reasoning is inside candidates (total = prompt + candidates).
R1 = usage(24100, 380, cached=20480, thoughts=120, total=24480)
R1_E = (24100 - 20480, 20480, 380, 120)
# R2: native Gemini path: thoughts are separate (total = prompt + candidates + thoughts).
R2 = usage(1000, 50, thoughts=200, total=1250)
R2_E = (1000, 0, 250, 200)
# R3: no reasoning.
R3 = usage(5000, 70, cached=4000, total=5070)
R3_E = (1000, 4000, 70, 0)


def test_assistant_records_count_and_telemetry_does_not(db, env, home):
    append(
        chat_file(home, S1),
        user("u1", S1, "2026-06-02T08:11:30.000Z"),
        assistant("a1", "u1", S1, "2026-06-02T08:11:40.002Z", R1),
        telemetry("t1", S1, "2026-06-02T08:11:40.010Z"),
        {**base("r1", "a1", S1, "2026-06-02T08:11:41.000Z", "tool_result"), "toolCallResult": {"resultDisplay": CANARY}},
        assistant("a2", "r1", S1, "2026-06-02T08:11:50.000Z", R2),
        assistant("a3", "a2", S1, "2026-06-02T08:12:10.000Z", R3),
    )
    stats = run(db, env)
    assert stats.lines_skipped == 0
    assert_totals(db, expect(R1_E, R2_E, R3_E))
    assert event_count(db) == 3
    row = db.execute("SELECT session_id, project, model, provider FROM events WHERE event_key = 'a1'").fetchone()
    assert row == (S1, CWD, "qwen/qwen3-coder-plus", "openrouter")


def test_price_is_openrouter_qwen(db, env, home):
    from datetime import datetime

    from genai_prices import Usage, calc_price

    append(chat_file(home, S1), assistant("a1", "u1", S1, "2026-06-02T08:11:40.002Z", R1))
    run(db, env)
    price = calc_price(Usage(input_tokens=24100, cache_read_tokens=20480, output_tokens=380),
                       "qwen/qwen3-coder-plus", provider_id="openrouter",
                       genai_request_timestamp=datetime.fromisoformat("2026-06-02T08:11:40+00:00"))
    cost, source = db.execute("SELECT cost_usd, cost_source FROM events").fetchone()
    assert cost == pytest.approx(float(price.total_price), rel=1e-9) and source == "table"


def test_branch_copies_count_once_and_keep_their_original_session(db, env, home):
    original = [user("u1", S1, "2026-06-02T08:11:30.000Z"),
                assistant("a1", "u1", S1, "2026-06-02T08:11:40.002Z", R1),
                assistant("a2", "a1", S1, "2026-06-02T08:11:50.000Z", R2)]
    append(chat_file(home, S1), *original)
    # /branch: records copied verbatim (same uuid) with a new sessionId and `forkedFrom`;
    # the file name sorts first, so the copies are read before their originals.
    copies = [{**r, "sessionId": S2, "forkedFrom": {"sessionId": S1, "messageUuid": r["uuid"]}} for r in original]
    append(chat_file(home, S2, name="0-branch"), *copies,
           assistant("b1", "a2", S2, "2026-06-02T09:00:00.000Z", R3))
    run(db, env)
    assert_totals(db, expect(R1_E, R2_E, R3_E))
    sessions = dict(db.execute("SELECT event_key, session_id FROM events").fetchall())
    assert sessions == {"a1": S1, "a2": S1, "b1": S2}


def test_branch_copy_counts_when_the_original_file_is_gone(db, env, home):
    copy = {**assistant("a1", "u1", S1, "2026-06-02T08:11:40.002Z", R1), "sessionId": S2,
            "forkedFrom": {"sessionId": S1, "messageUuid": "a1"}}
    append(chat_file(home, S2), copy)
    run(db, env)
    assert_totals(db, expect(R1_E))


def test_subagent_records_count(db, env, home):
    append(
        chat_file(home, S1),
        assistant("a1", "u1", S1, "2026-06-02T08:11:40.002Z", R1),
        assistant("s1", "a1", S1, "2026-06-02T08:11:45.000Z", usage(800, 40, total=840),
                  isSidechain=True, agentId="explore-7f3c"),
    )
    run(db, env)
    assert_totals(db, expect(R1_E, (800, 0, 40, 0)))


def test_append_is_picked_up_and_rescan_adds_nothing(db, env, home):
    path = chat_file(home, S1)
    append(path, assistant("a1", "u1", S1, "2026-06-02T08:11:40.002Z", R1))
    run(db, env)
    append(path, assistant("a2", "a1", S1, "2026-06-02T08:11:50.000Z", R2))
    assert run(db, env).events_added == 1
    assert_totals(db, expect(R1_E, R2_E))
    stats = run(db, env)
    assert (stats.files_read, stats.events_added) == (0, 0)
    assert event_count(db) == 2


def test_malformed_records_are_skipped_and_counted(db, env, home):
    append(
        chat_file(home, S1),
        '{"uuid": "x0", "type": "assistant", "usageMetadata": {"promptTokenCount": 3\n',
        assistant("x1", "u1", S1, "2026-06-02T08:11:40.002Z", {**R1, "promptTokenCount": "many"}),
        assistant("x2", "u1", S1, "not a time", R2),
        assistant("a3", "a2", S1, "2026-06-02T08:12:10.000Z", R3),
    )
    stats = run(db, env)
    assert stats.lines_skipped == 3
    assert_totals(db, expect(R3_E))


def test_qwen_home_and_other_models(db, home, tmp_path):
    from tokenlens.config import Env

    alt = tmp_path / "qwen-home"
    env = Env(environ={"HOME": str(home), "QWEN_HOME": str(alt)})
    append(chat_file(home, S1), assistant("ignored", "u1", S1, "2026-06-02T08:11:40.002Z", R1))
    append(alt / "projects" / "-home-me-qproj" / "chats" / f"{S2}.jsonl",
           assistant("g1", "u1", S2, "2026-06-02T08:11:40.002Z", R2, model="gpt-4.1"))
    run(db, env)
    assert_totals(db, expect(R2_E))
    assert db.execute("SELECT model, provider FROM events").fetchone() == ("gpt-4.1", "")


def test_canary_never_reaches_the_ledger(db, env, home, data_dir):
    append(
        chat_file(home, S1),
        user("u1", S1, "2026-06-02T08:11:30.000Z"),
        assistant("a1", "u1", S1, "2026-06-02T08:11:40.002Z", R1),
        telemetry("t1", S1, "2026-06-02T08:11:40.010Z"),
        '{"uuid": "' + CANARY + '", "usageMetadata": \n',
    )
    stats = run(db, env)
    assert stats.events_added == 1 and stats.lines_skipped == 1
    db.conn.commit()
    files = [p for p in data_dir.rglob("*") if p.is_file()]
    assert any(p.name.endswith("-wal") for p in files)
    for path in files:
        assert CANARY.encode() not in path.read_bytes(), path
