"""Claude Desktop: `claude_desktop_config.json` (`mcpServers` is the only documented grant;
per-tool "always allow" decisions, connectors and extensions have no documented file)."""

from __future__ import annotations

from tokenlens.permissions.base import ScanContext, dig
from tokenlens.permissions.mcp import add_servers
from tokenlens.tools import claude_desktop as where

TOOL = "claude-desktop"


def scan(ctx: ScanContext) -> None:
    for folder in where.homes(ctx.env):
        config = ctx.read(folder / "claude_desktop_config.json")
        if config:
            add_servers(ctx, TOOL, "global", dig(config.data, "mcpServers"), config)
