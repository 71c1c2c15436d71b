"""Grok Build (xAI's coding CLI, `grok`): `$GROK_HOME`, else `~/.grok`, holds `sessions/`,
its `grok.db`, settings and logs.

This is the tool the registry used to list as "grok-cli" with no local token data: the same
vendor, the same `~/.grok` home. Its `grok.db` indeed holds no token counts, but each
session's `sessions/<url-encoded cwd>/<session id>/updates.jsonl` does (see usage.py). The
community `grok-cli` (superagent-ai) also keeps a `~/.grok/user-settings.json` and no usage:
nothing here reads that file.
"""

from __future__ import annotations

from pathlib import Path

from tokenlens.config import Env
from tokenlens.tools.base import Tool


def homes(env: Env) -> list[Path]:
    configured = env.get("GROK_HOME")
    return [Path(configured.strip()) if configured and configured.strip() else env.home / ".grok"]


TOOL = Tool(__name__, "grok", "Grok Build", homes, usage="Grok", permissions=True,
            launch_flags=("grok --always-approve", "grok --yolo", "--permission-mode bypassPermissions"),
            credential_paths=(r"/\.grok/(.*/)?auth\.json", r"/\.grok/(.*/)?credentials"))
