"""Codex CLI: `$CODEX_HOME/config.toml` (+ system and trusted-project files), profiles,
per-project trust, MCP servers, and exec-policy `rules/*.rules` (Starlark, parsed with
`ast`, never executed). `auth.json`, `sessions/` and `history.jsonl` are never opened.
"""

from __future__ import annotations

import ast
import itertools
from pathlib import Path
from typing import Any

from tokenlens.permissions.base import ConfigFile, ScanContext, str_list
from tokenlens.permissions.mcp import add_servers
from tokenlens.permissions.rules import is_broad_root, path_rule, shell_rule, worst
from tokenlens.tools import codex as where
from tokenlens.tools.base import system_dirs

TOOL = "codex"


def homes(ctx: ScanContext) -> list[Path]:
    return where.homes(ctx.env)


def projects(ctx: ScanContext) -> list[Path]:
    found: list[Path] = []
    for home in homes(ctx):
        config = ctx.read(home / "config.toml", "toml")
        table = config.data.get("projects") if config and isinstance(config.data, dict) else None
        if isinstance(table, dict):
            found += [Path(p) for p in table if isinstance(p, str) and p.startswith("/")]
    return found


def scan(ctx: ScanContext) -> None:
    trusted: set[str] = set()
    for base in system_dirs(ctx.env):
        folder = base / ("codex" if base.name == "etc" else "OpenAI/Codex")
        config = ctx.read(folder / "config.toml", "toml")
        if config:
            scan_config(ctx, "global", config)
    for home in homes(ctx):
        config = ctx.read(home / "config.toml", "toml")
        if config:
            trusted |= scan_config(ctx, "global", config)
        rules_dir = home / "rules"
        if rules_dir.is_dir():
            for path in sorted(rules_dir.glob("*.rules"))[:50]:
                _scan_rules(ctx, "global", path)
    for root, path in ctx.project_files(".codex/config.toml"):
        config = ctx.read(path, "toml")
        if config:
            # Codex loads a project's file only when the project is trusted; otherwise it is latent.
            scope = ctx.scope_of(root)
            scan_config(ctx, scope, config, latent=str(root) not in trusted)


def scan_config(ctx: ScanContext, scope: str, config: ConfigFile, *, latent: bool = False) -> set[str]:
    """Grants of one config.toml; returns the project paths it marks trusted."""
    data = config.data if isinstance(config.data, dict) else {}
    suffix = " (not loaded: project untrusted)" if latent else ""
    _policy(ctx, scope, data, config, "", suffix)
    active = data.get("profile")
    profiles = data.get("profiles") if isinstance(data.get("profiles"), dict) else {}
    for name, profile in profiles.items():
        if isinstance(profile, dict):
            note = " (default profile)" if name == active else " (used with --profile)"
            _policy(ctx, scope, profile, config, f"profiles.{name}.", note + suffix, inherit=data)
    policy = data.get("shell_environment_policy")
    if isinstance(policy, dict):
        if policy.get("ignore_default_excludes") is True or (policy.get("inherit") == "all" and not policy.get("exclude")):
            ctx.add(TOOL, scope, "sandbox", "shell_environment_policy", "commands see all env vars", config, "SBX-3")
    notify = data.get("notify")
    if notify:
        ctx.add(TOOL, scope, "hook", "notify", ctx.redactor().args(str_list(notify)), config,
                "HOOK-1" if scope == "global" else "HOOK-2")
    add_servers(ctx, TOOL, scope, data.get("mcp_servers"), config)
    trusted: set[str] = set()
    table = data.get("projects")
    if isinstance(table, dict):
        for path, entry in sorted(table.items()):
            level = entry.get("trust_level") if isinstance(entry, dict) else None
            if level == "trusted":
                trusted.add(path)
                ctx.add(TOOL, ctx.show(path), "trusted_folder", ctx.show(path), "trusted", config,
                        "TRUST-1" if is_broad_root(path, str(ctx.home)) else "TRUST-0")
            elif isinstance(level, str):
                ctx.add(TOOL, ctx.show(path), "trusted_folder", ctx.show(path), level, config, "INFO-0")
    return trusted


def _policy(
    ctx: ScanContext, scope: str, data: dict, config: ConfigFile, prefix: str, note: str, inherit: dict | None = None,
) -> None:
    approval = data.get("approval_policy")
    sandbox = data.get("sandbox_mode") or _permissions_profile(data)
    effective_sandbox = sandbox or (inherit or {}).get("sandbox_mode") or _permissions_profile(inherit or {})
    if isinstance(approval, str):
        if approval == "never":
            rule = "MODE-1" if effective_sandbox == "danger-full-access" else "MODE-4"
        else:
            rule = "MODE-0"
        ctx.add(TOOL, scope, "approval_mode", prefix + "approval_policy", approval + note, config, rule)
    if isinstance(sandbox, str):
        rule = "MODE-2" if sandbox == "danger-full-access" else "SBX-0"
        ctx.add(TOOL, scope, "sandbox", prefix + "sandbox_mode", sandbox + note, config, rule)
    write = data.get("sandbox_workspace_write")
    if isinstance(write, dict):
        if write.get("network_access") is True:
            ctx.add(TOOL, scope, "network", prefix + "sandbox_workspace_write.network_access", "true" + note, config,
                    "NET-1")
        for root in str_list(write.get("writable_roots")):
            ctx.add(TOOL, scope, "directory", prefix + f"writable_roots {root}", "writable" + note, config,
                    path_rule(root, str(ctx.home), writes=True))


def _permissions_profile(data: dict) -> str | None:
    """The newer `default_permissions` names; `:danger-full-access` means no sandbox."""
    value = data.get("default_permissions")
    if value == ":danger-full-access":
        return "danger-full-access"
    return None


def _scan_rules(ctx: ScanContext, scope: str, path: Path) -> None:
    config = ctx.read(path, "text")
    if config is None:
        return
    try:
        tree = ast.parse(config.data)
    except (SyntaxError, ValueError):
        ctx.problems.append(f"{ctx.show(path)}: not valid Starlark")
        return
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "prefix_rule"):
            continue
        keywords = {k.arg: k.value for k in node.keywords}
        pattern = _literal(keywords.get("pattern"))
        decision = _literal(keywords.get("decision")) or "allow"  # the decision defaults to allow
        words = [_word(p) for p in pattern] if isinstance(pattern, list) else []
        subject = " ".join(words) or "*"
        if decision == "allow":
            # A prefix of argv: ["git", "push"] also allows `git push --force`; each alternative counts.
            choices = itertools.islice(itertools.product(*(w.split("|") for w in words)), 64)
            rule = worst(*(shell_rule(" ".join(c), prefix=True) for c in choices)) if words else "SHELL-1"
        else:
            rule = "DENY-0"
        ctx.add(TOOL, scope, "command_pattern", subject, str(decision), config, rule)


def _literal(node: Any) -> Any:
    if node is None:
        return None
    try:
        return ast.literal_eval(node)
    except (ValueError, SyntaxError):
        return None


def _word(part: Any) -> str:
    # A pattern element may be a list of alternatives: ["git", ["status", "diff"]].
    return "|".join(map(str, part)) if isinstance(part, list) else str(part)


# Where a grant of each kind is set, for the hints (tokenlens.permissions.rules.hint_for).
SETTINGS = {"command_pattern": 'prefix_rule (decision "allow")', "directory": "sandbox_workspace_write.writable_roots"}
MCP_KEY = "mcp_servers"
