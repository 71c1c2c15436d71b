"""Cline (VS Code extension `saoudrizwan.claude-dev`): its globalStorage folder in every
VS Code-family editor (VS Code, Insiders, VSCodium, Cursor, Windsurf), and the Cline CLI's
data dir (`CLINE_DATA_DIR`, else `$CLINE_DIR/data`, else `~/.cline/data`)."""

from __future__ import annotations

from pathlib import Path

from tokenlens.config import Env
from tokenlens.tools.base import Tool
from tokenlens.tools.vscode import user_dirs

EXTENSION_ID = "saoudrizwan.claude-dev"
# The editors whose extension host gives an extension `<user dir>/globalStorage/<id>/`.
EDITORS = ("Code", "Code - Insiders", "VSCodium", "Cursor", "Windsurf")


def storage_dirs(env: Env, extension_id: str) -> list[Path]:
    """`<editor user dir>/globalStorage/<extension id>` in every editor (portable VS Code too)."""
    return [user / "globalStorage" / extension_id for user in user_dirs(env, EDITORS)]


def cli_data_dirs(env: Env) -> list[Path]:
    explicit = (env.get("CLINE_DATA_DIR") or "").strip()
    if explicit:
        return [Path(explicit)]
    cline_dir = (env.get("CLINE_DIR") or "").strip()
    return [(Path(cline_dir) if cline_dir else env.home / ".cline") / "data"]


def homes(env: Env) -> list[Path]:
    return [*storage_dirs(env, EXTENSION_ID), *cli_data_dirs(env)]


TOOL = Tool(__name__, "cline", "Cline", homes, usage="Cline", permissions=True)
