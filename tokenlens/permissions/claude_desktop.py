"""Claude Desktop: `claude_desktop_config.json` (`mcpServers` is the only documented grant;
per-tool "always allow" decisions, connectors and extensions have no documented file)."""

from __future__ import annotations

from tokenlens.permissions.base import ScanContext, appdata_dirs, dig
from tokenlens.permissions.mcp import add_servers

TOOL = "claude-desktop"


def scan(ctx: ScanContext) -> None:
    for base in appdata_dirs(ctx.env):
        config = ctx.read(base / "Claude" / "claude_desktop_config.json")
        if config:
            add_servers(ctx, TOOL, "global", dig(config.data, "mcpServers"), config)
