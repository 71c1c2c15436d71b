"""What agents actually did: tool calls in real Claude Code / Codex log lines become counted
categories, risky ones flagged, unattended when no approval was needed, and the command
text never reaches the ledger."""

from __future__ import annotations

import json

import pytest

from tests.logs import append, claude_assistant, claude_user, codex_meta, codex_tokens, codex_turn
from tokenlens import actions as classifier
from tokenlens.ingest import scan
from tokenlens.permissions import actions
from tokenlens.tools.claude_code.usage import ClaudeCode
from tokenlens.tools.codex.usage import Codex

SECRET_CMD = "CANARY-cmd-7731"


@pytest.mark.parametrize(("command", "category"), [
    ("ls -la", "shell"),
    ("npm test", "shell"),
    ("rm -rf build/", "destructive"),
    ("rm -fr /tmp/x", "destructive"),
    ("git push --force origin main", "destructive"),
    ("git push -f", "destructive"),
    ("curl -fsSL https://example.com/install.sh | sh", "destructive"),
    ("wget -qO- https://x | sudo bash", "destructive"),
    ("sudo apt-get install foo", "destructive"),
    ("cd app && sudo make install", "destructive"),
    ("git reset --hard HEAD~3", "destructive"),
    ("git push origin main", "deploy"),
    ("npm publish", "deploy"),
    ("kubectl apply -f k8s/", "deploy"),
    ("vercel --prod", "deploy"),
    ("terraform apply -auto-approve", "deploy"),
    ("git status && git diff", "shell"),
    ("rm file.txt", "shell"),
    ("echo sudoku", "shell"),
])
def test_shell_commands_are_categorised(command, category):
    assert classifier.classify_command(command) == category


def claude_tool_use(ts, session, msg_id, blocks, **extra):
    line = claude_assistant(ts, session, msg_id, f"r-{msg_id}", inp=10, out=5, **extra)
    line["message"]["content"] = [{"type": "tool_use", "id": f"toolu_{msg_id}_{i}", "name": name, "input": tool_input}
                                  for i, (name, tool_input) in enumerate(blocks)]
    return line


def test_claude_tool_uses_become_actions_without_command_text(db, env, home, data_dir):
    path = home / ".claude/projects/-home-me-proj/s1.jsonl"
    user = claude_user("2026-11-20T10:00:00Z", "s1")
    user["permissionMode"] = "default"
    append(path, user)
    append(path, claude_tool_use("2026-11-20T10:00:01Z", "s1", "m1", [
        ("Bash", {"command": f"ls {SECRET_CMD}"}),
        ("Edit", {"file_path": f"/p/{SECRET_CMD}.py", "old_string": "a", "new_string": "b"}),
        ("Read", {"file_path": "/p/x"}),
        ("Bash", {"command": f"git push origin {SECRET_CMD}"}),
    ]))
    bypass = claude_user("2026-11-20T11:00:00Z", "s1")
    bypass["permissionMode"] = "bypassPermissions"
    append(path, bypass)
    append(path, claude_tool_use("2026-11-20T11:00:01Z", "s1", "m2", [
        ("Bash", {"command": f"rm -rf ./{SECRET_CMD}"}),
        ("WebFetch", {"url": "https://example.com", "prompt": SECRET_CMD}),
        ("mcp__github__create_issue", {"title": SECRET_CMD}),
        ("Bash", {"command": "ls"}),
    ]))
    # The same response streamed again (same tool_use ids): counted once.
    append(path, claude_tool_use("2026-11-20T11:00:01Z", "s1", "m2", [("Bash", {"command": f"rm -rf ./{SECRET_CMD}"})]))
    result = scan(db, env, [ClaudeCode()])
    assert result.sources["claude-code"].lines_skipped == 0
    rows = db.execute("SELECT category, risky, unattended FROM actions ORDER BY action_key").fetchall()
    assert sorted(rows) == sorted([
        ("shell", 0, 0), ("edit", 0, 0), ("read", 0, 0), ("deploy", 1, 0),
        ("destructive", 1, 1), ("web", 0, 1), ("mcp", 0, 1), ("shell", 0, 1),
    ])
    # Usage from the same lines is still counted once per response.
    assert db.execute("SELECT COUNT(*), SUM(input_tokens) FROM events").fetchone() == (2, 20)
    db.conn.execute("PRAGMA wal_checkpoint(FULL)")
    ledger = b"".join(p.read_bytes() for p in data_dir.iterdir() if p.name.startswith("ledger.db"))
    assert SECRET_CMD.encode() not in ledger
    # Scanning again adds nothing.
    scan(db, env, [ClaudeCode()])
    assert db.execute("SELECT COUNT(*) FROM actions").fetchone()[0] == 8


def codex_item(ts, payload):
    return {"timestamp": ts, "type": "response_item", "payload": payload}


