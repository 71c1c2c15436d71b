"""Factory Droid: the Autonomy Level, the command allow/deny lists and MCP servers.

Droid is closed source; its settings are documented at docs.factory.ai (droid-cli/settings,
cli/user-guides/auto-run, enterprise/hierarchical-settings-and-org-control; read 2026-12):
- files: `~/.factory/settings.json` (`%USERPROFILE%\\.factory` on Windows) and
  `settings.local.json` beside it, each project's `<project>/.factory/settings.json` and
  `.local.json`, and the machine-wide managed `settings.json` (`/etc/factory`, macOS
  `/Library/Application Support/Factory`); MCP servers in `mcp.json` (`mcpServers`) of the same
  folders;
- `sessionDefaultSettings.autonomyLevel` (current builds: `off`, `low`, `medium`, `high`) or
  the older top-level `autonomyLevel` / `autonomyMode` (`normal`, `spec`, `auto-low`,
  `auto-medium`, `auto-high`): the highest-risk command or MCP tool Droid runs without
  asking. Off: read tools and allow-listed commands; Low: file edits and low-risk commands;
  Medium: reversible workspace changes too (installs, commits, mv); High: high-risk actions
  (pushes, migrations, custom scripts) unless a safety check asks;
- `commandAllowlist` (commands that run without confirmation) and `commandDenylist` (always
  confirmed); `maxAutonomyLevel` is an organisation's ceiling, recorded as such.
Not confirmed: how Droid matches an allowlist entry against a command (taken as a prefix,
as its examples `ls`, `git status` suggest).
"""

from __future__ import annotations

from pathlib import Path

from tokenlens.permissions.base import ConfigFile, ScanContext, dig, str_list
from tokenlens.permissions.mcp import add_servers
from tokenlens.permissions.rules import shell_rule
from tokenlens.tools import droid as where

TOOL = "droid"
# Droid's own level names (they happen to share words with tokenlens's risk levels).
LEVEL_RULES = {
    "high": "MODE-1",
    "auto-high": "MODE-1",
    "medium": "MODE-4",
    "auto-medium": "MODE-4",
    "low": "MODE-5",
    "auto-low": "MODE-5",
}
MANAGED = (Path("/etc/factory"), Path("/Library/Application Support/Factory"))


def scan(ctx: ScanContext) -> None:
    for folder in [*MANAGED, *where.homes(ctx.env)]:
        _folder(ctx, "global", folder)
    for root in ctx.project_roots():
        if (root / ".factory").is_dir():
            _folder(ctx, ctx.scope_of(root), root / ".factory")


def _folder(ctx: ScanContext, scope: str, folder: Path) -> None:
    for name in ("settings.json", "settings.local.json"):
        config = ctx.read(folder / name, "jsonc")
        if config:
            scan_settings(ctx, scope, config)
    mcp = ctx.read(folder / "mcp.json", "jsonc")
    if mcp:
        add_servers(ctx, TOOL, scope, dig(mcp.data, "mcpServers"), mcp)


def scan_settings(ctx: ScanContext, scope: str, config: ConfigFile) -> None:
    for key in ("sessionDefaultSettings.autonomyLevel", "autonomyLevel", "autonomyMode"):
        level = dig(config.data, *key.split("."))
        if isinstance(level, str):
            ctx.add(TOOL, scope, "approval_mode", key, level, config, LEVEL_RULES.get(level.lower(), "MODE-0"))
    ceiling = dig(config.data, "maxAutonomyLevel")
    if isinstance(ceiling, str):
        ctx.add(TOOL, scope, "approval_mode", "maxAutonomyLevel", ceiling, config, "INFO-0")
    for command in str_list(dig(config.data, "commandAllowlist")):
        ctx.add(TOOL, scope, "command_pattern", command, "allow", config, shell_rule(command, prefix=True))
    for command in str_list(dig(config.data, "commandDenylist")):
        ctx.add(TOOL, scope, "denied_tool", command, "always confirm", config, "DENY-0")


# Where a grant of each kind is set, for the hints (tokenlens.permissions.rules.hint_for).
SETTINGS = {"command_pattern": "commandAllowlist", "approval_mode": "sessionDefaultSettings.autonomyLevel"}
