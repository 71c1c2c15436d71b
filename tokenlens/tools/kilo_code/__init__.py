"""Kilo Code's legacy VS Code extension (`kilocode.kilo-code`, a fork of Roo Code): its
globalStorage folder in every VS Code-family editor. (Newer builds run the Kilo CLI engine,
whose usage is its own database, not read here.)"""

from __future__ import annotations

from pathlib import Path

from tokenlens.config import Env
from tokenlens.tools.base import Tool
from tokenlens.tools.cline import storage_dirs

EXTENSION_ID = "kilocode.kilo-code"


def homes(env: Env) -> list[Path]:
    return storage_dirs(env, EXTENSION_ID)


TOOL = Tool(__name__, "kilo-code", "Kilo Code", homes, usage="KiloCode", permissions=True)
