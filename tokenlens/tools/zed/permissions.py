"""Zed's agent: tool permissions, ACP agent modes and context (MCP) servers in `settings.json`.

Files: the user's `<config dir>/settings.json` (see tools/zed/__init__.py) and each project's
`.zed/settings.json`; JSON with comments and trailing commas (jsonc).

Keys (zed-industries/zed crates/settings_content/src/agent.rs `ToolPermissionsContent`,
`ToolRulesContent`; crates/migrator m_2026_02_04 `migrate_tool_permission_defaults`), read
from the struct definitions and the migration as published, not from a checkout:
- `agent.always_allow_tool_actions: true` (older builds): every tool call runs without asking;
  the migration turns it into `agent.tool_permissions.default: "allow"`, and sets
  `agent_servers.claude.default_mode: "bypassPermissions"` and `agent_servers.codex.
  default_mode: "full-access"` to keep external agents auto-accepting too;
- `agent.tool_permissions {default: allow|confirm|deny, tools: {<tool>: {default,
  always_allow: [{pattern}], always_deny: [...], always_confirm: [...]}}}`: patterns are
  regexes over the command (`terminal`), the path (file tools) or the URL (`fetch`); MCP tools
  are named `mcp:<server>:<tool>`; the same under each `agent.profiles.<name>`;
- `context_servers {<name>: {command, args, env} | {url} | {source: "extension"}}`.
"""

from __future__ import annotations

from typing import Any

from tokenlens.permissions.base import ConfigFile, ScanContext, dig
from tokenlens.permissions.mcp import add_servers
from tokenlens.permissions.rules import mcp_allow_rule, path_rule, shell_rule
from tokenlens.tools import zed as where

TOOL = "zed"
EDIT_TOOLS = {"edit_file", "write_file", "create_directory", "delete_path", "move_path", "copy_path",
              "streaming_edit_file"}
NET_TOOLS = {"fetch", "web_search"}
BYPASS_MODES = {"bypassPermissions", "full-access", "yolo", "auto"}


def scan(ctx: ScanContext) -> None:
    for folder in where.config_dirs(ctx.env):
        config = ctx.read(folder / "settings.json", "jsonc")
        if config:
            scan_config(ctx, "global", config)
    for root, path in ctx.project_files(".zed/settings.json"):
        config = ctx.read(path, "jsonc")
        if config:
            scan_config(ctx, ctx.scope_of(root), config)


def scan_config(ctx: ScanContext, scope: str, config: ConfigFile) -> None:
    agent = dig(config.data, "agent")
    if isinstance(agent, dict):
        _agent(ctx, scope, agent, config, "agent.")
        profiles = agent.get("profiles")
        for name, profile in sorted(profiles.items()) if isinstance(profiles, dict) else []:
            if isinstance(profile, dict):
                _agent(ctx, scope, profile, config, f"agent.profiles.{name}.")
    servers = dig(config.data, "agent_servers")
    for name, server in sorted(servers.items()) if isinstance(servers, dict) else []:
        mode = server.get("default_mode") if isinstance(server, dict) else None
        if isinstance(mode, str):
            ctx.add(TOOL, scope, "approval_mode", f"agent_servers.{name}.default_mode", mode, config,
                    "MODE-1" if mode in BYPASS_MODES else "MODE-0")
    add_servers(ctx, TOOL, scope, _flat_servers(dig(config.data, "context_servers")), config)


def _agent(ctx: ScanContext, scope: str, agent: dict, config: ConfigFile, prefix: str) -> None:
    if agent.get("always_allow_tool_actions") is True:
        ctx.add(TOOL, scope, "approval_mode", prefix + "always_allow_tool_actions", "true", config, "MODE-1")
    perms = agent.get("tool_permissions")
    if not isinstance(perms, dict):
        return
    default = perms.get("default", perms.get("default_mode"))
    if isinstance(default, str):
        ctx.add(TOOL, scope, "approval_mode", prefix + "tool_permissions.default", default, config,
                "MODE-1" if default == "allow" else "MODE-0")
    tools = perms.get("tools")
    for name, rules in sorted(tools.items()) if isinstance(tools, dict) else []:
        if isinstance(rules, dict):
            _tool_rules(ctx, scope, str(name), rules, config)


def _tool_rules(ctx: ScanContext, scope: str, name: str, rules: dict, config: ConfigFile) -> None:
    default = rules.get("default", rules.get("default_mode"))
    if default == "allow":
        ctx.add(TOOL, scope, "allowed_tool", name, "allow", config, tool_rule(ctx, name, None))
    elif isinstance(default, str):
        ctx.add(TOOL, scope, "ask_tool" if default == "confirm" else "denied_tool", name, default, config, "DENY-0")
    for key, kind in (("always_allow", "allowed_tool"), ("always_deny", "denied_tool"),
                      ("always_confirm", "ask_tool")):
        for pattern in _patterns(rules.get(key)):
            rule = tool_rule(ctx, name, pattern) if kind == "allowed_tool" else "DENY-0"
            ctx.add(TOOL, scope, kind, f"{name}(/{pattern}/)", key, config, rule)


def tool_rule(ctx: ScanContext, name: str, pattern: str | None) -> str:
    """A tool allowed without asking, for every input (`pattern` None) or those a regex matches."""
    every = pattern is None or pattern.strip() in (".*", "^.*$", ".+", "")
    if name == "terminal":
        return "SHELL-1" if every else shell_rule(f"/{pattern}/")
    if name in EDIT_TOOLS:
        return "MODE-5" if every else path_rule(pattern, str(ctx.home), writes=True)
    if name in NET_TOOLS:
        return "NET-1" if every else "GRANT-0"
    if name.startswith("mcp:"):
        _, server, tool = (name.split(":", 2) + ["", ""])[:3]
        return mcp_allow_rule(server, tool or None)
    return "GRANT-0"


def _patterns(value: Any) -> list[str]:
    return [str(p["pattern"]) for p in value if isinstance(p, dict) and isinstance(p.get("pattern"), str)] \
        if isinstance(value, list) else []


def _flat_servers(servers: Any) -> Any:
    """Older builds nest the launch under `command: {path, args, env}`: the shape add_servers reads."""
    if not isinstance(servers, dict):
        return servers
    flat = {}
    for name, spec in servers.items():
        if isinstance(spec, dict) and isinstance(spec.get("command"), dict):
            nested = spec["command"]
            spec = {**spec, "command": nested.get("path", ""), "args": nested.get("args") or [],
                    "env": nested.get("env") or {}}
        flat[name] = spec
    return flat


# Where a grant of each kind is set, for the hints (tokenlens.permissions.rules.hint_for).
SETTINGS = {"allowed_tool": "agent.tool_permissions", "approval_mode": "agent.tool_permissions.default"}
MCP_KEY = "context_servers"
