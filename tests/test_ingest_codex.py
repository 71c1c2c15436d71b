"""Codex ingest: cumulative totals become deltas; re-emits, forks and archives add nothing."""

from __future__ import annotations

from tests.logs import append, codex_meta, codex_tokens, codex_turn, codex_user
from tokenlens.ingest import scan
from tokenlens.reports import build_report
from tokenlens.tools.codex.usage import Codex

SID = "0197a0c0-1111-7000-8000-000000000001"


def rollout(home, sid=SID, day="2026/11/24", tree="sessions"):
    return home / ".codex" / tree / day / f"rollout-2026-11-24T10-00-00-{sid}.jsonl"


def ts(sec: int) -> str:
    return f"2026-11-24T10:{sec // 60:02d}:{sec % 60:02d}.000Z"


def totals(db):
    return build_report(db, "daily", tz="UTC", tool="codex").totals


def test_deltas_of_cumulative_totals_with_repeats(db, env, home):
    append(
        rollout(home),
        codex_meta(ts(0), SID),
        codex_turn(ts(1)),
        codex_user(ts(1)),
        # (input incl. cached, cached, output incl. reasoning, reasoning)
        codex_tokens(ts(5), total=(1000, 200, 100, 40), last=(1000, 200, 100, 40)),
        codex_tokens(ts(6), total=(1000, 200, 100, 40), last=(1000, 200, 100, 40)),  # re-emit
        codex_tokens(ts(9), total=(2500, 700, 300, 90), last=(1500, 500, 200, 50)),
        codex_tokens(ts(9), total=(2500, 700, 300, 90), last=(1500, 500, 200, 50)),  # identical re-emit
        {"timestamp": ts(10), "type": "event_msg", "payload": {"type": "token_count", "info": None,
                                                               "rate_limits": {"primary": {"used_percent": 20.0}}}},
    )
    scan(db, env, [Codex()])
    t = totals(db)
    # Session total 2500 input of which 700 cached; output 300 of which 90 reasoning.
    assert (t["input_tokens"], t["cache_read_tokens"]) == (2500 - 700, 700)
    assert (t["output_tokens"], t["reasoning_tokens"]) == (300, 90)
    assert t["cache_write_tokens"] == 0
    assert t["total_tokens"] == 2500 + 300
    assert t["models"] == ["gpt-5.2-codex"]


def test_state_survives_between_scans(db, env, home):
    path = rollout(home)
    append(path, codex_meta(ts(0), SID), codex_turn(ts(1)),
           codex_tokens(ts(5), total=(1000, 0, 100, 0), last=(1000, 0, 100, 0)))
    scan(db, env, [Codex()])
    # The next scan starts mid-file: the previous totals must come from saved state,
    # or the repeat below would count again and the delta would be the whole total.
    append(path, codex_tokens(ts(6), total=(1000, 0, 100, 0), last=(1000, 0, 100, 0)),
           codex_tokens(ts(8), total=(1600, 0, 150, 0), last=(600, 0, 50, 0)))
    scan(db, env, [Codex()])
    t = totals(db)
    assert (t["input_tokens"], t["output_tokens"]) == (1600, 150)


def test_model_is_carried_forward_and_switches(db, env, home):
    append(
        rollout(home),
        codex_meta(ts(0), SID),
        codex_turn(ts(1), model="gpt-5.2-codex"),
        codex_tokens(ts(5), total=(100, 0, 10, 0), last=(100, 0, 10, 0)),
        codex_turn(ts(6), model="gpt-5"),
        codex_tokens(ts(9), total=(300, 0, 30, 0), last=(200, 0, 20, 0)),
    )
    scan(db, env, [Codex()])
    rows = {r["group"]: r for r in build_report(db, "daily", tz="UTC", by="model").rows}
    assert rows["gpt-5.2-codex"]["total_tokens"] == 110
    assert rows["gpt-5"]["total_tokens"] == 220


