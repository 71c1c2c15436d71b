"""Grok CLI: no usable local token log (see usage.py); its folders say whether it is installed."""

from __future__ import annotations

from pathlib import Path

from tokenlens.config import Env
from tokenlens.tools.base import Tool


def homes(env: Env) -> list[Path]:
    return [env.home / ".grok"]


TOOL = Tool(__name__, "grok-cli", "Grok CLI", homes, usage="GrokCli")
