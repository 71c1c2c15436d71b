"""Gemini CLI: system, user and workspace `settings.json` (v2 nested keys and the legacy flat
ones), `trustedFolders.json`, policy files `policies/*.toml`, extension MCP servers.
`oauth_creds.json`, `google_accounts.json` and `tmp/` are never opened.

Qwen Code is a fork and reuses this module (see qwen.py).
"""

from __future__ import annotations

import re
from pathlib import Path

from tokenlens.permissions.base import ConfigFile, ScanContext, dig, str_list
from tokenlens.permissions.mcp import add_servers
from tokenlens.permissions.rules import is_broad_root, mcp_allow_rule, mcp_server_rule, shell_rule
from tokenlens.tools import gemini_cli as where
from tokenlens.tools.base import system_dirs

TOOL = "gemini-cli"
TOOL_CALL = re.compile(r"^\s*([A-Za-z0-9_\-.]+)\s*(?:\((.*)\))?\s*$", re.S)
APPROVAL = {"yolo": "MODE-1", "auto_edit": "MODE-4", "auto-edit": "MODE-4", "autoEdit": "MODE-4"}
SHELL_TOOLS = {"run_shell_command", "shelltool", "shell"}


def user_dir(ctx: ScanContext) -> Path:
    return where.homes(ctx.env)[0]


def trusted_file(ctx: ScanContext, home: Path | None = None, env_var: str = "GEMINI_CLI_TRUSTED_FOLDERS_PATH") -> Path:
    """`home`: the tool's folder (Qwen Code passes its own); default Gemini CLI's."""
    configured = ctx.env.get(env_var) if env_var else None
    return Path(configured) if configured else (home or user_dir(ctx)) / "trustedFolders.json"


def projects(ctx: ScanContext, home: Path | None = None, env_var: str = "GEMINI_CLI_TRUSTED_FOLDERS_PATH") -> list[Path]:
    config = ctx.read(trusted_file(ctx, home, env_var))
    data = config.data if config and isinstance(config.data, dict) else {}
    return [Path(p) for p, level in data.items() if isinstance(p, str) and p.startswith("/") and level != "DO_NOT_TRUST"]


def scan(ctx: ScanContext) -> None:
    system = [base / ("gemini-cli" if base.name == "etc" else "GeminiCli") for base in system_dirs(ctx.env)]
    files = [folder / "system-defaults.json" for folder in system]
    files.append(user_dir(ctx) / "settings.json")
    files += [folder / "settings.json" for folder in system]
    override = ctx.env.get("GEMINI_CLI_SYSTEM_SETTINGS_PATH")
    if override:
        files.append(Path(override))
    for path in files:
        config = ctx.read(path)
        if config:
            scan_settings(ctx, TOOL, "global", config)
    for root, path in ctx.project_files(".gemini/settings.json"):
        config = ctx.read(path)
        if config:
            scan_settings(ctx, TOOL, ctx.scope_of(root), config)
    scan_trusted(ctx, TOOL, trusted_file(ctx))
    for path in sorted((user_dir(ctx) / "policies").glob("*.toml"))[:50]:
        scan_policy(ctx, TOOL, path)
    for path in sorted((user_dir(ctx) / "extensions").glob("*/gemini-extension.json"))[:100]:
        config = ctx.read(path)
        if config:
            add_servers(ctx, TOOL, "global", dig(config.data, "mcpServers"), config, prefix=f"{path.parent.name}/")


