"""A first scan forked over several workers must give exactly the ledger a single process gives."""

from __future__ import annotations

import os

from tests.logs import append, claude_assistant, codex_meta, codex_tokens, codex_turn
from tokenlens.ingest import scan
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


def test_workers_price_with_rates_from_the_main_process(tmp_path, home, env):
    build_history(home)
    append(home / ".claude/projects/-p9/odd.jsonl",
           claude_assistant("2026-11-02T10:00:00.000Z", "odd", "mo", "ro", model="claude-nonexistent-9", inp=5, out=5))
    db = open_ledger(tmp_path / "l")
    result = scan(db, env, workers=3)
    assert ("claude-code", "claude-nonexistent-9") in result.unknown_models
    sources = dict(db.execute("SELECT cost_source, COUNT(*) FROM events GROUP BY 1").fetchall())
    assert sources == {"table": 12 * 40 + 12 * 29, None: 1}


def test_a_pricer_asking_over_a_pipe_prices_like_one_with_the_table():
    from tokenlens.ingest.forked import Tasks, Workers
    from tokenlens.ingest.parallel import answer_rates as _answer_rates
    from tokenlens.model import UsageEvent
    from tokenlens.pricing import Pricer

    local = Pricer()
    events = [UsageEvent(tool="claude-code", event_key=str(i), ts_ms=1_780_000_000_000 + i * 3_600_000,
                         model=model, provider="anthropic", input_tokens=1000 + i, cache_read_tokens=300_000 * (i % 2),
                         output_tokens=50 * i)
              for i in range(20) for model in ("claude-sonnet-4-5", "claude-opus-4-6", "claude-nonexistent-9")]
    asks = []

    def answer(questions):
        asks.append(questions)
        return _answer_rates(local, questions)

    def work(channel):  # in a forked worker, as a scan's worker asks its parent
        remote = Pricer(ask=channel.ask)
        remote.prefetch(events[:30])  # a worker's batch: one round trip for all it needs
        return [remote.cost(e) for e in events], sorted(remote.unknown_models)

    with Workers(1, work, Tasks(0), answer) as workers:
        pass
    (costs, unknown), = workers.results()
    assert costs == [local.cost(e) for e in events]
    assert unknown == [("claude-code", "claude-nonexistent-9")]
    # Later events: a fixed-price model is never asked again; one whose prices change over
    # time is asked once for each new hour.
    hourly = {(e.model, e.ts_ms // 3_600_000) for e in events[30:] if not local.rates_and_scope(e.provider, e.model, e.ts_ms)[1]}
    hourly -= {(e.model, e.ts_ms // 3_600_000) for e in events[:30]}
    assert len(asks) == 1 + len(hourly)


def test_a_full_batch_waits_for_no_one_while_another_process_writes(tmp_path, monkeypatch):
    import tokenlens.store.writer as ingest
    from tokenlens.model import UsageEvent
    from tokenlens.pricing import Pricer
    from tokenlens.store.ledger import connect
    from tokenlens.store.writer import Batch, FileRow

    monkeypatch.setattr(ingest, "BATCH_EVENTS", 2)
    db = open_ledger(tmp_path / "l")
    batch = Batch(db, Pricer())
    row = FileRow(None, "/a.jsonl", "claude-code", None, None, None, None, 0, 0, None, None, 0)
    events = [UsageEvent(tool="claude-code", event_key=str(i), ts_ms=1_780_000_000_000, model="claude-sonnet-4-5",
                         output_tokens=1) for i in range(3)]
    other = connect(tmp_path / "l" / "ledger.db")
    other.execute("BEGIN IMMEDIATE")  # another scanner is writing
    batch.stage(row, os.stat(tmp_path), 10, None, None, events[:2], [], 10)
    batch.flush_if_full()  # full, but the lock is taken: keep reading instead of waiting
    assert len(batch.events) == 2
    other.execute("COMMIT")
    batch.stage(row, os.stat(tmp_path), 20, None, None, events[2:], [], 10)
    batch.flush_if_full()
    assert batch.events == [] and db.execute("SELECT COUNT(*) FROM events").fetchone()[0] == 3
    assert db.execute("SELECT offset, events_seen FROM files").fetchone() == (20, 3)


def test_a_worker_hears_back_even_when_pricing_fails_in_the_main_process():
    from tokenlens.ingest.forked import Tasks, Workers
    from tokenlens.ingest.parallel import RatesUnavailable
    from tokenlens.ingest.parallel import answer_rates as _answer_rates
    from tokenlens.pricing import Pricer

    class Broken(Pricer):
        def rates_and_scope(self, provider, model, ts_ms):
            raise RuntimeError("price table unreadable")

    def work(channel):
        try:
            Pricer(ask=channel.ask).rates("anthropic", "claude-sonnet-4-5", 1_780_000_000_000)
        except RatesUnavailable as exc:  # an error, not a hang
            return str(exc)
        return "no error"

    with Workers(1, work, Tasks(0), lambda questions: _answer_rates(Broken(), questions)) as workers:
        pass
    assert "price table unreadable" in workers.results()[0]


def test_a_progress_callback_keeps_the_scan_parallel(tmp_path, home, env):
    """It used to turn the fork off in silence; now every process calls it before each file
    it reads (the callback is the workers' too: they are forks)."""
    build_history(home)
    seen = tmp_path / "progress.log"

    def progress(source_id, path):
        with open(seen, "a") as fh:
            fh.write(f"{os.getpid()} {source_id} {path}\n")

    db = open_ledger(tmp_path / "l")
    scan(db, env, progress=progress, workers=2)
    lines = [line.split(" ", 2) for line in seen.read_text().splitlines()]
    assert len({pid for pid, _, _ in lines}) == 2  # this process and a worker both read
    files = {path for path, in db.execute("SELECT path FROM files")}
    assert sorted(path for _, _, path in lines) == sorted(files)  # each file announced once


def test_spawned_workers_give_exactly_the_ledger_one_process_gives(tmp_path, home, env, monkeypatch):
    """The start method of Windows and macOS (and of any threaded caller), run here on Linux:
    workers are fresh interpreters that get only their plan, and still read their share."""
    import tokenlens.ingest.parallel as parallel
    import tokenlens.ingest.plan as plan

    build_history(home)
    one = open_ledger(tmp_path / "one")
    sequential = scan(one, env, workers=1)
    monkeypatch.setattr(plan, "START_METHOD", "spawn")
    ran = []
    real = parallel.ingest_in_parallel
    monkeypatch.setattr(parallel, "ingest_in_parallel", lambda *a, **k: ran.append(k["method"]) or real(*a, **k))
    done = []
    two = open_ledger(tmp_path / "two")
    spawned = scan(two, env, workers=2, advanced=lambda read, total: done.append((read, total)))
    assert ran == ["spawn"]
    assert ledger_state(one) == ledger_state(two)
    assert spawned.events_added == sequential.events_added == 12 * 40 + 12 * 29
    for sid, stats in sequential.sources.items():
        other = spawned.sources[sid]
        assert (other.files_read, other.lines_skipped, other.events_added) == (
            stats.files_read, stats.lines_skipped, stats.events_added)
    total = done[0][1]
    assert done[0] == (0, total) and done[-1] == (total, total)  # every file's bytes, once, workers' too
    assert len(done) == 1 + 2 * 12


def test_spawned_workers_announce_files_through_the_scanning_process(tmp_path, home, env, monkeypatch):
    import tokenlens.ingest.plan as plan

    build_history(home)
    monkeypatch.setattr(plan, "START_METHOD", "spawn")
    announced = []
    db = open_ledger(tmp_path / "l")
    scan(db, env, progress=lambda source_id, path: announced.append((os.getpid(), str(path))), workers=2)
    files = {path for path, in db.execute("SELECT path FROM files")}
    assert sorted(path for _, path in announced) == sorted(files)  # each file announced once
    assert {pid for pid, _ in announced} == {os.getpid()}


def test_without_a_way_to_start_workers_the_scan_reads_in_one_process(tmp_path, home, env, monkeypatch):
    import tokenlens.ingest.plan as plan

    build_history(home)
    one = open_ledger(tmp_path / "one")
    scan(one, env, workers=1)
    monkeypatch.setattr(plan, "START_METHOD", "no-such-start-method")  # multiprocessing refuses it
    read_by = set()
    two = open_ledger(tmp_path / "two")
    result = scan(two, env, workers=2, progress=lambda source_id, path: read_by.add(os.getpid()))
    assert read_by == {os.getpid()}
    assert ledger_state(one) == ledger_state(two)
    assert result.events_added == 12 * 40 + 12 * 29
