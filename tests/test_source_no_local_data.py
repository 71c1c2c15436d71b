"""Tools with no local token data are listed with the reason, never as silent zero usage."""

from __future__ import annotations

from tokenlens.ingest import scan
from tokenlens.status import sources_status
from tokenlens.tools import all_sources

EXPECTED = {"windsurf", "jetbrains-ai", "continue", "devin-cli", "vscode-copilot-chat", "kiro", "amazon-q"}


def test_sources_lists_them_with_their_reason(db, env, home):
    (home / ".codeium" / "windsurf").mkdir(parents=True)  # installed; its usage is metered on the server
    rows = {row["id"]: row for row in sources_status(db, env)}
    assert EXPECTED <= rows.keys()
    reasons = {s.id: s.no_local_data_reason for s in all_sources() if s.no_local_data_reason}
    assert reasons.keys() == EXPECTED
    for tool in EXPECTED:
        assert rows[tool]["note"] == reasons[tool]
        assert rows[tool]["note"] and "no" in rows[tool]["note"].lower()
        assert rows[tool]["events"] == 0 and rows[tool]["files"] == 0
    assert rows["windsurf"]["found"] is True
    assert rows["devin-cli"]["found"] is False


def test_scan_never_reads_them(db, env, home):
    (home / ".codeium" / "windsurf").mkdir(parents=True)
    (home / ".codeium" / "windsurf" / "usage.jsonl").write_text('{"usage": {"input_tokens": 5}}\n')
    result = scan(db, env)
    assert not EXPECTED & result.sources.keys()
    assert db.execute("SELECT COUNT(*) FROM files WHERE source IN ('windsurf','devin-cli')").fetchone()[0] == 0


def test_cli_sources_shows_the_reason(tmp_path, home):
    import json
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-m", "tokenlens", "--data-dir", str(tmp_path / "d"), "sources", "--json"],
        capture_output=True, text=True, env={"HOME": str(home), "PATH": "/usr/bin:/bin"}, timeout=60,
    )
    assert out.returncode == 0, out.stderr

    rows = {row["id"]: row for row in json.loads(out.stdout)["sources"]}
    assert rows["windsurf"]["note"] and "servers" in rows["windsurf"]["note"]
    assert rows["cursor"]["reads_usage"] == "partial" and "cursor.com" in rows["cursor"]["why_not"]


def test_sources_json_says_which_tools_read_usage(tmp_path, home):
    """Issue 16: `reads_usage` per tool (true, false or "partial"), and for false the reason."""
    import json
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-m", "tokenlens", "--data-dir", str(tmp_path / "d"), "sources", "--json"],
        capture_output=True, text=True, env={"HOME": str(home), "PATH": "/usr/bin:/bin"}, timeout=60,
    )
    rows = {row["id"]: row for row in json.loads(out.stdout)["sources"]}
    assert {tool for tool, row in rows.items() if row["reads_usage"] is False} == EXPECTED
    assert all(rows[tool]["why_not"] == rows[tool]["note"] and rows[tool]["why_not"] for tool in EXPECTED)
    assert rows["claude-code"]["reads_usage"] is True and rows["claude-code"]["why_not"] is None
    table = subprocess.run(
        [sys.executable, "-m", "tokenlens", "--data-dir", str(tmp_path / "d"), "sources"],
        capture_output=True, text=True, env={"HOME": str(home), "PATH": "/usr/bin:/bin", "COLUMNS": "200"}, timeout=60,
    )
    assert "no local usage: " in table.stdout and "partial usage only" in table.stdout


def test_sources_is_one_line_per_tool_unless_verbose(tmp_path, home):
    """Issue 20: `sources` listed every path of every OS; now a line per tool, the paths under
    --verbose (and always in --json)."""
    import subprocess
    import sys

    (home / ".claude" / "projects").mkdir(parents=True)
    env = {"HOME": str(home), "PATH": "/usr/bin:/bin", "COLUMNS": "120"}

    def run(*args, columns="120"):
        return subprocess.run([sys.executable, "-m", "tokenlens", "--data-dir", str(tmp_path / "d"), "sources", *args],
                              capture_output=True, text=True, env={**env, "COLUMNS": columns}, timeout=60).stdout

    short, verbose = run(), run("--verbose", columns="400")  # wide enough that no path is folded
    rows = [line for line in short.splitlines() if line.startswith("│")]
    names = [line.split("│")[1].strip() for line in rows]
    assert "Claude Code" in names and "Cursor" in names and len(names) == len(set(names))  # one line each
    assert str(home) not in short and "Library/Application Support" not in short
    assert str(home / ".claude" / "projects") in verbose
    assert max(len(line) for line in short.splitlines()) <= 120


def test_continue_is_found_at_its_global_dir_and_its_estimates_are_never_read(db, home, tmp_path):
    """Continue's dev data holds its own tokenizer's estimates (core/llm/index.ts `_logEnd`):
    `sources` finds the tool where CONTINUE_GLOBAL_DIR (or ~/.continue) is and says why there
    is nothing to count; a scan reads none of it."""
    import json

    from tokenlens.config import Env

    alt = tmp_path / "continue-home"
    dev_data = alt / "dev_data" / "0.2.0"
    dev_data.mkdir(parents=True)
    # One event as DataLogger.logDevData writes it (packages/config-yaml schemas/data/tokensGenerated v0.2.0).
    (dev_data / "tokensGenerated.jsonl").write_text(json.dumps({
        "createdAt": "2026-05-17T09:30:00.000Z", "userId": "u", "userAgent": "Visual Studio Code/1.100",
        "selectedProfileId": "local", "eventName": "tokensGenerated", "schema": "0.2.0",
        "model": "claude-sonnet-4-5", "provider": "anthropic", "promptTokens": 5120, "generatedTokens": 310}) + "\n")
    (alt / "sessions").mkdir()
    moved = Env(environ={"HOME": str(home), "CONTINUE_GLOBAL_DIR": str(alt)})
    row = {r["id"]: r for r in sources_status(db, moved)}["continue"]
    assert (row["found"], row["events"], row["files"]) == (True, 0, 0)
    assert "own tokenizer" in row["note"] and "estimate" in row["note"]
    assert {r["id"]: r for r in sources_status(db, Env(environ={"HOME": str(home)}))}["continue"]["found"] is False
    result = scan(db, moved)
    assert "continue" not in result.sources
    assert db.execute("SELECT COUNT(*) FROM events").fetchone()[0] == 0
