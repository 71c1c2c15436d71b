"""Amazon Q Developer CLI: agent configs (`allowedTools`, `toolsSettings`, `mcpServers`) and the
global `mcp.json`.

Confirmed against github:aws/amazon-q-developer-cli @ 15cc8f3c (2026-04-23):
- where (crates/chat-cli/src/util/paths.rs): global `~/.aws/amazonq/cli-agents/*.json` and
  `~/.aws/amazonq/mcp.json`; per workspace `.amazonq/cli-agents/*.json` and `.amazonq/mcp.json`;
- an agent (crates/chat-cli/src/cli/agent/mod.rs `Agent`, camelCase JSON): `mcpServers`
  (`{name: {command, args, env, url, headers}}`), `tools`, `allowedTools` (tools that run
  without asking: `*`, a built-in name such as `fs_read`, `fs_write`, `execute_bash`
  (`execute_cmd` on Windows), `use_aws`, or `@server` / `@server/tool` for MCP), and
  `toolsSettings`: `execute_bash.allowedCommands` / `deniedCommands` (regexes over the
  command, tools/execute/mod.rs), `autoAllowReadonly`; `fs_read` / `fs_write`
  `allowedPaths` / `deniedPaths` (tools/fs_write.rs); `use_aws.allowedServices`
  (tools/use_aws.rs);
- `q chat --trust-all-tools` (cli/chat/mod.rs) approves every tool: a launch flag.

Kiro CLI, its closed successor, reads agents of the same shape (tools/kiro/permissions.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tokenlens.permissions.base import ConfigFile, ScanContext, dig, str_list
from tokenlens.permissions.mcp import add_servers
from tokenlens.permissions.rules import mcp_allow_rule, path_rule, shell_rule
from tokenlens.tools import amazon_q as where

TOOL = "amazon-q"
SHELL_TOOLS = ("execute_bash", "execute_cmd", "shell")
WRITE_TOOLS = ("fs_write", "write")
READ_TOOLS = ("fs_read", "read", "glob", "grep")


def scan(ctx: ScanContext) -> None:
    for home in where.homes(ctx.env):
        scan_folder(ctx, TOOL, "global", home / "cli-agents", home / "mcp.json")
    for root in ctx.project_roots():
        if (root / ".amazonq").is_dir():
            scan_folder(ctx, TOOL, ctx.scope_of(root), root / ".amazonq" / "cli-agents", root / ".amazonq" / "mcp.json")


def scan_folder(ctx: ScanContext, tool: str, scope: str, agents: Path, mcp_json: Path) -> None:
    mcp = ctx.read(mcp_json, "jsonc")
    if mcp:
        add_servers(ctx, tool, scope, dig(mcp.data, "mcpServers"), mcp)
    try:
        files = sorted(p for p in agents.iterdir() if p.suffix == ".json" and p.is_file())
    except OSError:
        files = []
    for path in files:
        config = ctx.read(path, "jsonc")
        if config and isinstance(config.data, dict):
            scan_agent(ctx, tool, scope, config)


def scan_agent(ctx: ScanContext, tool: str, scope: str, config: ConfigFile) -> None:
    agent = config.data
    name = str(agent.get("name") or config.path.stem)
    for entry in sorted(str_list(agent.get("allowedTools"))):
        ctx.add(tool, scope, "allowed_tool", f"agent {name}: {entry}", "allowed", config, allowed_rule(entry))
    settings = agent.get("toolsSettings")
    for target, value in sorted(settings.items()) if isinstance(settings, dict) else []:
        if isinstance(value, dict):
            _tool_settings(ctx, tool, scope, name, str(target), value, config)
    add_servers(ctx, tool, scope, agent.get("mcpServers"), config, prefix=f"agent {name}: ")


def allowed_rule(entry: str) -> str:
    text = entry.strip()
    if text in ("*", "@*"):
        return "MODE-1"
    if text.startswith("@"):
        server, _, mcp_tool = text[1:].partition("/")
        return "GRANT-0" if server == "builtin" else mcp_allow_rule(server, mcp_tool or None)
    if text in SHELL_TOOLS:
        return "SHELL-1"
    if text in WRITE_TOOLS:
        return "MODE-5"
    if text == "use_aws" or text == "aws":
        return "MCP-8"  # any AWS API call, as the person's credentials allow
    return "GRANT-0"


def _tool_settings(ctx: ScanContext, tool: str, scope: str, agent: str, target: str, value: dict[str, Any],
                   config: ConfigFile) -> None:
    prefix = f"agent {agent}: {target}"
    for pattern in str_list(value.get("allowedCommands")):
        ctx.add(tool, scope, "command_pattern", f"{prefix} /{pattern}/", "allowedCommands", config,
                "SHELL-1" if pattern.strip() in (".*", ".+") else shell_rule(f"/{pattern}/"))
    for pattern in str_list(value.get("deniedCommands")):
        ctx.add(tool, scope, "denied_tool", f"{prefix} /{pattern}/", "deniedCommands", config, "DENY-0")
    if value.get("autoAllowReadonly") is True:
        ctx.add(tool, scope, "allowed_tool", f"{prefix} read-only commands", "autoAllowReadonly", config, "GRANT-0")
    writes = target in WRITE_TOOLS
    for path in str_list(value.get("allowedPaths")):
        ctx.add(tool, scope, "allowed_path", f"{prefix} {path}", "allowedPaths", config,
                path_rule(path, str(ctx.home), writes=writes))
    for path in str_list(value.get("deniedPaths")):
        ctx.add(tool, scope, "denied_tool", f"{prefix} {path}", "deniedPaths", config, "DENY-0")
    for service in str_list(value.get("allowedServices")):
        ctx.add(tool, scope, "allowed_tool", f"{prefix} {service}", "allowedServices", config, "MCP-8")


# Where a grant of each kind is set, for the hints (tokenlens.permissions.rules.hint_for).
SETTINGS = {"allowed_tool": "allowedTools", "command_pattern": "toolsSettings.execute_bash.allowedCommands",
            "allowed_path": "toolsSettings.fs_write.allowedPaths"}
