"""VS Code + GitHub Copilot agent mode: user (and profile) `settings.json` and `mcp.json`,
workspace `.vscode/{settings,mcp}.json`, `~/.vscode/mcp.json`. Grants are recorded under the
tool id "vscode" (the id snapshots have always used).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from tokenlens.permissions.base import ConfigFile, ScanContext, dig
from tokenlens.permissions.mcp import add_servers
from tokenlens.permissions.rules import path_rule, shell_rule
from tokenlens.tools import vscode as where

TOOL = "vscode"
PRODUCTS = ("Code", "Code - Insiders", "VSCodium")
MAX_WORKSPACES = 500


def user_dirs(ctx: ScanContext, products=PRODUCTS) -> list[Path]:
    return where.user_dirs(ctx.env, products)


def projects(ctx: ScanContext, products=(*PRODUCTS, "Cursor", "Windsurf")) -> list[Path]:
    """Folders opened in VS Code-family editors, from their workspaceStorage records."""
    found: list[Path] = []
    for user in user_dirs(ctx, products):
        storage = user / "workspaceStorage"
        if not storage.is_dir():
            continue
        for path in sorted(storage.glob("*/workspace.json"))[:MAX_WORKSPACES]:
            config = ctx.read(path)
            folder = dig(config.data if config else None, "folder")
            if isinstance(folder, str) and folder.startswith("file://"):
                found.append(Path(unquote(urlsplit(folder).path)))
    return found


def scan(ctx: ScanContext) -> None:
    for user in user_dirs(ctx):
        files = [user / "settings.json", *sorted((user / "profiles").glob("*/settings.json"))]
        for path in files:
            config = ctx.read(path, "jsonc")
            if config:
                scan_settings(ctx, "global", config)
        for path in [user / "mcp.json", *sorted((user / "profiles").glob("*/mcp.json"))]:
            config = ctx.read(path, "jsonc")
            if config:
                add_servers(ctx, TOOL, "global", dig(config.data, "servers"), config)
    legacy = ctx.read(ctx.home / ".vscode" / "mcp.json", "jsonc")
    if legacy:
        add_servers(ctx, TOOL, "global", dig(legacy.data, "servers") or dig(legacy.data, "mcpServers"), legacy)
    for root, path in ctx.project_files(".vscode/settings.json", ".vscode/mcp.json"):
        config = ctx.read(path, "jsonc")
        if config is None:
            continue
        if path.name == "mcp.json":
            add_servers(ctx, TOOL, ctx.scope_of(root), dig(config.data, "servers"), config)
        else:
            scan_settings(ctx, ctx.scope_of(root), config)


def scan_settings(ctx: ScanContext, scope: str, config: ConfigFile) -> None:
    data = config.data if isinstance(config.data, dict) else {}
    repo = scope != "global"
    for key in ("chat.tools.global.autoApprove", "chat.tools.autoApprove"):
        if data.get(key) is True:
            ctx.add(TOOL, scope, "approval_mode", key, True, config, "TRUST-3" if repo else "MODE-1")
    level = data.get("chat.permissions.default")
    if isinstance(level, str):
        broad = any(word in level.lower() for word in ("bypass", "autopilot"))
        ctx.add(TOOL, scope, "approval_mode", "chat.permissions.default", level, config, "MODE-1" if broad else "MODE-0")
    terminal = data.get("chat.tools.terminal.autoApprove")
    if isinstance(terminal, dict):
        for pattern, setting in terminal.items():
            on = setting is True or (isinstance(setting, dict) and setting.get("approve") is True)
            rule = shell_rule(pattern, prefix=True) if on else "DENY-0"
            if on and repo and rule in ("SHELL-1", "SHELL-2"):
                rule = "TRUST-3"
            ctx.add(TOOL, scope, "command_pattern" if on else "denied_tool", pattern,
                    "auto-approve" if on else "always ask", config, rule)
    edits = data.get("chat.tools.edits.autoApprove")
    if isinstance(edits, dict):
        for pattern, on in edits.items():
            ctx.add(TOOL, scope, "allowed_tool" if on is True else "denied_tool", f"edit {pattern}",
                    "auto-approve" if on is True else "always ask", config,
                    path_rule(pattern, str(ctx.home), writes=True) if on is True else "DENY-0")
    urls = data.get("chat.tools.urls.autoApprove")
    if isinstance(urls, dict):
        for pattern, on in urls.items():
            if on is True or isinstance(on, dict):
                ctx.add(TOOL, scope, "network", f"fetch {pattern}", "auto-approve", config,
                        "NET-2" if pattern.strip() in ("*", "https://*", "http://*") else "GRANT-0")
    if data.get("chat.agent.sandbox.allowUnsandboxedCommands") is True:
        ctx.add(TOOL, scope, "sandbox", "chat.agent.sandbox.allowUnsandboxedCommands", True, config, "SBX-1")
    if isinstance(data.get("chat.agent.sandbox.enabled"), bool):
        ctx.add(TOOL, scope, "sandbox", "chat.agent.sandbox.enabled", data["chat.agent.sandbox.enabled"], config, "SBX-0")
    add_servers(ctx, TOOL, scope, dig(data, "mcp", "servers"), config)


# Where a grant of each kind is set, for the hints (tokenlens.permissions.rules.hint_for).
SETTINGS = {"command_pattern": "chat.tools.terminal.autoApprove", "allowed_tool": "chat.tools.edits.autoApprove"}
MCP_KEY = "servers"
