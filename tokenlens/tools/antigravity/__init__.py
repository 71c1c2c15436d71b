"""Antigravity: no usable local token log; its folders say whether it is installed."""

from __future__ import annotations

from pathlib import Path

from tokenlens.config import Env
from tokenlens.tools.base import Tool, editor_dirs


def homes(env: Env) -> list[Path]:
    return [env.home / ".gemini" / "antigravity", *editor_dirs(env, "Antigravity")]


WHY_NO_LOCAL_DATA = "Antigravity stores conversations as opaque .pb files with no readable token counts"

TOOL = Tool(__name__, "antigravity", "Antigravity", homes, why_no_local_data=WHY_NO_LOCAL_DATA)
