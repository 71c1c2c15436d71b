"""`scan(only=...)`: the app's scan after a watcher saw files written reads just those files,
with the same result for them as a full scan; what it did not look at it leaves alone."""

from __future__ import annotations

from tests.logs import append, claude_assistant, codex_meta, codex_tokens, codex_turn
from tokenlens.ingest import scan
from tokenlens.store import open_ledger


def claude_file(home, name):
    return home / f".claude/projects/-p/{name}.jsonl"


def test_only_the_written_files_are_read(tmp_path, home, env):
    a, b = claude_file(home, "a"), claude_file(home, "b")
    append(a, claude_assistant("2026-11-01T10:00:00.000Z", "a", "ma1", "ra1", inp=1, out=10))
    append(b, claude_assistant("2026-11-01T10:00:00.000Z", "b", "mb1", "rb1", inp=1, out=20))
    db = open_ledger(tmp_path / "l")
    scan(db, env)
    append(a, claude_assistant("2026-11-01T10:01:00.000Z", "a", "ma2", "ra2", inp=1, out=100))
    append(b, claude_assistant("2026-11-01T10:01:00.000Z", "b", "mb2", "rb2", inp=1, out=200))
    result = scan(db, env, only=[a])
    assert set(result.sources) == {"claude-code"}  # no other tool's folders were looked at
    assert result.sources["claude-code"].files_seen == 1
    assert db.execute("SELECT SUM(output_tokens) FROM events").fetchone()[0] == 10 + 20 + 100
    scan(db, env)  # a full scan then reads what the focused one did not
    assert db.execute("SELECT SUM(output_tokens) FROM events").fetchone()[0] == 10 + 20 + 100 + 200


def test_a_focused_scan_gives_what_a_full_one_gives_for_those_files(tmp_path, home, env):
    sid = "0197a0c0-1111-7000-8000-000000000001"
    rollout = home / f".codex/sessions/2026/11/01/rollout-2026-11-01T10-00-00-{sid}.jsonl"
    path = claude_file(home, "s")
    append(rollout, codex_meta("2026-11-01T10:00:00.000Z", sid), codex_turn("2026-11-01T10:00:01.000Z"))
    append(path, claude_assistant("2026-11-01T10:00:00.000Z", "s", "m1", "r1", inp=1, out=2, stop=None))
    full, focused = open_ledger(tmp_path / "full"), open_ledger(tmp_path / "focused")
    scan(full, env)
    scan(focused, env)
    append(path, claude_assistant("2026-11-01T10:00:02.000Z", "s", "m1", "r1", inp=1, out=50))  # same response, final
    append(rollout, codex_tokens("2026-11-01T10:01:00.000Z", total=(100, 10, 5, 1), last=(100, 10, 5, 1)))
    scan(full, env)
    scan(focused, env, only=[path, rollout, home / "not-a-log.txt"])
    rows = "SELECT tool, event_key, output_tokens, cost_usd FROM events ORDER BY tool, event_key"
    assert full.execute(rows).fetchall() == focused.execute(rows).fetchall()
    assert focused.execute("SELECT SUM(output_tokens) FROM rollup").fetchone()[0] == 50 + 5


def test_a_focused_scan_marks_nothing_missing(tmp_path, home, env):
    """A file not named was not looked at: it is not gone, whatever the scan saw."""
    a, b = claude_file(home, "a"), claude_file(home, "b")
    append(a, claude_assistant("2026-11-01T10:00:00.000Z", "a", "ma1", "ra1", inp=1, out=10))
    append(b, claude_assistant("2026-11-01T10:00:00.000Z", "b", "mb1", "rb1", inp=1, out=20))
    db = open_ledger(tmp_path / "l")
    scan(db, env)
    b.unlink()
    append(a, claude_assistant("2026-11-01T10:01:00.000Z", "a", "ma2", "ra2", inp=1, out=100))
    scan(db, env, only=[a])
    assert db.execute("SELECT COUNT(*) FROM files WHERE missing = 1").fetchone()[0] == 0
    scan(db, env)
    assert db.execute("SELECT COUNT(*) FROM files WHERE missing = 1").fetchone()[0] == 1
