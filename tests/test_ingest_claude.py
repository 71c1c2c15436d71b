"""Claude Code ingest over real-format transcripts; expected totals worked out by hand."""

from __future__ import annotations

import os

from tests.logs import append, claude_assistant, claude_user
from tokenlens.ingest import scan
from tokenlens.reports import build_report
from tokenlens.tools.claude_code.usage import ClaudeCode

TS = "2026-11-24T10:00:0{}.000Z"


def project_file(home, name="s1", project="-home-me-proj"):
    return home / ".claude" / "projects" / project / f"{name}.jsonl"


def run(db, env):
    return scan(db, env, [ClaudeCode()])


def totals(db, **kw):
    return build_report(db, "daily", tz="UTC", tool="claude-code", **kw).totals


def test_streamed_response_counts_once_with_final_figures(db, env, home):
    path = project_file(home)
    append(
        path,
        claude_user(TS.format(0), "s1"),
        # Three lines of one API response: streaming snapshots then the final count.
        claude_assistant(TS.format(1), "s1", "msg_1", "req_1", inp=5, out=3, cr=1000, cw=200, stop=None),
        claude_assistant(TS.format(2), "s1", "msg_1", "req_1", inp=5, out=9, cr=1000, cw=200, stop=None),
        claude_assistant(TS.format(3), "s1", "msg_1", "req_1", inp=5, out=420, cr=1000, cw=200, stop="tool_use"),
        claude_assistant(TS.format(4), "s1", "msg_2", "req_2", inp=7, out=100, cr=1200, cw=0),
    )
    run(db, env)
    t = totals(db)
    assert (t["input_tokens"], t["output_tokens"]) == (5 + 7, 420 + 100)
    assert (t["cache_read_tokens"], t["cache_write_tokens"]) == (2200, 200)
    assert t["total_tokens"] == 12 + 520 + 2200 + 200
    assert db.execute("SELECT COUNT(*) FROM events").fetchone()[0] == 2


def test_final_line_wins_even_if_it_arrives_in_a_later_scan(db, env, home):
    path = project_file(home)
    append(path, claude_assistant(TS.format(1), "s1", "msg_1", "req_1", inp=5, out=2, stop=None))
    run(db, env)
    assert totals(db)["output_tokens"] == 2
    append(path, claude_assistant(TS.format(2), "s1", "msg_1", "req_1", inp=5, out=300, stop="end_turn"))
    run(db, env)
    assert totals(db)["output_tokens"] == 300


def test_resumed_session_replaying_messages_is_not_double_counted(db, env, home):
    line = claude_assistant(TS.format(1), "s1", "msg_1", "req_1", inp=10, out=50)
    append(project_file(home, "s1"), line)
    # A resumed session copies earlier lines into a new file with a new sessionId.
    append(project_file(home, "s2"), {**line, "sessionId": "s2"})
    run(db, env)
    assert totals(db)["output_tokens"] == 50


def test_missing_request_id_falls_back_to_message_id_per_session(db, env, home):
    append(
        project_file(home),
        claude_assistant(TS.format(1), "s1", "msg_1", None, inp=10, out=5, stop=None),
        claude_assistant(TS.format(2), "s1", "msg_1", None, inp=10, out=80),
        # Gateways reuse message ids across sessions: another session's msg_1 is its own call.
        claude_assistant(TS.format(3), "s9", "msg_1", None, inp=1, out=1),
    )
    run(db, env)
    assert totals(db)["output_tokens"] == 81


def test_subagent_files_count_and_sidechain_replays_do_not(db, env, home):
    append(project_file(home), claude_assistant(TS.format(1), "s1", "msg_parent", "req_1", inp=10, cr=5000, out=40))
    sub = home / ".claude/projects/-home-me-proj/s1/subagents/agent-a1.jsonl"
    append(
        sub,
        # The subagent's own calls: sidechain lines with their own ids. These count.
        claude_assistant(TS.format(2), "s1", "msg_sub1", "req_s1", inp=3, out=30, sidechain=True, agentId="a1"),
        # A replay of the parent's message under a new requestId: must not count again.
        claude_assistant(TS.format(3), "s1", "msg_parent", "req_replay", inp=10, cr=5000, out=40, sidechain=True),
    )
    run(db, env)
    t = totals(db)
    assert (t["input_tokens"], t["output_tokens"], t["cache_read_tokens"]) == (13, 70, 5000)


def test_sidechain_replay_seen_before_its_parent_is_dropped_when_parent_arrives(db, env, home):
    sub = home / ".claude/projects/-home-me-proj/s1/subagents/agent-a1.jsonl"
    append(sub, claude_assistant(TS.format(3), "s1", "msg_parent", "req_replay", inp=10, out=40, sidechain=True))
    run(db, env)
    assert totals(db)["output_tokens"] == 40
    append(project_file(home), claude_assistant(TS.format(1), "s1", "msg_parent", "req_1", inp=10, out=40))
    run(db, env)
    assert totals(db)["output_tokens"] == 40


