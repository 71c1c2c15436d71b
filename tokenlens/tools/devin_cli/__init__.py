"""Devin CLI: no usable local token log; its folders say whether it is installed."""

from __future__ import annotations

from pathlib import Path

from tokenlens.config import Env
from tokenlens.tools.base import Tool


def homes(env: Env) -> list[Path]:
    return [env.home / ".devin"]


WHY_NO_LOCAL_DATA = "Devin accounts usage on its servers; no local token log"

TOOL = Tool(__name__, "devin-cli", "Devin CLI", homes, why_no_local_data=WHY_NO_LOCAL_DATA)