def test_archived_copy_of_a_rollout_is_not_double_counted(db, env, home):
    lines = [codex_meta(ts(0), SID), codex_turn(ts(1)),
             codex_tokens(ts(5), total=(1000, 100, 50, 0), last=(1000, 100, 50, 0))]
    append(rollout(home), *lines)
    scan(db, env, [Codex()])
    # `codex archive` moves the file; for a while both may exist.
    append(rollout(home, tree="archived_sessions"), *lines)
    scan(db, env, [Codex()])
    rollout(home).unlink()
    scan(db, env, [Codex()])
    assert totals(db)["total_tokens"] == 1050


def test_counter_reset_uses_last_usage(db, env, home):
    append(
        rollout(home),
        codex_meta(ts(0), SID),
        codex_turn(ts(1)),
        codex_tokens(ts(5), total=(5000, 0, 500, 0), last=(5000, 0, 500, 0)),
        codex_tokens(ts(9), total=(800, 0, 80, 0), last=(800, 0, 80, 0)),  # totals went down: reset
    )
    scan(db, env, [Codex()])
    assert totals(db)["total_tokens"] == 5500 + 880


def test_fork_replays_parent_totals_as_baseline_only(db, env, home):
    fork_sid = "0197a0c0-2222-7000-8000-000000000002"
    parent = [codex_meta(ts(0), SID), codex_turn(ts(1)),
              codex_tokens(ts(5), total=(1000, 0, 100, 0), last=(1000, 0, 100, 0)),
              codex_tokens(ts(9), total=(3000, 0, 300, 0), last=(2000, 0, 200, 0))]
    append(rollout(home), *parent)
    fork_second = ts(30)
    append(
        rollout(home, fork_sid),
        codex_meta(fork_second, fork_sid, forked_from_id=SID),
        # The fork copies the parent's meta and token rows, stamped with its creation second.
        codex_meta(fork_second, SID),
        codex_tokens(fork_second, total=(1000, 0, 100, 0), last=(1000, 0, 100, 0)),
        codex_tokens(fork_second, total=(3000, 0, 300, 0), last=(2000, 0, 200, 0)),
        codex_turn(ts(40)),
        codex_tokens(ts(45), total=(3500, 0, 350, 0), last=(500, 0, 50, 0)),  # the fork's own call
    )
    scan(db, env, [Codex()])
    t = totals(db)
    assert t["total_tokens"] == 3300 + 550
    sessions = {r["period"]: r["total_tokens"] for r in build_report(db, "session", tz="UTC", tool="codex").rows}
    assert sessions == {SID: 3300, fork_sid: 550}


def test_missing_turn_context_falls_back_to_gpt5(db, env, home):
    append(rollout(home), codex_meta(ts(0), SID), codex_tokens(ts(5), total=(10, 0, 1, 0), last=(10, 0, 1, 0)))
    scan(db, env, [Codex()])
    assert totals(db)["models"] == ["gpt-5"]


def test_codex_home_env_is_honoured(db, home):
    from tokenlens.config import Env

    custom = home / "elsewhere"
    path = custom / "sessions/2026/11/24" / f"rollout-2026-11-24T10-00-00-{SID}.jsonl"
    append(path, codex_meta(ts(0), SID), codex_turn(ts(1)),
           codex_tokens(ts(5), total=(10, 0, 1, 0), last=(10, 0, 1, 0)))
    scan(db, Env(environ={"HOME": str(home), "CODEX_HOME": str(custom)}), [Codex()])
    assert totals(db)["total_tokens"] == 11


def test_codex_cost_matches_price_table(db, env, home):
    from genai_prices import Usage, calc_price

    append(rollout(home), codex_meta(ts(0), SID), codex_turn(ts(1), model="gpt-5"),
           codex_tokens(ts(5), total=(1_000_000, 500_000, 0, 0), last=None))
    scan(db, env, [Codex()])
    expected = calc_price(Usage(input_tokens=1_000_000, cache_read_tokens=500_000, output_tokens=0),
                          "gpt-5", provider_id="openai").total_price
    assert abs(totals(db)["cost_usd"] - float(expected)) < 1e-6
    assert abs(float(expected) - 0.6875) < 1e-9  # log_formats.md §13.2's worked example


