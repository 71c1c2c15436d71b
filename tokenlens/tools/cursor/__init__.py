"""Cursor: ~/.cursor (CLI and MCP config) and its editor folders (`<app data>/Cursor/User`,
whose `globalStorage/state.vscdb` holds the IDE's chats)."""

from __future__ import annotations

from pathlib import Path

from tokenlens.config import Env
from tokenlens.tools.base import Tool, editor_dirs


def homes(env: Env) -> list[Path]:
    return [env.home / ".cursor", *editor_dirs(env, "Cursor")]


TOOL = Tool(__name__, "cursor", "Cursor", homes, usage="Cursor", permissions=True)
