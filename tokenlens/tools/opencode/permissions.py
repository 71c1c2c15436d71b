"""OpenCode: global `opencode.json[c]` (XDG config dir, `$OPENCODE_CONFIG`, `$OPENCODE_CONFIG_DIR`,
`~/.opencode`), managed `/etc/opencode`, project `opencode.json[c]` and `.opencode/`.

`permission` may be one string ("allow" = everything) or a map of tool -> action or
tool -> {pattern: action} (the last matching pattern wins). Defaults are permissive: with no
`bash` permission anywhere, shell commands run without asking. `auth.json` is never opened.

The reading of a config is shared with the forks that keep OpenCode's schema (Kilo CLI,
tokenlens/tools/kilo/permissions.py): each says where its files are in a `Layout`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tokenlens.permissions.base import ConfigFile, ScanContext, dig
from tokenlens.permissions.mcp import add_servers
from tokenlens.permissions.rules import mcp_allow_rule, mcp_reach, path_rule, shell_rule
from tokenlens.tools import opencode as where
from tokenlens.tools.base import system_dirs

TOOL = "opencode"
NAMES = ("opencode.json", "opencode.jsonc")


@dataclass(frozen=True)
class Layout:
    """Where one tool of OpenCode's family reads its config files (all in OpenCode's schema)."""

    tool: str  # the id its grants carry
    name: str  # as a person reads it, for the note on its permissive default
    global_files: Callable[[ScanContext], list[Path]]
    project_files: tuple[str, ...]  # relative to a project root (or an ancestor of one)


def global_files(ctx: ScanContext) -> list[Path]:
    files: list[Path] = []
    for base in system_dirs(ctx.env):
        files += [base / "opencode" / n for n in NAMES]
    files += [folder / n for folder in where.config_dirs(ctx.env) for n in NAMES]
    configured_dir = ctx.env.get("OPENCODE_CONFIG_DIR")
    if configured_dir:
        files += [Path(configured_dir) / n for n in NAMES]
    if ctx.env.get("OPENCODE_CONFIG"):
        files.append(Path(ctx.env.get("OPENCODE_CONFIG")))
    return files


LAYOUT = Layout(TOOL, "OpenCode", global_files, (*NAMES, *(f".opencode/{n}" for n in NAMES)))


def scan(ctx: ScanContext) -> None:
    scan_layout(ctx, LAYOUT)


def scan_layout(ctx: ScanContext, layout: Layout) -> None:
    globals_read = [c for c in (ctx.read(p, "jsonc") for p in layout.global_files(ctx)) if c]
    for config in globals_read:
        scan_config(ctx, layout.tool, "global", config)
    if globals_read and not any(_sets_bash(c.data) for c in globals_read):
        ctx.add(layout.tool, "global", "allowed_tool", "bash", f"allow (unset: {layout.name}'s default)",
                globals_read[0], "SHELL-1")
    for root, path in ctx.project_files(*layout.project_files):
        config = ctx.read(path, "jsonc")
        if config:
            scan_config(ctx, layout.tool, ctx.scope_of(root), config)


def _sets_bash(data: Any) -> bool:
    perm = dig(data, "permission")
    return isinstance(perm, str) or (isinstance(perm, dict) and ("bash" in perm or "*" in perm))


def scan_config(ctx: ScanContext, tool: str, scope: str, config: ConfigFile) -> None:
    data = config.data if isinstance(config.data, dict) else {}
    _permission(ctx, tool, scope, data.get("permission"), config, "")
    agents = data.get("agent")
    if isinstance(agents, dict):
        for name, agent in sorted(agents.items()):
            if isinstance(agent, dict):
                _permission(ctx, tool, scope, agent.get("permission"), config, f"agent {name}: ")
    tools = data.get("tools")
    if isinstance(tools, dict):
        for name, enabled in sorted(tools.items()):
            if enabled is False:
                ctx.add(tool, scope, "denied_tool", str(name), "disabled", config, "DENY-0")
    add_servers(ctx, tool, scope, data.get("mcp"), config)


def _permission(ctx: ScanContext, tool: str, scope: str, perm: Any, config: ConfigFile, prefix: str) -> None:
    if isinstance(perm, str):
        ctx.add(tool, scope, "approval_mode", prefix + "permission", perm, config,
                "MODE-1" if perm == "allow" else "MODE-0")
        return
    if not isinstance(perm, dict):
        return
    for name, setting in perm.items():
        patterns = setting if isinstance(setting, dict) else {"*": setting}
        for pattern, action in patterns.items():
            if not isinstance(action, str):
                continue
            subject = prefix + (str(name) if pattern == "*" else f"{name}({pattern})")
            kind = {"allow": "allowed_tool", "deny": "denied_tool"}.get(action, "ask_tool")
            rule = _allow_rule(ctx, str(name), str(pattern)) if action == "allow" else "DENY-0"
            ctx.add(tool, scope, kind, subject, action, config, rule)


def _allow_rule(ctx: ScanContext, name: str, pattern: str) -> str:
    if name == "*":
        return "MODE-1" if pattern == "*" else "GRANT-0"
    if name == "bash":
        return shell_rule(pattern)
    if name in ("read", "list", "glob", "grep"):
        return path_rule(pattern, str(ctx.home), writes=False) if pattern != "*" else "GRANT-0"
    if name == "edit":
        return "MODE-5" if pattern == "*" else path_rule(pattern, str(ctx.home), writes=True)
    if name == "external_directory":
        return path_rule(pattern, str(ctx.home), writes=True)
    if name in ("webfetch", "websearch"):
        return "NET-1" if pattern == "*" else "GRANT-0"
    if mcp_reach(name):  # MCP tools are named `<server>_<tool>`, e.g. "slack_*"
        server, _, tool = name.partition("_")
        return mcp_allow_rule(server, tool or "*")
    return "GRANT-0"


# Where a grant of each kind is set, for the hints (tokenlens.permissions.rules.hint_for).
SETTINGS = {"allowed_tool": "permission"}
MCP_KEY = "mcp"


def setting_name(kind: str, subject: str, source_file: str) -> str | None:
    if kind == "allowed_tool":
        agent, _, rest = subject.rpartition(": ")
        name = rest.split("(", 1)[0]
        return (f"agent.{agent.removeprefix('agent ')}." if agent else "") + f"permission.{name}"
    return None