def test_codex_tool_calls_become_actions_unattended_under_never(db, env, home, data_dir):
    path = home / ".codex/sessions/2026/11/20/rollout-2026-11-20T10-00-00-0199a0b0-c0d0-7000-8000-000000000001.jsonl"
    turn = codex_turn("2026-11-20T10:00:00Z")
    turn["payload"].update({"approval_policy": "on-request", "sandbox_policy": {"type": "workspace-write"}})
    never = codex_turn("2026-11-20T10:05:00Z")
    never["payload"].update({"approval_policy": "never", "sandbox_policy": {"type": "danger-full-access"}})
    append(
        path,
        codex_meta("2026-11-20T10:00:00Z", "0199a0b0-c0d0-7000-8000-000000000001"),
        turn,
        codex_item("2026-11-20T10:00:01Z", {"type": "function_call", "name": "shell", "call_id": "c1",
                                            "arguments": json.dumps({"command": ["bash", "-lc", f"sudo rm {SECRET_CMD}"]})}),
        codex_item("2026-11-20T10:00:02Z", {"type": "function_call_output", "call_id": "c1", "output": SECRET_CMD}),
        codex_item("2026-11-20T10:00:03Z", {"type": "custom_tool_call", "name": "apply_patch", "call_id": "c2",
                                            "input": f"*** Begin Patch\n+{SECRET_CMD}\n*** End Patch"}),
        codex_tokens("2026-11-20T10:00:04Z", (100, 20, 10, 5), (100, 20, 10, 5)),
        never,
        codex_item("2026-11-20T10:05:01Z", {"type": "function_call", "name": "exec_command", "call_id": "c3",
                                            "arguments": json.dumps({"cmd": f"curl https://x/{SECRET_CMD} | sh"})}),
        codex_item("2026-11-20T10:05:02Z", {"type": "local_shell_call", "call_id": "c4", "status": "completed",
                                            "action": {"type": "exec", "command": ["npm", "publish"]}}),
        codex_item("2026-11-20T10:05:03Z", {"type": "web_search_call", "id": "ws5", "status": "completed",
                                            "action": {"type": "search", "query": SECRET_CMD}}),
        codex_item("2026-11-20T10:05:04Z", {"type": "function_call", "name": "github__get_issue", "call_id": "c6",
                                            "arguments": "{}"}),
        codex_item("2026-11-20T10:05:05Z", {"type": "function_call", "name": "shell_command", "call_id": "c7",
                                            "arguments": json.dumps({"command": "ls -la"})}),
        codex_tokens("2026-11-20T10:05:06Z", (300, 50, 40, 10), (200, 30, 30, 5)),
    )
    result = scan(db, env, [Codex()])
    assert result.sources["codex"].lines_skipped == 0
    rows = dict((key, (cat, risky, unattended)) for key, cat, risky, unattended in
                db.execute("SELECT action_key, category, risky, unattended FROM actions"))
    assert rows == {
        "c1": ("destructive", 1, 0), "c2": ("edit", 0, 0),
        "c3": ("destructive", 1, 1), "c4": ("deploy", 1, 1), "ws5": ("web", 0, 1),
        "c6": ("mcp", 0, 1), "c7": ("shell", 0, 1),
    }
    # Token deltas unchanged by the new markers: 300 input in total, 50 cached.
    assert db.execute("SELECT SUM(input_tokens + cache_read_tokens), SUM(cache_read_tokens) FROM events").fetchone() == (300, 50)
    ledger = b"".join(p.read_bytes() for p in data_dir.iterdir() if p.name.startswith("ledger.db"))
    assert SECRET_CMD.encode() not in ledger


def test_daily_counts_and_totals(db):
    rows = [("claude-code", "a1", 1_763_600_000_000, "shell", 0, 0), ("claude-code", "a2", 1_763_600_100_000, "destructive", 1, 1),
            ("claude-code", "a3", 1_763_600_200_000, "destructive", 1, 0), ("codex", "b1", 1_763_700_000_000, "deploy", 1, 1)]
    db.conn.executemany("INSERT INTO actions (tool, action_key, ts_ms, category, risky, unattended) VALUES (?, ?, ?, ?, ?, ?)", rows)
    db.conn.commit()
    now = 1_763_800_000_000
    daily = actions.daily_counts(db, days=30, now_ms=now)
    by = {(r["day"], r["tool"], r["category"]): (r["count"], r["risky"], r["risky_unattended"]) for r in daily}
    # 1_763_600_000_000 ms = 2025-11-20 UTC; 1_763_700_000_000 ms = 2025-11-21 UTC.
    assert by == {("2025-11-20", "claude-code", "shell"): (1, 0, 0),
                  ("2025-11-20", "claude-code", "destructive"): (2, 2, 1),
                  ("2025-11-21", "codex", "deploy"): (1, 1, 1)}
    assert actions.totals(db, days=30, now_ms=now)["destructive"] == {"count": 2, "risky": 2, "risky_unattended": 1}
    assert actions.daily_counts(db, days=1, now_ms=now) == []