FORK = "0197a0c0-2222-7000-8000-000000000002"
FORK2 = "0197a0c0-3333-7000-8000-000000000003"
BRANCH = "0197a0c0-4444-7000-8000-000000000004"
PARENT_ROWS = [(5, (1000, 0, 100, 0), (1000, 0, 100, 0)), (9, (3000, 0, 300, 0), (2000, 0, 200, 0))]


def parent_rollout(home):
    append(rollout(home), codex_meta(ts(0), SID), codex_turn(ts(1)),
           *(codex_tokens(ts(s), total=t, last=la) for s, t, la in PARENT_ROWS))


def sessions(db):
    return {r["period"]: r["total_tokens"] for r in build_report(db, "session", tz="UTC", tool="codex").rows}


def test_fork_copies_restamped_after_the_first_second_are_history(db, env, home):
    # Codex stamps each line when it writes it (JsonlWriter::write_rollout_item): a long
    # history copied into the fork spills past the fork's creation second.
    parent_rollout(home)
    append(
        rollout(home, FORK),
        codex_meta(ts(30), FORK, forked_from_id=SID),
        codex_meta(ts(30), SID),
        codex_turn(ts(30)),
        codex_tokens(ts(30), total=(1000, 0, 100, 0), last=(1000, 0, 100, 0)),
        codex_tokens(ts(32), total=(3000, 0, 300, 0), last=(2000, 0, 200, 0)),  # re-stamped copy
        codex_turn(ts(40)),
        codex_tokens(ts(45), total=(3500, 0, 350, 0), last=(500, 0, 50, 0)),  # the fork's own call
    )
    scan(db, env, [Codex()])
    assert totals(db)["total_tokens"] == 3300 + 550
    assert sessions(db) == {SID: 3300, FORK: 550}


def test_fork_read_before_its_parent_still_counts_each_call_once(db, env, home):
    append(
        rollout(home, FORK),
        codex_meta(ts(30), FORK, forked_from_id=SID),
        codex_meta(ts(30), SID),
        codex_tokens(ts(31), total=(1000, 0, 100, 0), last=(1000, 0, 100, 0)),
        codex_tokens(ts(32), total=(3000, 0, 300, 0), last=(2000, 0, 200, 0)),
        codex_tokens(ts(45), total=(3500, 0, 350, 0), last=(500, 0, 50, 0)),
    )
    scan(db, env, [Codex()])
    parent_rollout(home)
    scan(db, env, [Codex()])
    assert totals(db)["total_tokens"] == 3300 + 550
    assert sessions(db) == {SID: 3300, FORK: 550}  # the parent's own file keeps its calls


def test_fork_of_a_fork_counts_each_call_once(db, env, home):
    parent_rollout(home)
    fork_rows = [codex_meta(ts(30), FORK, forked_from_id=SID), codex_meta(ts(30), SID),
                 codex_tokens(ts(31), total=(1000, 0, 100, 0), last=(1000, 0, 100, 0)),
                 codex_tokens(ts(32), total=(3000, 0, 300, 0), last=(2000, 0, 200, 0)),
                 codex_tokens(ts(45), total=(3500, 0, 350, 0), last=(500, 0, 50, 0))]
    append(rollout(home, FORK), *fork_rows)
    # The second fork copies the first one's whole file, its copied session_meta lines included.
    append(
        rollout(home, FORK2),
        codex_meta(ts(60), FORK2, forked_from_id=FORK),
        *({**line, "timestamp": ts(61 + i)} for i, line in enumerate(fork_rows)),
        codex_tokens(ts(90), total=(4000, 0, 400, 0), last=(500, 0, 50, 0)),
    )
    scan(db, env, [Codex()])
    assert totals(db)["total_tokens"] == 3300 + 550 + 550
    assert sessions(db) == {SID: 3300, FORK: 550, FORK2: 550}


