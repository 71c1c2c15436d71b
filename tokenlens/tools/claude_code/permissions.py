"""Claude Code: managed, user, project and local settings; `~/.claude.json` state; `.mcp.json`.

Rule grammar: `Tool` or `Tool(specifier)`; bare `Bash` means every command. Lists merge
across scopes and a deny anywhere beats an allow, so each rule is reported where it is
written, with the scope it applies to.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tokenlens.permissions.base import ConfigFile, ScanContext, dig, str_list
from tokenlens.permissions.mcp import add_servers
from tokenlens.permissions.rules import (
    is_broad_root,
    mcp_allow_rule,
    mcp_server_rule,
    path_rule,
    shell_rule,
)
from tokenlens.permissions.secrets import is_secret_slot_value
from tokenlens.tools import claude_code as where
from tokenlens.tools.base import system_dirs

TOOL = "claude-code"
RULE_SYNTAX = re.compile(r"^\s*([A-Za-z0-9_\-]+)\s*(?:\((.*)\))?\s*$", re.S)
MODES = {"bypassPermissions": "MODE-1", "auto": "MODE-2", "acceptEdits": "MODE-5"}


def config_dirs(ctx: ScanContext) -> list[Path]:
    return where.homes(ctx.env)


def state_file(ctx: ScanContext) -> Path:
    configured = where.configured_dirs(ctx.env)
    return configured[0] / ".claude.json" if configured else ctx.home / ".claude.json"


def projects(ctx: ScanContext) -> list[Path]:
    state = ctx.read(state_file(ctx))
    found = dig(state.data if state else None, "projects", default={})
    return [Path(p) for p in found if isinstance(p, str) and p.startswith("/")] if isinstance(found, dict) else []


def scan(ctx: ScanContext) -> None:
    managed_off = _scan_managed(ctx)
    for directory in config_dirs(ctx):
        settings = ctx.read(directory / "settings.json")
        if settings:
            scan_settings(ctx, TOOL, "global", settings, managed_off=managed_off)
    state = ctx.read(state_file(ctx))
    if state:
        scan_state(ctx, state)
    approved = _approved_mcpjson(state)
    for root, path in ctx.project_files(".claude/settings.json", ".claude/settings.local.json", ".mcp.json"):
        config = ctx.read(path)
        if config is None:
            continue
        scope = ctx.scope_of(root)
        if path.name == ".mcp.json":
            enabled = approved.get(str(root), set())
            servers = dig(config.data, "mcpServers", default={})
            if isinstance(servers, dict):
                for name, spec in servers.items():
                    if isinstance(spec, dict):
                        add_servers(ctx, TOOL, scope, {name: spec}, config, trusted=name in enabled)
        else:
            scan_settings(ctx, TOOL, scope, config, managed_off=managed_off, committed=path.name == "settings.json")


def _scan_managed(ctx: ScanContext) -> bool:
    """Managed policy files; returns True when they disable bypass mode (a mitigation)."""
    off = False
    for base in system_dirs(ctx.env):
        folder = base / ("claude-code" if base.name == "etc" else "ClaudeCode")
        files = [folder / "managed-settings.json"]
        dropins = folder / "managed-settings.d"
        if dropins.is_dir():
            files += sorted(p for p in dropins.glob("*.json") if p.is_file())
        for path in files:
            config = ctx.read(path)
            if config:
                off = off or dig(config.data, "permissions", "disableBypassPermissionsMode") == "disable"
                scan_settings(ctx, TOOL, "global", config)
        mcp = ctx.read(folder / "managed-mcp.json")
        if mcp:
            add_servers(ctx, TOOL, "global", dig(mcp.data, "mcpServers", default={}), mcp)
    return off


def scan_settings(
    ctx: ScanContext, tool: str, scope: str, config: ConfigFile, *, managed_off: bool = False, committed: bool = False,
) -> None:
    data = config.data if isinstance(config.data, dict) else {}
    perms = data.get("permissions") if isinstance(data.get("permissions"), dict) else {}
    mode = perms.get("defaultMode")
    if isinstance(mode, str):
        rule = MODES.get(mode, "MODE-0")
        shown = mode
        if rule == "MODE-1" and managed_off:
            rule, shown = "MODE-0", f"{mode} (disabled by managed policy)"
        ctx.add(tool, scope, "approval_mode", "permissions.defaultMode", shown, config, rule)
    if perms.get("disableBypassPermissionsMode") == "disable":
        ctx.add(tool, scope, "approval_mode", "permissions.disableBypassPermissionsMode", "disable", config, "INFO-0")
    for effect, kind in (("allow", "allowed_tool"), ("ask", "ask_tool"), ("deny", "denied_tool")):
        for text in str_list(perms.get(effect)):
            rate_rule(ctx, tool, scope, kind, text, config, committed=committed)
    for directory in str_list(perms.get("additionalDirectories")):
        ctx.add(tool, scope, "directory", directory, "additional directory", config,
                path_rule(directory, str(ctx.home), writes=True))
    if data.get("skipDangerousModePermissionPrompt") is True:
        ctx.add(tool, scope, "approval_mode", "skipDangerousModePermissionPrompt", True, config, "MODE-3")
    if isinstance(data.get("enableAllProjectMcpServers"), bool):
        on = data["enableAllProjectMcpServers"]
        rule = ("TRUST-3" if committed else "MCP-4") if on else "INFO-0"
        ctx.add(tool, scope, "mcp_server", "enableAllProjectMcpServers", on, config, rule)
    for name in str_list(data.get("enabledMcpjsonServers")):
        ctx.add(tool, scope, "mcp_server", f"{name} (approved from .mcp.json)", "enabled", config,
                mcp_server_rule(name, trusted=False) or "MCP-0")
    _sandbox(ctx, tool, scope, data.get("sandbox"), config)
    _hooks(ctx, tool, scope, data, config, committed)
    _env(ctx, tool, scope, data.get("env"), config)
    if isinstance(data.get("mcpServers"), dict):
        add_servers(ctx, tool, scope, data["mcpServers"], config)


def rate_rule(ctx: ScanContext, tool: str, scope: str, kind: str, text: str, source: ConfigFile, *, committed=False) -> None:
    """One `Tool(specifier)` rule; allows are rated, asks and denies are restrictions."""
    if kind != "allowed_tool":
        ctx.add(tool, scope, kind, text, kind.split("_")[0], source, "DENY-0")
        return
    match = RULE_SYNTAX.match(text)
    name, spec = (match.group(1), match.group(2)) if match else (text, None)
    rule = allow_rule(name, spec, str(ctx.home))
    if committed and rule in ("SHELL-1", "SHELL-2", "FILE-1", "FILE-2", "FILE-3"):
        rule = "TRUST-3"
    ctx.add(tool, scope, kind, text, "allow", source, rule)


def allow_rule(name: str, spec: str | None, home: str) -> str:
    lowered = name.lower()
    if lowered in ("bash", "shell", "run_shell_command", "powershell"):
        return shell_rule(spec or "*")
    if lowered in ("read", "glob", "grep", "ls", "read_file"):
        return "FILE-1" if spec is None or spec.strip() in ("*", "**") else path_rule(spec, home, writes=False)
    if lowered in ("edit", "write", "multiedit", "notebookedit", "write_file", "edit_file"):
        return "FILE-2" if spec is None or spec.strip() in ("*", "**") else path_rule(spec, home, writes=True)
    if lowered in ("webfetch", "web_fetch"):
        if spec is None or spec.strip() in ("", "*", "domain:*"):
            return "NET-2" if spec and "*" in spec else "NET-1"
        return "GRANT-0"
    if lowered.startswith("mcp__"):
        server, _, tool = name[len("mcp__"):].partition("__")
        return mcp_allow_rule(server, tool or None)
    return "GRANT-0"


def _sandbox(ctx: ScanContext, tool: str, scope: str, sandbox: Any, config: ConfigFile) -> None:
    if not isinstance(sandbox, dict):
        return
    enabled = sandbox.get("enabled")
    if isinstance(enabled, bool):
        ctx.add(tool, scope, "sandbox", "sandbox.enabled", enabled, config, "SBX-0")
    if enabled is True and sandbox.get("autoAllowBashIfSandboxed", True) and sandbox.get("allowUnsandboxedCommands", True):
        ctx.add(tool, scope, "sandbox", "sandbox.autoAllowBashIfSandboxed", "true, unsandboxed fallback allowed",
                config, "SBX-1")
    network = sandbox.get("network") if isinstance(sandbox.get("network"), dict) else {}
    domains = str_list(network.get("allowedDomains"))
    if domains:
        ctx.add(tool, scope, "network", "sandbox.network.allowedDomains", domains, config,
                "NET-2" if "*" in domains else "GRANT-0")
    if network.get("allowAllUnixSockets") is True:
        ctx.add(tool, scope, "network", "sandbox.network.allowAllUnixSockets", True, config, "NET-2")
    sockets = str_list(network.get("allowUnixSockets"))
    if sockets:
        ctx.add(tool, scope, "network", "sandbox.network.allowUnixSockets", sockets, config,
                "NET-2" if any("docker.sock" in s for s in sockets) else "GRANT-0")


def _hooks(ctx: ScanContext, tool: str, scope: str, data: dict, config: ConfigFile, committed: bool) -> None:
    rule = "HOOK-2" if scope != "global" else "HOOK-1"
    hooks = data.get("hooks")
    if isinstance(hooks, dict):
        for event, entries in hooks.items():
            for entry in entries if isinstance(entries, list) else []:
                if not isinstance(entry, dict):
                    continue
                matcher = entry.get("matcher") or "*"
                for hook in entry.get("hooks") or []:
                    if isinstance(hook, dict) and isinstance(hook.get("command"), str):
                        shown = ctx.redactor().args(hook["command"].split())
                        ctx.add(tool, scope, "hook", f"{event}[{matcher}]", shown, config, rule)
    for key in ("apiKeyHelper", "awsAuthRefresh", "awsCredentialExport"):
        if isinstance(data.get(key), str) and data[key]:
            ctx.add(tool, scope, "hook", key, ctx.redactor().args(data[key].split()), config, rule)
    status = data.get("statusLine")
    if isinstance(status, dict) and isinstance(status.get("command"), str):
        ctx.add(tool, scope, "hook", "statusLine.command", ctx.redactor().args(status["command"].split()), config, rule)


def _env(ctx: ScanContext, tool: str, scope: str, env: Any, config: ConfigFile) -> None:
    if not isinstance(env, dict):
        return
    for key, value in env.items():
        if isinstance(value, str) and is_secret_slot_value(str(key), value):
            fp = ctx.fingerprint(f"env:{key}", value)
            ctx.add(tool, scope, "credential", f"env {key}", "<secret>", config, "SECRET-1", fingerprint=fp)


def scan_state(ctx: ScanContext, state: ConfigFile) -> None:
    data = state.data if isinstance(state.data, dict) else {}
    if data.get("bypassPermissionsModeAccepted") is True:
        ctx.add(TOOL, "global", "approval_mode", "bypassPermissionsModeAccepted", True, state, "MODE-4")
    add_servers(ctx, TOOL, "global", data.get("mcpServers"), state)
    projects_map = data.get("projects")
    if not isinstance(projects_map, dict):
        return
    for path, entry in sorted(projects_map.items()):
        if not isinstance(entry, dict):
            continue
        scope = ctx.show(path)
        if entry.get("hasTrustDialogAccepted") is True:
            ctx.add(TOOL, scope, "trusted_folder", scope, "trusted", state,
                    "TRUST-1" if is_broad_root(path, str(ctx.home)) else "TRUST-0")
        for text in str_list(entry.get("allowedTools")):
            rate_rule(ctx, TOOL, scope, "allowed_tool", text, state)
        add_servers(ctx, TOOL, scope, entry.get("mcpServers"), state)


def _approved_mcpjson(state: ConfigFile | None) -> dict[str, set[str]]:
    projects_map = dig(state.data if state else None, "projects", default={})
    if not isinstance(projects_map, dict):
        return {}
    return {
        path: set(str_list(entry.get("enabledMcpjsonServers")))
        for path, entry in projects_map.items()
        if isinstance(entry, dict)
    }


MAX_BACKUPS = 20


def backup_evidence(ctx: ScanContext) -> dict[str, int]:
    """grant key -> epoch ms of the oldest `~/.claude/backups/.claude.json.backup.<ms>` holding it.

    Claude Code keeps these copies of `~/.claude.json`; they prove a trust, allow or MCP
    server existed before tokenlens first looked. Read with the same redaction as the live file.
    """
    from tokenlens.permissions.scan import grant_key

    backups = []
    for directory in config_dirs(ctx):
        for path in (directory / "backups").glob(".claude.json.backup.*"):
            suffix = path.name.rsplit(".", 1)[-1]
            if suffix.isdigit():
                backups.append((int(suffix), path))
    backups.sort()
    if len(backups) > MAX_BACKUPS:  # keep the oldest and an even spread of the rest
        step = len(backups) / MAX_BACKUPS
        backups = [backups[int(i * step)] for i in range(MAX_BACKUPS)]
    evidence: dict[str, int] = {}
    live = state_file(ctx)
    for epoch, path in backups:
        copy = ctx.read(path)
        if copy is None:
            continue
        probe = ScanContext(env=ctx.env, fingerprint=ctx.fingerprint)
        scan_state(probe, ConfigFile(live, copy.data, copy.mtime_ms))
        for grant in probe.grants:
            evidence.setdefault(grant_key(grant), epoch)
    return evidence


# Where a grant of each kind is set, for the hints (tokenlens.permissions.rules.hint_for).
SETTINGS = {"allowed_tool": "permissions.allow", "directory": "permissions.additionalDirectories"}


def setting_name(kind: str, subject: str, source_file: str) -> str | None:
    if kind == "allowed_tool" and source_file.endswith(".claude.json"):
        return "projects[...].allowedTools"
    return None
