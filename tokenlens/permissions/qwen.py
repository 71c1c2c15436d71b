"""Qwen Code (a Gemini CLI fork): `~/.qwen/settings.json`, project `.qwen/settings.json`,
`~/.qwen/trustedFolders.json`. Builds are mid-migration between two shapes, so both are read:
Gemini-style `tools.approvalMode`/`tools.allowed`, and Claude-style `permissions.allow|ask|deny`
with `general.defaultPermissionMode`.
"""

from __future__ import annotations

from pathlib import Path

from tokenlens.permissions import claude_code, gemini
from tokenlens.permissions.base import ConfigFile, ScanContext, dig, str_list

TOOL = "qwen-code"
PERMISSION_MODES = {"bypass_permissions": "MODE-1", "yolo": "MODE-1", "auto": "MODE-2", "accept_edits": "MODE-4"}


def projects(ctx: ScanContext) -> list[Path]:
    return gemini.projects(ctx, ".qwen", "")


def scan(ctx: ScanContext) -> None:
    config = ctx.read(ctx.home / ".qwen" / "settings.json")
    if config:
        scan_settings(ctx, "global", config)
    for root, path in ctx.project_files(".qwen/settings.json"):
        config = ctx.read(path)
        if config:
            scan_settings(ctx, ctx.scope_of(root), config)
    gemini.scan_trusted(ctx, TOOL, gemini.trusted_file(ctx, ".qwen", ""))


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
