"""Cline's MCP servers and the tools it may call on them without asking, and its auto-approve settings.

`<extension storage>/settings/cline_mcp_settings.json` (and the Cline CLI's
`~/.cline/data/settings/cline_mcp_settings.json`): `{"mcpServers": {name: {command, args, env,
url, disabled, autoApprove | alwaysAllow: [tool names]}}}` — the file the extension's "MCP
Servers → Configure" opens (its path as Cline's setup docs and several MCP servers' install
notes give it, for VS Code on Linux, macOS and Windows). Each server is rated as any MCP
server; each auto-approved tool as an allow without asking (MCP-7/8/10 when it acts as the
person, spends or destroys). Roo Code and Kilo Code keep the same shape in `mcp_settings.json`
and scan through `scan_mcp_settings` here.

Auto-approve settings (cline/cline @ 21cb8d2525bcedf1f4b6890b27a74a14fe7451e4 unless said): current
builds of the extension, the CLI and JetBrains keep global state in `<data dir>/globalState.json`
(apps/vscode/src/shared/storage/storage-context.ts; data dir as `cli_data_dirs`); older extension
builds kept it in VS Code's globalState, i.e. the editor's `state.vscdb` under
`saoudrizwan.claude-dev` (src/core/storage/state.ts @ 8e3adb42d6, `context.globalState.update`),
read only when globalState.json has no `__vscodeMigrationVersion` (hosts/vscode/
vscode-to-file-migration.ts copies it over once and leaves VS Code's copy behind, unread).
What is read: `yoloModeToggled` / `autoApproveAllToggled` (everything without asking, in builds
before 2026-06; the migration folds them into the actions below) and `autoApprovalSettings.actions`
(shared/AutoApprovalSettings.ts): `executeSafeCommands` runs every command unasked in current
builds (sdk/sdk-tool-policies.ts `isToolAutoApproved`, added 2026-06-24 in 94f5a47a59) and, in
builds before that, the commands the model itself marks safe (with `executeAllCommands`, every one: core/task/tools/
autoApprove.ts @ 791d238996); `editFiles` edits, `readFiles` reads (with `editFilesExternally` /
`readFilesExternally`, outside the workspace, in builds before 2026-06-24); `useBrowser` the
browser, web fetch and web search. `useMcp` gates the per-tool lists above and is not a grant of
its own; `enabled: false` switched everything off in builds before 2025-10-30 and is said in the
value. A setting that is not stored at all takes the build's default, which is not known here.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tokenlens.permissions.base import ConfigFile, ScanContext, dig, str_list
from tokenlens.permissions.mcp import add_servers
from tokenlens.permissions.rules import mcp_allow_rule
from tokenlens.tools import cline as where
from tokenlens.tools.vscode.state_db import extension_state

TOOL = "cline"
SETTINGS_FILE = "cline_mcp_settings.json"
# Cline writes `autoApprove`; Roo Code and older Cline builds `alwaysAllow`.
AUTO_APPROVE_KEYS = ("autoApprove", "alwaysAllow")
SETTINGS = {"allowed_tool": "autoApprove (MCP Servers → the server's auto-approve list)"}


GLOBAL_STATE_FILE = "globalState.json"
MIGRATED = "__vscodeMigrationVersion"
STATE_DB = "state.vscdb"
EVERYTHING = ("yoloModeToggled", "autoApproveAllToggled")
# (action, the action it needs, rule)
ACTIONS = (
    ("executeSafeCommands", None, "SHELL-1"),
    ("editFiles", None, "MODE-5"),
    ("editFilesExternally", "editFiles", "FILE-3"),
    ("readFilesExternally", "readFiles", "FILE-1"),
    ("useBrowser", None, "NET-1"),
)


def scan(ctx: ScanContext) -> None:
    scan_mcp_settings(ctx, TOOL, where.homes(ctx.env), SETTINGS_FILE)
    migrated = False
    for data_dir in where.cli_data_dirs(ctx.env):
        config = ctx.read(data_dir / GLOBAL_STATE_FILE)
        if config and isinstance(config.data, dict):
            migrated = migrated or MIGRATED in config.data
            _auto_approval(ctx, config.data, config)
    if migrated:
        return
    for state, source in extension_states(ctx, where.EXTENSION_ID, "Cline"):
        _auto_approval(ctx, state, source)


def extension_states(ctx: ScanContext, manifest_id: str, name: str) -> Iterator[tuple[dict[str, Any], ConfigFile]]:
    """A Cline-family extension's VS Code globalState (Cline, Roo Code, Kilo Code) in every
    editor it is installed in (its storage folder exists), with the state DB as the grants'
    source. `manifest_id`: publisher.name as the manifest spells them (the globalState key)."""
    for storage in where.storage_dirs(ctx.env, manifest_id.lower()):
        if not storage.is_dir():
            continue
        path = storage.parent / STATE_DB
        state = extension_state(ctx, path, manifest_id, f"{name}'s settings")
        if state is not None:
            yield state, ConfigFile(path, None, 0)


def _auto_approval(ctx: ScanContext, state: dict[str, Any], source: ConfigFile) -> None:
    for key in EVERYTHING:
        if state.get(key) is True:
            ctx.add(TOOL, "global", "approval_mode", key, True, source, "MODE-1")
    settings = state.get("autoApprovalSettings")
    actions = settings.get("actions") if isinstance(settings, dict) else None
    if not isinstance(actions, dict):
        return
    value = "true" if settings.get("enabled") is not False else "true (enabled: false, honoured before 2025-10-30)"
    for action, needs, rule in ACTIONS:
        if actions.get(action) is True and (needs is None or actions.get(needs) is True):
            shown = value
            if action == "executeSafeCommands" and actions.get("executeAllCommands") is not True:
                shown += "; before 2026-06-24 only the commands the model marks safe"
            ctx.add(TOOL, "global", "allowed_tool", f"autoApprovalSettings.actions.{action}", shown, source, rule)


def setting_name(kind: str, subject: str, source_file: str) -> str | None:
    if subject.startswith("autoApprovalSettings.") or subject in EVERYTHING:
        return "the Auto-approve settings (Cline's chat menu)"
    return None


def scan_mcp_settings(ctx: ScanContext, tool: str, homes: list[Path], name: str) -> None:
    for home in homes:
        config = ctx.read(home / "settings" / name)
        servers = dig(config.data, "mcpServers") if config else None
        if not isinstance(servers, dict):
            continue
        add_servers(ctx, tool, "global", servers, config)
        for server, spec in servers.items():
            if not isinstance(spec, dict) or spec.get("disabled") is True:
                continue
            for key in AUTO_APPROVE_KEYS:
                for allowed in str_list(spec.get(key)):
                    ctx.add(tool, "global", "allowed_tool", f"mcp {server}: {allowed}", "auto-approved", config,
                            mcp_allow_rule(str(server), allowed))
