"""Windsurf: no usable local token log; its folders say whether it is installed."""

from __future__ import annotations

from pathlib import Path

from tokenlens.config import Env
from tokenlens.tools.base import Tool, editor_dirs


def homes(env: Env) -> list[Path]:
    return [env.home / ".codeium" / "windsurf", *editor_dirs(env, "Windsurf")]


WHY_NO_LOCAL_DATA = "Windsurf accounts usage on its servers; no local token log"

TOOL = Tool(__name__, "windsurf", "Windsurf", homes, why_no_local_data=WHY_NO_LOCAL_DATA)