def scan_settings(ctx: ScanContext, tool: str, scope: str, config: ConfigFile) -> None:
    data = config.data if isinstance(config.data, dict) else {}
    tools = data.get("tools") if isinstance(data.get("tools"), dict) else {}
    mode = dig(data, "general", "defaultApprovalMode") or tools.get("approvalMode") or data.get("approvalMode")
    if isinstance(mode, str):
        ctx.add(tool, scope, "approval_mode", "defaultApprovalMode", mode, config, APPROVAL.get(mode, "MODE-0"))
    for key in ("autoAccept",):
        value = tools.get(key, data.get(key))
        if value is True:
            ctx.add(tool, scope, "approval_mode", key, True, config, "MODE-4")
    allowed = str_list(tools.get("allowed")) + str_list(data.get("allowedTools"))
    for text in allowed:
        ctx.add(tool, scope, "allowed_tool", text, "allow", config, tool_rule(text))
    for text in str_list(tools.get("exclude")) + str_list(data.get("excludeTools")):
        ctx.add(tool, scope, "denied_tool", text, "excluded", config, "DENY-0")
    sandbox = tools.get("sandbox", data.get("sandbox"))
    if sandbox is not None and not isinstance(sandbox, dict):
        ctx.add(tool, scope, "sandbox", "tools.sandbox", sandbox, config, "SBX-0")
    if tools.get("sandboxNetworkAccess") is True:
        ctx.add(tool, scope, "network", "tools.sandboxNetworkAccess", True, config, "NET-1")
    trust = dig(data, "security", "folderTrust", "enabled")
    if trust is None and isinstance(data.get("folderTrust"), bool):
        trust = data["folderTrust"]
    if trust is False:
        ctx.add(tool, scope, "trusted_folder", "folderTrust.enabled", False, config, "TRUST-2")
    if dig(data, "security", "disableYoloMode") is True:
        ctx.add(tool, scope, "approval_mode", "security.disableYoloMode", True, config, "INFO-0")
    for text in str_list(dig(data, "mcp", "allowed")) + str_list(data.get("allowMCPServers")):
        ctx.add(tool, scope, "mcp_server", f"{text} (allowed list)", "allowed", config,
                mcp_server_rule(text, trusted=False) or "MCP-0")
    add_servers(ctx, tool, scope, data.get("mcpServers"), config)
    hooks = data.get("hooks")
    if isinstance(hooks, dict) and hooks:
        for event in sorted(hooks):
            ctx.add(tool, scope, "hook", str(event), "command hook", config, "HOOK-1" if scope == "global" else "HOOK-2")


def tool_rule(text: str) -> str:
    match = TOOL_CALL.match(text)
    name, spec = (match.group(1), match.group(2)) if match else (text, None)
    if name.lower() in SHELL_TOOLS or name == "ShellTool":
        # `run_shell_command(git)` allows every command that starts with `git`.
        return shell_rule(spec if spec is not None else "*", prefix=True)
    if name in ("web_fetch", "google_web_search"):
        return "NET-1" if spec is None else "GRANT-0"
    if "__" in name:  # an MCP tool, `server__tool`
        server, _, tool = name.partition("__")
        return mcp_allow_rule(server, tool or None)
    return "GRANT-0"


def scan_trusted(ctx: ScanContext, tool: str, path: Path) -> None:
    config = ctx.read(path)
    data = config.data if config and isinstance(config.data, dict) else {}
    for folder, level in sorted(data.items()):
        if not isinstance(level, str):
            continue
        if level == "DO_NOT_TRUST":
            ctx.add(tool, ctx.show(folder), "trusted_folder", ctx.show(folder), level, config, "INFO-0")
            continue
        broad = is_broad_root(folder, str(ctx.home)) or (level == "TRUST_PARENT" and is_broad_root(
            str(Path(folder).parent), str(ctx.home)))
        ctx.add(tool, ctx.show(folder), "trusted_folder", ctx.show(folder), level, config,
                "TRUST-1" if broad else "TRUST-0")


def scan_policy(ctx: ScanContext, tool: str, path: Path) -> None:
    config = ctx.read(path, "toml")
    rules = config.data.get("rule") if config and isinstance(config.data, dict) else None
    for entry in rules if isinstance(rules, list) else []:
        if not isinstance(entry, dict):
            continue
        name = entry.get("toolName") or entry.get("mcpName") or "*"
        prefix = entry.get("commandPrefix") or entry.get("commandRegex") or entry.get("argsPattern")
        subject = f"{name}({prefix})" if prefix else str(name)
        decision = entry.get("decision", "ask_user")
        if decision == "allow":
            if name in SHELL_TOOLS:
                regex = entry.get("commandRegex") if not entry.get("commandPrefix") else None
                rule = shell_rule(f"/{regex}/" if regex else str(prefix or "*"), prefix=True)
            elif entry.get("mcpName"):
                rule = mcp_allow_rule(str(entry["mcpName"]), entry.get("toolName"))
            else:
                rule = "GRANT-0"
            ctx.add(tool, "global", "allowed_tool", subject, "allow", config, rule)
        else:
            ctx.add(tool, "global", "denied_tool" if decision == "deny" else "ask_tool", subject, decision, config,
                    "DENY-0")


# Where a grant of each kind is set, for the hints (tokenlens.permissions.rules.hint_for).
SETTINGS = {"allowed_tool": "tools.allowed"}


def setting_name(kind: str, subject: str, source_file: str) -> str | None:
    if kind == "mcp_server" and " " not in subject:
        return f"mcpServers.{subject} (trust)"
    if source_file.endswith(".toml"):
        return 'a [[rule]] with decision = "allow"'
    return None
