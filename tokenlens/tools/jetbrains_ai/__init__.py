"""JetBrains AI Assistant: no usable local token log (see usage.py); its folders say whether it is installed."""

from __future__ import annotations

from pathlib import Path

from tokenlens.config import Env
from tokenlens.tools.base import Tool, editor_dirs


def homes(env: Env) -> list[Path]:
    return editor_dirs(env, "JetBrains")


TOOL = Tool(__name__, "jetbrains-ai", "JetBrains AI Assistant", homes, usage="JetBrainsAi")
