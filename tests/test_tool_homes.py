"""One home per tool: its usage reader and its permission scanner look in the same folders,
the ones `tokenlens.tools.<tool>.homes` names, overrides included. (Before the tools/
layout the two halves drifted: with GEMINI_CLI_HOME usage came from /alt/.gemini while the
grants shown were ~/.gemini's; a CLAUDE_CONFIG_DIR given as its projects/ folder moved the
usage but not the grants.)"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tokenlens.config import Env
from tokenlens.permissions.base import ScanContext
from tokenlens.permissions.scan import scan_all
from tokenlens.permissions.secrets import Fingerprinter
from tokenlens.tools import TOOLS


def under(path: Path, folders: list[Path]) -> bool:
    return any(path == f or f in path.parents for f in folders)


@pytest.mark.parametrize("tool", [t for t in TOOLS if t.listed and t.permissions], ids=lambda t: t.id)
def test_usage_and_permissions_both_read_the_tools_homes(tool, tmp_path, monkeypatch):
    """Whatever the tool: every folder its usage reader reads is inside its homes, and so is
    a config file its scanner reads there."""
    home = tmp_path / "home"
    env = Env(environ={"HOME": str(home)})
    homes = tool.homes(env)
    assert homes, tool.id
    source = tool.source()
    if not source.no_local_data_reason:
        assert all(under(root, homes) for root in source.roots(env)), (tool.id, source.roots(env), homes)
    read: list[Path] = []
    real_read = ScanContext.read

    def recording_read(self, path, fmt="json"):
        read.append(Path(path))
        return real_read(self, path, fmt)

    monkeypatch.setattr(ScanContext, "read", recording_read)
    ctx = ScanContext(env=env, fingerprint=Fingerprinter(b"k" * 32))
    tool.scanner().scan(ctx)
    assert any(under(path, homes) for path in read), (tool.id, read[:5], homes)


# (tool id, the override, where its home then is, a config file there, its text, a grant subject it gives)
OVERRIDES = [
    ("claude-code", {"CLAUDE_CONFIG_DIR": "{alt}/projects"}, "{alt}", "settings.json",
     json.dumps({"permissions": {"allow": ["Bash(rm -rf:*)"]}}), "Bash(rm -rf:*)"),
    ("claude-code", {"CLAUDE_CONFIG_DIR": "{alt}"}, "{alt}", "settings.json",
     json.dumps({"permissions": {"allow": ["Bash(rm -rf:*)"]}}), "Bash(rm -rf:*)"),
    ("gemini-cli", {"GEMINI_CLI_HOME": "{alt}"}, "{alt}/.gemini", "settings.json",
     json.dumps({"tools": {"approvalMode": "yolo"}}), None),
    ("qwen-code", {"QWEN_HOME": "{alt}"}, "{alt}", "settings.json", json.dumps({"tools": {"approvalMode": "yolo"}}), None),
    ("codex", {"CODEX_HOME": "{alt}"}, "{alt}", "config.toml", 'approval_policy = "never"\n', "approval_policy"),
    ("goose", {"GOOSE_PATH_ROOT": "{alt}"}, "{alt}/config", "config.yaml", "GOOSE_MODE: auto\n", "GOOSE_MODE"),
    ("openclaw", {"OPENCLAW_STATE_DIR": "{alt}"}, "{alt}", "openclaw.json",
     json.dumps({"tools": {"exec": {"security": "full", "ask": "off"}}}), "tools.exec"),
    ("copilot-cli", {"COPILOT_HOME": "{alt}"}, "{alt}", "mcp-config.json",
     json.dumps({"mcpServers": {"deploy": {"command": "npx", "args": ["deploy-mcp"]}}}), None),
    ("kimi-cli", {"KIMI_SHARE_DIR": "{alt}"}, "{alt}", "config.toml", "default_yolo = true\n", "default_yolo"),
    ("grok", {"GROK_HOME": "{alt}"}, "{alt}", "config.toml", '[ui]\npermission_mode = "always-approve"\n',
     "ui.permission_mode"),
    ("hermes", {"HERMES_HOME": "{alt}"}, "{alt}", "config.yaml", "approvals:\n  mode: off\n", "approvals.mode"),
    ("droid", {"FACTORY_HOME_OVERRIDE": "{alt}"}, "{alt}/.factory", "settings.json",
     json.dumps({"sessionDefaultSettings": {"autonomyLevel": "high"}}), "sessionDefaultSettings.autonomyLevel"),
    ("kilo", {"XDG_DATA_HOME": "{alt}/data", "XDG_CONFIG_HOME": "{alt}/config"}, "{alt}/config/kilo", "kilo.jsonc",
     '// Kilo CLI\n{"permission": "allow"}\n', "permission"),
]


@pytest.mark.parametrize(("tool_id", "override", "where", "name", "text", "subject"), OVERRIDES,
                         ids=[f"{o[0]}:{next(iter(o[1]))}={o[1][next(iter(o[1]))]}" for o in OVERRIDES])
def test_an_override_moves_usage_and_grants_together(tool_id, override, where, name, text, subject, tmp_path):
    home, alt = tmp_path / "home", tmp_path / "alt"
    home.mkdir()
    environ = {"HOME": str(home), **{k: v.format(alt=alt) for k, v in override.items()}}
    env = Env(environ=environ)
    folder = Path(where.format(alt=alt))
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text)
    tool = next(t for t in TOOLS if t.id == tool_id)
    roots = tool.source().roots(env)
    assert roots and all(under(root, [alt]) for root in roots), roots
    grants = [g for g in scan_all(env, Fingerprinter(b"k" * 32)).grants if g.tool == tool_id]
    from_alt = [g for g in grants if g.source_file.startswith(str(alt))]
    assert from_alt, [(g.subject, g.source_file) for g in grants]
    if subject is not None:
        assert subject in {g.subject for g in from_alt}
