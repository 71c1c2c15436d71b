"""Kilo CLI's grants: OpenCode's config schema in Kilo's files, read by OpenCode's scanner.

From Kilo-Org/kilocode packages/opencode/src/config/config.ts @
002186d50ad4b569733b76b066f15a89fbd8a5cb (`global`, `stateInit`, `systemManagedConfigDir`):
- global: `config.json`, `kilo.json`, `kilo.jsonc`, `opencode.json`, `opencode.jsonc` in
  `Global.Path.config` (`$XDG_CONFIG_HOME/kilo`), then the file `$KILO_CONFIG`;
- project: `kilo.jsonc`, `kilo.json`, `opencode.jsonc`, `opencode.json`, and the same four names
  in the `.kilo`, `.kilocode` and `.opencode` folders of the project and its ancestors;
- the `.kilocode` and `.kilo` folders of home and `$KILO_CONFIG_DIR` (config/paths.ts
  `directories`), the same four names;
- managed, over everything: `/etc/kilo`, `/Library/Application Support/kilo`,
  `%ProgramData%\\kilo`, the same four names.
The schema is OpenCode's (`Permission`, `Agent.permission`, legacy `tools`, `mcp` local/remote;
config/permission.ts), a `null` action being Kilo's delete sentinel (not a grant). The default
is OpenCode's too: agent/agent.ts @ fd8d5a43af3e486fe659aee5ae2aafc34a091207 starts every agent
from `"*": "allow"`, so with no `bash` permission shell commands run without asking.
Not read: `$KILO_PERMISSION` and `$KILO_CONFIG_CONTENT` (a process's environment, not a file),
the legacy Kilo Code files the CLI migrates (`.kilocodeignore`, the extension's MCP settings,
read as kilo-code's), and organisation modes fetched from Kilo's servers.
"""

from __future__ import annotations

from pathlib import Path

from tokenlens.permissions.base import ScanContext
from tokenlens.tools import kilo as where
from tokenlens.tools.base import system_dirs
from tokenlens.tools.opencode.permissions import (  # noqa: F401 - MCP_KEY, SETTINGS, setting_name: the hints' keys
    MCP_KEY,
    SETTINGS,
    Layout,
    scan_layout,
    setting_name,
)

TOOL = "kilo"
NAMES = ("kilo.jsonc", "kilo.json", "opencode.jsonc", "opencode.json")
PROJECT_DIRS = (".kilo", ".kilocode", ".opencode")


def global_files(ctx: ScanContext) -> list[Path]:
    files = [folder / n for folder in where.config_dirs(ctx.env) for n in ("config.json", *NAMES)]
    if ctx.env.get("KILO_CONFIG"):
        files.append(Path(ctx.env.get("KILO_CONFIG")))
    files += [folder / n for folder in where.home_config_dirs(ctx.env) for n in NAMES]
    files += [base / "kilo" / n for base in system_dirs(ctx.env) for n in NAMES]
    return files


LAYOUT = Layout(TOOL, "Kilo CLI", global_files, (*NAMES, *(f"{d}/{n}" for d in PROJECT_DIRS for n in NAMES)))


def scan(ctx: ScanContext) -> None:
    scan_layout(ctx, LAYOUT)
