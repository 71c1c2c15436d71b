"""Amp (Sourcegraph): `~/.config/amp/settings.json`, project `.amp/settings.json`.
Keys are flat and dotted (`"amp.permissions": [...]`); nested objects are accepted too.
`amp.permissions` is ordered, first match wins: allow | ask | reject | delegate."""

from __future__ import annotations

from typing import Any

from tokenlens.permissions.base import ConfigFile, ScanContext, dig, str_list
from tokenlens.permissions.mcp import add_servers
from tokenlens.permissions.rules import mcp_allow_rule, shell_rule
from tokenlens.tools import amp as where

TOOL = "amp"


def scan(ctx: ScanContext) -> None:
    config = ctx.read(where.config_dirs(ctx.env)[0] / "settings.json", "jsonc")
    if config:
        scan_settings(ctx, "global", config)
    for root, path in ctx.project_files(".amp/settings.json"):
        config = ctx.read(path, "jsonc")
        if config:
            scan_settings(ctx, ctx.scope_of(root), config)


def _get(data: Any, key: str) -> Any:
    if isinstance(data, dict) and key in data:
        return data[key]
    return dig(data, *key.split("."))


def scan_settings(ctx: ScanContext, scope: str, config: ConfigFile) -> None:
    data = config.data
    if _get(data, "amp.dangerouslyAllowAll") is True:
        ctx.add(TOOL, scope, "approval_mode", "amp.dangerouslyAllowAll", True, config, "MODE-1")
    rules = _get(data, "amp.permissions")
    for entry in rules if isinstance(rules, list) else []:
        if not isinstance(entry, dict):
            continue
        tool = str(entry.get("tool", "*"))
        matches = entry.get("matches") if isinstance(entry.get("matches"), dict) else {}
        cmd = matches.get("cmd")
        action = str(entry.get("action", "ask"))
        subject = f"{tool}({cmd})" if cmd is not None else tool
        if action == "allow":
            if tool == "Bash":
                rule = shell_rule(str(cmd) if isinstance(cmd, str) else "*")
            else:
                rule = "MODE-1" if tool == "*" else "GRANT-0"
                if tool.startswith("mcp__"):
                    server, _, name = tool[len("mcp__"):].partition("__")
                    rule = mcp_allow_rule(server.rstrip("*"), name or ("*" if tool.endswith("*") else None))
            ctx.add(TOOL, scope, "allowed_tool", subject, action, config, rule)
        else:
            ctx.add(TOOL, scope, "denied_tool" if action == "reject" else "ask_tool", subject, action, config, "DENY-0")
    for cmd in str_list(_get(data, "amp.commands.allowlist")):
        # Base commands: `git` allows every git command.
        ctx.add(TOOL, scope, "command_pattern", cmd, "allow", config, shell_rule(cmd, prefix=True))
    for name in str_list(_get(data, "amp.tools.disable")):
        ctx.add(TOOL, scope, "denied_tool", name, "disabled", config, "DENY-0")
    add_servers(ctx, TOOL, scope, _get(data, "amp.mcpServers"), config)


# Where a grant of each kind is set, for the hints (tokenlens.permissions.rules.hint_for).
SETTINGS = {"command_pattern": "amp.commands.allowlist", "allowed_tool": "amp.permissions"}
MCP_KEY = "amp.mcpServers"
