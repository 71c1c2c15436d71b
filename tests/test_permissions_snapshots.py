"""Snapshots in the ledger: `tokenlens permissions --json/--diff`, since-when, secrets kept
out of every output and of the database files, summary and notification helpers."""

from __future__ import annotations

import json
import os
import stat

import pytest
from click.testing import CliRunner

from tests.test_permissions import ALL_SECRETS, TOKEN_GH, dangerous_home, env_for, write
from tokenlens.cli import cli
from tokenlens.permissions import snapshots
from tokenlens.permissions.scan import scan_all
from tokenlens.permissions.secrets import Fingerprinter

ENV_VARS = ("CLAUDE_CONFIG_DIR", "CODEX_HOME", "XDG_CONFIG_HOME", "TOKENLENS_DATA_DIR", "APPDATA", "OPENCODE_CONFIG",
            "OPENCODE_CONFIG_DIR", "COPILOT_HOME", "GEMINI_CLI_SYSTEM_SETTINGS_PATH", "GEMINI_CLI_TRUSTED_FOLDERS_PATH",
            "OPENCLAW_CONFIG_PATH", "VSCODE_PORTABLE", "ProgramData")


@pytest.fixture
def runner(home, monkeypatch):
    monkeypatch.setenv("HOME", str(home))
    for var in ENV_VARS:
        monkeypatch.delenv(var, raising=False)
    return CliRunner()


