"""The anonymized summary: what it holds (figures computed by hand from the fixture logs), what
it never holds (canary prompt, project paths, session ids, host, user, e-mail, model versions,
timestamps), preview == file, file modes, the export log and one-line errors."""

from __future__ import annotations

import getpass
import os
import re
import socket
import stat
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner
from keyring.backend import KeyringBackend

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
from tokenlens.cli import cli
from tokenlens.ingest import scan

PROJECT = "/home/alice.smith@example.com/clients/acme-canaryproj"
CLAUDE_SESSION = "sess-canary-4f1d2c"
CODEX_SESSION = "0197a0c0-cana-7000-8000-000000000077"
EMAIL = "alice.smith@example.com"


class MemoryKeyring(KeyringBackend):
    """A keyring that works, in memory (desktop_notes.md §3.7 test recipe)."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service, username):
        return self.items.get((service, username))

    def set_password(self, service, username, password):
        self.items[(service, username)] = password

    def delete_password(self, service, username):
        self.items.pop((service, username), None)


@pytest.fixture
def memory_keyring():
    import keyring

    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


def write_fixture_logs(home: Path) -> None:
    """Week 2026-W38 (Mon 14 - Sun 20 September) plus one event in W39 that must not count."""
    claude = home / ".claude" / "projects" / "-home-alice-clients-acme-canaryproj" / f"{CLAUDE_SESSION}.jsonl"
    append(
        claude,
        claude_user("2026-09-15T10:00:00Z", CLAUDE_SESSION, cwd=PROJECT),
        claude_assistant("2026-09-15T10:00:01Z", CLAUDE_SESSION, "msg_1", "req_1", cwd=PROJECT,
                         inp=1000, out=2345, cr=50000, cw=3000),
        claude_assistant("2026-09-16T09:00:00Z", CLAUDE_SESSION, "msg_2", "req_2", cwd=PROJECT,
                         model="claude-opus-4-1-20250805", inp=100, out=200, cr=10, cw=0),
        claude_assistant("2026-09-21T09:00:00Z", CLAUDE_SESSION, "msg_3", "req_3", cwd=PROJECT,
                         inp=999_999, out=1, cr=0, cw=0),
    )
    codex = home / ".codex" / "sessions" / "2026" / "09" / "17" / f"rollout-2026-09-17T08-00-00-{CODEX_SESSION}.jsonl"
    append(
        codex,
        codex_meta("2026-09-17T08:00:00Z", CODEX_SESSION, cwd=PROJECT),
        codex_turn("2026-09-17T08:00:01Z", cwd=PROJECT),
        codex_user("2026-09-17T08:00:01Z"),
        codex_tokens("2026-09-17T08:00:05Z", (20000, 15000, 500, 100), (20000, 15000, 500, 100)),
    )


@pytest.fixture
def ledger(db, env, home):
    write_fixture_logs(home)
    result = scan(db, env)
    assert result.events_added == 4
    return db


def sig2(x: float) -> float:
    return float(f"{x:.1e}")


def cost_between(db, lo: str, hi: str, tool: str | None = None, model_like: str | None = None) -> float:
    from datetime import datetime

    lo_ms = int(datetime.fromisoformat(lo + "T00:00:00+00:00").timestamp() * 1000)
    hi_ms = int(datetime.fromisoformat(hi + "T00:00:00+00:00").timestamp() * 1000)
    sql = "SELECT COALESCE(SUM(cost_usd), 0) FROM events WHERE ts_ms >= ? AND ts_ms < ?"
    params: list = [lo_ms, hi_ms]
    if tool:
        sql += " AND tool = ?"
        params.append(tool)
    if model_like:
        sql += " AND model LIKE ?"
        params.append(model_like)
    return db.execute(sql, params).fetchone()[0]


def build(db, data_dir, **kw):
    from tokenlens.export.summary import build_summary

    kw.setdefault("tz", "UTC")
    return build_summary(db, data_dir, kw.pop("period", "2026-W38"), **kw)


def test_figures_are_coarsened_per_tool_and_family(ledger, data_dir, memory_keyring):
    doc = build(ledger, data_dir).document
    assert doc["schema"] == "tokenlens.summary/1"
    assert doc["period"] == "2026-W38"
    usage = doc["usage"]
    # claude sonnet: 1000 + 2345 + 50000 + 3000 = 56345; opus: 100 + 200 + 10 = 310;
    # codex: input 20000 (15000 cached) + output 500 = 20500; the W39 event is outside.
    assert usage["total_tokens"] == 77_000  # 77155
    assert usage["tools"]["claude-code"]["total_tokens"] == 57_000  # 56655
    assert usage["tools"]["codex"]["total_tokens"] == 21_000
    assert usage["families"] == {
        "claude-sonnet": {"total_tokens": 56_000, "cost_usd": sig2(cost_between(ledger, "2026-09-14", "2026-09-21", model_like="claude-sonnet%"))},
        "claude-opus": {"total_tokens": 310, "cost_usd": sig2(cost_between(ledger, "2026-09-14", "2026-09-21", model_like="claude-opus%"))},
        "gpt-5": {"total_tokens": 21_000, "cost_usd": sig2(cost_between(ledger, "2026-09-14", "2026-09-21", tool="codex"))},
    }
    assert usage["cost_usd"] == sig2(cost_between(ledger, "2026-09-14", "2026-09-21"))
    assert usage["cost_usd"] > 0
    # cache reads 50000 + 10 + 15000 over all input 54000 + 110 + 20000
    assert usage["cache_share"] == round(65010 / 74110, 2) == 0.88
    assert usage["active_days"] == 3
    assert doc["posture"] in ({"scanned": False}, doc["posture"])
    assert doc["app_version"] and "not billing" in doc["methodology"]


def test_nothing_identifying_appears_in_the_export(ledger, data_dir, memory_keyring):
    data = build(ledger, data_dir).data
    text = data.decode()
    forbidden = [CANARY, "canaryproj", "acme", "clients", CLAUDE_SESSION, CODEX_SESSION, "cana-7000",
                 EMAIL, "alice", "/home", "msg_1", "req_1", "20250929", "20250805", "4-5", "4-1", "5.2", "0.60.0", "2.1.40"]
    for needle in forbidden:
        assert needle not in text, needle
    host, user = socket.gethostname(), getpass.getuser()
    if len(host) >= 4:
        assert host not in text
    if len(user) >= 4:
        assert user not in text
    assert "@" not in text and "/" not in text.replace("tokenlens.summary/1", "")
    assert not re.search(r"\d{4}-\d{2}-\d{2}|T\d{2}:\d{2}", text), "a date or time finer than the period"
    assert not re.search(r"[\w.-]+@[\w-]+\.\w+", text)


def test_canonical_bytes_and_stable_rebuild(ledger, data_dir, memory_keyring):
    first = build(ledger, data_dir).data
    second = build(ledger, data_dir).data
    assert first == second
    assert first == orjson.dumps(orjson.loads(first), option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2) + b"\n"


def test_period_keywords_resolve_to_calendar_periods():
    from datetime import date

    from tokenlens.export.summary import ExportError, resolve_period

    wed = date(2026, 9, 23)  # in W39
    assert resolve_period("last-week", wed).label == "2026-W38"
    assert resolve_period("last-week", date(2026, 1, 2)).label == "2025-W52"  # Fri of 2026-W01
    assert resolve_period("last-month", date(2026, 1, 15)).label == "2025-12"
    month = resolve_period("2024-02", wed)
    assert (month.first, month.last) == (date(2024, 2, 1), date(2024, 2, 29))
    week = resolve_period("2026-W53", wed)  # 2026 has 53 ISO weeks
    assert (week.first, week.last) == (date(2026, 12, 28), date(2027, 1, 3))
    for bad in ("2025-W53", "2026-13", "yesterday", "2026-9", ""):
        with pytest.raises(ExportError):
            resolve_period(bad, wed)


def test_model_families_strip_versions():
    from tokenlens.export.summary import model_family

    assert model_family("claude-sonnet-4-5-20250929") == "claude-sonnet"
    assert model_family("claude-3-5-sonnet-20241022") == "claude-sonnet"
    assert model_family("anthropic/claude-opus-4.1") == "claude-opus"
    assert model_family("us.anthropic.claude-haiku-4-5-20251001-v1:0") == "claude-haiku"
    assert model_family("gpt-5.2-codex") == "gpt-5"
    assert model_family("o4-mini") == "openai-o"
    assert model_family("gemini-2.5-pro") == "gemini-pro"
    assert model_family("acme-internal-finetune-alice") == "other"
    assert model_family("") == "other"


def test_round_to_two_significant_digits():
    from tokenlens.export.summary import coarse_cost, coarse_tokens

    assert coarse_tokens(1_234_567) == 1_200_000
    assert coarse_tokens(1_250_001) == 1_300_000
    assert coarse_tokens(7) == 7
    assert coarse_tokens(0) == 0
    assert coarse_cost(12.345) == 12.0
    assert coarse_cost(0.012345) == 0.012


# ---- the CLI -------------------------------------------------------------------------------


def run(data_dir, *args):
    return CliRunner().invoke(cli, ["--data-dir", str(data_dir), *args])


def tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_preview_equals_written_file_and_only_that_file_is_written(ledger, data_dir, tmp_path, memory_keyring):
    ledger.conn.close()
    before = {k: v for k, v in tree(tmp_path).items() if not k.startswith("data")}
    preview = run(data_dir, "export", "--period", "2026-W38", "--tz", "UTC", "--no-scan", "--preview")
    assert preview.exit_code == 0, preview.output
    assert tree(tmp_path).keys() - {"data/" + k for k in tree(data_dir)} == before.keys()  # preview wrote nothing
    out = tmp_path / "out" / "summary.json"
    out.parent.mkdir()
    written = run(data_dir, "export", "--period", "2026-W38", "--tz", "UTC", "--no-scan", "--out", str(out))
    assert written.exit_code == 0, written.output
    assert out.read_bytes() == preview.stdout_bytes
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    after = {k: v for k, v in tree(tmp_path).items() if not k.startswith("data")}
    assert after.keys() - before.keys() == {"out/summary.json"}
    assert all(after[k] == v for k, v in before.items())


def test_export_scans_first_and_logs_the_export(data_dir, home, tmp_path, memory_keyring, monkeypatch):
    import hashlib

    from tokenlens.export.summary import export_history
    from tokenlens.store import open_ledger

    write_fixture_logs(home)
    monkeypatch.setenv("HOME", str(home))
    for var in ("CLAUDE_CONFIG_DIR", "CODEX_HOME", "XDG_CONFIG_HOME"):
        monkeypatch.delenv(var, raising=False)
    out = tmp_path / "w38.json"
    result = run(data_dir, "export", "--period", "2026-W38", "--tz", "UTC", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert orjson.loads(out.read_bytes())["usage"]["total_tokens"] == 77_000
    db = open_ledger(data_dir)
    history = export_history(db)
    assert [(h["period"], h["sha256"]) for h in history] == [("2026-W38", hashlib.sha256(out.read_bytes()).hexdigest())]
    db.conn.close()


def test_unwritable_out_path_is_a_one_line_error(ledger, data_dir, tmp_path, memory_keyring):
    ledger.conn.close()
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    targets = [tmp_path / "missing-dir" / "x.json", tmp_path]
    if os.geteuid() != 0:  # root writes anywhere
        targets.append(locked / "x.json")
    for target in targets:
        result = run(data_dir, "export", "--period", "2026-W38", "--no-scan", "--out", str(target))
        assert result.exit_code != 0
        assert "Traceback" not in result.output
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("tokenlens: cannot write"), result.stderr


def test_bad_period_and_missing_out_are_one_line_errors(ledger, data_dir, memory_keyring):
    ledger.conn.close()
    bad = run(data_dir, "export", "--period", "2026-W99", "--no-scan", "--preview")
    assert bad.exit_code == 2 and "ISO week" in bad.stderr and len(bad.stderr.strip().splitlines()) == 1
    none = run(data_dir, "export", "--no-scan")
    assert none.exit_code == 2 and "--out" in none.stderr


def test_noise_option_yields_only_randomized_bands(ledger, data_dir, memory_keyring):
    from tokenlens.export.noise import band_labels

    summary = build(ledger, data_dir, noise="default")
    doc = summary.document
    assert doc["privacy"]["mechanism"] == "randomized-response" and doc["privacy"]["epsilon"] == 2.0
    assert set(doc["usage"]) == {"token_band", "cost_band"}
    assert doc["usage"]["token_band"] in band_labels("week", "tokens")
    assert "tools" not in doc["usage"] and "families" not in doc["usage"]
    # Memoized answers: the same period and truth give the same file again (no further budget).
    assert build(ledger, data_dir, noise="default").data == summary.data


def test_preview_with_noise_equals_written_file(ledger, data_dir, tmp_path, memory_keyring):
    ledger.conn.close()
    args = ["export", "--period", "2026-W38", "--tz", "UTC", "--no-scan", "--noise", "strict"]
    preview = run(data_dir, *args, "--preview")
    out = tmp_path / "noisy.json"
    written = run(data_dir, *args, "--out", str(out))
    assert preview.exit_code == written.exit_code == 0
    assert out.read_bytes() == preview.stdout_bytes


def test_posture_from_a_real_permissions_scan_is_facts_and_counts_only(ledger, data_dir, env, home, memory_keyring):
    import json

    from tokenlens.permissions.snapshots import latest, run_scan

    token = "ghp_" + "S3CR3T" * 6
    (home / ".claude").mkdir(exist_ok=True)
    (home / ".claude" / "settings.json").write_text(json.dumps({
        "permissions": {"defaultMode": "bypassPermissions", "allow": ["Bash(*)", "Read(~/.ssh/**)"]},
    }))
    (home / ".claude.json").write_text(json.dumps({
        "mcpServers": {"acme-canaryproj-github": {"command": "npx", "args": ["-y", "github-mcp"],
                                                 "env": {"GITHUB_TOKEN": token}}},
    }))
    assert build(ledger, data_dir).document["posture"] == {"scanned": False}
    run_scan(ledger, env, data_dir)
    grants = latest(ledger).grants
    expected_counts = {level: sum(g.risk == level for g in grants) for level in ("high", "medium", "low", "info")}
    doc = build(ledger, data_dir).document
    posture = doc["posture"]
    assert posture["scanned"] is True
    assert posture["risk_counts"] == expected_counts and expected_counts["high"] >= 3
    assert posture["facts"]["approve_everything_mode"] is True
    assert posture["facts"]["unrestricted_shell"] is True
    assert posture["facts"]["secret_files_allowed"] is True
    assert posture["facts"]["mcp_servers_configured"] is True
    assert posture["facts"]["network_enabled_sandbox"] is False
    assert all(isinstance(v, bool) for v in posture["facts"].values())
    text = build(ledger, data_dir).data.decode()
    for needle in (token, "S3CR3T", ".ssh", "settings.json", "github", "npx", "bypassPermissions", "Bash", "canaryproj"):
        assert needle not in text, needle


def test_an_unreadable_scan_history_is_an_error_not_scanned_false(ledger, data_dir, env, home, memory_keyring):
    """Only "no scan yet" is `scanned: false`: a history that cannot be read must not put
    a false "not scanned" into the file the person shares."""
    from tokenlens.permissions.snapshots import run_scan

    (home / ".claude").mkdir(exist_ok=True)
    (home / ".claude" / "settings.json").write_text('{"permissions": {"allow": ["Bash(*)"]}}')
    run_scan(ledger, env, data_dir)
    with ledger.conn:
        ledger.execute("UPDATE perm_scans SET problems = 'not json'")
    with pytest.raises(orjson.JSONDecodeError):
        build(ledger, data_dir)
