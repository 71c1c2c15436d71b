"""Kimi CLI: `<share dir>/config.toml` (`default_yolo`: auto-approve every action,
src/kimi_cli/config.py; a legacy `config.json` is migrated to it by kimi-cli) and `mcp.json`
(`mcpServers`, src/kimi_cli/cli/mcp.py). Provider API keys in config.toml are never shown."""

from __future__ import annotations

from tokenlens.permissions.base import ScanContext, dig
from tokenlens.permissions.mcp import add_servers
from tokenlens.tools import kimi as where

TOOL = "kimi-cli"


def scan(ctx: ScanContext) -> None:
    for home in where.homes(ctx.env):
        config = ctx.read(home / "config.toml", "toml")
        if config and isinstance(config.data, dict) and config.data.get("default_yolo") is True:
            ctx.add(TOOL, "global", "approval_mode", "default_yolo", "true", config, "MODE-1")
        mcp = ctx.read(home / "mcp.json", "json")
        if mcp:
            add_servers(ctx, TOOL, "global", dig(mcp.data, "mcpServers"), mcp)
