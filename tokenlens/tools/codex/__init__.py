"""Codex CLI: `$CODEX_HOME` (default ~/.codex) holds rollouts and config.toml."""

from __future__ import annotations

from pathlib import Path

from tokenlens.config import Env
from tokenlens.tools.base import Tool


def homes(env: Env) -> list[Path]:
    return env.path_list("CODEX_HOME") or [env.home / ".codex"]


TOOL = Tool(__name__, "codex", "Codex", homes, usage="Codex", permissions=True,
            credential_paths=(r"/\.codex/auth\.json",),
            launch_flags=('--dangerously-bypass-approvals-and-sandbox', '--full-auto', 'codex --yolo'))
