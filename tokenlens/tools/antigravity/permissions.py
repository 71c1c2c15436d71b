"""Antigravity: MCP servers (`mcp_config.json`) and the `agy` CLI's permission settings.

Antigravity is closed source and ships no package on a registry reachable here; what follows
is from third-party documentation (promptgenius.net tools/antigravity-cli/configuration,
mintlify.wiki google-antigravity/antigravity-cli concepts/tool-permissions; read 2026-12) and
is low-confidence:
- `mcp_config.json` (`{"mcpServers": {name: {command, args, env, serverUrl}}}`) in each
  Antigravity home (tools/antigravity/__init__.py: `~/.gemini/antigravity`, the CLI's
  `~/.gemini/antigravity-cli`, ...) and in a project's `.agents/` folder (where Antigravity
  keeps a workspace's rules, workflows and skills);
- the CLI's `settings.json`: `toolPermission` = `request-review` (ask, the default),
  `always-proceed` (approve everything), `proceed-in-sandbox` (approve what runs in the
  sandbox, ask outside it) or `strict` (deny non-read operations); `enableTerminalSandbox`
  (default true); `trustedWorkspaces` (folders allowed to bypass the sandbox).
The IDE's own terminal allow list lives in its VS Code-style `User/settings.json` under keys
not confirmed here: not read.
"""

from __future__ import annotations

from tokenlens.permissions.base import ConfigFile, ScanContext, dig, str_list
from tokenlens.permissions.mcp import add_servers
from tokenlens.permissions.rules import is_broad_root
from tokenlens.tools import antigravity as where

TOOL = "antigravity"
MODE_RULES = {"always-proceed": "MODE-1", "proceed-in-sandbox": "MODE-4"}


def scan(ctx: ScanContext) -> None:
    for home in where.homes(ctx.env):
        mcp = ctx.read(home / "mcp_config.json", "jsonc")
        if mcp:
            add_servers(ctx, TOOL, "global", dig(mcp.data, "mcpServers"), mcp)
        settings = ctx.read(home / "settings.json", "jsonc")
        if settings and isinstance(settings.data, dict):
            scan_settings(ctx, "global", settings)
    for root, path in ctx.project_files(".agents/mcp_config.json"):
        mcp = ctx.read(path, "jsonc")
        if mcp:
            add_servers(ctx, TOOL, ctx.scope_of(root), dig(mcp.data, "mcpServers"), mcp)


def scan_settings(ctx: ScanContext, scope: str, config: ConfigFile) -> None:
    mode = config.data.get("toolPermission")
    if isinstance(mode, str):
        ctx.add(TOOL, scope, "approval_mode", "toolPermission", mode, config, MODE_RULES.get(mode, "MODE-0"))
    if config.data.get("enableTerminalSandbox") is False:
        ctx.add(TOOL, scope, "sandbox", "enableTerminalSandbox", "false", config, "SBX-2")
    for folder in str_list(config.data.get("trustedWorkspaces")):
        ctx.add(TOOL, scope, "trusted_folder", folder, "trusted", config,
                "TRUST-1" if is_broad_root(folder, str(ctx.home)) else "TRUST-0")


# Where a grant of each kind is set, for the hints (tokenlens.permissions.rules.hint_for).
SETTINGS = {"approval_mode": "toolPermission", "trusted_folder": "trustedWorkspaces"}
