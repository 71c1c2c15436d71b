"""Gemini CLI ingest over files in its real formats (legacy whole-file JSON and append-only
JSONL), run through the real scan into a real ledger. Expected totals are worked out by hand
from the figures each fixture writes; costs are checked against genai-prices' calc_price."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.ledger_helpers import scan_tool, tool_event_count, tool_totals
from tests.logs import CANARY, append
from tokenlens.tools.gemini_cli.usage import GeminiCli

SESSION = "9f2c1d4e-1111-4222-8333-444455556666"
PROJECT = "/home/me/gemproj"


# ---- fixture builders: the records gemini-cli's ChatRecordingService writes ------------------


def chats_dir(home: Path, slug: str = "gemproj") -> Path:
    project_dir = home / ".gemini" / "tmp" / slug
    project_dir.mkdir(parents=True, exist_ok=True)
    (project_dir / ".project_root").write_text(PROJECT + "\n")
    return project_dir / "chats"


def session_file(home: Path, session: str = SESSION, suffix: str = ".jsonl") -> Path:
    return chats_dir(home) / f"session-2026-05-22T15-00-{session[:8]}{suffix}"


def metadata(session: str = SESSION, start: str = "2026-05-22T15:00:00.000Z") -> dict:
    return {"sessionId": session, "projectHash": "ab" * 32, "startTime": start, "lastUpdated": start, "kind": "main"}


def user(msg_id: str, ts: str) -> dict:
    return {"id": msg_id, "timestamp": ts, "type": "user", "content": [{"text": f"please {CANARY}"}]}


def gemini(msg_id: str, ts: str, tokens: dict | None, model: str = "gemini-2.5-pro", **extra) -> dict:
    return {"id": msg_id, "timestamp": ts, "type": "gemini", "content": [{"text": f"sure, {CANARY}"}],
            "thoughts": [{"subject": "plan", "description": CANARY, "timestamp": ts}],
            "tokens": tokens, "model": model, **extra}


def tokens(inp: int, out: int, cached: int = 0, thoughts: int = 0, tool: int = 0) -> dict:
    return {"input": inp, "output": out, "cached": cached, "thoughts": thoughts, "tool": tool,
            "total": inp + out + thoughts + tool}


def legacy_record(messages: list[dict], session: str = SESSION) -> str:
    """A legacy session file: one object, pretty-printed as gemini-cli wrote it."""
    record = {**metadata(session), "messages": messages}
    return json.dumps(record, indent=2)


def run(db, env):
    return scan_tool(db, env, GeminiCli())


def totals(db) -> dict:
    return tool_totals(db, "gemini-cli")


def event_count(db) -> int:
    return tool_event_count(db, "gemini-cli")


# Message A: input 18450 of which 15872 cached, output 612, thoughts 940.
A = tokens(18450, 612, cached=15872, thoughts=940)
A_EXPECT = {"input_tokens": 18450 - 15872, "cache_read_tokens": 15872, "output_tokens": 612 + 940,
            "reasoning_tokens": 940}
# Message B: input 20000 (nothing cached), tool-use prompt 120, output 300.
B = tokens(20000, 300, tool=120)
B_EXPECT = {"input_tokens": 20120, "cache_read_tokens": 0, "output_tokens": 300, "reasoning_tokens": 0}


def expect(*parts: dict) -> dict:
    out = {k: sum(p[k] for p in parts) for k in ("input_tokens", "cache_read_tokens", "output_tokens", "reasoning_tokens")}
    out["cache_write_tokens"] = 0
    out["total_tokens"] = out["input_tokens"] + out["cache_read_tokens"] + out["output_tokens"]
    return out


def assert_totals(db, expected: dict) -> None:
    t = totals(db)
    assert {k: t[k] for k in expected} == expected


# ---- JSONL ------------------------------------------------------------------------------


def test_repeated_message_records_count_once_with_last_figures(db, env, home):
    path = session_file(home)
    append(
        path,
        metadata(),
        user("u1", "2026-05-22T15:00:01.000Z"),
        # The message is written before its tokens arrive, then appended again whole, twice.
        gemini("g1", "2026-05-22T15:00:03.000Z", None),
        gemini("g1", "2026-05-22T15:00:03.000Z", A),
        gemini("g1", "2026-05-22T15:00:03.000Z", A, toolCalls=[{"id": "c1", "name": "ls", "args": {}}]),
        {"$set": {"lastUpdated": "2026-05-22T15:00:04.000Z"}},
        gemini("g2", "2026-05-22T15:01:00.000Z", B),
        # A history sync re-lists existing messages: not new usage.
        {"$set": {"messages": [gemini("g1", "2026-05-22T15:00:03.000Z", A), gemini("g2", "2026-05-22T15:01:00.000Z", B)]}},
        # A rewind hides g2 from the UI; its tokens were still spent.
        {"$rewindTo": "g2"},
    )
    stats = run(db, env)
    assert stats.lines_skipped == 0
    assert_totals(db, expect(A_EXPECT, B_EXPECT))
    assert event_count(db) == 2
    row = db.execute("SELECT session_id, project, provider, model FROM events WHERE event_key = ?",
                     [f"{SESSION}:g1"]).fetchone()
    assert row == (SESSION, PROJECT, "google", "gemini-2.5-pro")


def test_token_semantics_match_gemini_total_and_price(db, env, home):
    from datetime import datetime

    from genai_prices import Usage, calc_price

    append(session_file(home), metadata(), gemini("g1", "2026-05-22T15:00:03.000Z", A))
    run(db, env)
    t = totals(db)
    assert t["total_tokens"] == A["total"]  # our buckets add up to Gemini's own total
    price = calc_price(Usage(input_tokens=18450, cache_read_tokens=15872, output_tokens=612 + 940),
                       "gemini-2.5-pro", provider_id="google",
                       genai_request_timestamp=datetime.fromisoformat("2026-05-22T15:00:03+00:00"))
    assert t["cost_usd"] == pytest.approx(float(price.total_price), abs=1e-6)  # reports round to 1e-6
    stored = db.execute("SELECT cost_usd, cost_source FROM events").fetchone()
    assert stored[0] == pytest.approx(float(price.total_price), rel=1e-9) and stored[1] == "table"


def test_append_is_picked_up_and_rescan_adds_nothing(db, env, home):
    path = session_file(home)
    append(path, metadata(), gemini("g1", "2026-05-22T15:00:03.000Z", A))
    run(db, env)
    assert_totals(db, expect(A_EXPECT))
    append(path, gemini("g2", "2026-05-22T15:01:00.000Z", B))
    stats = run(db, env)
    assert stats.events_added == 1
    assert_totals(db, expect(A_EXPECT, B_EXPECT))
    stats = run(db, env)
    assert (stats.files_read, stats.events_added) == (0, 0)
    assert_totals(db, expect(A_EXPECT, B_EXPECT))
    assert event_count(db) == 2


def test_tokens_arriving_in_a_later_scan_replace_the_early_record(db, env, home):
    path = session_file(home)
    append(path, metadata(), gemini("g1", "2026-05-22T15:00:03.000Z", tokens(100, 5)))
    run(db, env)
    append(path, gemini("g1", "2026-05-22T15:00:03.000Z", A))
    run(db, env)
    assert_totals(db, expect(A_EXPECT))
    assert event_count(db) == 1


def test_malformed_records_are_skipped_and_counted(db, env, home):
    path = session_file(home)
    append(
        path,
        metadata(),
        '{"id": "g0", "type": "gemini", "tokens": {"input": 5, \n',  # cut JSON
        gemini("g1", "2026-05-22T15:00:03.000Z", {**A, "input": "lots"}),  # wrong type
        gemini("g2", "2026-05-22T15:00:04.000Z", {**A, "output": -3}),  # negative
        gemini("g3", "2026-05-22T15:01:00.000Z", B),
    )
    stats = run(db, env)
    assert stats.lines_skipped == 3
    assert db.execute("SELECT COUNT(*) FROM skips").fetchone()[0] == 3
    assert_totals(db, expect(B_EXPECT))


def test_subagent_chats_and_gemini_cli_home(db, home, tmp_path):
    from tokenlens.config import Env

    alt = tmp_path / "alt"
    env = Env(environ={"HOME": str(home), "GEMINI_CLI_HOME": str(alt)})
    append(session_file(home), metadata(), gemini("g9", "2026-05-22T15:00:03.000Z", B))  # ignored: not under GEMINI_CLI_HOME
    chats = chats_dir(alt)
    append(chats / "session-2026-05-22T15-00-9f2c1d4e.jsonl", metadata(), gemini("g1", "2026-05-22T15:00:03.000Z", A))
    sub_session = "77777777-aaaa-4bbb-8ccc-dddddddddddd"
    append(chats / SESSION / f"{sub_session}.jsonl", {**metadata(sub_session), "kind": "subagent"},
           gemini("s1", "2026-05-22T15:00:05.000Z", B, model="gemini-2.5-flash"))
    # Other files in the tmp dir are not chats.
    (alt / ".gemini" / "tmp" / "gemproj" / "logs.json").write_text(json.dumps([{"message": CANARY}]))
    run(db, env)
    assert_totals(db, expect(A_EXPECT, B_EXPECT))
    sessions = {r[0] for r in db.execute("SELECT session_id FROM events")}
    assert sessions == {SESSION, sub_session}


def test_legacy_subagent_and_skill_extraction_chats_are_read(db, env, home):
    """Issue 16 (real logs): legacy `kind: "subagent"` chats live in `chats/<parent uuid>/<id>.json`
    and `chats/skill-extraction-<n>/<id>.json`, with no `session-` prefix; they were never read."""
    chats = chats_dir(home)
    sub, skill = "88888888-aaaa-4bbb-8ccc-dddddddddddd", "99999999-aaaa-4bbb-8ccc-dddddddddddd"
    (chats / SESSION).mkdir(parents=True)
    (chats / SESSION / f"{sub}.json").write_text(json.dumps(
        {**metadata(sub), "kind": "subagent", "messages": [gemini("s1", "2026-05-22T15:00:05.000Z", A)]}, indent=2))
    (chats / "skill-extraction-3").mkdir()
    (chats / "skill-extraction-3" / f"{skill}.json").write_text(json.dumps(
        {**metadata(skill), "kind": "subagent", "messages": [gemini("k1", "2026-05-22T15:00:09.000Z", B)]}, indent=2))
    (chats / "notes.json").write_text(json.dumps({"note": CANARY}))  # not a chat: not read
    run(db, env)
    assert_totals(db, expect(A_EXPECT, B_EXPECT))
    assert {r[0] for r in db.execute("SELECT session_id FROM events")} == {sub, skill}
    assert db.execute("SELECT COUNT(*) FROM files WHERE path LIKE '%notes.json'").fetchone()[0] == 0


# ---- legacy JSON, and legacy + JSONL for one session -----------------------------------------


def test_legacy_json_session_and_its_rewrite(db, env, home):
    path = session_file(home, suffix=".json")
    path.parent.mkdir(parents=True, exist_ok=True)
    # The same id twice in one legacy file (ccstats #146): the last copy wins.
    path.write_text(legacy_record([user("u1", "2026-05-22T15:00:01.000Z"),
                                   gemini("g1", "2026-05-22T15:00:03.000Z", tokens(10, 1)),
                                   gemini("g1", "2026-05-22T15:00:03.000Z", A)]))
    run(db, env)
    assert_totals(db, expect(A_EXPECT))
    # Gemini rewrites the whole file after the next turn.
    path.write_text(legacy_record([user("u1", "2026-05-22T15:00:01.000Z"),
                                   gemini("g1", "2026-05-22T15:00:03.000Z", A),
                                   gemini("g2", "2026-05-22T15:01:00.000Z", B)]))
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000))
    run(db, env)
    assert_totals(db, expect(A_EXPECT, B_EXPECT))
    assert event_count(db) == 2
    assert run(db, env).events_added == 0


def test_resumed_legacy_session_in_new_jsonl_is_not_double_counted(db, env, home):
    legacy = session_file(home, suffix=".json")
    legacy.parent.mkdir(parents=True, exist_ok=True)
    old_messages = [user("u1", "2026-05-22T15:00:01.000Z"), gemini("g1", "2026-05-22T15:00:03.000Z", A)]
    legacy.write_text(legacy_record(old_messages))
    run(db, env)
    # Resuming writes `<name>.jsonl` beside it: metadata, every old message again, then new ones.
    C = tokens(30000, 800, cached=25000, thoughts=100)
    append(legacy.with_suffix(".jsonl"), metadata(), *old_messages, {"$set": {"sessionId": SESSION}},
           gemini("g3", "2026-05-23T09:00:00.000Z", C))
    run(db, env)
    c_expect = {"input_tokens": 5000, "cache_read_tokens": 25000, "output_tokens": 900, "reasoning_tokens": 100}
    assert_totals(db, expect(A_EXPECT, c_expect))
    assert event_count(db) == 2
    # A fresh ledger reading both files at once agrees.
    db.execute("DELETE FROM events")
    db.execute("DELETE FROM files")
    db.conn.commit()
    run(db, env)
    assert_totals(db, expect(A_EXPECT, c_expect))


def test_damaged_legacy_file_is_counted_and_later_read(db, env, home):
    path = session_file(home, suffix=".json")
    path.parent.mkdir(parents=True, exist_ok=True)
    whole = legacy_record([gemini("g1", "2026-05-22T15:00:03.000Z", A)])
    path.write_text(whole[: len(whole) // 2])  # caught mid-rewrite
    stats = run(db, env)
    assert (stats.lines_skipped, event_count(db)) == (1, 0)
    path.write_text(whole)
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000))
    run(db, env)
    assert_totals(db, expect(A_EXPECT))


def test_canary_never_reaches_the_ledger(db, env, home, data_dir):
    legacy = session_file(home, "aaaaaaaa-0000-4000-8000-000000000000", suffix=".json")
    legacy.parent.mkdir(parents=True, exist_ok=True)
    legacy.write_text(legacy_record([user("u1", "2026-05-22T15:00:01.000Z"),
                                     gemini("g1", "2026-05-22T15:00:03.000Z", A)],
                                    session="aaaaaaaa-0000-4000-8000-000000000000"))
    append(session_file(home), metadata(), user("u1", "2026-05-22T15:00:01.000Z"),
           gemini("g2", "2026-05-22T15:00:03.000Z", B), '{"id": "' + CANARY + '", "tokens": \n')
    stats = run(db, env)
    assert stats.events_added == 2 and stats.lines_skipped == 1
    db.conn.commit()
    files = [p for p in data_dir.rglob("*") if p.is_file()]
    assert any(p.name.endswith("-wal") for p in files)
    for path in files:
        assert CANARY.encode() not in path.read_bytes(), path
