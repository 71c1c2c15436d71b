"""OpenClaw (ex Clawdbot/Moltbot): `~/.openclaw/openclaw.json` (JSON5, `$OPENCLAW_CONFIG_PATH`)
and `exec-approvals.json`. A chat-reachable agent that executes commands as the person:
its documented default is exec security=full with ask=off, so an absent setting is a grant.
`credentials/` and `agents/*/agent/auth-profiles.json` are never opened.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tokenlens.permissions.base import ConfigFile, ScanContext, dig, str_list
from tokenlens.permissions.mcp import add_servers
from tokenlens.permissions.rules import shell_rule
from tokenlens.permissions.secrets import SECRET
from tokenlens.tools import openclaw as where

TOOL = "openclaw"
DANGEROUS_BINDS = ("/", "~", "/var/run/docker.sock", "/run/docker.sock", "~/.ssh")


def state_dirs(ctx: ScanContext) -> list[Path]:
    return where.homes(ctx.env)


def scan(ctx: ScanContext) -> None:
    files = [Path(ctx.env.get("OPENCLAW_CONFIG_PATH"))] if ctx.env.get("OPENCLAW_CONFIG_PATH") else []
    files += [folder / ("clawdbot.json" if folder.name == ".clawdbot" else "openclaw.json") for folder in state_dirs(ctx)]
    for path in files:
        config = ctx.read(path, "json5")
        if config:
            scan_config(ctx, config)
    for folder in state_dirs(ctx):
        approvals = ctx.read(folder / "exec-approvals.json", "json5")
        if approvals:
            scan_approvals(ctx, approvals)


def scan_config(ctx: ScanContext, config: ConfigFile) -> None:
    data = config.data if isinstance(config.data, dict) else {}
    exec_cfg = dig(data, "tools", "exec", default={})
    exec_cfg = exec_cfg if isinstance(exec_cfg, dict) else {}
    security = exec_cfg.get("security", "full")
    ask = exec_cfg.get("ask", "off")
    defaulted = " (default)" if "security" not in exec_cfg or "ask" not in exec_cfg else ""
    rule = "MODE-1" if security == "full" and ask == "off" else ("MODE-4" if security == "full" else "MODE-0")
    ctx.add(TOOL, "global", "approval_mode", "tools.exec", f"security={security} ask={ask}{defaulted}", config, rule)
    for binary in str_list(exec_cfg.get("safeBins")):
        ctx.add(TOOL, "global", "command_pattern", binary, "safe bin", config, shell_rule(binary, prefix=True))
    profile = dig(data, "tools", "profile")
    if isinstance(profile, str):
        ctx.add(TOOL, "global", "approval_mode", "tools.profile", profile, config, "GRANT-0" if profile == "full" else "INFO-0")
    if dig(data, "tools", "elevated", "enabled") is True:
        ctx.add(TOOL, "global", "approval_mode", "tools.elevated.enabled", True, config, "MODE-2")
    for name in str_list(dig(data, "tools", "deny")):
        ctx.add(TOOL, "global", "denied_tool", name, "deny", config, "DENY-0")
    _sandbox(ctx, data, config)
    _gateway(ctx, data, config)
    _channels(ctx, data, config)
    add_servers(ctx, TOOL, "global", dig(data, "mcp", "servers"), config)


def _sandbox(ctx: ScanContext, data: dict, config: ConfigFile) -> None:
    sandbox = dig(data, "agents", "defaults", "sandbox", default={})
    sandbox = sandbox if isinstance(sandbox, dict) else {}
    mode = sandbox.get("mode", "off")
    ctx.add(TOOL, "global", "sandbox", "agents.defaults.sandbox.mode",
            mode + ("" if "mode" in sandbox else " (default)"), config, "SBX-2" if mode == "off" else "SBX-0")
    docker = sandbox.get("docker") if isinstance(sandbox.get("docker"), dict) else {}
    if docker.get("network") == "host":
        ctx.add(TOOL, "global", "network", "sandbox.docker.network", "host", config, "SBX-2")
    for bind in str_list(docker.get("binds")):
        source = bind.split(":", 1)[0].rstrip("/") or "/"
        if source in DANGEROUS_BINDS or source == str(ctx.home):
            ctx.add(TOOL, "global", "sandbox", f"sandbox.docker.binds {source}", "mounted", config, "SBX-2")


def _gateway(ctx: ScanContext, data: dict, config: ConfigFile) -> None:
    gateway = data.get("gateway") if isinstance(data.get("gateway"), dict) else {}
    bind = gateway.get("bind", "loopback")
    auth = gateway.get("auth") if isinstance(gateway.get("auth"), dict) else {}
    no_auth = auth.get("mode") in (None, "none") and not auth.get("token") and not auth.get("password")
    exposed = bind not in ("loopback", "127.0.0.1", "localhost", "::1")
    rule = "EXPO-1" if (exposed and no_auth) or gateway.get("dangerouslyDisableDeviceAuth") is True else "INFO-0"
    ctx.add(TOOL, "global", "network", "gateway.bind", f"{bind}, auth={auth.get('mode', 'none')}", config, rule)
    for key in ("token", "password"):
        if isinstance(auth.get(key), str) and auth[key] and not auth[key].startswith("$"):
            fp = ctx.fingerprint(f"gateway.auth.{key}", auth[key])
            ctx.add(TOOL, "global", "credential", f"gateway.auth.{key}", SECRET, config, "SECRET-1", fingerprint=fp)


def _channels(ctx: ScanContext, data: dict, config: ConfigFile) -> None:
    channels = data.get("channels")
    if not isinstance(channels, dict):
        return
    for name, channel in sorted(channels.items()):
        if not isinstance(channel, dict):
            continue
        open_dm = channel.get("dmPolicy") == "open" or channel.get("groupPolicy") == "open" \
            or "*" in str_list(channel.get("allowFrom"))
        policy = f"dm={channel.get('dmPolicy', 'pairing')} group={channel.get('groupPolicy', 'allowlist')}"
        ctx.add(TOOL, "global", "network", f"channel {name}", policy, config, "EXPO-2" if open_dm else "INFO-0")
        for key in ("botToken", "channelSecret", "token", "appToken", "signingSecret"):
            value: Any = channel.get(key)
            if isinstance(value, str) and value and not value.startswith("$"):
                fp = ctx.fingerprint(f"channel:{name}:{key}", value)
                ctx.add(TOOL, "global", "credential", f"channel {name} {key}", SECRET, config, "SECRET-1", fingerprint=fp)


def scan_approvals(ctx: ScanContext, config: ConfigFile) -> None:
    data = config.data if isinstance(config.data, dict) else {}
    defaults = data.get("defaults") if isinstance(data.get("defaults"), dict) else {}
    if defaults:
        security, ask = defaults.get("security", "full"), defaults.get("ask", "off")
        rule = "MODE-1" if security == "full" and ask == "off" else "MODE-0"
        ctx.add(TOOL, "global", "approval_mode", "exec-approvals defaults",
                f"security={security} ask={ask} fallback={defaults.get('askFallback', 'full')}", config, rule)
    agents = data.get("agents") if isinstance(data.get("agents"), dict) else {}
    for agent, entry in sorted(agents.items()):
        allowlist = entry.get("allowlist") if isinstance(entry, dict) else None
        for item in allowlist if isinstance(allowlist, list) else []:
            pattern = item.get("pattern") if isinstance(item, dict) else None
            if isinstance(pattern, str):
                ctx.add(TOOL, "global", "command_pattern", f"{agent}: {pattern}", "allowlisted", config,
                        shell_rule(pattern.rsplit("/", 1)[-1] if "/" in pattern else pattern, prefix=True))


# Where a grant of each kind is set, for the hints (tokenlens.permissions.rules.hint_for).
SETTINGS = {"command_pattern": "tools.exec.safeBins"}
MCP_KEY = "mcp.servers"


def setting_name(kind: str, subject: str, source_file: str) -> str | None:
    if source_file.endswith("exec-approvals.json"):
        return "agents.<id>.allowlist"
    return None
