"""Kilo Code's grants (the legacy VS Code extension, a fork of Roo Code): its MCP servers and their
auto-approved tools (`<extension storage>/settings/mcp_settings.json`, Cline's shape), and its
Auto-Approve settings, Roo Code's keys read by Roo Code's scanner with Kilo's own defaults.

From Kilo-Org/kilocode-legacy @ 56b73d3bdad40673dfe05171273b20c51354db60: src/package.json
(`kilocode.kilo-code`), packages/types/src/global-settings.ts (Roo's keys plus `yoloMode` and
`alwaysAllowDelete`), src/core/webview/ClineProvider.ts `getState` (unset: `autoApprovalEnabled`,
`alwaysAllowReadOnly`, `alwaysAllowWrite`, `alwaysAllowExecute`, `alwaysAllowBrowser`,
`alwaysAllowMcp` true; the rest false), src/core/auto-approval/index.ts (as Roo's, plus
`alwaysAllowDelete` for deleteFile), src/core/assistant-message/presentAssistantMessage.ts
(`yoloMode` approves every tool call before any other setting is looked at, unless a gatekeeper
model configured in `yoloGatekeeperApiConfigId` refuses it). The default `kilo-code.allowedCommands`
VS Code setting (`git log`, `git diff`, `git show`) is not read.
"""

from __future__ import annotations

from tokenlens.permissions.base import ScanContext
from tokenlens.tools import kilo_code as where
from tokenlens.tools.cline.permissions import (  # noqa: F401 - SETTINGS: the hints' setting
    SETTINGS,
    extension_states,
    scan_mcp_settings,
)
from tokenlens.tools.roo_code.permissions import (  # noqa: F401 - setting_name: the hints
    TOGGLES,
    auto_approve,
    setting_name,
)

TOOL = "kilo-code"
MANIFEST_ID = "kilocode.kilo-code"
NAME = "Kilo Code"
DEFAULTS = {"autoApprovalEnabled": True, "alwaysAllowReadOnly": True, "alwaysAllowWrite": True,
            "alwaysAllowExecute": True, "alwaysAllowBrowser": True, "alwaysAllowMcp": True}
KILO_TOGGLES = (*TOGGLES, ("alwaysAllowDelete", None, "MODE-4"))


def scan(ctx: ScanContext) -> None:
    scan_mcp_settings(ctx, TOOL, where.homes(ctx.env), "mcp_settings.json")
    for state, source in extension_states(ctx, MANIFEST_ID, NAME):
        if state.get("yoloMode") is True:
            value = "true (a gatekeeper model reviews each call)" if state.get("yoloGatekeeperApiConfigId") else True
            ctx.add(TOOL, "global", "approval_mode", "yoloMode", value, source, "MODE-1")
        auto_approve(ctx, TOOL, NAME, state, source, defaults=DEFAULTS, toggles=KILO_TOGGLES)
