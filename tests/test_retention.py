"""How long the tools keep their own logs (log_formats.md: Claude Code's cleanupPeriodDays,
Gemini CLI's general.sessionRetention), read from their settings files and told by doctor."""

from __future__ import annotations

import json

import pytest

from tests.test_robust_support import run_cli
from tokenlens.config import Env
from tokenlens.status import log_retention, retention_text
from tokenlens.tools.claude_code.usage import ClaudeCode
from tokenlens.tools.gemini_cli.usage import GeminiCli, retention_days


def write_json(path, value) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(value if isinstance(value, str) else json.dumps(value))


@pytest.fixture
def home(tmp_path):
    home = tmp_path / "home"
    (home / ".claude" / "projects").mkdir(parents=True)
    return home


def env_for(home, **extra) -> Env:
    return Env({"HOME": str(home), **extra})


def test_claude_code_default_is_thirty_days(home):
    kept = ClaudeCode().retention(env_for(home))
    assert (kept.days, kept.is_default, kept.writes_nothing) == (30, True, False)
    assert str(home / ".claude" / "settings.json") in kept.setting


@pytest.mark.parametrize(("value", "days", "default", "nothing"), [
    (7, 7, False, False),
    (99999, 99999, False, False),
    (0, 0, False, True),  # Claude Code then writes no transcripts at all
    ("7", 30, True, False),  # not a number: Claude Code's default applies
    (True, 30, True, False),
    (-3, 30, True, False),
])
def test_claude_code_reads_cleanup_period_days(home, value, days, default, nothing):
    write_json(home / ".claude" / "settings.json", {"cleanupPeriodDays": value, "model": "opus"})
    kept = ClaudeCode().retention(env_for(home))
    assert (kept.days, kept.is_default, kept.writes_nothing) == (days, default, nothing)


def test_claude_code_unreadable_settings_mean_the_default(home):
    write_json(home / ".claude" / "settings.json", "{ not json")
    assert ClaudeCode().retention(env_for(home)).is_default


def test_several_config_dirs_report_the_shortest(tmp_path, home):
    work, personal = tmp_path / "work-claude", tmp_path / "personal-claude"
    write_json(work / "settings.json", {"cleanupPeriodDays": 60})
    write_json(personal / "settings.json", {"cleanupPeriodDays": 10})
    kept = ClaudeCode().retention(env_for(home, CLAUDE_CONFIG_DIR=f"{work},{personal / 'projects'}"))
    assert kept.days == 10 and str(personal / "settings.json") in kept.setting


def test_a_huge_settings_file_is_not_read(home):
    padding = " " * (5 << 20)
    write_json(home / ".claude" / "settings.json", '{"cleanupPeriodDays": 3' + padding + "}")
    assert ClaudeCode().retention(env_for(home)).is_default


@pytest.mark.parametrize(("policy", "days", "default"), [
    (None, 30, True),
    ({"enabled": False, "maxAge": "1d"}, None, False),
    ({"enabled": True, "maxAge": "2w"}, 14, False),
    ({"maxAge": "36h"}, 1.5, False),
    ({"maxAge": "soon"}, 30, True),
])
def test_gemini_cli_reads_session_retention(home, policy, days, default):
    settings = {"general": {"vimMode": True}}
    if policy is not None:
        settings["general"]["sessionRetention"] = policy
    write_json(home / ".gemini" / "settings.json", settings)
    kept = GeminiCli().retention(env_for(home))
    assert (kept.days, kept.is_default) == (days, default)


def test_gemini_max_count_is_named_and_ages_parse(home):
    write_json(home / ".gemini" / "settings.json", {"general": {"sessionRetention": {"maxAge": "7d", "maxCount": 50}}})
    assert GeminiCli().retention(env_for(home)).setting.endswith(", at most 50 sessions")
    assert [retention_days(v) for v in ("24h", "7d", "4w", "7", "d", "1m", 7, None)] == [1, 7, 28, None, None, None, None, None]


def test_only_tools_present_here_are_listed(home):
    items = log_retention(env_for(home))
    assert [i["tool"] for i in items] == ["claude-code"]  # no ~/.gemini/tmp here
    (home / ".gemini" / "tmp").mkdir(parents=True)
    assert [i["tool"] for i in log_retention(env_for(home))] == ["claude-code", "gemini-cli"]
    assert [i["tool"] for i in log_retention(env_for(home), disabled={"claude-code"})] == ["gemini-cli"]


def test_the_sentences_say_what_it_means(home):
    [item] = log_retention(env_for(home))
    assert retention_text(item).startswith("Claude Code deletes its logs after 30 days (its default;")
    write_json(home / ".claude" / "settings.json", {"cleanupPeriodDays": 0})
    [item] = log_retention(env_for(home))
    assert "writes no usage for tokenlens to read" in retention_text(item)
    (home / ".gemini" / "tmp").mkdir(parents=True)
    write_json(home / ".gemini" / "settings.json", {"general": {"sessionRetention": {"enabled": False}}})
    gemini = log_retention(env_for(home))[1]
    assert retention_text(gemini).startswith("Gemini CLI keeps its logs until you delete them")


def test_doctor_tells_it(home, tmp_path):
    write_json(home / ".claude" / "settings.json", {"cleanupPeriodDays": 14})
    data_dir = tmp_path / "data"
    as_json = run_cli(home, data_dir, "doctor", "--json")
    assert as_json.returncode == 0, as_json.stderr
    [item] = json.loads(as_json.stdout)["log_retention"]
    assert item["tool"] == "claude-code" and item["days"] == 14 and item["default"] is False
    text = run_cli(home, data_dir, "doctor")
    assert text.returncode == 0, text.stderr
    assert "Claude Code deletes its logs after 14 days" in " ".join(text.stdout.split())
