"""Cursor: `~/.cursor/{mcp,permissions,cli-config}.json`, project `.cursor/{mcp,permissions,cli}.json`,
and the IDE's auto-run ("YOLO") settings inside `User/globalStorage/state.vscdb`.

The state database also holds auth tokens: it is copied (db + -wal) to a private temp dir,
opened read-only, and only the one named key is selected (tokenlens/tools/vscode/state_db.py).
`authInfo` in cli-config.json is never looked at.
"""

from __future__ import annotations

import re
from pathlib import Path

from tokenlens.permissions.base import ConfigFile, ScanContext, dig, str_list
from tokenlens.permissions.mcp import add_servers
from tokenlens.permissions.rules import mcp_allow_rule, path_rule, shell_rule
from tokenlens.tools import cursor as where
from tokenlens.tools.base import appdata_dirs
from tokenlens.tools.vscode.state_db import extension_state

TOOL = "cursor"
STATE_KEY = "src.vs.platform.reactivestorage.browser.reactiveStorageServiceImpl.persistentStorage.applicationUser"
CLI_RULE = re.compile(r"^\s*(\w+)\s*\((.*)\)\s*$", re.S)


def scan(ctx: ScanContext) -> None:
    user = where.homes(ctx.env)[0]
    _scan_dir(ctx, "global", user, cli_name="cli-config.json")
    xdg_cli = ctx.env.xdg("XDG_CONFIG_HOME", ".config") / "cursor" / "cli-config.json"
    config = ctx.read(xdg_cli, "jsonc")
    if config:
        _cli(ctx, "global", config)
    for root in ctx.project_roots():
        if (root / ".cursor").is_dir():
            _scan_dir(ctx, ctx.scope_of(root), root / ".cursor", cli_name="cli.json")
    for base in appdata_dirs(ctx.env):
        _state_db(ctx, base / "Cursor" / "User" / "globalStorage" / "state.vscdb")


def _scan_dir(ctx: ScanContext, scope: str, folder: Path, cli_name: str) -> None:
    mcp = ctx.read(folder / "mcp.json", "jsonc")
    if mcp:
        add_servers(ctx, TOOL, scope, dig(mcp.data, "mcpServers"), mcp)
    perms = ctx.read(folder / "permissions.json", "jsonc")
    if perms and isinstance(perms.data, dict):
        for entry in str_list(perms.data.get("mcpAllowlist")):
            ctx.add(TOOL, scope, "allowed_tool", f"mcp {entry}", "auto-run", perms, mcp_entry_rule(entry))
        for entry in str_list(perms.data.get("terminalAllowlist")):
            ctx.add(TOOL, scope, "command_pattern", entry, "auto-run", perms, shell_rule(entry, prefix=True))
    cli = ctx.read(folder / cli_name, "jsonc")
    if cli:
        _cli(ctx, scope, cli)


def _cli(ctx: ScanContext, scope: str, config: ConfigFile) -> None:
    data = config.data if isinstance(config.data, dict) else {}
    mode = data.get("approvalMode")
    if isinstance(mode, str):
        ctx.add(TOOL, scope, "approval_mode", "approvalMode", mode, config,
                "MODE-1" if mode in ("unrestricted", "yolo") else "MODE-0")
    for effect in ("allow", "deny"):
        for text in str_list(dig(data, "permissions", effect)):
            if effect == "deny":
                ctx.add(TOOL, scope, "denied_tool", text, "deny", config, "DENY-0")
                continue
            ctx.add(TOOL, scope, "allowed_tool", text, "allow", config, cli_rule(ctx, text))


def cli_rule(ctx: ScanContext, text: str) -> str:
    match = CLI_RULE.match(text)
    if not match:
        return "SHELL-1" if text.strip() == "*" else "GRANT-0"
    name, spec = match.group(1).lower(), match.group(2).strip()
    if name == "shell":
        # `Shell(git)` is a command base: every git command.
        return "SHELL-1" if spec in ("*", "**") else shell_rule(spec, prefix=True)
    if name in ("read", "write"):
        return path_rule(spec, str(ctx.home), writes=name == "write")
    if name == "mcp":
        server, _, tool = spec.partition(",")
        return "MCP-4" if server.strip() in ("*", "") else mcp_allow_rule(server.strip(), tool.strip() or None)
    return "GRANT-0"


def mcp_entry_rule(entry: str) -> str:
    """An auto-run MCP entry, `server:tool` (`*:*`, `server:*` = whole servers)."""
    server, _, tool = entry.strip().partition(":")
    return "MCP-4" if server in ("*", "") else mcp_allow_rule(server, tool or None)


def _state_db(ctx: ScanContext, path: Path) -> None:
    state = extension_state(ctx, path, STATE_KEY, "auto-run settings")
    composer = state.get("composerState") if state else None
    if not isinstance(composer, dict):
        return
    source = ConfigFile(path, None, 0)
    if isinstance(composer.get("useYoloMode"), bool):
        allow = str_list(composer.get("yoloCommandAllowlist"))
        rule = ("MODE-2" if allow else "MODE-1") if composer["useYoloMode"] else "MODE-0"
        ctx.add(TOOL, "global", "approval_mode", "auto-run (YOLO) mode", composer["useYoloMode"], source, rule)
        for entry in allow:
            ctx.add(TOOL, "global", "command_pattern", entry, "auto-run", source, shell_rule(entry, prefix=True))
    for entry in str_list(composer.get("mcpAllowedTools")):
        ctx.add(TOOL, "global", "allowed_tool", f"mcp {entry}", "auto-run", source, mcp_entry_rule(entry))


# Where a grant of each kind is set, for the hints (tokenlens.permissions.rules.hint_for).
SETTINGS = {"command_pattern": "terminalAllowlist", "allowed_tool": "permissions.allow"}


def setting_name(kind: str, subject: str, source_file: str) -> str | None:
    if source_file.endswith("state.vscdb"):
        return "the auto-run allowlist (Cursor Settings)"
    if subject.startswith("mcp "):
        return "mcpAllowlist"
    return None