def invoke(runner, data_dir, *args):
    result = runner.invoke(cli, ["--data-dir", str(data_dir), *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_json_shape_is_exactly_the_contract(runner, home, data_dir):
    dangerous_home(home)
    payload = json.loads(invoke(runner, data_dir, "permissions", "--json"))
    assert set(payload) == {"scanned_at", "grants", "summary"}
    assert payload["scanned_at"].endswith("Z")
    keys = {"tool", "scope", "kind", "subject", "value", "risk", "rule", "hint", "source_file", "since"}
    assert payload["grants"] and all(set(g) == keys for g in payload["grants"])
    counted = {r: sum(1 for g in payload["grants"] if g["risk"] == r) for r in ("high", "medium", "low", "info")}
    assert payload["summary"] == counted
    with_diff = json.loads(invoke(runner, data_dir, "permissions", "--json", "--diff"))
    assert set(with_diff) == {"scanned_at", "grants", "summary", "compared_to", "added", "removed", "changed"}
    assert with_diff["added"] == with_diff["removed"] == with_diff["changed"] == []  # nothing changed
    # Nothing looked at yet: the base is the first scan (the inventory).
    assert with_diff["compared_to"] == {"basis": "first", "scanned_at": payload["scanned_at"], "seen_at": None}


def test_editing_a_config_between_scans_shows_in_diff_with_the_right_kind(runner, home, data_dir):
    dangerous_home(home)
    invoke(runner, data_dir, "permissions", "--json")
    # Between scans: one allow added, the Codex approval policy changed, an MCP server removed,
    # and a token rotated in place (same display value, different secret).
    settings = json.loads((home / ".claude/settings.json").read_text())
    settings["permissions"]["allow"].append("WebFetch")
    write(home, ".claude/settings.json", settings)
    codex = (home / ".codex/config.toml").read_text()
    codex = codex.replace('approval_policy = "never"', 'approval_policy = "on-request"')
    codex = codex[: codex.index("[mcp_servers.runner]")]
    write(home, ".codex/config.toml", codex)
    state = json.loads((home / ".claude.json").read_text())
    state["mcpServers"]["github"]["env"]["GITHUB_PERSONAL_ACCESS_TOKEN"] = "ghp_ROTATED0000111122223333444455556666"
    write(home, ".claude.json", state)

    payload = json.loads(invoke(runner, data_dir, "permissions", "--json", "--diff"))
    added = {(g["tool"], g["kind"], g["subject"]): g for g in payload["added"]}
    assert set(added) == {("claude-code", "allowed_tool", "WebFetch")}
    assert (added[("claude-code", "allowed_tool", "WebFetch")]["risk"],
            added[("claude-code", "allowed_tool", "WebFetch")]["rule"]) == ("medium", "NET-1")
    removed = {(g["tool"], g["kind"], g["subject"]) for g in payload["removed"]}
    assert removed == {("codex", "mcp_server", "runner"), ("codex", "mcp_server", "runner: arg")}
    changed = {(g["tool"], g["kind"], g["subject"]): g for g in payload["changed"]}
    assert set(changed) == {("codex", "approval_mode", "approval_policy"),
                            ("claude-code", "mcp_server", "github: env GITHUB_PERSONAL_ACCESS_TOKEN")}
    policy = changed[("codex", "approval_mode", "approval_policy")]
    assert policy["before"] == {"value": "never", "risk": "high", "rule": "MODE-1"}
    assert (policy["value"], policy["risk"], policy["rule"]) == ("on-request", "info", "MODE-0")
    assert policy["secret_changed"] is False
    token = changed[("claude-code", "mcp_server", "github: env GITHUB_PERSONAL_ACCESS_TOKEN")]
    assert token["value"] == token["before"]["value"] == "<secret>" and token["secret_changed"] is True
    # A third scan with no edits: the same changes, since nobody acknowledged them yet.
    again = json.loads(invoke(runner, data_dir, "permissions", "--json", "--diff"))
    assert (again["added"], again["removed"], again["changed"]) == (
        payload["added"], payload["removed"], payload["changed"])


def test_human_output_groups_by_tool_and_hides_secrets(runner, home, data_dir):
    dangerous_home(home)
    out = invoke(runner, data_dir, "permissions", "--diff")
    for tool in ("claude-code", "codex", "gemini-cli", "openclaw"):
        assert tool in out
    assert "<secret>" in out
    assert not any(secret in out for secret in ALL_SECRETS)


def test_a_secret_appears_nowhere_in_output_ledger_or_export(runner, home, data_dir, tmp_path):
    dangerous_home(home)
    outputs = [invoke(runner, data_dir, "permissions", "--json"), invoke(runner, data_dir, "permissions")]
    state = json.loads((home / ".claude.json").read_text())
    state["mcpServers"]["github"]["env"]["GITHUB_PERSONAL_ACCESS_TOKEN"] = "ghp_SECONDcanary9999888877776666555544"
    write(home, ".claude.json", state)
    outputs.append(invoke(runner, data_dir, "permissions", "--json", "--diff"))
    outputs.append(invoke(runner, data_dir, "doctor", "--json"))
    if cli.get_command(None, "export") is not None:
        out_file = tmp_path / "summary.json"
        outputs.append(invoke(runner, data_dir, "export", "--out", str(out_file), "--period", "last-month", "--no-scan"))
        outputs.append(out_file.read_text())
    secrets = (*ALL_SECRETS, "ghp_SECONDcanary9999888877776666555544")
    for text in outputs:
        for secret in secrets:
            assert secret not in text
    db_bytes = b"".join(p.read_bytes() for p in data_dir.iterdir() if p.name.startswith("ledger.db"))
    assert b"perm_grants" in db_bytes or len(db_bytes) > 0
    for secret in secrets:
        assert secret.encode() not in db_bytes, secret
    # The per-install fingerprint key is private.
    key = data_dir / "permissions.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600 and len(key.read_bytes()) == 32


def test_fingerprints_are_keyed_per_install(home, tmp_path):
    dangerous_home(home)
    first = scan_all(env_for(home), Fingerprinter.for_data_dir(tmp_path / "one"))
    again = scan_all(env_for(home), Fingerprinter.for_data_dir(tmp_path / "one"))
    other = scan_all(env_for(home), Fingerprinter.for_data_dir(tmp_path / "two"))

    def fp(outcome):
        return next(g.fingerprint for g in outcome.grants if g.subject == "github: env GITHUB_PERSONAL_ACCESS_TOKEN")

    assert fp(first) == fp(again)  # stable on one device: a rotation is noticed, nothing else
    assert fp(first) != fp(other)  # a different install's key: fingerprints do not correlate
    import hashlib

    assert fp(first) not in hashlib.sha256(TOKEN_GH.encode()).hexdigest()


def test_since_is_first_scan_bounded_by_file_mtime(home, db, data_dir):
    write(home, ".claude/settings.json", {"permissions": {"allow": ["Bash(make test)"]}})
    t0 = 1_700_000_000_000
    os.utime(home / ".claude/settings.json", ns=(t0 * 1_000_000, t0 * 1_000_000))
    t1 = t0 + 86_400_000
    first = snapshots.run_scan(db, env_for(home), data_dir, now_ms=t1)
    grant = next(g for g in first.grants if g.subject == "Bash(make test)")
    assert grant.since_ms == t0  # the file proves it existed before the first scan

    write(home, ".claude/settings.json", {"permissions": {"allow": ["Bash(make test)", "Bash(make lint)"]}})
    edited = t1 + 3_600_000
    os.utime(home / ".claude/settings.json", ns=(edited * 1_000_000, edited * 1_000_000))
    second = snapshots.run_scan(db, env_for(home), data_dir, now_ms=t1 + 7_200_000)
    since = {g.subject: g.since_ms for g in second.grants}
    assert since == {"Bash(make test)": t0, "Bash(make lint)": edited}
    latest = snapshots.latest(db)
    assert {g.subject: g.since_ms for g in latest.grants} == since
    assert [g.subject for g in latest.added] == ["Bash(make lint)"]


def test_claude_backups_push_since_further_back(home, db, data_dir):
    project = home / "p"
    project.mkdir()
    state = {"projects": {str(project): {"hasTrustDialogAccepted": True}}}
    write(home, ".claude.json", state)
    old = 1_650_000_000_000
    write(home, f".claude/backups/.claude.json.backup.{old}", state)
    write(home, f".claude/backups/.claude.json.backup.{old - 1000}", {"projects": {}})
    snap = snapshots.run_scan(db, env_for(home), data_dir, now_ms=1_800_000_000_000)
    grant = next(g for g in snap.grants if g.kind == "trusted_folder")
    assert grant.since_ms == old


def test_identical_scans_do_not_grow_the_ledger(home, db, data_dir):
    dangerous_home(home)
    for i in range(3):
        snapshots.run_scan(db, env_for(home), data_dir, now_ms=1_800_000_000_000 + i)
    assert db.execute("SELECT COUNT(*) FROM perm_scans").fetchone()[0] == 1
    assert db.execute("SELECT confirmed_ms FROM perm_scans").fetchone()[0] == 1_800_000_000_002


def test_latest_summary_and_new_high_risk_grants(home, db, data_dir):
    assert snapshots.latest_summary(db) == {"high": 0, "medium": 0, "low": 0, "info": 0}
    write(home, ".claude/settings.json", {"permissions": {"allow": ["Bash(npm test)"], "deny": ["Bash(rm:*)"]}})
    snapshots.run_scan(db, env_for(home), data_dir, now_ms=1_800_000_000_000)
    assert snapshots.latest_summary(db) == {"high": 0, "medium": 0, "low": 1, "info": 1}
    assert snapshots.new_high_risk_grants(db) == []  # a first scan is an inventory, not news
    write(home, ".claude/settings.json", {"permissions": {"allow": ["Bash(npm test)", "Bash(*)"], "deny": ["Bash(rm:*)"],
                                                          "defaultMode": "acceptEdits"}})
    snapshots.run_scan(db, env_for(home), data_dir, now_ms=1_800_000_060_000)
    assert snapshots.latest_summary(db) == {"high": 1, "medium": 0, "low": 2, "info": 1}
    fresh = snapshots.new_high_risk_grants(db)
    assert [(g.subject, g.rule) for g in fresh] == [("Bash(*)", "SHELL-1")]
    history = snapshots.history(db)
    assert {(h["change"], h["subject"]) for h in history} == {("added", "Bash(*)"), ("added", "permissions.defaultMode")}


def test_doctor_reports_the_permissions_check(runner, home, data_dir):
    dangerous_home(home)
    invoke(runner, data_dir, "permissions", "--json")
    report = json.loads(invoke(runner, data_dir, "doctor", "--json"))
    check = report["permissions"]
    assert check["snapshots"] == 1 and check["fingerprint_key"] == "ok"
    assert check["summary"]["high"] > 0 and check["problems"] == []


# ---- --diff is against what the person last looked at (issue 14) ---------------------------


def _changes(payload: dict) -> set[tuple[str, str, str]]:
    return {(change, g["tool"], g["subject"]) for change in ("added", "removed", "changed") for g in payload[change]}


def _allow(home, *allow: str) -> None:
    write(home, ".claude/settings.json", {"permissions": {"allow": list(allow)}})


def test_a_scan_in_between_does_not_take_the_change_away(runner, home, data_dir):
    _allow(home, "Bash(npm test)")
    invoke(runner, data_dir, "permissions", "--json")  # the inventory
    _allow(home, "Bash(npm test)", "Bash(rm -rf:*)")
    invoke(runner, data_dir, "permissions", "--json")  # a plain scan (or the tray app's) records the change
    first = json.loads(invoke(runner, data_dir, "permissions", "--json", "--diff"))
    assert _changes(first) == {("added", "claude-code", "Bash(rm -rf:*)")}
    invoke(runner, data_dir, "permissions")  # another scan in between
    second = json.loads(invoke(runner, data_dir, "permissions", "--json", "--diff"))
    assert _changes(second) == _changes(first)
    assert second["added"][0]["risk"] == "high"


def test_ack_marks_the_scan_as_seen_and_the_next_diff_starts_there(runner, home, data_dir):
    _allow(home, "Bash(npm test)")
    invoke(runner, data_dir, "permissions")
    _allow(home, "Bash(git push:*)")
    out = invoke(runner, data_dir, "permissions", "--diff", "--ack")
    assert "Since the first scan" in out and "Bash(git push:*)" in out and "Marked as seen" in out
    after = json.loads(invoke(runner, data_dir, "permissions", "--json", "--diff"))
    assert _changes(after) == set()
    assert after["compared_to"]["basis"] == "seen" and after["compared_to"]["seen_at"].endswith("Z")
    _allow(home, "Bash(git push:*)", "Bash(npm publish:*)")
    invoke(runner, data_dir, "permissions", "--json")
    later = json.loads(invoke(runner, data_dir, "permissions", "--json", "--diff"))
    assert _changes(later) == {("added", "claude-code", "Bash(npm publish:*)")}  # not the acknowledged one
    out = invoke(runner, data_dir, "permissions", "--diff")
    assert "Since you last looked" in out and "permissions --diff --ack" in out


def test_since_a_date_diffs_against_the_last_scan_at_or_before_it(runner, home, data_dir):
    from tokenlens.store import open_ledger

    _allow(home, "Bash(npm test)")
    invoke(runner, data_dir, "permissions")
    db = open_ledger(data_dir)
    db.execute("UPDATE perm_scans SET scanned_ms = ?, confirmed_ms = ?", [1767225600000, 1767225600000])  # 2026-01-01
    db.conn.commit()
    db.conn.close()
    _allow(home, "Bash(rm:*)")
    invoke(runner, data_dir, "permissions", "--diff", "--ack")  # acknowledged: a plain --diff is empty now
    assert _changes(json.loads(invoke(runner, data_dir, "permissions", "--json", "--diff"))) == set()
    since = json.loads(invoke(runner, data_dir, "permissions", "--json", "--since", "2026-03-01"))
    assert _changes(since) == {("added", "claude-code", "Bash(rm:*)"), ("removed", "claude-code", "Bash(npm test)")}
    assert since["compared_to"]["basis"] == "since" and since["compared_to"]["scanned_at"] == "2026-01-01T00:00:00Z"
    iso_time = json.loads(invoke(runner, data_dir, "permissions", "--json", "--since", "2026-01-02T00:00:00Z"))
    assert _changes(iso_time) == _changes(since)
    for bad, message in (("2025-06-01", "no permissions scan at or before"), ("last tuesday", "--since wants")):
        result = runner.invoke(cli, ["--data-dir", str(data_dir), "permissions", "--since", bad])
        assert result.exit_code == 2 and message in result.output, result.output


def test_looking_at_the_app_tab_moves_the_same_mark(runner, home, data_dir):
    pytest.importorskip("PySide6")
    from tokenlens.app.permissions_tab import load_permissions

    _allow(home, "Bash(npm test)")
    invoke(runner, data_dir, "permissions")
    _allow(home, "Bash(npm test)", "mcp__slack__slack_post_message")
    invoke(runner, data_dir, "permissions")
    shown = load_permissions(data_dir, rescan=True, env=env_for(home))
    assert shown["unseen"] == 1
    assert load_permissions(data_dir, rescan=True, env=env_for(home))["unseen"] == 0
    after = json.loads(invoke(runner, data_dir, "permissions", "--json", "--diff"))
    assert _changes(after) == set() and after["compared_to"]["basis"] == "seen"
