"""JetBrains AI Assistant: no usable local token log; its folders say whether it is installed."""

from __future__ import annotations

from pathlib import Path

from tokenlens.config import Env
from tokenlens.tools.base import Tool, editor_dirs


def homes(env: Env) -> list[Path]:
    return editor_dirs(env, "JetBrains")


WHY_NO_LOCAL_DATA = "JetBrains AI accounts usage in the JetBrains cloud; no local token log"

TOOL = Tool(__name__, "jetbrains-ai", "JetBrains AI Assistant", homes, why_no_local_data=WHY_NO_LOCAL_DATA)
