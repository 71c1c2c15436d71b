"""A first scan forked over several workers must give exactly the ledger a single process gives."""

from __future__ import annotations

from tests.logs import append, claude_assistant, codex_meta, codex_tokens, codex_turn
from tokenlens.ingest import _balance, scan
from tokenlens.store import open_ledger


def build_history(home, sessions=12):
    for s in range(sessions):
        path = home / f".claude/projects/-p{s % 3}/s{s}.jsonl"
        for m in range(40):
            ts = f"2026-11-{1 + s % 20:02d}T1{m % 10}:00:{m % 60:02d}.000Z"
            append(path,
                   claude_assistant(ts, f"s{s}", f"m{s}-{m}", f"r{s}-{m}", inp=m, out=2, cr=100, stop=None),
                   claude_assistant(ts, f"s{s}", f"m{s}-{m}", f"r{s}-{m}", inp=m, out=50 + m, cr=100))
        sid = f"0197a0c0-1111-7000-8000-{s:012d}"
        rollout = home / f".codex/sessions/2026/11/0{1 + s % 9}/rollout-2026-11-01T10-00-00-{sid}.jsonl"
        append(rollout, codex_meta("2026-11-01T10:00:00.000Z", sid), codex_turn("2026-11-01T10:00:01.000Z"))
        for t in range(1, 30):
            append(rollout, codex_tokens(f"2026-11-01T10:01:{t:02d}.000Z", total=(100 * t, 10 * t, 5 * t, t),
                                         last=(100, 10, 5, 1)))


def ledger_state(db):
    return (
        db.execute("SELECT tool, event_key, ts_ms, input_tokens, cache_read_tokens, output_tokens,"
                   " reasoning_tokens, total_tokens, ROUND(cost_usd, 9) FROM events ORDER BY tool, event_key").fetchall(),
        db.execute("SELECT path, offset, lines_skipped, state FROM files ORDER BY path").fetchall(),
    )


def test_parallel_first_scan_equals_sequential(tmp_path, home, env):
    build_history(home)
    one = open_ledger(tmp_path / "one")
    two = open_ledger(tmp_path / "two")
    sequential = scan(one, env, workers=1)
    parallel = scan(two, env, workers=2)
    assert ledger_state(one) == ledger_state(two)
    assert parallel.events_added == sequential.events_added == 12 * 40 + 12 * 29
    for sid, stats in sequential.sources.items():
        other = parallel.sources[sid]
        assert (other.files_read, other.lines_skipped, other.events_added) == (
            stats.files_read, stats.lines_skipped, stats.events_added)


def test_balance_spreads_bytes():
    shares = _balance([50, 40, 30, 20, 10], 2)
    loads = [sum([50, 40, 30, 20, 10][i] for i in share) for share in shares]
    assert sorted(i for s in shares for i in s) == [0, 1, 2, 3, 4]
    assert abs(loads[0] - loads[1]) <= 10
