"""`statusline install` / `uninstall` end to end: into a throwaway Claude config, the
installed command run as Claude Code runs it (`sh -c`, JSON on stdin), `limits --json`,
then `uninstall` restoring settings.json byte for byte."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

PY = sys.executable

# Odd but valid formatting: 4-space indent, keys in a non-sorted order, a unicode value.
ORIGINAL = (b'{\n    "model": "opus",\n    "permissions": {\n        "allow": ["Bash(ls:*)"]\n    },\n'
            b'    "statusLine": {\n        "type": "command",\n        "command": "echo PREVIOUS-LINE"\n    },\n'
            b'    "env": {"GREETING": "gr\xc3\xbc\xc3\x9f"}\n}\n')


def env_for(home: Path, **extra) -> dict:
    return {"HOME": str(home), "PATH": os.environ.get("PATH", ""), "PYTHONDONTWRITEBYTECODE": "1", **extra}


def tokenlens(home: Path, data: Path, *args: str, stdin: bytes = b"", **extra) -> subprocess.CompletedProcess:
    return subprocess.run([PY, "-m", "tokenlens", "--data-dir", str(data), *args], input=stdin,
                          capture_output=True, env=env_for(home, **extra), timeout=300)


def test_install_run_limits_uninstall_round_trip(tmp_path):
    home, data = tmp_path / "home", tmp_path / "data"
    settings = home / ".claude" / "settings.json"
    settings.parent.mkdir(parents=True)
    settings.write_bytes(ORIGINAL)

    preview = tokenlens(home, data, "statusline", "install", "--preview")
    assert preview.returncode == 0, preview.stderr
    assert settings.read_bytes() == ORIGINAL  # a preview writes nothing
    assert "chains the existing status line (echo PREVIOUS-LINE)" in preview.stdout.decode()
    assert '+        "command": ' in preview.stdout.decode()

    done = tokenlens(home, data, "statusline", "install", "--yes")
    assert done.returncode == 0, done.stderr
    backups = list(settings.parent.glob("settings.json.tokenlens-*.bak"))
    assert len(backups) == 1 and backups[0].read_bytes() == ORIGINAL
    installed = json.loads(settings.read_text(encoding="utf-8"))
    assert list(installed) == ["model", "permissions", "statusLine", "env"]  # order kept
    assert installed["env"] == {"GREETING": "grüß"} and installed["permissions"] == {"allow": ["Bash(ls:*)"]}
    assert settings.read_text(encoding="utf-8").startswith('{\n    "model"')  # its indentation kept
    command = installed["statusLine"]["command"]
    assert installed["statusLine"]["type"] == "command" and "tokenlens.statusline" in command

    # installing again changes nothing
    again = tokenlens(home, data, "statusline", "install", "--yes")
    assert again.returncode == 0 and "already set up" in again.stdout.decode()
    assert len(list(settings.parent.glob("settings.json.tokenlens-*.bak"))) == 1

    # Claude Code runs the command through a shell with the JSON on stdin
    now = int(time.time())
    body = {"session_id": "s1", "transcript_path": str(home / ".claude/projects/-p/s1.jsonl"),
            "model": {"id": "claude-sonnet-4-5", "display_name": "Sonnet"},
            "rate_limits": {"five_hour": {"used_percentage": 42, "resets_at": now + 3600},
                            "seven_day": {"used_percentage": 18, "resets_at": now + 5 * 86400}}}
    shown = subprocess.run(["sh", "-c", command], input=json.dumps(body).encode(), capture_output=True,
                           env=env_for(home, NO_COLOR="1"), timeout=120)
    assert shown.returncode == 0 and shown.stderr == b""
    at, today = time.localtime(now + 3600), time.localtime(now)
    reset = time.strftime("%H:%M" if at.tm_yday == today.tm_yday else "%a %H:%M", at)
    assert shown.stdout.decode() == f"today 0 tok $0 · 5h 42% → {reset} · 7d 18%\nPREVIOUS-LINE\n"

    limits = tokenlens(home, data, "limits", "--json")
    assert limits.returncode == 0, limits.stderr
    rows = json.loads(limits.stdout)["limits"]
    five = next(r for r in rows if r["window"] == "5h")
    assert (five["tool"], five["source"], five["used_percent"], five["state"]) == (
        "claude-code", "claude-statusline", 42.0, "current")
    assert five["resets_at"] == time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now + 3600))
    assert five["tokens_per_percent"] is None
    for key in ("tool", "window", "used_percent", "resets_at", "observed_at", "source", "pace_full_at",
                "tokens_per_percent"):
        assert key in five

    gone = tokenlens(home, data, "statusline", "uninstall", "--yes")
    assert gone.returncode == 0, gone.stderr
    assert settings.read_bytes() == ORIGINAL  # byte for byte


def test_install_where_there_was_no_settings_file_and_uninstall_removes_it(tmp_path):
    home, data = tmp_path / "home", tmp_path / "data"
    config = tmp_path / "claude-config"
    config.mkdir()
    done = tokenlens(home, data, "statusline", "install", "--yes", CLAUDE_CONFIG_DIR=str(config))
    assert done.returncode == 0, done.stderr
    written = json.loads((config / "settings.json").read_text())
    assert list(written) == ["statusLine"] and "--then" not in written["statusLine"]["command"]
    assert not (home / ".claude").exists()  # only CLAUDE_CONFIG_DIR's dir
    gone = tokenlens(home, data, "statusline", "uninstall", "--yes", CLAUDE_CONFIG_DIR=str(config))
    assert gone.returncode == 0, gone.stderr
    assert not (config / "settings.json").exists()


def test_uninstall_after_the_person_changed_settings_keeps_their_change(tmp_path):
    home, data = tmp_path / "home", tmp_path / "data"
    settings = home / ".claude" / "settings.json"
    settings.parent.mkdir(parents=True)
    settings.write_bytes(ORIGINAL)
    assert tokenlens(home, data, "statusline", "install", "--yes").returncode == 0
    changed = json.loads(settings.read_text(encoding="utf-8"))
    changed["model"] = "sonnet"
    settings.write_text(json.dumps(changed, indent=4, ensure_ascii=False) + "\n", encoding="utf-8")
    gone = tokenlens(home, data, "statusline", "uninstall", "--yes")
    assert gone.returncode == 0, gone.stderr
    assert "puts back only the previous statusLine" in gone.stdout.decode()
    after = json.loads(settings.read_text(encoding="utf-8"))
    assert after["model"] == "sonnet"
    assert after["statusLine"] == {"type": "command", "command": "echo PREVIOUS-LINE"}


def test_a_settings_file_that_is_not_json_is_a_one_line_error(tmp_path):
    home, data = tmp_path / "home", tmp_path / "data"
    settings = home / ".claude" / "settings.json"
    settings.parent.mkdir(parents=True)
    settings.write_bytes(b"{ not json")
    done = tokenlens(home, data, "statusline", "install", "--yes")
    assert done.returncode == 2
    assert done.stderr.decode().startswith(f"tokenlens: {settings} is not valid JSON")
    assert len(done.stderr.decode().strip().splitlines()) == 1
    assert settings.read_bytes() == b"{ not json"