def test_partial_last_line_is_left_for_the_next_scan(db, env, home):
    import json

    path = project_file(home)
    whole = json.dumps(claude_assistant(TS.format(1), "s1", "msg_1", "req_1", inp=1, out=10)) + "\n"
    second = json.dumps(claude_assistant(TS.format(2), "s1", "msg_2", "req_2", inp=2, out=20)) + "\n"
    append(path, whole + second[:40])  # the writer is mid-line
    run(db, env)
    assert totals(db)["output_tokens"] == 10
    assert db.execute("SELECT lines_skipped FROM files").fetchone()[0] == 0
    append(path, second[40:])
    run(db, env)
    assert totals(db)["output_tokens"] == 30


def test_rewritten_file_is_reread_without_double_counting(db, env, home):
    path = project_file(home)
    append(path, claude_assistant(TS.format(1), "s1", "msg_1", "req_1", inp=1, out=10))
    append(path, claude_assistant(TS.format(2), "s1", "msg_2", "req_2", inp=1, out=20))
    run(db, env)
    # Replaced by a different file (new first bytes) holding one old and one new message.
    path.unlink()
    append(path, claude_user(TS.format(0), "s1", text="rewritten head"))
    append(path, claude_assistant(TS.format(2), "s1", "msg_2", "req_2", inp=1, out=20))
    append(path, claude_assistant(TS.format(3), "s1", "msg_3", "req_3", inp=1, out=30))
    run(db, env)
    assert totals(db)["output_tokens"] == 60


def test_truncated_file_is_reread(db, env, home):
    path = project_file(home)
    append(path, claude_assistant(TS.format(1), "s1", "msg_1", "req_1", inp=1, out=10))
    append(path, claude_assistant(TS.format(2), "s1", "msg_2", "req_2", inp=1, out=20))
    run(db, env)
    with open(path, "r+b") as fh:
        fh.truncate(0)
    append(path, claude_assistant(TS.format(4), "s1", "msg_4", "req_4", inp=1, out=4))
    run(db, env)
    assert totals(db)["output_tokens"] == 34


def test_deleted_transcript_keeps_its_history(db, env, home):
    path = project_file(home)
    append(path, claude_assistant(TS.format(1), "s1", "msg_1", "req_1", inp=1, out=10))
    run(db, env)
    path.unlink()  # Claude Code's 30-day cleanup
    result = run(db, env)
    assert totals(db)["output_tokens"] == 10
    assert result.sources["claude-code"].files_missing == 1
    assert db.execute("SELECT missing FROM files").fetchone()[0] == 1


def test_malformed_lines_are_skipped_counted_and_located(db, env, home):
    path = project_file(home)
    append(path, claude_assistant(TS.format(1), "s1", "msg_1", "req_1", inp=1, out=10))
    bad_offset = path.stat().st_size
    append(path, '{"type":"assistant","message":{"usage": {"input_tokens": 5\n')  # truncated JSON
    append(path, claude_assistant(TS.format(2), "s1", "msg_2", "req_2", inp=1, out=-5))  # negative count
    append(path, claude_assistant("yesterday-ish", "s1", "msg_3", "req_3", inp=1, out=7))  # bad timestamp
    append(path, claude_assistant(TS.format(4), "s1", "msg_4", "req_4", inp=1, out=20))
    result = run(db, env)
    assert result.sources["claude-code"].lines_skipped == 3
    assert totals(db)["output_tokens"] == 30
    skips = db.execute("SELECT offset, reason FROM skips ORDER BY offset").fetchall()
    assert skips[0] == (bad_offset, "invalid JSON")
    assert {r for _, r in skips[1:]} == {"output_tokens is negative", "timestamp unparseable"}
    # A rescan does not count them again.
    assert run(db, env).sources["claude-code"].lines_skipped == 0


def test_unknown_model_keeps_tokens_without_a_cost(db, env, home):
    append(project_file(home), claude_assistant(TS.format(1), "s1", "m1", "r1", model="claude-imaginary-9", inp=10, out=10))
    result = run(db, env)
    assert ("claude-code", "claude-imaginary-9") in result.unknown_models
    cost, tokens = db.execute("SELECT cost_usd, total_tokens FROM events").fetchone()
    assert cost is None and tokens == 20


def test_synthetic_messages_are_not_usage(db, env, home):
    append(project_file(home), claude_assistant(TS.format(1), "s1", "m1", "r1", model="<synthetic>", inp=0, out=0))
    run(db, env)
    assert db.execute("SELECT COUNT(*) FROM events").fetchone()[0] == 0


