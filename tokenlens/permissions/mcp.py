"""MCP server entries, whatever tool declares them: one grant per server, one per literal secret.

Servers are described, never started (starting a stdio server is running its code).
Shapes differ per tool: `command`+`args` (most), a `command` list (OpenCode), `cmd` (Goose),
`url`/`httpUrl`/`serverUrl`/`uri` for remote ones; secrets sit in `env`/`environment`/`envs`,
`headers`/`http_headers`, `bearer_token`.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from tokenlens.permissions.base import ConfigFile, ScanContext
from tokenlens.permissions.rules import is_broad_root, mcp_server_rule, worst
from tokenlens.permissions.secrets import SECRET

RUNNERS = {"npx", "pnpx", "bunx"}
SHELLS = {"sh", "bash", "zsh", "dash", "cmd", "cmd.exe", "powershell", "pwsh"}
FS_SERVER = re.compile(r"(server-filesystem|filesystem|mcp-fs|fs-server)", re.I)
PINNED_NPM = re.compile(r"^(@[^/@\s]+/)?[^@\s/]+@\d+\.\d+\.\d+")
ENV_KEYS = ("env", "environment", "envs")
HEADER_KEYS = ("headers", "http_headers")
URL_KEYS = ("url", "httpUrl", "serverUrl", "uri")


def add_servers(
    ctx: ScanContext, tool: str, scope: str, servers: Any, source: ConfigFile, *, trusted: bool = False,
    prefix: str = "",
) -> None:
    """Grants for a `{name: spec}` map (or a list of specs with `name`)."""
    if isinstance(servers, list):
        servers = {str(s.get("name", i)): s for i, s in enumerate(servers) if isinstance(s, dict)}
    if not isinstance(servers, dict):
        return
    for name, spec in servers.items():
        if isinstance(spec, dict):
            add_server(ctx, tool, scope, prefix + str(name), spec, source, trusted=trusted or spec.get("trust") is True)


def add_server(ctx: ScanContext, tool: str, scope: str, name: str, spec: dict, source: ConfigFile, *, trusted: bool) -> None:
    redactor = ctx.redactor()
    command, args = _command(spec)
    url = next((spec[k] for k in URL_KEYS if isinstance(spec.get(k), str)), "")
    parts: list[str] = []
    if command:
        parts.append(" ".join([redactor.inline(command), redactor.args(args)]).strip())
    if url:
        parts.append(redactor.url(url))
    for key in ENV_KEYS:
        shown = redactor.mapping("env", spec.get(key))
        if shown:
            parts.append(f"env {shown}")
    for key in HEADER_KEYS:
        shown = redactor.mapping("header", spec.get(key))
        if shown:
            parts.append(f"headers {shown}")
    if isinstance(spec.get("bearer_token"), str) and spec["bearer_token"]:
        parts.append(f"bearer_token={redactor.secret('bearer_token', spec['bearer_token'])}")
    if spec.get("enabled") is False or spec.get("disabled") is True:
        parts.append("(disabled)")
    rule = _launch_rule(command, args, url, ctx)
    # A Slack, mail, calendar, cloud-console or payments server acts as the person: named first,
    # so it wins a tie with a launch problem of the same level.
    reach = mcp_server_rule(name, " ".join([command, *args, url]), trusted=trusted)
    if reach:
        rule = worst(reach, rule)
    elif trusted:
        rule = worst("MCP-4", rule)
    ctx.add(tool, scope, "mcp_server", name, "; ".join(parts), source, rule)
    for slot, fp in redactor.literals:
        if _counts_as_secret(slot):
            ctx.add(tool, scope, "mcp_server", f"{name}: {_slot_label(slot)}", SECRET, source, "MCP-1", fingerprint=fp)


def _command(spec: dict) -> tuple[str, list]:
    command = spec.get("command", spec.get("cmd"))
    args = list(spec.get("args") or []) if isinstance(spec.get("args"), list) else []
    if isinstance(command, list) and command:
        return str(command[0]), [str(a) for a in command[1:]] + args
    return (command if isinstance(command, str) else ""), [str(a) for a in args]


def _launch_rule(command: str, args: list, url: str, ctx: ScanContext) -> str:
    rules = ["MCP-0"]
    base = command.replace("\\", "/").rsplit("/", 1)[-1].lower()
    joined = " ".join([command, *args])
    if base in SHELLS and any(a in ("-c", "/c", "-Command", "-command") for a in args):
        rules.append("MCP-5")
    if re.search(r"curl[^|]*\|\s*(ba|z)?sh", joined) or command.startswith(("/tmp/", "./", "../")) \
            or "/Downloads/" in command:
        rules.append("MCP-5")
    if base in RUNNERS or (base in ("yarn", "pnpm") and args[:1] == ["dlx"]):
        package = next((a for a in args if not a.startswith("-") and a != "dlx"), "")
        if package and not PINNED_NPM.match(package):
            rules.append("MCP-2")
    if base in ("uvx", "pipx") or (base == "uv" and args[:1] == ["tool"]):
        package = next((a for a in args if not a.startswith("-") and a not in ("run", "tool")), "")
        if package and not re.search(r"(==|@)\d", package):
            rules.append("MCP-2")
    if base in ("docker", "podman") and "run" in args:
        image = next((a for a in args[args.index("run") + 1:] if not a.startswith("-")), "")
        if image and "@sha256:" not in image:
            rules.append("MCP-2")
    if url:
        try:
            host = urlsplit(url).hostname or ""
        except ValueError:
            host = ""
        if url.startswith(("http://", "ws://")) and host not in ("localhost", "127.0.0.1", "::1"):
            rules.append("MCP-3")
    if FS_SERVER.search(joined) and any(is_broad_root(a, str(ctx.home)) for a in args if not a.startswith("-")):
        rules.append("MCP-6")
    return worst(*rules)


def _counts_as_secret(slot: str) -> bool:
    return not slot.startswith("grant")


def _slot_label(slot: str) -> str:
    kind, _, key = slot.partition(":")
    return f"{kind} {key}".strip() if key else kind

