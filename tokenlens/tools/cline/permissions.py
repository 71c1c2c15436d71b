"""Cline's MCP servers and the tools it may call on them without asking.

`<extension storage>/settings/cline_mcp_settings.json` (and the Cline CLI's
`~/.cline/data/settings/cline_mcp_settings.json`): `{"mcpServers": {name: {command, args, env,
url, disabled, autoApprove | alwaysAllow: [tool names]}}}` — the file the extension's "MCP
Servers → Configure" opens (its path as Cline's setup docs and several MCP servers' install
notes give it, for VS Code on Linux, macOS and Windows). Each server is rated as any MCP
server; each auto-approved tool as an allow without asking (MCP-7/8/10 when it acts as the
person, spends or destroys). Roo Code and Kilo Code keep the same shape in `mcp_settings.json`
and scan through `scan_mcp_settings` here.
"""

from __future__ import annotations

from pathlib import Path

from tokenlens.permissions.base import ScanContext, dig, str_list
from tokenlens.permissions.mcp import add_servers
from tokenlens.permissions.rules import mcp_allow_rule
from tokenlens.tools import cline as where

TOOL = "cline"
SETTINGS_FILE = "cline_mcp_settings.json"
# Cline writes `autoApprove`; Roo Code and older Cline builds `alwaysAllow`.
AUTO_APPROVE_KEYS = ("autoApprove", "alwaysAllow")
SETTINGS = {"allowed_tool": "autoApprove (MCP Servers → the server's auto-approve list)"}


def scan(ctx: ScanContext) -> None:
    scan_mcp_settings(ctx, TOOL, where.homes(ctx.env), SETTINGS_FILE)


def scan_mcp_settings(ctx: ScanContext, tool: str, homes: list[Path], name: str) -> None:
    for home in homes:
        config = ctx.read(home / "settings" / name)
        servers = dig(config.data, "mcpServers") if config else None
        if not isinstance(servers, dict):
            continue
        add_servers(ctx, tool, "global", servers, config)
        for server, spec in servers.items():
            if not isinstance(spec, dict) or spec.get("disabled") is True:
                continue
            for key in AUTO_APPROVE_KEYS:
                for allowed in str_list(spec.get(key)):
                    ctx.add(tool, "global", "allowed_tool", f"mcp {server}: {allowed}", "auto-approved", config,
                            mcp_allow_rule(str(server), allowed))
