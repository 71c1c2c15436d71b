"""Claude Desktop: its MCP servers config (no usage log of its own)."""

from __future__ import annotations

from pathlib import Path

from tokenlens.config import Env
from tokenlens.tools.base import Tool, editor_dirs


def homes(env: Env) -> list[Path]:
    return editor_dirs(env, "Claude")


TOOL = Tool(__name__, "claude-desktop", "Claude Desktop", homes, permissions=True)
