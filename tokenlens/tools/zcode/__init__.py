"""ZCode (Z.ai / Zhipu's coding app and CLI, GLM models): `$ZCODE_HOME` (one path, or several
separated by commas), else `~/.zcode`; its CLI keeps `cli/db/db.sqlite` there."""

from __future__ import annotations

from pathlib import Path

from tokenlens.config import Env
from tokenlens.tools.base import Tool


def homes(env: Env) -> list[Path]:
    return env.path_list("ZCODE_HOME") or [env.home / ".zcode"]


TOOL = Tool(__name__, "zcode", "ZCode", homes, usage="ZCode")
