"""Antigravity (Google's agentic IDE, desktop app and `agy` CLI): one SQLite file per
conversation under `<home>/conversations/`. Homes: `~/.gemini/antigravity-cli` (the CLI),
`~/.gemini/antigravity`, `~/.gemini/antigravity-ide`, and the editor's user-data folder
(`~/.config/Antigravity`, `~/Library/Application Support/Antigravity`, `%APPDATA%\\Antigravity`)."""

from __future__ import annotations

from pathlib import Path

from tokenlens.config import Env
from tokenlens.tools.base import Tool, editor_dirs


def homes(env: Env) -> list[Path]:
    gemini = env.home / ".gemini"
    return [gemini / "antigravity-cli", gemini / "antigravity", gemini / "antigravity-ide",
            *editor_dirs(env, "Antigravity")]


TOOL = Tool(__name__, "antigravity", "Antigravity", homes, usage="Antigravity", permissions=True)
