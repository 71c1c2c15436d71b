"""The CLI contract (design.md): options, --json shapes, one-line errors, exit codes."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys

import pytest
from click.testing import CliRunner

from tests.logs import append, claude_assistant, codex_meta, codex_tokens, codex_turn
from tokenlens.cli import cli


@pytest.fixture
def runner(home, monkeypatch):
    monkeypatch.setenv("HOME", str(home))
    for var in ("CLAUDE_CONFIG_DIR", "CODEX_HOME", "XDG_CONFIG_HOME", "TOKENLENS_DATA_DIR"):
        monkeypatch.delenv(var, raising=False)
    return CliRunner()


@pytest.fixture
def with_usage(home):
    path = home / ".claude/projects/-p/s.jsonl"
    append(path, claude_assistant("2026-11-24T10:00:00Z", "s", "m1", "r1", inp=10, out=20, cr=30, cw=40))
    append(path, "not json at all\n")
    return path


def invoke(runner, data_dir, *args):
    return runner.invoke(cli, ["--data-dir", str(data_dir), *args], catch_exceptions=False)


def test_report_json_contract(runner, data_dir, with_usage):
    result = invoke(runner, data_dir, "report", "daily", "--json", "--tz", "UTC")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert list(payload) == ["report", "tz", "rows", "totals"]
    assert payload["report"] == "daily" and payload["tz"] == "UTC"
    row = payload["rows"][0]
    assert row["period"] == "2026-11-24"
    assert (row["input_tokens"], row["output_tokens"], row["cache_read_tokens"], row["cache_write_tokens"]) == (10, 20, 30, 40)
    assert row["total_tokens"] == 100 and row["tools"] == ["claude-code"]
    assert payload["totals"]["total_tokens"] == 100


def test_report_no_scan_reads_only_the_ledger(runner, data_dir, with_usage):
    result = invoke(runner, data_dir, "report", "daily", "--json", "--no-scan")
    assert json.loads(result.output)["rows"] == []


def test_report_table_has_totals_row(runner, data_dir, with_usage):
    result = invoke(runner, data_dir, "report", "monthly", "--tz", "UTC")
    assert result.exit_code == 0
    assert "2026-11" in result.output and "Total" in result.output


@pytest.mark.parametrize("args, message", [
    (["report", "daily", "--since", "yesterday"], "--since must be a date"),
    (["report", "daily", "--tz", "Nowhere/Town"], "unknown time zone"),
    (["report", "daily", "--tool", "notepad"], "unknown tool id"),
])
def test_user_mistakes_are_one_line_errors(runner, data_dir, args, message):
    result = invoke(runner, data_dir, *args)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_unwritable_data_dir_is_a_one_line_error(tmp_path, home):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    proc = subprocess.run(
        [sys.executable, "-m", "tokenlens", "--data-dir", str(blocker / "sub"), "report", "daily"],
        capture_output=True, text=True, env={**os.environ, "HOME": str(home)},
    )
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "cannot create data dir" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_scan_json_counts_added_and_skipped(runner, data_dir, with_usage):
    payload = json.loads(invoke(runner, data_dir, "scan", "--json").output)
    claude = payload["sources"]["claude-code"]
    assert (claude["events_added"], claude["lines_skipped"], claude["files"]) == (1, 1, 1)
    again = json.loads(invoke(runner, data_dir, "scan", "--json").output)
    assert again["sources"]["claude-code"]["events_added"] == 0


def test_sources_lists_every_tool_with_paths(runner, data_dir, with_usage, home):
    from tokenlens.tools import source_ids

    invoke(runner, data_dir, "scan")
    rows = json.loads(invoke(runner, data_dir, "sources", "--json").output)["sources"]
    assert [r["id"] for r in rows] == source_ids()
    claude = next(r for r in rows if r["id"] == "claude-code")
    assert claude["found"] and claude["events"] == 1 and claude["files"] == 1
    assert str(home / ".claude" / "projects") in claude["paths"]
    codex = next(r for r in rows if r["id"] == "codex")
    assert not codex["found"] and codex["note"]


def test_doctor_says_where_lines_were_skipped(runner, data_dir, with_usage):
    invoke(runner, data_dir, "scan")
    payload = json.loads(invoke(runner, data_dir, "doctor", "--json").output)
    assert payload["lines_skipped"] == 1
    assert payload["skipped"][0]["file"] == str(with_usage)
    assert payload["skipped"][0]["reason"] == "not a JSON object"


def test_report_does_not_import_qt_or_pricing_when_nothing_changed(tmp_path, home, data_dir):
    env = {**os.environ, "HOME": str(home)}
    subprocess.run([sys.executable, "-m", "tokenlens", "--data-dir", str(data_dir), "scan"], env=env, check=True,
                   capture_output=True)
    code = (
        f"import sys; from tokenlens.cli import main; sys.argv=['tokenlens','--data-dir',{str(data_dir)!r},'report','daily','--json'];"
        "\ntry:\n    main()\nexcept SystemExit:\n    pass\n"
        "bad=[m for m in sys.modules if m.startswith(('PySide6','genai_prices','rich'))]\n"
        "sys.stderr.write(repr(bad))"
    )
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert proc.stderr.strip() == "[]"


def test_sources_turned_off_in_settings_are_not_read_by_the_cli(runner, data_dir, with_usage):
    from tokenlens.config import save_settings

    data_dir.mkdir(parents=True, mode=0o700)
    save_settings(data_dir, {"disabled_sources": ["claude-code"]})
    payload = json.loads(invoke(runner, data_dir, "scan", "--json").output)
    assert "claude-code" not in payload["sources"]
    rows = json.loads(invoke(runner, data_dir, "sources", "--json").output)["sources"]
    claude = next(r for r in rows if r["id"] == "claude-code")
    assert claude["events"] == 0 and "turned off in Settings" in claude["note"]
    save_settings(data_dir, {"disabled_sources": []})
    payload = json.loads(invoke(runner, data_dir, "scan", "--json").output)
    assert payload["sources"]["claude-code"]["events_added"] == 1


def test_doctor_says_never_for_a_permissions_scan_that_never_ran(runner, data_dir):
    result = invoke(runner, data_dir, "doctor")
    assert result.exit_code == 0, result.output
    assert "last scan: never" in result.output
    assert "None" not in result.output


def test_tz_is_case_insensitive_and_unknown_zones_are_named(runner, data_dir, with_usage):
    result = invoke(runner, data_dir, "report", "daily", "--json", "--tz", "utc")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["tz"] == "UTC"
    result = invoke(runner, data_dir, "report", "daily", "--tz", "europe/nowhere")
    assert result.exit_code == 2
    assert result.output == "tokenlens: unknown time zone 'europe/nowhere' (use an IANA name like Europe/Berlin)\n"


def test_tool_may_be_given_several_times(runner, data_dir, with_usage, home):
    sid = "0197a0c0-1111-7000-8000-000000000001"
    rollout = home / ".codex/sessions/2026/11/24" / f"rollout-2026-11-24T10-00-00-{sid}.jsonl"
    append(rollout, codex_meta("2026-11-24T11:00:00.000Z", sid), codex_turn("2026-11-24T11:00:01.000Z"),
           codex_tokens("2026-11-24T11:00:05.000Z", total=(1000, 0, 100, 0), last=(1000, 0, 100, 0)))

    def totals(*tools):
        args = [a for t in tools for a in ("--tool", t)]
        result = invoke(runner, data_dir, "report", "daily", "--json", "--tz", "UTC", *args)
        assert result.exit_code == 0, result.output
        return json.loads(result.output)["totals"]

    assert totals("codex")["tools"] == ["codex"] and totals("codex")["total_tokens"] == 1100
    both = totals("claude-code", "codex")
    assert both["tools"] == ["claude-code", "codex"] and both["total_tokens"] == 100 + 1100
    assert totals()["total_tokens"] == 1200
    result = invoke(runner, data_dir, "report", "daily", "--tool", "codex", "--tool", "notepad")
    assert result.exit_code == 2 and "unknown tool id 'notepad'" in result.output


def _iso_z(moment) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def test_blocks_table_shows_each_blocks_end_and_marks_the_active_one(runner, data_dir, home):
    from datetime import UTC, datetime, timedelta

    recent = datetime.now(UTC) - timedelta(minutes=1)
    old = datetime(2026, 3, 7, 23, 30, tzinfo=UTC)  # a block 23:00 -> 04:00 the next day
    path = home / ".claude/projects/-p/s.jsonl"
    append(path, claude_assistant(_iso_z(old), "s", "m1", "r1", inp=10, out=20),
           claude_assistant(_iso_z(recent), "s", "m2", "r2", inp=10, out=20))
    result = invoke(runner, data_dir, "report", "blocks", "--tz", "UTC")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert any("2026-03-07 23:00" in line and "2026-03-08 04:00" in line and "active" not in line for line in lines)
    active_start = recent.replace(minute=0, second=0, microsecond=0)  # its block starts on the hour
    active_end = active_start + timedelta(hours=5)
    end_text = active_end.strftime("%H:%M" if active_end.date() == active_start.date() else "%Y-%m-%d %H:%M")
    active = [line for line in lines if "(active)" in line]
    assert len(active) == 1
    assert active_start.strftime("%Y-%m-%d %H:%M") in active[0] and f"{end_text} (active)" in active[0]
    assert "Block start" in result.output and "End" in result.output


def test_session_table_shows_project_tool_local_start_and_length(runner, data_dir, home):
    sid = "5f0c2a9e-8d4b-4c61-9a7e-1b2c3d4e5f60"
    path = home / ".claude/projects/-home-me-shop/s.jsonl"
    append(path, claude_assistant("2026-11-24T22:40:00.000Z", sid, "m1", "r1", inp=10, out=20, cwd="/home/me/shop"),
           claude_assistant("2026-11-24T23:45:30.000Z", sid, "m2", "r2", inp=1, out=2, cwd="/home/me/shop",
                            model="claude-opus-4-1-20250805"))
    result = invoke(runner, data_dir, "report", "session", "--tz", "europe/berlin")
    assert result.exit_code == 0, result.output
    row = next(line for line in result.output.splitlines() if sid in line)
    # 22:40 UTC is 23:40 in Berlin (CET); 65.5 minutes from first to last event.
    for cell in ("/home/me/shop", "claude-code", "2026-11-24 23:40", "1 h 05 min"):
        assert cell in row, row
    assert "Project" in result.output and "Start" in result.output and "Length" in result.output

    payload = json.loads(invoke(runner, data_dir, "report", "session", "--json", "--tz", "UTC").output)
    (session,) = payload["rows"]
    for key in ("period", "input_tokens", "cache_read_tokens", "cache_write_tokens", "output_tokens",
                "reasoning_tokens", "total_tokens", "cost_usd", "models", "tools", "project", "last_activity"):
        assert key in session
    assert session["period"] == sid and session["project"] == "/home/me/shop"
    assert session["start"] == "2026-11-24T22:40:00Z" and session["last_activity"] == "2026-11-24T23:45:30Z"
    assert session["duration_seconds"] == 65 * 60 + 30


def test_report_table_says_dash_and_why_for_an_unknown_models_cost(runner, data_dir, home):
    path = home / ".claude/projects/-p/s.jsonl"
    append(path, claude_assistant("2026-11-24T10:00:00Z", "s", "m1", "r1", inp=1000, out=100),
           claude_assistant("2026-11-24T11:00:00Z", "s", "m2", "r2", inp=10, out=20, model="claude-zz-private"),
           claude_assistant("2026-11-25T10:00:00Z", "s", "m3", "r3", inp=1000, out=100))
    result = invoke(runner, data_dir, "report", "daily", "--tz", "UTC")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    mixed = next(line for line in lines if "2026-11-24" in line)
    priced = next(line for line in lines if "2026-11-25" in line)
    unknown = next(line for line in lines if "claude-zz-private" in line and "│" in line)
    total = next(line for line in lines if line.startswith("│ Total"))
    for line in (mixed, unknown, total):
        assert line.rstrip(" │").endswith("—") and "$" not in line, line
    assert "$0.00" in priced or "$0.01" in priced
    assert "no price is known for claude-zz-private" in result.output

    payload = json.loads(invoke(runner, data_dir, "report", "daily", "--json", "--no-scan", "--tz", "UTC").output)
    day1, day2 = payload["rows"]
    assert day1["cost_usd"] is None and day1["cost_usd_known"] > 0 and day1["unpriced_models"] == ["claude-zz-private"]
    assert day2["cost_usd"] == day2["cost_usd_known"] > 0 and day2["unpriced_models"] == []
    assert payload["totals"]["cost_usd"] is None


def test_claude_lines_without_a_type_are_counted_as_skipped(runner, data_dir, home):
    path = home / ".claude/projects/-p/s.jsonl"
    untyped = claude_assistant("2026-11-24T10:01:00Z", "s", "m2", "r2", inp=5, out=5)
    del untyped["type"]
    wrong = {**claude_assistant("2026-11-24T10:02:00Z", "s", "m3", "r3", inp=5, out=5), "type": 7}
    append(
        path,
        # Lines of types that are not usage, as Claude Code writes them: silently ignored.
        {"type": "summary", "summary": "Fixing the login form", "leafUuid": "a-m1"},
        {"type": "file-history-snapshot", "messageId": "u-1", "isSnapshotUpdate": False,
         "snapshot": {"messageId": "u-1", "trackedFileBackups": {}, "timestamp": "2026-11-24T09:59:00.000Z"}},
        claude_assistant("2026-11-24T10:00:00Z", "s", "m1", "r1", inp=10, out=20),
    )
    with open(path, "ab") as fh:
        first_bad = fh.tell()
    append(path, untyped)
    with open(path, "ab") as fh:
        second_bad = fh.tell()
    append(path, wrong)
    claude = json.loads(invoke(runner, data_dir, "scan", "--json").output)["sources"]["claude-code"]
    assert (claude["events_added"], claude["lines_skipped"]) == (1, 2)
    doctor = json.loads(invoke(runner, data_dir, "doctor", "--json").output)
    assert doctor["lines_skipped"] == 2
    assert [(s["offset"], s["reason"]) for s in doctor["skipped"]] == [
        (first_bad, "type missing"), (second_bad, "type is not a string")]


def test_a_home_that_does_not_exist_is_named_not_created(tmp_path):
    gone = tmp_path / "no-such-home"
    env = {k: v for k, v in os.environ.items() if k not in ("TOKENLENS_DATA_DIR", "XDG_DATA_HOME")}
    env["HOME"] = str(gone)
    proc = subprocess.run([sys.executable, "-m", "tokenlens", "report", "daily"], capture_output=True, text=True,
                          env=env)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert f"no home folder: {gone} does not exist" in proc.stderr
    assert not gone.exists()
    # A data dir given explicitly is created, home or not.
    for how in (["--data-dir", str(tmp_path / "d1")], []):
        run_env = env if how else {**env, "TOKENLENS_DATA_DIR": str(tmp_path / "d2")}
        proc = subprocess.run([sys.executable, "-m", "tokenlens", *how, "report", "daily", "--json"],
                              capture_output=True, text=True, env=run_env)
        assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "d1" / "ledger.db").exists() and (tmp_path / "d2" / "ledger.db").exists()
    assert not gone.exists()


SETPRIV = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", "--inh-caps=-dac_override,-dac_read_search"]


def _run_obeying_modes(home, data_dir, *args):
    """The CLI in a subprocess for which file modes apply: as root, without the capabilities
    that bypass them (root could write anywhere otherwise)."""
    import shutil

    prefix = []
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("setpriv is missing: as root, file modes cannot be made to apply")
        prefix = SETPRIV
    # Through TOKENLENS_DATA_DIR: click's own check of --data-dir would catch the file case first.
    return subprocess.run([*prefix, sys.executable, "-m", "tokenlens", *args], capture_output=True, text=True,
                          env={**os.environ, "HOME": str(home), "TOKENLENS_DATA_DIR": str(data_dir)})


@pytest.mark.parametrize("case", ["read-only folder", "read-only parent", "a file"])
def test_a_data_dir_that_cannot_be_used_says_which_case(tmp_path, home, case):
    if case == "read-only folder":
        data_dir = tmp_path / "data"
        data_dir.mkdir(mode=0o700)
        locked, expected = data_dir, f"data dir {data_dir} exists but is not writable by this user"
    elif case == "read-only parent":
        locked = tmp_path / "parent"
        locked.mkdir()
        data_dir = locked / "data"
        expected = f"cannot create data dir {data_dir}: its parent {locked} is not writable by this user"
    else:
        data_dir = locked = tmp_path / "data"
        data_dir.write_text("not a folder")
        expected = f"data dir {data_dir} exists and is not a folder"
    locked.chmod(0o500 if locked.is_dir() else 0o400)
    try:
        proc = _run_obeying_modes(home, data_dir, "report", "daily", "--json")
        mode_after = stat.S_IMODE(locked.stat().st_mode)
    finally:
        locked.chmod(0o700 if locked.is_dir() else 0o600)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr == f"tokenlens: {expected}\n"
    assert proc.stdout == ""
    assert mode_after in (0o500, 0o400)  # not made writable behind the person's back
    if locked.is_dir():
        assert list(locked.iterdir()) == []


BROKEN_IMPORT = """
import sys
# An import inside the command module fails, as a typo or a missing dependency would.
sys.modules["tokenlens.permissions.cli"] = None
sys.argv = ["tokenlens", "permissions", "--json"]
from tokenlens.cli import main
main()
"""


def test_a_broken_command_module_fails_loudly_not_no_such_command(tmp_path):
    """One bad import in permissions/cli.py must show as that import's error, naming the
    module; it must not make `tokenlens permissions` vanish as "No such command"."""
    env = {**os.environ, "HOME": str(tmp_path), "TOKENLENS_DATA_DIR": str(tmp_path / "data")}
    proc = subprocess.run([sys.executable, "-c", BROKEN_IMPORT], capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode != 0
    assert "No such command" not in proc.stderr
    assert "ModuleNotFoundError" in proc.stderr and "tokenlens.permissions.cli" in proc.stderr


def test_help_lists_the_feature_commands_without_importing_them():
    code = ("import sys\nfrom tokenlens.cli import cli\n"
            "names = cli.list_commands(None)\n"
            "print(sorted(n for n in ('permissions', 'export', 'team') if n in names),"
            " sorted(m for m in sys.modules if m.startswith(('tokenlens.permissions.', 'tokenlens.export.'))))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.stdout.strip() == "['export', 'permissions', 'team'] []", proc.stderr


def test_report_tables_fit_the_terminal_and_never_cut_a_number(tmp_path):
    """Issue 20: `report daily` ignored COLUMNS=80 (125 columns). It fits now: counts are
    shortened (370.5k) below 110 columns and, where still too wide, the least needed
    columns are left out and named; no number is cut off with an ellipsis."""
    import re
    import subprocess
    import sys

    from tests.test_robust_support import build_corpus, cli_env

    home = tmp_path / "home"
    build_corpus(home, claude_files=4, messages=20, codex_files=2, turns=10)
    data = tmp_path / "data"
    for columns in ("80", "100", "140"):
        out = subprocess.run([sys.executable, "-m", "tokenlens", "--data-dir", str(data), "report", "daily",
                              "--since", "2026-01-01"], capture_output=True, text=True, timeout=120,
                             env=cli_env(home, COLUMNS=columns)).stdout
        lines = out.splitlines()
        assert lines and max(len(line) for line in lines) <= int(columns), columns
        assert not re.search(r"[\d,.]…", out), columns  # a count or cost cut mid-number
        assert "Total" in out and "$" in out  # the totals and the cost always stay
        if columns == "140":
            assert "Cache read" in out and "k = thousand" not in out  # every digit, every column
        else:
            assert "k = thousand" in out


def test_permissions_in_a_narrow_terminal_keeps_short_words_whole(tmp_path):
    """Issue 20: in a narrow terminal cells were split mid-word ("allowed_too / l", a date as
    "2026-12-0 / 1"). Checked at 64 columns, where the old layout split them with this config."""
    import json
    import subprocess
    import sys

    from tests.test_robust_support import cli_env

    home = tmp_path / "home"
    (home / ".claude").mkdir(parents=True)
    allow = ["Bash(npm run test:*)", "Bash(git status)", "Read(src/**)", "Bash(rm -rf:*)",
             "mcp__github__create_pull_request", "WebFetch(domain:docs.python.org)"]
    (home / ".claude" / "settings.json").write_text(json.dumps({"permissions": {"allow": allow}}))
    project = "/home/me/work/clients/a-rather-long-client-name/monorepo/services/billing-api"
    (home / ".claude.json").write_text(json.dumps({"projects": {project: {
        "allowedTools": ["Bash(terraform apply -auto-approve:*)", "Edit(/home/me/work/clients/**)"]}}}))
    out = subprocess.run([sys.executable, "-m", "tokenlens", "--data-dir", str(tmp_path / "data"), "permissions"],
                         capture_output=True, text=True, timeout=120, env=cli_env(home, COLUMNS="64")).stdout
    assert "allowed_tool" in out  # the kind whole, on one line
    rows = [line for line in out.splitlines() if line.startswith("│")]
    kinds = {line.split("│")[2].strip() for line in rows} - {""}
    assert kinds <= {"allowed_tool", "approval_mode", "mcp_server", "directory", "network", "sandbox"}, kinds
    dates = {line.split("│")[6].strip() for line in rows} - {""}
    assert all(len(d) == 10 for d in dates), dates  # the since date whole
    assert max(len(line) for line in out.splitlines()) <= 64


def test_report_by_tool_or_model_has_one_column_per_meaning(tmp_path):
    """Issue 20: `--by tool` showed the tool twice (Tool and "Tools / models"); `--by model`
    put tools under "Tools / models". Now: by tool, a Models column; by model, a Tools one."""
    import subprocess
    import sys

    from tests.test_robust_support import build_corpus, cli_env

    home = tmp_path / "home"
    build_corpus(home, claude_files=2, messages=5, codex_files=1, turns=5)

    def header(*args):
        out = subprocess.run([sys.executable, "-m", "tokenlens", "--data-dir", str(tmp_path / "data"), "report",
                              "daily", "--since", "2026-01-01", *args], capture_output=True, text=True, timeout=120,
                             env=cli_env(home, COLUMNS="160")).stdout
        line = next(line for line in out.splitlines() if line.startswith("┃") and "Period" in line)
        return [cell.strip() for cell in line.strip("┃").split("┃")]

    assert header("--by", "tool")[:3] == ["Period", "Tool", "Models"]
    assert header("--by", "model")[:3] == ["Period", "Model", "Tools"]
    assert header()[:2] == ["Period", "Tools / models"]


def test_a_report_table_defaults_to_a_recent_range_and_says_so(runner, data_dir, home):
    """Issue 20: `report daily` printed the whole history. A table now shows the 30 days up to
    the newest usage (the same whatever day it is read) and says how to see all; --json and
    an explicit --since are unchanged."""
    path = home / ".claude/projects/-p/s.jsonl"
    append(path, claude_assistant("2026-08-01T10:00:00Z", "s", "m1", "r1", inp=1000, out=100),
           claude_assistant("2026-11-20T10:00:00Z", "s", "m2", "r2", inp=10, out=20))
    table = invoke(runner, data_dir, "report", "daily", "--tz", "UTC").output
    assert "2026-11-20" in table and "2026-08-01" not in table
    assert "Showing usage from 2026-10-22 to your latest; `--since 2000-01-01` shows all of it" in " ".join(table.split())
    everything = invoke(runner, data_dir, "report", "daily", "--tz", "UTC", "--since", "2000-01-01", "--no-scan").output
    assert "2026-08-01" in everything and "Showing usage" not in everything
    rows = json.loads(invoke(runner, data_dir, "report", "daily", "--tz", "UTC", "--json", "--no-scan").output)["rows"]
    assert [r["period"] for r in rows] == ["2026-08-01", "2026-11-20"]


def test_at_80_columns_no_model_name_or_grant_is_split_inside_a_word(tmp_path):
    """Issue 20, seen in the tmux captures: at 80 columns model ids folded mid-name
    ("claude-sonnet-4-5- / 20250929") and grants mid-word ("approval_polic / y"). Now a
    narrow report names models without their date suffix and wraps only between them, and a
    permissions cell wraps at spaces or ends in "…" (the whole text in the hint and --json)."""
    import json
    import re
    import subprocess
    import sys

    from tests.test_robust_support import cli_env

    home = tmp_path / "home"
    path = home / ".claude/projects/-home-me-p/s.jsonl"
    append(path, claude_assistant("2026-11-20T10:00:00Z", "s", "m1", "r1", inp=1000, out=100,
                                  model="claude-sonnet-4-5-20250929"),
           claude_assistant("2026-11-20T11:00:00Z", "s", "m2", "r2", inp=10, out=20, model="claude-haiku-4-5-20251001"))
    (home / ".claude/settings.json").write_text(json.dumps({"permissions": {
        "defaultMode": "acceptEdits", "allow": ["Bash(git push:*)", "Bash(npm run test:*)"]}}))
    codex = home / ".codex/config.toml"
    codex.parent.mkdir(parents=True)
    codex.write_text('approval_policy = "never"\nsandbox_mode = "danger-full-access"\n')
    data = tmp_path / "data"

    def run(*args: str) -> str:
        return subprocess.run([sys.executable, "-m", "tokenlens", "--data-dir", str(data), *args], capture_output=True,
                              text=True, timeout=120, env=cli_env(home, COLUMNS="80")).stdout

    report = run("report", "daily", "--tz", "UTC")
    assert max(len(line) for line in report.splitlines()) <= 80
    models = {line.split("│")[2].strip() for line in report.splitlines() if line.startswith("│")} - {""}
    assert {"claude-sonnet-4-5", "claude-haiku-4-5"} <= models, models
    assert not any(re.fullmatch(r"\d+|.*-", cell) for cell in models), models  # no name's second half

    grants = json.loads(run("permissions", "--json"))["grants"]
    whole = [g[k] for g in grants for k in ("subject", "value", "scope")]
    out = run("permissions")
    assert max(len(line) for line in out.splitlines()) <= 80
    for line in out.splitlines():
        if not line.startswith("│"):
            continue
        for cell in (c.strip() for c in line.split("│")[3:6]):
            if not cell:
                continue
            start = cell.removesuffix("…")
            end = "" if cell.endswith("…") else r"(\s|$)"
            # Each piece of a cell is where its grant's text has a word boundary.
            assert any(re.search(r"(^|\s)" + re.escape(start) + end, text) for text in whole), cell
