"""GitHub Copilot CLI: `$COPILOT_HOME` (default ~/.copilot) holds session state and config."""

from __future__ import annotations

from pathlib import Path

from tokenlens.config import Env
from tokenlens.tools.base import Tool


def homes(env: Env) -> list[Path]:
    return env.path_list("COPILOT_HOME") or [env.home / ".copilot"]


TOOL = Tool(__name__, "copilot-cli", "GitHub Copilot CLI", homes, usage="CopilotCli", permissions=True,
            launch_flags=('--allow-all-tools', 'copilot --yolo'))
