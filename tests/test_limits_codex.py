"""Codex's rate_limits readings flow through the ingest into limit_readings, in every shape
its source has written (openai/codex codex-rs/protocol/src/protocol.rs: `resets_at` in Unix
seconds, before it `resets_in_seconds`; codex-rs/core/src/client.rs: the first, flat
`primary_used_percent` shape), once however often they are read."""

from __future__ import annotations

import os

from tests.logs import append, codex_meta, codex_turn
from tokenlens.ingest import scan
from tokenlens.tools.codex.usage import Codex

SID = "0197a0c0-2222-7000-8000-000000000002"
T0 = 1_795_000_000  # 2026-11-19T..Z, whole seconds


def iso(sec: int) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(sec, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def rollout(home, tree="sessions", sid=SID):
    return home / ".codex" / tree / "2026/11/19" / f"rollout-2026-11-19T10-00-00-{sid}.jsonl"


def token_count(sec: int, rate_limits, info=None) -> dict:
    return {"timestamp": iso(sec), "type": "event_msg",
            "payload": {"type": "token_count", "info": info, "rate_limits": rate_limits}}


def current(p_used, p_reset, s_used, s_reset, plan="plus") -> dict:
    return {"limit_id": "codex", "limit_name": None,
            "primary": {"used_percent": p_used, "window_minutes": 300, "resets_at": p_reset},
            "secondary": {"used_percent": s_used, "window_minutes": 10080, "resets_at": s_reset},
            "credits": None, "plan_type": plan, "rate_limit_reached_type": None}


def rows(db):
    return db.execute("SELECT tool, account, window, window_minutes, observed_at_ms, last_seen_ms, used_percent,"
                      " resets_at_ms, plan, source FROM limit_readings ORDER BY window, observed_at_ms").fetchall()


def skips(db):
    return [r[0] for r in db.execute("SELECT reason FROM skips ORDER BY offset")]


def test_current_shape_from_info_null_lines_with_repeats(db, env, home):
    usage = {"total_token_usage": {"input_tokens": 100, "cached_input_tokens": 0, "output_tokens": 10,
                                   "reasoning_output_tokens": 0, "total_tokens": 110}, "last_token_usage": None}
    append(rollout(home), codex_meta(iso(T0), SID), codex_turn(iso(T0 + 1)),
           token_count(T0 + 10, current(42.0, T0 + 3600, 18.0, T0 + 86400)),
           token_count(T0 + 20, current(42.0, T0 + 3600, 18.0, T0 + 86400), info=usage),  # a repeat
           token_count(T0 + 600, current(45.5, T0 + 3600, 18.0, T0 + 86400)))
    scan(db, env, [Codex()])
    account = "~/.codex" if os.path.realpath(home) == os.path.realpath(os.path.expanduser("~")) else str(home / ".codex")
    want = [
        ("codex", account, "5h", 300, (T0 + 10) * 1000, (T0 + 20) * 1000, 42.0, (T0 + 3600) * 1000, "plus", "codex-log"),
        ("codex", account, "5h", 300, (T0 + 600) * 1000, (T0 + 600) * 1000, 45.5, (T0 + 3600) * 1000, "plus", "codex-log"),
        # the 7d reading never changed: one row, seen from the first line to the last
        ("codex", account, "7d", 10080, (T0 + 10) * 1000, (T0 + 600) * 1000, 18.0, (T0 + 86400) * 1000, "plus",
         "codex-log"),
    ]
    assert rows(db) == want
    # usage on the repeat line is still counted
    assert db.execute("SELECT SUM(total_tokens) FROM events").fetchone()[0] == 110
    # read again (archived twin, rescans) adds nothing
    append(rollout(home, "archived_sessions"), *[line for line in open(rollout(home))])
    scan(db, env, [Codex()])
    assert rows(db) == want


def test_legacy_resets_in_seconds_and_flat_first_shape(db, env, home):
    legacy = {"primary": {"used_percent": 10.0, "window_minutes": 300, "resets_in_seconds": 7200},
              "secondary": {"used_percent": 3.0, "window_minutes": 10080, "resets_in_seconds": 500_000}}
    legacy_later = {"primary": {"used_percent": 10.0, "window_minutes": 300, "resets_in_seconds": 7170},
                    "secondary": {"used_percent": 3.0, "window_minutes": 10080, "resets_in_seconds": 499_970}}
    flat = {"primary_used_percent": 12.5, "secondary_used_percent": 40.0, "primary_to_secondary_ratio_percent": 75.0,
            "primary_window_minutes": 60, "secondary_window_minutes": 1440}
    append(rollout(home), codex_meta(iso(T0), SID),
           token_count(T0 + 100, legacy), token_count(T0 + 130, legacy_later), token_count(T0 + 200, flat))
    scan(db, env, [Codex()])
    got = [(r[2], r[4], r[5], r[6], r[7]) for r in rows(db)]
    assert got == [
        ("1d", (T0 + 200) * 1000, (T0 + 200) * 1000, 40.0, None),
        ("1h", (T0 + 200) * 1000, (T0 + 200) * 1000, 12.5, None),
        # 30 s later the relative reset is 30 s shorter: the same reading, seen again
        ("5h", (T0 + 100) * 1000, (T0 + 130) * 1000, 10.0, (T0 + 100 + 7200) * 1000),
        ("7d", (T0 + 100) * 1000, (T0 + 130) * 1000, 3.0, (T0 + 100 + 500_000) * 1000),
    ]
    assert skips(db) == []


def test_bad_readings_are_skipped_and_counted_and_usage_is_kept(db, env, home):
    usage = {"total_token_usage": {"input_tokens": 500, "cached_input_tokens": 0, "output_tokens": 50,
                                   "reasoning_output_tokens": 0, "total_tokens": 550}, "last_token_usage": None}

    def one(used=20.0, minutes=300, reset=T0 + 3600):
        return {"primary": {"used_percent": used, "window_minutes": minutes, "resets_at": reset}}

    append(rollout(home), codex_meta(iso(T0), SID), codex_turn(iso(T0)),
           token_count(T0 + 1, one(used=-1.0), info=usage),
           token_count(T0 + 2, one(used=100.5)),
           token_count(T0 + 3, one(used="12")),
           token_count(T0 + 4, one(minutes=None)),
           token_count(T0 + 5, one(reset=T0 - 600)),
           token_count(T0 + 6, one(reset=T0 + 400 * 86400)),
           token_count(T0 + 7, one(used=30.0)),
           token_count(T0 + 7, one(used=31.0)),  # a second, different reading at the same time
           token_count(T0 + 8, one(used=100.0)),
           token_count(T0 + 9, {"primary": {"used_percent": 50.0, "window_minutes": 10080,
                                            "resets_at": T0 + 5 * 86400}}))  # the length changed
    result = scan(db, env, [Codex()])
    assert skips(db) == [
        "rate_limits.primary: used_percent -1 out of 0-100",
        "rate_limits.primary: used_percent 100.5 out of 0-100",
        "rate_limits.primary: used_percent is not a number",
        "rate_limits.primary: window length unknown",
        "rate_limits.primary: resets before it was read",
        "rate_limits.primary: resets further ahead than the window is long",
        "rate_limits.primary: a second, different reading at the same time",
    ]
    assert result.sources["codex"].lines_skipped == 7
    assert db.execute("SELECT SUM(total_tokens) FROM events").fetchone()[0] == 550
    assert [(r[2], r[6]) for r in rows(db)] == [("5h", 30.0), ("5h", 100.0), ("7d", 50.0)]


def test_readings_flow_through_the_parallel_forked_ingest(db, env, home):
    for n in range(4):
        sid = f"0197a0c0-3333-7000-8000-00000000000{n}"
        append(rollout(home, sid=sid), codex_meta(iso(T0), sid),
               token_count(T0 + 60 * n, current(10.0 + n, T0 + 3600, 1.0, T0 + 86400)))
    scan(db, env, [Codex()], workers=2)
    assert [r[6] for r in rows(db) if r[2] == "5h"] == [10.0, 11.0, 12.0, 13.0]
    assert [r[6] for r in rows(db) if r[2] == "7d"] == [1.0]


def test_a_forks_copy_of_its_parents_readings_adds_no_reading(db, env, home):
    parent = [codex_meta(iso(T0), SID), token_count(T0 + 10, current(20.0, T0 + 3600, 5.0, T0 + 86400)),
              token_count(T0 + 300, current(30.0, T0 + 3600, 6.0, T0 + 86400))]
    append(rollout(home), *parent)
    fork_sid = "0197a0c0-2222-7000-8000-0000000000ff"
    # Codex writes a fork as its own session_meta, then the parent's lines, each stamped when copied
    copied = [{**line, "timestamp": iso(T0 + 900)} for line in parent]
    append(rollout(home, sid=fork_sid), codex_meta(iso(T0 + 900), fork_sid, forked_from_id=SID), *copied,
           token_count(T0 + 960, current(33.0, T0 + 3600, 6.0, T0 + 86400)))
    scan(db, env, [Codex()])
    got = [(r[2], r[6], r[4]) for r in rows(db)]
    assert got == [("5h", 20.0, (T0 + 10) * 1000), ("5h", 30.0, (T0 + 300) * 1000), ("5h", 33.0, (T0 + 960) * 1000),
                   ("7d", 5.0, (T0 + 10) * 1000), ("7d", 6.0, (T0 + 300) * 1000)]


def test_m007_reads_codex_files_again_for_the_readings_already_behind_their_offsets(db, env, home):
    from tokenlens.store.schema import M007_SQL

    append(rollout(home), codex_meta(iso(T0), SID), codex_turn(iso(T0)),
           token_count(T0 + 10, current(20.0, T0 + 3600, 5.0, T0 + 86400),
                       info={"total_token_usage": {"input_tokens": 100, "cached_input_tokens": 0, "output_tokens": 1,
                                                   "reasoning_output_tokens": 0, "total_tokens": 101},
                             "last_token_usage": None}))
    scan(db, env, [Codex()])
    # as a ledger from before m007 would be: the file read to its end, no readings
    db.execute("DELETE FROM limit_readings")
    for sql in M007_SQL[2:]:
        db.execute(sql)
    db.conn.commit()
    scan(db, env, [Codex()])
    assert [(r[2], r[6]) for r in rows(db)] == [("5h", 20.0), ("7d", 5.0)]
    assert db.execute("SELECT COUNT(*), SUM(total_tokens) FROM events").fetchone() == (1, 101)
