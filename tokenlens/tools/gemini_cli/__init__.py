"""Gemini CLI: `~/.gemini` (`$GEMINI_CLI_HOME/.gemini` when set) holds chats and settings."""

from __future__ import annotations

from pathlib import Path

from tokenlens.config import Env
from tokenlens.tools.base import Tool


def homes(env: Env) -> list[Path]:
    return [base / ".gemini" for base in env.path_list("GEMINI_CLI_HOME") or [env.home]]


TOOL = Tool(__name__, "gemini-cli", "Gemini CLI", homes, usage="GeminiCli", permissions=True,
            credential_paths=(r"/oauth_creds\.json", r"/google_accounts\.json", r"/\.gemini/tmp/"),
            launch_flags=('gemini --yolo', '--approval-mode=yolo', '--approval-mode yolo'))
