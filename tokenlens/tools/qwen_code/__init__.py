"""Qwen Code (a Gemini CLI fork): `$QWEN_HOME` (default ~/.qwen)."""

from __future__ import annotations

from pathlib import Path

from tokenlens.config import Env
from tokenlens.tools.base import Tool


def homes(env: Env) -> list[Path]:
    return env.path_list("QWEN_HOME") or [env.home / ".qwen"]


TOOL = Tool(__name__, "qwen-code", "Qwen Code", homes, usage="QwenCode", permissions=True,
            credential_paths=(r"/\.qwen/oauth_creds\.json", r"/\.qwen/tmp/"))
