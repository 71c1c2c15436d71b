"""Amp ingest over thread files in its real format (one JSON document per thread, rewritten
whole), through the real scan into a real ledger. Expected totals are worked out by hand;
prices are checked against genai-prices' calc_price."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.ledger_helpers import scan_tool, tool_event_count, tool_totals
from tests.logs import CANARY
from tokenlens.tools.amp.usage import Amp

THREAD = "T-0f1e2d3c-4b5a-4968-8776-655443322110"


# ---- fixture builders ------------------------------------------------------------------


def user(mid: int) -> dict:
    return {"role": "user", "messageId": mid, "content": [{"type": "text", "text": f"please {CANARY}"}]}


def assistant(mid: int, ts: str, inp: int, out: int, cw: int = 0, cr: int = 0, model: str = "claude-sonnet-4-5") -> dict:
    return {"role": "assistant", "messageId": mid, "content": [{"type": "text", "text": f"ok {CANARY}"}],
            "state": {"type": "complete", "stopReason": "end_turn"},
            "usage": {"model": model, "timestamp": ts, "inputTokens": inp, "outputTokens": out,
                      "cacheCreationInputTokens": cw, "cacheReadInputTokens": cr,
                      "totalTokens": inp + out + cw + cr, "credits": 1.5}}


def ledger_event(eid: str, ts: str, inp: int, out: int, to: int, model: str = "claude-sonnet-4-5") -> dict:
    return {"id": eid, "timestamp": ts, "model": model, "credits": 2.0,
            "tokens": {"input": inp, "output": out, "total": inp + out}, "fromMessageId": to - 1, "toMessageId": to}


def write_thread(home: Path, messages: list[dict], ledger: list[dict] | None = None, thread: str = THREAD,
                 base: Path | None = None) -> Path:
    path = (base or home / ".local" / "share") / "amp" / "threads" / f"{thread}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    existed = path.exists()
    old = path.stat().st_mtime_ns if existed else 0
    doc = {"v": 42, "id": thread, "created": 1_779_000_000_000, "title": f"thread {CANARY}",
           "messages": messages, "env": {"initial": {"trees": [{"displayName": "proj"}]}}}
    if ledger is not None:
        doc["usageLedger"] = {"events": ledger}
    path.write_text(json.dumps(doc, indent=2))
    if existed:  # a rewrite within the same clock tick still changes the mtime, as it would
        os.utime(path, ns=(path.stat().st_atime_ns, max(path.stat().st_mtime_ns, old + 1_000_000)))
    return path


def run(db, env):
    return scan_tool(db, env, Amp())


def totals(db) -> dict:
    return tool_totals(db, "amp")


def event_count(db) -> int:
    return tool_event_count(db, "amp")


def expect(*parts: tuple[int, int, int, int]) -> dict:
    """Each part: (input, output, cache write, cache read)."""
    inp, out, cw, cr = (sum(p[i] for p in parts) for i in range(4))
    return {"input_tokens": inp, "output_tokens": out, "cache_write_tokens": cw, "cache_read_tokens": cr,
            "reasoning_tokens": 0, "total_tokens": inp + out + cw + cr}


def assert_totals(db, expected: dict) -> None:
    t = totals(db)
    assert {k: t[k] for k in expected} == expected


U1 = (12, 450, 3000, 0)
U2 = (8, 120, 200, 3000)
U3 = (5, 60, 0, 3200)
TS1, TS2, TS3 = "2026-05-17T10:00:05.000Z", "2026-05-17T10:01:00.000Z", "2026-05-17T10:02:00.000Z"


def test_current_schema_messages_count_and_ledger_repeats_do_not(db, env, home):
    write_thread(home, [user(0), assistant(1, TS1, *U1), user(2), assistant(3, TS2, *U2)],
                 # The ledger lists the same two requests again: counted from the messages only.
                 ledger=[ledger_event("ev-1", TS1, 3012, 450, to=1), ledger_event("ev-2", TS2, 3208, 120, to=3)])
    stats = run(db, env)
    assert stats.lines_skipped == 0
    assert_totals(db, expect(U1, U2))
    assert event_count(db) == 2
    assert db.execute("SELECT session_id, project FROM events LIMIT 1").fetchone() == (THREAD, "")


def test_cost_is_the_table_price_per_request(db, env, home):
    from genai_prices import Usage, calc_price

    write_thread(home, [assistant(1, TS1, *U1), assistant(3, TS2, *U2)])
    run(db, env)
    expected = 0.0
    for (inp, out, cw, cr), ts in ((U1, TS1), (U2, TS2)):
        price = calc_price(Usage(input_tokens=inp + cw + cr, cache_write_tokens=cw, cache_read_tokens=cr,
                                 output_tokens=out), "claude-sonnet-4-5", provider_id="anthropic",
                           genai_request_timestamp=datetime.fromisoformat(ts.replace("Z", "+00:00")).astimezone(UTC))
        expected += float(price.total_price)
    stored = db.execute("SELECT SUM(cost_usd) FROM events").fetchone()[0]
    assert stored == pytest.approx(expected, rel=1e-9)


def test_rewritten_thread_adds_only_the_new_request(db, env, home):
    write_thread(home, [user(0), assistant(1, TS1, *U1)])
    run(db, env)
    assert_totals(db, expect(U1))
    write_thread(home, [user(0), assistant(1, TS1, *U1), user(2), assistant(3, TS2, *U2)])
    stats = run(db, env)
    assert stats.events_added == 1
    assert_totals(db, expect(U1, U2))
    stats = run(db, env)
    assert (stats.files_read, stats.events_added) == (0, 0)
    assert event_count(db) == 2


def test_older_schema_ledger_events_with_cache_from_target_message(db, env, home):
    older = [user(0), {"role": "assistant", "messageId": 1, "content": [{"type": "text", "text": CANARY}],
                       "usage": {"cacheReadInputTokens": 500, "cacheCreationInputTokens": 20}},
             user(2), {"role": "assistant", "messageId": 3, "content": []}]
    write_thread(home, older, ledger=[ledger_event("ev-1", TS1, 100, 50, to=1), ledger_event("ev-2", TS2, 40, 10, to=3)])
    run(db, env)
    assert_totals(db, expect((100, 50, 20, 500), (40, 10, 0, 0)))
    keys = {r[0] for r in db.execute("SELECT event_key FROM events")}
    assert keys == {f"{THREAD}:ledger:ev-1", f"{THREAD}:ledger:ev-2"}


def test_bad_records_and_a_half_written_thread(db, env, home):
    bad = assistant(3, TS2, *U2)
    bad["usage"]["inputTokens"] = "lots"
    write_thread(home, [assistant(1, TS1, *U1), bad, assistant(5, TS3, *U3)],
                 ledger=[{"id": "ev-x", "timestamp": TS3, "model": "claude-sonnet-4-5", "toMessageId": 99}])
    stats = run(db, env)
    assert stats.lines_skipped == 2  # the bad message and the ledger event without tokens
    assert_totals(db, expect(U1, U3))
    other = write_thread(home, [assistant(1, TS1, *U2)], thread="T-aaaaaaaa-0000-4000-8000-000000000000")
    whole = other.read_text()
    other.write_text(whole[: len(whole) // 3])  # caught mid-rewrite
    stats = run(db, env)
    assert stats.lines_skipped == 1
    other.write_text(whole)
    os.utime(other, ns=(other.stat().st_atime_ns, other.stat().st_mtime_ns + 1_000_000))
    run(db, env)
    assert_totals(db, expect(U1, U3, U2))


def test_xdg_data_home(db, home, tmp_path):
    from tokenlens.config import Env

    xdg = tmp_path / "xdg"
    env = Env(environ={"HOME": str(home), "XDG_DATA_HOME": str(xdg)})
    write_thread(home, [assistant(1, TS1, *U1)])  # not read: XDG_DATA_HOME moves the data dir
    write_thread(home, [assistant(1, TS2, *U2)], base=xdg)
    run(db, env)
    assert_totals(db, expect(U2))


def test_canary_never_reaches_the_ledger(db, env, home, data_dir):
    write_thread(home, [user(0), assistant(1, TS1, *U1)])
    broken = home / ".local/share/amp/threads/T-bbbbbbbb-0000-4000-8000-000000000000.json"
    broken.write_text('{"id": "T-b", "messages": [{"role": "user", "content": "' + CANARY + '"')
    stats = run(db, env)
    assert stats.events_added == 1 and stats.lines_skipped == 1
    db.conn.commit()
    files = [p for p in data_dir.rglob("*") if p.is_file()]
    assert any(p.name.endswith("-wal") for p in files)
    for path in files:
        assert CANARY.encode() not in path.read_bytes(), path
