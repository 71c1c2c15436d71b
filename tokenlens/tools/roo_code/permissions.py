"""Roo Code's grants: its MCP servers and their auto-approved tools (`<extension storage>/settings/
mcp_settings.json`, Cline's shape, read by Cline's scanner), and its Auto-Approve settings.

The Auto-Approve settings are keys of the extension's VS Code globalState, which the editor keeps
in `User/globalStorage/state.vscdb` under the extension's id (tokenlens/tools/vscode/state_db.py),
read only where the extension's storage folder exists. From RooCodeInc/Roo-Code @
cb836567180a3ff1da6d082f3178b90c3bd22a70: the keys (packages/types/src/global-settings.ts), what
each allows (src/core/auto-approval/index.ts `checkAutoApproval`, commands.ts) and their defaults
when unset (src/core/webview/ClineProvider.ts `getState`: every one false):
- `autoApprovalEnabled` is the master switch: off, nothing is auto-approved;
- `alwaysAllowExecute`: a command runs unasked when its longest match in `allowedCommands`
  (case-insensitive prefixes, `*` = every command) beats its match in `deniedCommands`;
- `alwaysAllowWrite`: edits inside the workspace; with `alwaysAllowWriteOutsideWorkspace`,
  anywhere; with `alwaysAllowWriteProtected`, its own config files too (.roo/, .rooignore,
  .vscode/, AGENTS.md: src/core/protect/RooProtectedController.ts);
- `alwaysAllowReadOnly` with `alwaysAllowReadOnlyOutsideWorkspace`: reads anywhere;
- `alwaysAllowBrowser` (older builds, and Kilo Code): the browser tool.
Not read: the `roo-cline.allowedCommands` / `deniedCommands` VS Code settings that Roo merges
into the lists (ClineProvider `mergeCommandLists`; settings.json, default `git log`, `git diff`,
`git show`); `alwaysAllowMcp`, which gates the per-tool lists the MCP grants already show;
follow-up, mode-switch and subtask approvals (no file or command is touched by them).
Kilo Code (a fork) reads the same keys with its own defaults (tokenlens/tools/kilo_code/permissions.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tokenlens.permissions.base import ConfigFile, ScanContext, str_list
from tokenlens.permissions.rules import shell_rule
from tokenlens.tools import roo_code as where
from tokenlens.tools.cline.permissions import (  # noqa: F401 - SETTINGS: the hints' setting
    SETTINGS,
    STATE_DB,
    extension_states,
    scan_mcp_settings,
)

TOOL = "roo-code"
MANIFEST_ID = "RooVeterinaryInc.roo-cline"  # the globalState key: publisher.name as the manifest spells them
# A toggle that needs another on, and the rule it earns: (key, needs, rule).
TOGGLES = (
    ("alwaysAllowWrite", None, "MODE-5"),
    ("alwaysAllowWriteOutsideWorkspace", "alwaysAllowWrite", "FILE-3"),
    ("alwaysAllowWriteProtected", "alwaysAllowWrite", "FILE-2"),
    ("alwaysAllowReadOnlyOutsideWorkspace", "alwaysAllowReadOnly", "FILE-1"),
    ("alwaysAllowBrowser", None, "NET-1"),
)


def scan(ctx: ScanContext) -> None:
    scan_mcp_settings(ctx, TOOL, where.homes(ctx.env), "mcp_settings.json")
    for state, source in extension_states(ctx, MANIFEST_ID, "Roo Code"):
        auto_approve(ctx, TOOL, "Roo Code", state, source, defaults={})


def auto_approve(ctx: ScanContext, tool: str, name: str, state: dict[str, Any], source: ConfigFile, *,
                 defaults: Mapping[str, bool], toggles: tuple[tuple[str, str | None, str], ...] = TOGGLES) -> None:
    """The grants of one Auto-Approve state. `defaults`: what the extension takes for a key it has
    no value for (absent there: false)."""
    settings = _Settings(state, defaults)
    if not settings.on("autoApprovalEnabled"):
        ctx.add(tool, "global", "approval_mode", "autoApprovalEnabled", False, source, "MODE-0")
        return
    if settings.on("alwaysAllowExecute"):
        for command in str_list(state.get("allowedCommands")):
            ctx.add(tool, "global", "command_pattern", command, "auto-approved", source, shell_rule(command, prefix=True))
        for command in str_list(state.get("deniedCommands")):
            ctx.add(tool, "global", "denied_tool", command, "auto-denied", source, "DENY-0")
    for key, needs, rule in toggles:
        if settings.on(key) and (needs is None or settings.on(needs)):
            ctx.add(tool, "global", "allowed_tool", key, settings.shown(key, name), source, rule)


class _Settings:
    """A state's boolean toggles, each its stored value or else the extension's default."""

    def __init__(self, state: dict[str, Any], defaults: Mapping[str, bool]):
        self.state, self.defaults = state, defaults

    def on(self, key: str) -> bool:
        value = self.state.get(key)
        return value if isinstance(value, bool) else self.defaults.get(key, False)

    def shown(self, key: str, name: str) -> str:
        return "true" if isinstance(self.state.get(key), bool) else f"true (unset: {name}'s default)"


def setting_name(kind: str, subject: str, source_file: str) -> str | None:
    if Path(source_file).name == STATE_DB:
        return "the Auto-Approve settings" if kind != "command_pattern" else "the allowed commands (Auto-Approve)"
    return None
