"""Goose (Block): `~/.config/goose/config.yaml` (`GOOSE_MODE`, `extensions` = MCP servers),
`permission.yaml` (per-tool levels). `secrets.yaml` exists only when the keyring is off: its
presence is reported from stat(), it is never opened."""

from __future__ import annotations

from pathlib import Path

from tokenlens.permissions.base import ConfigFile, ScanContext, str_list
from tokenlens.permissions.mcp import add_servers
from tokenlens.permissions.rules import mcp_allow_rule, mcp_reach
from tokenlens.tools import goose as where

TOOL = "goose"
MODES = {"auto": "MODE-1", "smart_approve": "MODE-4", "approve": "MODE-0", "chat": "MODE-0"}
LEVELS = {"always_allow": ("allowed_tool", "GRANT-0"), "ask_before": ("ask_tool", "DENY-0"),
          "never_allow": ("denied_tool", "DENY-0")}


def config_dirs(ctx: ScanContext) -> list[Path]:
    return where.config_dirs(ctx.env)


def scan(ctx: ScanContext) -> None:
    for folder in config_dirs(ctx):
        config = ctx.read(folder / "config.yaml", "yaml")
        if config:
            scan_config(ctx, config)
        perms = ctx.read(folder / "permission.yaml", "yaml")
        if perms:
            scan_permissions(ctx, perms)
        secrets_file = folder / "secrets.yaml"
        if secrets_file.exists():
            ctx.add(TOOL, "global", "credential", "secrets.yaml (keyring disabled)", "present", secrets_file, "SECRET-1")


def scan_config(ctx: ScanContext, config: ConfigFile) -> None:
    data = config.data if isinstance(config.data, dict) else {}
    mode = data.get("GOOSE_MODE")
    if isinstance(mode, str):
        ctx.add(TOOL, "global", "approval_mode", "GOOSE_MODE", mode, config, MODES.get(mode, "MODE-0"))
    else:
        # Recent releases run fully autonomous when the key is absent.
        ctx.add(TOOL, "global", "approval_mode", "GOOSE_MODE", "auto (unset: Goose's default)", config, "MODE-1")
    extensions = data.get("extensions")
    if isinstance(extensions, dict):
        builtin = {n: s for n, s in extensions.items() if isinstance(s, dict) and s.get("type") == "builtin"}
        servers = {n: s for n, s in extensions.items() if isinstance(s, dict) and n not in builtin}
        add_servers(ctx, TOOL, "global", servers, config)
        for name, spec in sorted(builtin.items()):
            if spec.get("enabled", True):
                ctx.add(TOOL, "global", "allowed_tool", f"extension {name}", "builtin, enabled", config, "GRANT-0")


def scan_permissions(ctx: ScanContext, config: ConfigFile) -> None:
    data = config.data if isinstance(config.data, dict) else {}
    sections = [data, *(v for v in data.values() if isinstance(v, dict))]
    for section in sections:
        for level, (kind, rule) in LEVELS.items():
            for tool in str_list(section.get(level)):
                ctx.add(TOOL, "global", kind, tool, level, config, tool_rule(tool) if level == "always_allow" else rule)


def tool_rule(name: str) -> str:
    """An always-allowed Goose tool, `<extension>__<tool>` (developer__shell = any command)."""
    extension, _, tool = name.partition("__")
    if tool == "shell" or name == "shell":
        return "SHELL-1"
    if not tool:
        return mcp_allow_rule(name, "*") if mcp_reach(name) else "GRANT-0"
    return mcp_allow_rule(extension, tool)


# Where a grant of each kind is set, for the hints (tokenlens.permissions.rules.hint_for).
SETTINGS = {"allowed_tool": "always_allow"}
MCP_KEY = "extensions"
