"""Aider: an analytics log it writes only when configured (its config files say where)."""

from __future__ import annotations

from pathlib import Path

from tokenlens.config import Env
from tokenlens.tools.base import Tool


def homes(env: Env) -> list[Path]:
    return [env.home]


TOOL = Tool(__name__, "aider", "Aider", homes, usage="Aider", credential_paths=(r"\.aider.*history",),
            launch_flags=('--yes-always',))
