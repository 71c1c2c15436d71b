"""VsCodeCopilotChat keeps no usable token log on this computer (log_formats.md §12): listed by
`tokenlens sources` with the reason, never estimated from transcript text."""

from __future__ import annotations

from pathlib import Path

from tokenlens.config import Env
from tokenlens.tools import vscode as where
from tokenlens.tools.source import Source


class VsCodeCopilotChat(Source):
    id = "vscode-copilot-chat"
    name = "GitHub Copilot Chat (VS Code)"
    no_local_data_reason = (
        "Copilot Chat in VS Code writes no per-request token log (extensions that show numbers estimate them)"
    )

    def roots(self, env: Env) -> list[Path]:
        return [user / "globalStorage" / "github.copilot-chat" for user in where.user_dirs(env, ("Code",))]
