"""Qwen Code (a Gemini CLI fork): `~/.qwen/settings.json`, project `.qwen/settings.json`,
`~/.qwen/trustedFolders.json`. Builds are mid-migration between two shapes, so both are read:
Gemini-style `tools.approvalMode`/`tools.allowed`, and Claude-style `permissions.allow|ask|deny`
with `general.defaultPermissionMode`.
"""

from __future__ import annotations

import re
from pathlib import Path

from tokenlens.permissions.base import ConfigFile, ScanContext, dig, str_list
from tokenlens.tools import qwen_code as where
from tokenlens.tools.claude_code import permissions as claude_code
from tokenlens.tools.gemini_cli import permissions as gemini

TOOL = "qwen-code"
PERMISSION_MODES = {"bypass_permissions": "MODE-1", "yolo": "MODE-1", "auto": "MODE-2", "accept_edits": "MODE-4"}


def projects(ctx: ScanContext) -> list[Path]:
    return gemini.projects(ctx, where.homes(ctx.env)[0], "")


def scan(ctx: ScanContext) -> None:
    config = ctx.read(where.homes(ctx.env)[0] / "settings.json")
    if config:
        scan_settings(ctx, "global", config)
    for root, path in ctx.project_files(".qwen/settings.json"):
        config = ctx.read(path)
        if config:
            scan_settings(ctx, ctx.scope_of(root), config)
    gemini.scan_trusted(ctx, TOOL, gemini.trusted_file(ctx, where.homes(ctx.env)[0], ""))


def scan_settings(ctx: ScanContext, scope: str, config: ConfigFile) -> None:
    gemini.scan_settings(ctx, TOOL, scope, config)
    mode = dig(config.data, "general", "defaultPermissionMode")
    if isinstance(mode, str):
        ctx.add(TOOL, scope, "approval_mode", "general.defaultPermissionMode", mode, config,
                PERMISSION_MODES.get(mode, "MODE-0"))
    perms = dig(config.data, "permissions", default={})
    if isinstance(perms, dict):
        for effect, kind in (("allow", "allowed_tool"), ("ask", "ask_tool"), ("deny", "denied_tool")):
            for text in str_list(perms.get(effect)):
                claude_code.rate_rule(ctx, TOOL, scope, kind, text, config)


# Where a grant of each kind is set, for the hints (tokenlens.permissions.rules.hint_for).
SETTINGS = {"allowed_tool": "permissions.allow"}


def setting_name(kind: str, subject: str, source_file: str) -> str | None:
    """Gemini CLI's places, and its `tools.allowed` for a rule not written Claude-style."""
    named = gemini.setting_name(kind, subject, source_file)
    if named is None and kind == "allowed_tool" and not CLAUDE_STYLE.match(subject):
        return "tools.allowed"
    return named


CLAUDE_STYLE = re.compile(r"^\s*(Bash|Read|Edit|Write|WebFetch|Glob|Grep|mcp__)", re.IGNORECASE)
