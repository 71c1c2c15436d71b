"""Grok Build: permission mode, permission rules and MCP servers in `config.toml`.

Confirmed in Grok Build's user guide, which ships with the CLI (github:xai-org/grok-build @
19d42e35, crates/codegen/xai-grok-pager/docs/user-guide/22-permissions-and-safety.md and
07-mcp-servers.md):
- files: `<home>/config.toml` (`$GROK_HOME`, else `~/.grok`), `<home>/managed_config.toml`
  and `/etc/grok/managed_config.toml` (an organisation's defaults), and a project's
  `.grok/config.toml` (only `[mcp_servers]`, `[plugins]` and `[permission]` count there);
- `[ui] permission_mode = "always-approve" | "auto" | "ask"` (user config only; legacy
  `approval_mode` and `yolo = true`): always-approve runs every tool call unasked (deny rules
  and hooks still apply), auto lets a classifier approve "safe" calls;
- `[permission]`: `allow` / `deny` / `ask` arrays of Claude-style rule strings (`Bash(git *)`,
  `Read(src/**)`, `Edit(**/*.rs)`, `MCPTool(server__tool)`), or `rules = [{action, tool,
  pattern}]` with `tool` one of bash, read, edit, grep, mcp, webfetch, websearch;
- `[mcp_servers.<name>]` (`command`, `args`, `env`, `url`, `headers`);
- `--always-approve` (alias `--yolo`) and `--permission-mode bypassPermissions`: launch flags.
Grok also reads Claude Code's `.claude/settings*.json` rules: those are Claude Code's grants,
shown under claude-code. Rule strings are rated as Claude Code's are (same syntax).
"""

from __future__ import annotations

from pathlib import Path

from tokenlens.permissions.base import ConfigFile, ScanContext, dig, str_list
from tokenlens.permissions.mcp import add_servers
from tokenlens.tools import grok as where
from tokenlens.tools.claude_code.permissions import RULE_SYNTAX, allow_rule

TOOL = "grok"
MODE_RULES = {"always-approve": "MODE-1", "bypasspermissions": "MODE-1", "auto": "MODE-4", "acceptedits": "MODE-5"}
STRUCTURED = {"bash": "Bash", "read": "Read", "edit": "Edit", "grep": "Grep", "webfetch": "WebFetch",
              "websearch": "WebSearch", "mcp": "MCPTool"}


def scan(ctx: ScanContext) -> None:
    home = where.homes(ctx.env)[0]
    for path in (Path("/etc/grok/managed_config.toml"), home / "managed_config.toml", home / "config.toml"):
        config = ctx.read(path, "toml")
        if config and isinstance(config.data, dict):
            scan_config(ctx, "global", config, user=True)
    for root, path in ctx.project_files(".grok/config.toml"):
        config = ctx.read(path, "toml")
        if config and isinstance(config.data, dict):
            scan_config(ctx, ctx.scope_of(root), config, user=False)


def scan_config(ctx: ScanContext, scope: str, config: ConfigFile, *, user: bool) -> None:
    ui = config.data.get("ui") if isinstance(config.data.get("ui"), dict) else {}
    if user:  # a project's file cannot set the mode
        for key in ("permission_mode", "approval_mode"):
            if isinstance(ui.get(key), str):
                ctx.add(TOOL, scope, "approval_mode", f"ui.{key}", ui[key], config,
                        MODE_RULES.get(ui[key].lower(), "MODE-0"))
        if ui.get("yolo") is True:
            ctx.add(TOOL, scope, "approval_mode", "ui.yolo", "true", config, "MODE-1")
    perm = config.data.get("permission") if isinstance(config.data.get("permission"), dict) else {}
    for action, kind in (("allow", "allowed_tool"), ("deny", "denied_tool"), ("ask", "ask_tool")):
        for text in str_list(perm.get(action)):
            _rule(ctx, scope, kind, text, config)
    for entry in perm.get("rules") if isinstance(perm.get("rules"), list) else []:
        if isinstance(entry, dict) and isinstance(entry.get("tool"), str):
            name = STRUCTURED.get(entry["tool"].lower(), entry["tool"])
            pattern = entry.get("pattern")
            text = f"{name}({pattern})" if isinstance(pattern, str) and pattern else name
            kind = {"allow": "allowed_tool", "deny": "denied_tool"}.get(str(entry.get("action")), "ask_tool")
            _rule(ctx, scope, kind, text, config)
    add_servers(ctx, TOOL, scope, dig(config.data, "mcp_servers"), config)


def _rule(ctx: ScanContext, scope: str, kind: str, text: str, config: ConfigFile) -> None:
    if kind != "allowed_tool":
        ctx.add(TOOL, scope, kind, text, kind.split("_")[0], config, "DENY-0")
        return
    match = RULE_SYNTAX.match(text)
    name, spec = (match.group(1), match.group(2)) if match else (text.strip(), None)
    if name == "MCPTool":  # MCPTool(server__tool) is Claude's mcp__server__tool
        name, spec = "mcp__" + (spec or "*"), None
    ctx.add(TOOL, scope, kind, text, "allow", config, allow_rule(name, spec, str(ctx.home)))


# Where a grant of each kind is set, for the hints (tokenlens.permissions.rules.hint_for).
SETTINGS = {"allowed_tool": "[permission] allow", "approval_mode": "[ui] permission_mode"}
MCP_KEY = "mcp_servers"