def test_claude_config_dir_lists_several_roots(db, home):
    from tokenlens.config import Env

    a, b = home / "a", home / "b" / "projects"
    append(a / "projects/-p/s1.jsonl", claude_assistant(TS.format(1), "s1", "m1", "r1", inp=1, out=1))
    append(b / "-p/s2.jsonl", claude_assistant(TS.format(2), "s2", "m2", "r2", inp=1, out=2))
    env = Env(environ={"HOME": str(home), "CLAUDE_CONFIG_DIR": f"{a},{b.parent / 'projects'}"})
    scan(db, env, [ClaudeCode()])
    assert totals(db)["output_tokens"] == 3


def test_unchanged_files_are_not_reread(db, env, home):
    append(project_file(home), claude_assistant(TS.format(1), "s1", "m1", "r1", inp=1, out=1))
    assert run(db, env).sources["claude-code"].files_read == 1
    assert run(db, env).sources["claude-code"].files_read == 0


def test_project_comes_from_cwd(db, env, home):
    append(project_file(home), claude_assistant(TS.format(1), "s1", "m1", "r1", inp=1, out=1, cwd="/work/alpha"))
    run(db, env)
    rows = build_report(db, "daily", tz="UTC", by="project").rows
    assert [r["group"] for r in rows] == ["/work/alpha"]


def test_data_dir_and_ledger_are_private(db, data_dir, env, home):
    append(project_file(home), claude_assistant(TS.format(1), "s1", "m1", "r1", inp=1, out=1))
    run(db, env)
    assert oct(os.stat(data_dir).st_mode & 0o777) == "0o700"
    for f in data_dir.glob("ledger.db*"):
        assert oct(os.stat(f).st_mode & 0o777) == "0o600", f


class Killed(BaseException):
    """Stands in for a kill -9 between two transactions of one scan."""


def test_scan_stopped_mid_file_reads_the_rest_next_time(db, env, home, monkeypatch):
    import tokenlens.store.writer as ingest

    path = project_file(home)
    append(path, *[claude_assistant(f"2026-11-24T10:00:{i:02d}.000Z", "s1", f"msg_{i}", f"req_{i}", inp=i, out=10)
                   for i in range(10)])
    monkeypatch.setattr(ingest, "BATCH_EVENTS", 3)
    real_flush, flushes = ingest.Batch.flush, []

    def flush_once_then_die(batch, wait=True):
        if flushes:
            raise Killed
        flushes.append(1)
        real_flush(batch, wait)

    monkeypatch.setattr(ingest.Batch, "flush", flush_once_then_die)
    try:
        run(db, env)
    except Killed:
        pass
    assert db.execute("SELECT COUNT(*) FROM events").fetchone()[0] == 3  # only the first batch
    monkeypatch.undo()
    run(db, env)  # same size, mtime and inode as when the stopped scan saw it: still read on
    assert totals(db)["input_tokens"] == sum(range(10))
    assert db.execute("SELECT COUNT(*) FROM events").fetchone()[0] == 10


def test_small_files_share_a_transaction(db, env, home):
    for s in range(30):
        append(project_file(home, f"s{s}"), claude_assistant(TS.format(1), f"s{s}", f"msg_{s}", f"req_{s}", inp=1))
    commits = []
    db.conn.set_trace_callback(lambda sql: commits.append(sql) if sql.strip().upper() == "COMMIT" else None)
    run(db, env)
    db.conn.set_trace_callback(None)
    assert totals(db)["input_tokens"] == 30
    assert len(commits) <= 2  # the batch, and at most the note of missing files


def test_odd_shapes_in_parts_not_about_usage_cost_nothing(db, env, home):
    """A string `message` on a user line, a content block that is a number, a tool input that
    is a string, `data` that is a list: each part is read as absent, the rest still counts."""
    line = claude_assistant(TS.format(1), "s1", "msg_1", "req_1", inp=4, out=40)
    line["message"]["content"] = [7, {"type": "tool_use", "id": "tu_1", "name": "Bash", "input": "rm -rf /"},
                                  {"type": "tool_use", "id": "tu_2", "name": "Bash", "input": {"command": "ls"}}]
    line["data"] = ["not", "an", "object"]
    append(project_file(home), {**claude_user(TS.format(0), "s1"), "message": "a plain string"}, line)
    stats = run(db, env).sources["claude-code"]
    assert stats.lines_skipped == 0
    assert totals(db)["output_tokens"] == 40
    actions = db.execute("SELECT action_key, category FROM actions ORDER BY action_key").fetchall()
    assert actions == [("tu_1", "shell"), ("tu_2", "shell")]  # a string input has no command to judge


def test_usage_of_the_wrong_type_is_a_skipped_line(db, env, home):
    line = claude_assistant(TS.format(1), "s1", "msg_1", "req_1", inp=4, out=40)
    line["message"]["usage"]["output_tokens"] = "forty"
    append(project_file(home), line, claude_assistant(TS.format(2), "s1", "msg_2", "req_2", inp=1, out=2))
    stats = run(db, env).sources["claude-code"]
    assert stats.lines_skipped == 1
    assert totals(db)["output_tokens"] == 2
