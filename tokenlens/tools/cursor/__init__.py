"""Cursor: ~/.cursor and its editor folders; no usable local token log."""

from __future__ import annotations

from pathlib import Path

from tokenlens.config import Env
from tokenlens.tools.base import Tool, editor_dirs


def homes(env: Env) -> list[Path]:
    return [env.home / ".cursor", *editor_dirs(env, "Cursor")]


WHY_NO_LOCAL_DATA = (
    "Cursor keeps per-request tokens and cost only on cursor.com (dashboard / CSV export); "
    "its local state.vscdb has no reliable token accounting"
)

TOOL = Tool(__name__, "cursor", "Cursor", homes, why_no_local_data=WHY_NO_LOCAL_DATA, permissions=True)
