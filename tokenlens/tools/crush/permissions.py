"""Crush: `permissions.allowed_tools` (tools that run without a prompt) and `mcp` servers in
every `crush.json` Crush merges.

Confirmed against github:charmbracelet/crush @ 37f36e93 (2026-08-21):
- files, lowest priority first (internal/config/load.go `lookupConfigs`): `/etc/crush/crush.json`
  (config_unix.go), the global `$CRUSH_GLOBAL_CONFIG/crush.json` else `$XDG_CONFIG_HOME/crush/
  crush.json` (`~/.config/crush`, internal/home/home.go `Config`), the data dir's `crush.json`
  (`GlobalConfigData`: `$CRUSH_GLOBAL_DATA`, `$XDG_DATA_HOME/crush`, `~/.local/share/crush`),
  then `crush.json` and `.crush.json` from the project up to its git root. Projects are the
  ones the ledger knows and those in Crush's own `projects.json`;
- `permissions.allowed_tools` (internal/config/config.go `Permissions`): a tool name, or
  `tool:action`, that internal/permission/permission.go grants without asking
  (`slices.Contains(allowedTools, toolName + ":" + action) || ... toolName`). Tool names
  (internal/agent/tools): `bash`, `edit`, `multiedit`, `write`, `view`, `ls`, `glob`, `grep`,
  `fetch`, `download`, `agentic_fetch`, `web_fetch`, `web_search`, `sourcegraph`, `lsp_*`...;
  MCP tools are `mcp_<server>_<tool>` (mcp-tools.go);
- `mcp` (`MCPs`): `{name: {type stdio|sse|http, command, args, env, url, headers, disabled}}`;
- `--yolo` / `-y` (internal/cmd/root.go) skips every prompt: a launch flag, found in shell
  startup files by the engine (TOOL.launch_flags).
"""

from __future__ import annotations

from pathlib import Path

from tokenlens.permissions.base import ConfigFile, ScanContext, dig, str_list
from tokenlens.permissions.mcp import add_servers
from tokenlens.permissions.rules import mcp_allow_rule
from tokenlens.tools import crush as where
from tokenlens.tools.crush.usage import project_data_dirs

TOOL = "crush"
NAME = "crush.json"
EDIT_TOOLS = {"edit", "multiedit", "write", "lsp_rename", "lsp_replace_symbol"}
NET_TOOLS = {"fetch", "download", "agentic_fetch", "web_fetch", "web_search", "sourcegraph"}


def global_files(ctx: ScanContext) -> list[Path]:
    configured = ctx.env.get("CRUSH_GLOBAL_CONFIG")
    config_dir = Path(configured) if configured else ctx.env.xdg("XDG_CONFIG_HOME", ".config") / "crush"
    return [Path("/etc/crush") / NAME, config_dir / NAME, *(home / NAME for home in where.homes(ctx.env))]


def scan(ctx: ScanContext) -> None:
    for path in global_files(ctx):
        config = ctx.read(path, "json")
        if config:
            scan_config(ctx, "global", config)
    found = dict((path, root) for root, path in ctx.project_files(NAME, "." + NAME))
    for project, _ in project_data_dirs(ctx.env):  # the projects Crush itself has run in
        for path in (project / NAME, project / ("." + NAME)):
            found.setdefault(path, project)
    for path, root in found.items():
        config = ctx.read(path, "json")
        if config:
            scan_config(ctx, ctx.scope_of(root), config)


def scan_config(ctx: ScanContext, scope: str, config: ConfigFile) -> None:
    for entry in str_list(dig(config.data, "permissions", "allowed_tools")):
        ctx.add(TOOL, scope, "allowed_tool", entry, "allowed", config, allowed_rule(entry))
    add_servers(ctx, TOOL, scope, dig(config.data, "mcp"), config)


def allowed_rule(entry: str) -> str:
    """`bash` or `bash:execute`: the tool, whatever the action."""
    name = entry.strip().split(":", 1)[0]
    if name == "bash":
        return "SHELL-1"  # any command: Crush matches the tool, not a command pattern
    if name in EDIT_TOOLS:
        return "MODE-5"
    if name in NET_TOOLS:
        return "NET-1"
    if name.startswith("mcp_"):
        server, _, tool = name.removeprefix("mcp_").partition("_")
        return mcp_allow_rule(server, tool or None)
    return "GRANT-0"


# Where a grant of each kind is set, for the hints (tokenlens.permissions.rules.hint_for).
SETTINGS = {"allowed_tool": "permissions.allowed_tools"}
MCP_KEY = "mcp"
