"""Permission scanners of issue 16's tools, on config files in each tool's real format (as its
source reads them), rated by the one rule table (tokenlens/permissions/rules.py)."""

from __future__ import annotations

import json
from pathlib import Path

from tokenlens.config import Env
from tokenlens.permissions.scan import scan_all
from tokenlens.permissions.secrets import Fingerprinter


def write(path: Path, content: str | dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return path


def grants_of(env: Env, tool: str) -> dict[str, tuple[str, str, str]]:
    """{subject: (kind, risk, rule)} of one tool's grants."""
    result = scan_all(env, Fingerprinter(b"k" * 32))
    assert not [p for p in result.problems if tool in p], result.problems
    return {g.subject: (g.kind, g.risk, g.rule) for g in result.grants if g.tool == tool}


def test_crush_allowed_tools_and_mcp_servers(home):
    write(home / ".config" / "crush" / "crush.json", {
        "$schema": "https://charm.land/crush.json",
        "permissions": {"allowed_tools": ["view", "ls", "bash", "edit:write", "fetch", "mcp_github_delete_repo"]},
        "mcp": {"github": {"type": "stdio", "command": "npx", "args": ["-y", "@modelcontextprotocol/server-github"],
                           "env": {"GITHUB_TOKEN": "ghp_" + "a" * 36}}}})
    project = home / "work" / "app"
    write(home / ".local" / "share" / "crush" / "projects.json",
          {"projects": [{"path": str(project), "data_dir": ".crush", "last_accessed": "2026-08-01T10:00:00Z"}]})
    write(project / ".crush.json", {"permissions": {"allowed_tools": ["bash:execute"]}})
    grants = grants_of(Env(environ={"HOME": str(home)}), "crush")
    assert grants["bash"] == ("allowed_tool", "high", "SHELL-1")
    assert grants["bash:execute"][2] == "SHELL-1"  # the project's own file, found through projects.json
    assert grants["edit:write"][2] == "MODE-5"
    assert grants["fetch"][2] == "NET-1"
    assert grants["view"] == ("allowed_tool", "low", "GRANT-0")
    assert grants["mcp_github_delete_repo"][1] == "high"
    assert any(k == "mcp_server" for k, _, _ in grants.values())
    assert any(rule == "MCP-1" for _, _, rule in grants.values())  # the literal token in env


def test_zed_tool_permissions_agent_modes_and_context_servers(home):
    write(home / ".config" / "zed" / "settings.json", """// Zed settings
{
  "agent": {
    "always_allow_tool_actions": true,
    "tool_permissions": {
      "default": "confirm",
      "tools": {
        "terminal": {"always_allow": [{"pattern": "^git\\\\s+status"}, {"pattern": "^rm\\\\b"}],
                     "always_deny": [{"pattern": "sudo"}]},
        "edit_file": {"default": "allow"},
        "mcp:slack:send_message": {"default": "allow"},
        "fetch": {"default": "deny"},
      },
    },
  },
  "agent_servers": {"claude": {"default_mode": "bypassPermissions"}},
  "context_servers": {
    "postgres": {"command": {"path": "npx", "args": ["-y", "@modelcontextprotocol/server-postgres"], "env": {}}},
  },
}
""")
    grants = grants_of(Env(environ={"HOME": str(home)}), "zed")
    assert grants["agent.always_allow_tool_actions"] == ("approval_mode", "high", "MODE-1")
    assert grants["agent.tool_permissions.default"] == ("approval_mode", "info", "MODE-0")
    assert grants["terminal(/^git\\s+status/)"][1] == "low"
    assert grants["terminal(/^rm\\b/)"] == ("allowed_tool", "high", "SHELL-4")
    assert grants["terminal(/sudo/)"] == ("denied_tool", "info", "DENY-0")
    assert grants["edit_file"] == ("allowed_tool", "low", "MODE-5")
    assert grants["mcp:slack:send_message"][1] == "high"  # acts as you in chat, unasked
    assert grants["fetch"][2] == "DENY-0"
    assert grants["agent_servers.claude.default_mode"][2] == "MODE-1"
    assert grants["postgres"][0] == "mcp_server" and grants["postgres"][2] == "MCP-2"  # unpinned npx package


def test_droid_autonomy_level_allowlist_and_mcp(home):
    write(home / ".factory" / "settings.json", {
        "model": "opus", "sessionDefaultSettings": {"autonomyLevel": "high", "interactionMode": "auto"},
        "commandAllowlist": ["ls", "git status", "git push"], "commandDenylist": ["rm -rf /"]})
    write(home / ".factory" / "settings.local.json", {"autonomyLevel": "auto-low"})  # an older build's key
    write(home / ".factory" / "mcp.json", {"mcpServers": {"stripe": {"command": "npx", "args": ["-y", "@stripe/mcp"]}}})
    grants = grants_of(Env(environ={"HOME": str(home)}), "droid")
    assert grants["sessionDefaultSettings.autonomyLevel"] == ("approval_mode", "high", "MODE-1")
    assert grants["autonomyLevel"] == ("approval_mode", "low", "MODE-5")
    assert grants["git push"] == ("command_pattern", "high", "SHELL-4")  # a prefix: git push --force too
    assert grants["ls"][1] == "low"
    assert grants["rm -rf /"] == ("denied_tool", "info", "DENY-0")
    assert grants["stripe"][0] == "mcp_server"


def test_hermes_approvals_allowlist_profiles_and_mcp(home):
    write(home / ".hermes" / "config.yaml", """model:
  default: anthropic/claude-sonnet-4.5
approvals:
  mode: off
  timeout: 300
  cron_mode: approve
command_allowlist:
  - rm -rf
mcp_servers:
  gmail:
    command: npx
    args: ["-y", "@gongrzhe/server-gmail-autoauth-mcp"]
""")
    write(home / ".hermes" / "profiles" / "work" / "config.yaml", "approvals:\n  mode: smart\n")
    grants = scan_all(Env(environ={"HOME": str(home)}), Fingerprinter(b"k" * 32)).grants
    got = {(g.scope, g.subject): (g.value, g.rule) for g in grants if g.tool == "hermes"}
    assert got[("global", "approvals.mode")] == ("off", "MODE-1")  # YAML's bare off is false: still off
    assert got[("global", "approvals.cron_mode")] == ("approve", "MODE-1")
    assert got[("profile work", "approvals.mode")] == ("smart", "MODE-4")
    assert got[("global", "rm -rf")][1] == "SHELL-4"
    assert ("global", "gmail") in got


def amazon_q_agent(name: str) -> dict:
    """An agent config as `q agent create` writes it (crates/chat-cli/src/cli/agent/mod.rs)."""
    return {"$schema": "https://raw.githubusercontent.com/aws/amazon-q-developer-cli/refs/heads/main/schemas/agent-v1.json",
            "name": name, "description": "", "prompt": None,
            "mcpServers": {"aws-docs": {"command": "uvx", "args": ["awslabs.aws-documentation-mcp-server@latest"]}},
            "tools": ["*"], "toolAliases": {},
            "allowedTools": ["fs_read", "fs_write", "use_aws", "@aws-docs"],
            "toolsSettings": {"execute_bash": {"allowedCommands": ["git status", "terraform apply.*"],
                                               "deniedCommands": ["rm .*"], "autoAllowReadonly": True},
                              "fs_write": {"allowedPaths": ["~/.ssh/**", "src/**"]},
                              "use_aws": {"allowedServices": ["s3"]}},
            "resources": ["file://README.md"], "hooks": {}, "useLegacyMcpJson": True, "model": None}


def test_amazon_q_agents_and_mcp(home):
    write(home / ".aws" / "amazonq" / "cli-agents" / "ops.json", amazon_q_agent("ops"))
    write(home / ".aws" / "amazonq" / "mcp.json", {"mcpServers": {"slack": {"command": "npx", "args": ["slack-mcp"]}}})
    grants = grants_of(Env(environ={"HOME": str(home)}), "amazon-q")
    assert grants["agent ops: fs_write"][2] == "MODE-5"
    assert grants["agent ops: use_aws"] == ("allowed_tool", "high", "MCP-8")
    assert grants["agent ops: fs_read"] == ("allowed_tool", "low", "GRANT-0")
    assert grants["agent ops: @aws-docs"][1] in ("high", "medium")  # a whole MCP server, unasked
    assert grants["agent ops: execute_bash /terraform apply.*/"] == ("command_pattern", "high", "SHELL-2")  # terraform: an escape hatch
    assert grants["agent ops: execute_bash /rm .*/"] == ("denied_tool", "info", "DENY-0")
    assert grants["agent ops: fs_write ~/.ssh/**"] == ("allowed_path", "high", "FILE-1")
    assert grants["agent ops: use_aws s3"][2] == "MCP-8"
    assert grants["agent ops: aws-docs"][0] == "mcp_server" and grants["slack"][0] == "mcp_server"


def test_kiro_agents_mcp_auto_approve_and_no_usage(home, db):
    write(home / ".kiro" / "agents" / "dev.json", {**amazon_q_agent("dev"), "allowedTools": ["*"]})
    write(home / ".kiro" / "settings" / "mcp.json", {"mcpServers": {
        "github": {"command": "docker", "args": ["run", "-i", "ghcr.io/github/github-mcp-server:1.2.0"],
                   "autoApprove": ["get_issue", "merge_pull_request"]},
        "old": {"command": "old-mcp", "disabled": True, "autoApprove": ["*"]}}})
    grants = grants_of(Env(environ={"HOME": str(home)}), "kiro")
    assert grants["agent dev: *"] == ("allowed_tool", "high", "MODE-1")
    assert grants["mcp github: get_issue"][1] == "low"
    assert grants["mcp github: merge_pull_request"][1] == "high"  # publishes, unasked
    assert "mcp old: *" not in grants  # a disabled server runs nothing
    from tokenlens.status import sources_status

    row = {r["id"]: r for r in sources_status(db, Env(environ={"HOME": str(home)}))}["kiro"]
    assert row["reads_usage"] is False and "credits" in row["why_not"] and row["found"] is True


def test_antigravity_mcp_config_and_cli_permissions(home, tmp_path, db):
    write(home / ".gemini" / "antigravity" / "mcp_config.json", {"mcpServers": {
        "remote": {"serverUrl": "http://mcp.example.com/mcp"}}})
    write(home / ".gemini" / "antigravity-cli" / "settings.json", {
        "model": "Gemini 3.5 Flash (High)", "enableTerminalSandbox": False, "toolPermission": "always-proceed",
        "trustedWorkspaces": [str(home), str(home / "work" / "app")]})
    grants = grants_of(Env(environ={"HOME": str(home)}), "antigravity")
    assert grants["toolPermission"] == ("approval_mode", "high", "MODE-1")
    assert grants["enableTerminalSandbox"][2] == "SBX-2"
    assert grants[str(home)] == ("trusted_folder", "high", "TRUST-1")
    assert grants[str(home / "work" / "app")][2] == "TRUST-0"
    assert grants["remote"][2] == "MCP-3"  # plain http


def test_grok_permission_mode_rules_and_mcp_servers(home):
    write(home / ".grok" / "config.toml", """[models]
default = "grok-build"

[ui]
permission_mode = "always-approve"

[permission]
allow = ["Bash(git *)", "Bash(npm run build)", "Read", "MCPTool(slack__post_message)"]
deny = ["Bash(rm -rf *)"]
rules = [
  { action = "allow", tool = "edit", pattern = "~/.zshrc" },
  { action = "ask", tool = "webfetch" },
]

[mcp_servers.linear]
command = "npx"
args = ["-y", "mcp-remote", "https://mcp.linear.app/sse"]
""")
    grants = grants_of(Env(environ={"HOME": str(home)}), "grok")
    assert grants["ui.permission_mode"] == ("approval_mode", "high", "MODE-1")
    assert grants["Bash(git *)"][1] == "high"  # covers git push --force
    assert grants["Bash(npm run build)"][1] == "low"
    assert grants["MCPTool(slack__post_message)"][1] == "high"  # posts as you, unasked
    assert grants["Bash(rm -rf *)"] == ("denied_tool", "info", "DENY-0")
    assert grants["Edit(~/.zshrc)"] == ("allowed_tool", "high", "FILE-2")
    assert grants["WebFetch"][2] == "DENY-0"
    assert grants["linear"][0] == "mcp_server"


KILO_GLOBAL = """// Kilo CLI reads JSONC; it adds the $schema line itself on first load (config.ts `load`)
{
  "$schema": "https://app.kilo.ai/config.json",
  "model": "kilo/anthropic/claude-sonnet-4.5",
  "permission": {
    "bash": {"*": "ask", "git push*": "allow"},
    "edit": "allow",
    "webfetch": "allow",
    "read": null,  // Kilo's delete sentinel: no grant
  },
  "agent": {"code": {"permission": {"bash": "allow"}}},
  "mcp": {
    "linear": {"type": "remote", "url": "https://mcp.linear.app/mcp", "headers": {"Authorization": "Bearer %s"}},
  },
}
"""


def test_kilo_cli_permission_agents_mcp_and_its_folders(home, tmp_path, db):
    """Kilo CLI keeps OpenCode's schema (Kilo-Org/kilocode packages/opencode/src/config/config.ts)
    in its own files: ~/.config/kilo/kilo.jsonc, ~/.kilo/, a project's .kilo/ and the managed
    %ProgramData%\\kilo; each rated as OpenCode's are, under the id kilo."""
    write(home / ".config" / "kilo" / "kilo.jsonc", KILO_GLOBAL % ("sk-" + "b" * 40))
    write(home / ".kilo" / "kilo.json", {"tools": {"todowrite": False}})  # legacy `tools`: false = disabled
    project = home / "work" / "kapp"
    write(project / ".kilo" / "kilo.json", {"permission": {"external_directory": {"~/.ssh/*": "allow"}}})
    managed = tmp_path / "ProgramData"
    write(managed / "kilo" / "opencode.json", {"permission": {"websearch": "deny"}})
    db.execute("INSERT INTO events (tool, event_key, ts_ms, project) VALUES ('kilo', 'k', 1, ?)", [str(project)])
    db.conn.commit()
    env = Env(environ={"HOME": str(home), "ProgramData": str(managed)})
    result = scan_all(env, Fingerprinter(b"k" * 32), db)
    assert result.problems == []
    kilo = {(g.scope, g.subject): (g.kind, g.risk, g.rule) for g in result.grants if g.tool == "kilo"}
    assert kilo[("global", "bash")] == ("ask_tool", "info", "DENY-0")
    assert kilo[("global", "bash(git push*)")] == ("allowed_tool", "high", "SHELL-4")  # force-push, unasked
    assert kilo[("global", "agent code: bash")] == ("allowed_tool", "high", "SHELL-1")
    assert kilo[("global", "edit")] == ("allowed_tool", "low", "MODE-5")
    assert kilo[("global", "webfetch")] == ("allowed_tool", "medium", "NET-1")
    assert kilo[("global", "linear")][0] == "mcp_server"
    assert any(rule == "MCP-1" for _, _, rule in kilo.values())  # the literal bearer token in headers
    assert kilo[("global", "websearch")] == ("denied_tool", "info", "DENY-0")  # the managed file
    assert kilo[("global", "todowrite")] == ("denied_tool", "info", "DENY-0")  # from ~/.kilo
    assert kilo[("~/work/kapp", "external_directory(~/.ssh/*)")][2] == "FILE-1"
    assert not any(subject.startswith("read") for _, subject in kilo)
    assert not any(g.tool == "opencode" for g in result.grants)  # Kilo's files are not OpenCode's
    assert "sk-" + "b" * 40 not in repr(result.grants)


def test_kilo_cli_without_a_bash_permission_runs_shell_commands_unasked(home):
    """agent/agent.ts: every agent starts from `"*": "allow"`, as in OpenCode."""
    write(home / ".config" / "kilo" / "config.json", {"permission": {"edit": "ask"}})
    grants = grants_of(Env(environ={"HOME": str(home)}), "kilo")
    assert grants["bash"] == ("allowed_tool", "high", "SHELL-1")
    assert grants["edit"] == ("ask_tool", "info", "DENY-0")


# ---- VS Code extensions' auto-approve settings in the editor's state.vscdb ---------------------

SECRET = "sk-ant-CANARYstate0123456789abcdef"


def state_db(user_dir: Path, rows: dict[str, dict | str], *installed: str) -> Path:
    """An editor's `User/globalStorage/state.vscdb` as VS Code keeps it (ItemTable, one row per
    extension id holding its globalState as JSON text), with the extensions' storage folders."""
    import sqlite3

    path = user_dir / "globalStorage" / "state.vscdb"
    path.parent.mkdir(parents=True, exist_ok=True)
    for extension in installed:
        (path.parent / extension).mkdir(exist_ok=True)
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE IF NOT EXISTS ItemTable (key TEXT UNIQUE ON CONFLICT REPLACE, value BLOB)")
    rows = {"secret://{\"extensionId\":\"rooveterinaryinc.roo-cline\",\"key\":\"apiKey\"}": SECRET,
            "workbench.panel.height": "300", **rows}
    conn.executemany("INSERT INTO ItemTable VALUES (?, ?)",
                     [(k, v if isinstance(v, str) else json.dumps(v)) for k, v in rows.items()])
    conn.commit()
    conn.close()
    return path


def grants_with_values(env: Env, tool: str) -> dict[str, tuple[str, str, str]]:
    result = scan_all(env, Fingerprinter(b"k" * 32))
    assert not [p for p in result.problems if tool in p or "state.vscdb" in p], result.problems
    assert SECRET not in repr(result.grants)
    return {g.subject: (g.value, g.rule, g.source_file) for g in result.grants if g.tool == tool}


def test_roo_code_auto_approve_settings_per_editor(home):
    code = home / ".config" / "Code" / "User"
    state_db(code, {"RooVeterinaryInc.roo-cline": {
        "apiProvider": "anthropic", "autoApprovalEnabled": True, "alwaysAllowExecute": True,
        "allowedCommands": ["npm test", "git", "*"], "deniedCommands": ["rm -rf"],
        "alwaysAllowWrite": True, "alwaysAllowWriteOutsideWorkspace": True, "alwaysAllowWriteProtected": False,
        "alwaysAllowReadOnly": True, "alwaysAllowReadOnlyOutsideWorkspace": True, "alwaysAllowMcp": True}},
        "rooveterinaryinc.roo-cline")
    # Cursor: the master switch off, so its toggles approve nothing (auto-approval/index.ts).
    state_db(home / ".config" / "Cursor" / "User", {"RooVeterinaryInc.roo-cline": {
        "autoApprovalEnabled": False, "alwaysAllowExecute": True, "allowedCommands": ["*"]}},
        "rooveterinaryinc.roo-cline")
    # VSCodium: a state row for Roo, but the extension is not installed there: not read.
    state_db(home / ".config" / "VSCodium" / "User", {"RooVeterinaryInc.roo-cline": {
        "autoApprovalEnabled": True, "alwaysAllowWrite": True}})
    result = scan_all(Env(environ={"HOME": str(home)}), Fingerprinter(b"k" * 32))
    assert result.problems == [] and SECRET not in repr(result.grants)
    roo = sorted((g.source_file.split("/")[2], g.kind, g.subject, g.rule) for g in result.grants if g.tool == "roo-code")
    assert roo == [
        ("Code", "allowed_tool", "alwaysAllowReadOnlyOutsideWorkspace", "FILE-1"),  # reads ~/.ssh unasked
        ("Code", "allowed_tool", "alwaysAllowWrite", "MODE-5"),
        ("Code", "allowed_tool", "alwaysAllowWriteOutsideWorkspace", "FILE-3"),
        ("Code", "command_pattern", "*", "SHELL-1"),
        ("Code", "command_pattern", "git", "SHELL-4"),  # a prefix: git push --force too
        ("Code", "command_pattern", "npm test", "SHELL-0"),
        ("Code", "denied_tool", "rm -rf", "DENY-0"),
        ("Cursor", "approval_mode", "autoApprovalEnabled", "MODE-0"),
    ]
    hint = next(g.hint for g in result.grants if g.tool == "roo-code" and g.subject == "*")
    assert "allowed commands" in hint and "state.vscdb" in hint


def test_kilo_code_yolo_mode_and_its_permissive_defaults(home):
    state_db(home / ".config" / "Code" / "User", {"kilocode.kilo-code": {
        "yoloMode": True, "yoloGatekeeperApiConfigId": "cfg-1", "alwaysAllowDelete": True,
        "alwaysAllowWriteProtected": True}}, "kilocode.kilo-code")
    grants = grants_with_values(Env(environ={"HOME": str(home)}), "kilo-code")
    assert grants["yoloMode"][:2] == ("true (a gatekeeper model reviews each call)", "MODE-1")
    # Unset keys take Kilo Code's defaults (ClineProvider.getState): writes and the browser on.
    assert grants["alwaysAllowWrite"][:2] == ("true (unset: Kilo Code's default)", "MODE-5")
    assert grants["alwaysAllowWriteProtected"][:2] == ("true", "FILE-2")  # its own config files
    assert grants["alwaysAllowBrowser"][1] == "NET-1"
    assert grants["alwaysAllowDelete"][1] == "MODE-4"
    assert "alwaysAllowWriteOutsideWorkspace" not in grants and "alwaysAllowReadOnlyOutsideWorkspace" not in grants


CLINE_HEAD_DEFAULTS = {"version": 1, "enabled": True, "favorites": [], "maxRequests": 20, "enableNotifications": False,
                       "actions": {"readFiles": True, "readFilesExternally": True, "editFiles": True,
                                   "editFilesExternally": True, "executeSafeCommands": False,
                                   "executeAllCommands": True, "useBrowser": True, "useMcp": True}}


def test_cline_auto_approval_in_its_global_state_file_and_old_builds_state_db(home):
    stale = {"saoudrizwan.claude-dev": {"yoloModeToggled": True}}
    code = home / ".config" / "Code" / "User"
    state_db(code, stale, "saoudrizwan.claude-dev")
    # Current builds: ~/.cline/data/globalState.json, migrated from VS Code's copy once.
    write(home / ".cline" / "data" / "globalState.json", {
        "__vscodeMigrationVersion": 3, "autoApprovalSettings": CLINE_HEAD_DEFAULTS, "isNewUser": False})
    grants = grants_with_values(Env(environ={"HOME": str(home)}), "cline")
    assert {s: r[1] for s, r in grants.items() if s.startswith("autoApprovalSettings")} == {
        "autoApprovalSettings.actions.editFiles": "MODE-5",
        "autoApprovalSettings.actions.editFilesExternally": "FILE-3",
        "autoApprovalSettings.actions.readFilesExternally": "FILE-1",
        "autoApprovalSettings.actions.useBrowser": "NET-1"}  # executeSafeCommands off: no command runs unasked
    assert "yoloModeToggled" not in grants  # VS Code's copy, left behind by the migration, is not read
    assert grants["autoApprovalSettings.actions.editFiles"][2] == "~/.cline/data/globalState.json"

    # An older build, never migrated: its globalState is VS Code's.
    (home / ".cline" / "data" / "globalState.json").unlink()
    state_db(code, {"saoudrizwan.claude-dev": {"yoloModeToggled": True, "autoApprovalSettings": {
        "version": 4, "enabled": False, "actions": {"readFiles": True, "executeSafeCommands": True,
                                                    "executeAllCommands": True, "useMcp": True}}}})
    grants = grants_with_values(Env(environ={"HOME": str(home)}), "cline")
    assert grants["yoloModeToggled"][1] == "MODE-1"
    value, rule, source = grants["autoApprovalSettings.actions.executeSafeCommands"]
    assert rule == "SHELL-1" and "enabled: false" in value and source.endswith("Code/User/globalStorage/state.vscdb")


def test_cursor_auto_run_settings_in_its_state_db(home):
    key = "src.vs.platform.reactivestorage.browser.reactiveStorageServiceImpl.persistentStorage.applicationUser"
    state_db(home / ".config" / "Cursor" / "User", {key: {"composerState": {
        "useYoloMode": True, "yoloCommandAllowlist": ["npm run test", "git"], "mcpAllowedTools": ["github:*"]}}})
    grants = grants_with_values(Env(environ={"HOME": str(home)}), "cursor")
    assert grants["auto-run (YOLO) mode"][1] == "MODE-2"  # with an allowlist
    assert grants["git"][1] == "SHELL-4" and grants["npm run test"][1] == "SHELL-0"
    assert grants["mcp github:*"][1] == "MCP-4"
