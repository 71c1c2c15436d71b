"""Kiro: custom agents and MCP servers, for the CLI and the IDE.

Kiro is closed source. From its documentation (kiro.dev docs/cli/custom-agents/
configuration-reference, docs/mcp; read 2026-12) and the shape of Amazon Q Developer CLI's
agents, whose closed successor Kiro CLI is (aws/amazon-q-developer-cli README):
- agents: `~/.kiro/agents/*.json` (global) and `<project>/.kiro/agents/*.json`, with the same
  `allowedTools`, `toolsSettings` and `mcpServers` fields as Amazon Q's (read by the same
  code, tools/amazon_q/permissions.py);
- MCP servers: `~/.kiro/settings/mcp.json` and `<project>/.kiro/settings/mcp.json`
  (`mcpServers`, each with an optional `autoApprove` list of tools that run unasked, `"*"` for
  all, and `disabled`);
- `kiro-cli chat --trust-all-tools` approves every tool: a launch flag.
Not read: CLI 3.x's `~/.kiro/settings/permissions.yaml` (its format is not documented in a
form confirmed here) and the IDE's trusted-commands setting inside its VS Code-style
`settings.json`.
"""

from __future__ import annotations

from tokenlens.permissions.base import ConfigFile, ScanContext, dig, str_list
from tokenlens.permissions.rules import mcp_allow_rule
from tokenlens.tools import kiro as where
from tokenlens.tools.amazon_q.permissions import scan_folder

TOOL = "kiro"


def scan(ctx: ScanContext) -> None:
    home = where.homes(ctx.env)[0]
    _kiro_dir(ctx, "global", home)
    for root in ctx.project_roots():
        if (root / ".kiro").is_dir():
            _kiro_dir(ctx, ctx.scope_of(root), root / ".kiro")


def _kiro_dir(ctx: ScanContext, scope: str, folder) -> None:
    mcp_json = folder / "settings" / "mcp.json"
    scan_folder(ctx, TOOL, scope, folder / "agents", mcp_json)
    mcp = ctx.read(mcp_json, "jsonc")
    if mcp:
        _auto_approve(ctx, scope, mcp)


def _auto_approve(ctx: ScanContext, scope: str, config: ConfigFile) -> None:
    servers = dig(config.data, "mcpServers")
    for name, spec in sorted(servers.items()) if isinstance(servers, dict) else []:
        if not isinstance(spec, dict) or spec.get("disabled") is True:
            continue
        for tool in str_list(spec.get("autoApprove")):
            ctx.add(TOOL, scope, "allowed_tool", f"mcp {name}: {tool}", "autoApprove", config,
                    mcp_allow_rule(str(name), tool))


# Where a grant of each kind is set, for the hints (tokenlens.permissions.rules.hint_for).
SETTINGS = {"allowed_tool": "allowedTools / autoApprove", "command_pattern": "toolsSettings.execute_bash.allowedCommands",
            "allowed_path": "toolsSettings.fs_write.allowedPaths"}
