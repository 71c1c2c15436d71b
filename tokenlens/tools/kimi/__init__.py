"""Kimi CLI (Moonshot AI's kimi-cli): its share dir `$KIMI_SHARE_DIR`, else `~/.kimi` on every
OS (kimi-cli src/kimi_cli/share.py), holds `sessions/`, `kimi.json`, `config.toml`, `mcp.json`."""

from __future__ import annotations

from pathlib import Path

from tokenlens.config import Env
from tokenlens.tools.base import Tool


def homes(env: Env) -> list[Path]:
    return env.path_list("KIMI_SHARE_DIR") or [env.home / ".kimi"]


# `--yolo` (aliases `--yes`, `-y`, `--auto-approve`) and `--afk` approve every action
# (kimi-cli src/kimi_cli/cli/__init__.py).
TOOL = Tool(__name__, "kimi-cli", "Kimi CLI", homes, usage="Kimi", permissions=True,
            credential_paths=(r"/\.kimi/credentials/", r"/\.kimi/mcp-oauth/"),
            launch_flags=("kimi --yolo", "kimi -y", "kimi --auto-approve", "kimi --afk"))
