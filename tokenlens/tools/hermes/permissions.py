"""Hermes Agent: the approval policy, the permanent command allowlist and MCP servers in
`<home>/config.yaml` (and each named profile's `profiles/<name>/config.yaml`).

Read in github:NousResearch/hermes-agent (tools/approval_context.py @ 079b5a95,
tools/approval.py @ 00067189):
- `approvals.mode`: `manual` (a prompt for every command flagged dangerous, the default),
  `smart` (a guardian LLM decides) or `off` (no approval: YAML's bare `off` is read as
  false, which Hermes takes as "off" too);
- `approvals.cron_mode`, `approvals.single_query_mode`, `approvals.unattended_mode`: `approve`
  (also `off`, `allow`, `yes`) runs flagged commands in cron jobs, `hermes chat -q` and
  webhook / API sessions with nobody asked; default `deny`;
- `command_allowlist`: the dangerous-pattern keys a person approved "always" (a list; older
  builds a single string), never asked again;
- `mcp_servers: {name: {command, args, env, url, headers, enabled}}`;
- `--yolo` / `HERMES_YOLO_MODE` skip every approval for the process: launch flags.
Provider keys live in `.env` and `auth.json`, which are never opened (TOOL.credential_paths).
"""

from __future__ import annotations

from pathlib import Path

from tokenlens.permissions.base import ConfigFile, ScanContext, dig, str_list
from tokenlens.permissions.mcp import add_servers
from tokenlens.permissions.rules import shell_rule
from tokenlens.tools import hermes as where

TOOL = "hermes"
UNATTENDED = ("cron_mode", "single_query_mode", "unattended_mode")
APPROVES = {"approve", "off", "allow", "yes"}


def scan(ctx: ScanContext) -> None:
    for home in where.homes(ctx.env):
        _config(ctx, "global", home / "config.yaml")
        try:
            profiles = sorted(p for p in (home / "profiles").iterdir() if p.is_dir())
        except OSError:
            profiles = []
        for profile in profiles:
            _config(ctx, f"profile {profile.name}", profile / "config.yaml")


def _config(ctx: ScanContext, scope: str, path: Path) -> None:
    config = ctx.read(path, "yaml")
    if config and isinstance(config.data, dict):
        scan_config(ctx, scope, config)


def scan_config(ctx: ScanContext, scope: str, config: ConfigFile) -> None:
    mode = dig(config.data, "approvals", "mode")
    if mode is not None:
        shown = "off" if mode is False else str(mode).strip().lower()
        rule = {"off": "MODE-1", "smart": "MODE-4"}.get(shown, "MODE-0")
        ctx.add(TOOL, scope, "approval_mode", "approvals.mode", shown, config, rule)
    for key in UNATTENDED:
        value = dig(config.data, "approvals", key)
        if value is not None:
            shown = "off" if value is False else str(value).strip().lower()
            ctx.add(TOOL, scope, "approval_mode", f"approvals.{key}", shown, config,
                    "MODE-1" if shown in APPROVES else "MODE-0")
    allow = dig(config.data, "command_allowlist")
    for entry in [allow] if isinstance(allow, str) else str_list(allow):
        ctx.add(TOOL, scope, "command_pattern", entry, "always", config, shell_rule(entry))
    add_servers(ctx, TOOL, scope, dig(config.data, "mcp_servers"), config)


# Where a grant of each kind is set, for the hints (tokenlens.permissions.rules.hint_for).
SETTINGS = {"command_pattern": "command_allowlist", "approval_mode": "approvals.mode"}
MCP_KEY = "mcp_servers"
