"""Grok CLI: no usable local token log; its folders say whether it is installed."""

from __future__ import annotations

from pathlib import Path

from tokenlens.config import Env
from tokenlens.tools.base import Tool


def homes(env: Env) -> list[Path]:
    return [env.home / ".grok"]


WHY_NO_LOCAL_DATA = "Grok CLI's local database holds no token counts"

TOOL = Tool(__name__, "grok-cli", "Grok CLI", homes, why_no_local_data=WHY_NO_LOCAL_DATA)
