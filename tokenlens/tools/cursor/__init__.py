"""Cursor: ~/.cursor and its editor folders; no usable local token log (see usage.py)."""

from __future__ import annotations

from pathlib import Path

from tokenlens.config import Env
from tokenlens.tools.base import Tool, editor_dirs


def homes(env: Env) -> list[Path]:
    return [env.home / ".cursor", *editor_dirs(env, "Cursor")]


TOOL = Tool(__name__, "cursor", "Cursor", homes, usage="Cursor", permissions=True)
