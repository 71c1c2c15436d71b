"""GitHub Copilot CLI: `$COPILOT_HOME/{config,mcp-config}.json` (trusted folders, MCP servers)."""

from __future__ import annotations

from pathlib import Path

from tokenlens.permissions.base import ScanContext, dig, str_list
from tokenlens.permissions.mcp import add_servers
from tokenlens.permissions.rules import is_broad_root
from tokenlens.tools import copilot_cli as where

TOOL = "copilot-cli"


def scan(ctx: ScanContext) -> None:
    for home in where.homes(ctx.env):
        config = ctx.read(home / "config.json", "jsonc")
        if config and isinstance(config.data, dict):
            for folder in str_list(config.data.get("trusted_folders")) + str_list(config.data.get("trustedFolders")):
                ctx.add(TOOL, ctx.show(folder), "trusted_folder", ctx.show(folder), "trusted", config,
                        "TRUST-1" if is_broad_root(folder, str(ctx.home)) else "TRUST-0")
        mcp = ctx.read(home / "mcp-config.json", "jsonc")
        if mcp:
            add_servers(ctx, TOOL, "global", dig(mcp.data, "mcpServers"), mcp)


def projects(ctx: ScanContext) -> list[Path]:
    found = []
    for home in where.homes(ctx.env):
        config = ctx.read(home / "config.json", "jsonc")
        data = config.data if config and isinstance(config.data, dict) else {}
        found += [Path(p) for p in str_list(data.get("trusted_folders")) + str_list(data.get("trustedFolders"))
                  if p.startswith("/")]
    return found
