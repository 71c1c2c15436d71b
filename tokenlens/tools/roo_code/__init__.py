"""Roo Code (VS Code extension `rooveterinaryinc.roo-cline`, a fork of Cline): its
globalStorage folder in every VS Code-family editor Cline is looked for in."""

from __future__ import annotations

from pathlib import Path

from tokenlens.config import Env
from tokenlens.tools.base import Tool
from tokenlens.tools.cline import storage_dirs

EXTENSION_ID = "rooveterinaryinc.roo-cline"


def homes(env: Env) -> list[Path]:
    return storage_dirs(env, EXTENSION_ID)


TOOL = Tool(__name__, "roo-code", "Roo Code", homes, usage="RooCode", permissions=True)
