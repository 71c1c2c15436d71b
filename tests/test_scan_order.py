"""A scan reads the files that changed last first, and `scan(modified_since_ns=...)` reads only
those changed since a moment, leaving the rest for the next scan: how the app shows today's
numbers before it has read a long history (tokenlens.app.live)."""

from __future__ import annotations

import os

from tests.logs import append, claude_assistant, codex_meta, codex_tokens, codex_turn
from tokenlens.ingest import scan
from tokenlens.store import open_ledger

DAY_NS = 86_400 * 10**9
NOW_NS = 1_796_000_000 * 10**9  # 2026-11-30, well after every line below


def claude_file(home, name):
    return home / f".claude/projects/-p/{name}.jsonl"


def codex_file(home, sid):
    return home / f".codex/sessions/2026/11/01/rollout-2026-11-01T10-00-00-{sid}.jsonl"


def dated(path, days_ago: float) -> None:
    ns = NOW_NS - int(days_ago * DAY_NS)
    os.utime(path, ns=(ns, ns))


def history(home) -> dict:
    """Claude Code files a..e, a changed last and e first, and a Codex rollout changed in
    between; {path: days ago}."""
    ages = {}
    for i, name in enumerate("abcde"):
        path = claude_file(home, name)
        append(path, claude_assistant(f"2026-11-0{1 + i}T10:00:00.000Z", name, f"m{name}", f"r{name}",
                                      inp=1, out=10 * (i + 1)))
        ages[path] = 1 + i * 10
    sid = "0197a0c0-1111-7000-8000-000000000001"
    rollout = codex_file(home, sid)
    append(rollout, codex_meta("2026-11-01T10:00:00.000Z", sid), codex_turn("2026-11-01T10:00:01.000Z"),
           codex_tokens("2026-11-01T10:00:02.000Z", total=(100, 10, 5, 0), last=(100, 10, 5, 0)))
    ages[rollout] = 15
    for path, days in ages.items():
        dated(path, days)
    return ages


def test_files_are_read_newest_first(tmp_path, home, env):
    ages = history(home)
    # Named last but changed first: a plan in discovery (name) order would read it last.
    ages[claude_file(home, "z")] = 0.5
    append(claude_file(home, "z"), claude_assistant("2026-11-29T10:00:00.000Z", "z", "mz", "rz", inp=1, out=1))
    dated(claude_file(home, "z"), 0.5)
    read = []
    scan(open_ledger(tmp_path / "l"), env, progress=lambda _source, path: read.append(path), workers=1)
    assert read == sorted(ages, key=ages.get)


def test_modified_since_reads_only_recent_files_and_defers_the_rest(tmp_path, home, env):
    ages = history(home)
    db = open_ledger(tmp_path / "l")
    cutoff = NOW_NS - 12 * DAY_NS  # a (1 day old) and b (11 days) are recent; the rest is not
    read = []
    partial = scan(db, env, progress=lambda _source, path: read.append(path), modified_since_ns=cutoff)
    assert read == [claude_file(home, "a"), claude_file(home, "b")]
    assert db.execute("SELECT SUM(output_tokens) FROM events").fetchone()[0] == 10 + 20
    deferred = [p for p, days in ages.items() if days > 12]
    assert partial.deferred_files == len(deferred) == 4
    assert partial.deferred_bytes == sum(p.stat().st_size for p in deferred)
    assert partial.sources["claude-code"].files_seen == 5  # seen all the same: nothing marked missing
    assert partial.sources["claude-code"].files_missing == 0

    full = scan(db, env)
    assert full.deferred_files == 0
    assert full.events_added == 3 + 1  # c, d, e and the Codex call
    whole = open_ledger(tmp_path / "whole")
    scan(whole, env)
    query = "SELECT tool, event_key, ts_ms, total_tokens FROM events ORDER BY 1, 2"
    assert db.execute(query).fetchall() == whole.execute(query).fetchall()