def test_desktop_branch_without_session_meta_counts_copied_rows_once(db, env, home):
    # Codex Desktop branches (ccusage #988): a second file, named by a new uuid, with the
    # original's rows (same times, same totals) and no session_meta.
    parent_rollout(home)
    append(
        rollout(home, BRANCH),
        codex_turn(ts(1)),
        *(codex_tokens(ts(s), total=t, last=la) for s, t, la in PARENT_ROWS),
        codex_tokens(ts(50), total=(3700, 0, 370, 0), last=(700, 0, 70, 0)),  # the branch's own call
    )
    scan(db, env, [Codex()])
    assert totals(db)["total_tokens"] == 3300 + 770
    assert sessions(db) == {SID: 3300, BRANCH: 770}


def test_desktop_branch_read_before_the_original(db, env, home):
    append(rollout(home, BRANCH), codex_turn(ts(1)),
           *(codex_tokens(ts(s), total=t, last=la) for s, t, la in PARENT_ROWS))
    scan(db, env, [Codex()])
    assert totals(db)["total_tokens"] == 3300  # alone, the copy stands for the original
    parent_rollout(home)
    scan(db, env, [Codex()])
    assert sessions(db) == {SID: 3300}


def test_two_sessions_with_equal_totals_are_not_merged(db, env, home):
    other = "0197a0c0-5555-7000-8000-000000000005"
    parent_rollout(home)
    append(rollout(home, other), codex_meta(ts(20), other), codex_turn(ts(20)),
           codex_tokens(ts(25), total=(1000, 0, 100, 0), last=(1000, 0, 100, 0)))
    scan(db, env, [Codex()])
    assert sessions(db) == {SID: 3300, other: 1100}


def test_m006_rewrites_old_keys_and_rereads_without_counting_twice(db, env, home):
    from tokenlens.store.schema import M006_SQL

    parent_rollout(home)
    fork = rollout(home, FORK)
    append(fork, codex_meta(ts(30), FORK, forked_from_id=SID), codex_meta(ts(30), SID),
           codex_tokens(ts(30), total=(1000, 0, 100, 0), last=(1000, 0, 100, 0)),
           codex_tokens(ts(30), total=(3000, 0, 300, 0), last=(2000, 0, 200, 0)),
           codex_tokens(ts(45), total=(3500, 0, 350, 0), last=(500, 0, 50, 0)))
    scan(db, env, [Codex()])
    # The ledger as the old reader left it: "<session>:<ts_ms>:<totals>", no replay keys.
    rows = db.execute("SELECT id, event_key, session_id, ts_ms FROM events WHERE tool = 'codex'").fetchall()
    with db.conn:
        for rid, key, session, ts_ms in rows:
            old = f"{session}:{ts_ms}:{key.split(':', 1)[1]}"
            db.execute("UPDATE events SET event_key = ?, replay_key = NULL, is_replay = 0, rank = 0"
                       " WHERE id = ?", [old, rid])
    with db.conn:
        for sql in M006_SQL:
            db.execute(sql)
    keys = {r[0] for r in db.execute("SELECT event_key FROM events WHERE tool = 'codex'")}
    assert keys == {f"{SID}:1000:0:100:0", f"{SID}:3000:0:300:0", f"{FORK}:3500:0:350:0"}
    assert totals(db)["total_tokens"] == 3300 + 550  # counted as before until re-read
    scan(db, env, [Codex()])  # both files are read again from their start
    assert sessions(db) == {SID: 3300, FORK: 550}
    keys = {r[0] for r in db.execute("SELECT event_key FROM events WHERE tool = 'codex'")}
    assert keys == {f"{SID}:1000:0:100:0", f"{SID}:3000:0:300:0", f"{SID}:3500:0:350:0"}
    archived = rollout(home, FORK, tree="archived_sessions")
    archived.parent.mkdir(parents=True)
    fork.rename(archived)  # `codex archive`: read again under its new path
    scan(db, env, [Codex()])
    assert sessions(db) == {SID: 3300, FORK: 550}
