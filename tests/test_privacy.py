"""Invariant 2: the ledger stores counts, never content. A canary placed in every prompt,
response and instruction of the fixtures must appear nowhere in the data dir after a scan."""

from __future__ import annotations

from tests.logs import (
    CANARY,
    append,
    claude_assistant,
    claude_user,
    codex_meta,
    codex_tokens,
    codex_turn,
    codex_user,
)
from tokenlens.ingest import scan


def test_canary_never_reaches_the_data_dir(db, env, home, data_dir):
    claude = home / ".claude/projects/-home-me-proj/s1.jsonl"
    append(claude, claude_user("2026-11-24T10:00:00Z", "s1"))
    append(claude, claude_assistant("2026-11-24T10:00:01Z", "s1", "m1", "r1", inp=5, out=5))
    append(claude, '{"type":"assistant","broken": "' + CANARY + '", "usage": \n')  # a bad line with content
    codex = home / ".codex/sessions/2026/11/24/rollout-2026-11-24T10-00-00-0197a0c0-1111-7000-8000-000000000001.jsonl"
    append(codex, codex_meta("2026-11-24T10:00:00Z", "0197a0c0-1111-7000-8000-000000000001"),
           codex_turn("2026-11-24T10:00:01Z"), codex_user("2026-11-24T10:00:02Z"),
           codex_tokens("2026-11-24T10:00:03Z", total=(10, 0, 5, 0), last=(10, 0, 5, 0)))
    result = scan(db, env)
    assert result.events_added == 2 and result.sources["claude-code"].lines_skipped == 1
    db.conn.commit()
    files = [p for p in data_dir.rglob("*") if p.is_file()]
    assert any(p.name.endswith("-wal") for p in files)  # the WAL is checked too, not only the db
    for path in files:
        assert CANARY.encode() not in path.read_bytes(), path
