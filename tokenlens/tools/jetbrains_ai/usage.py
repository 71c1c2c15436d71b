"""JetBrainsAi keeps no usable token log on this computer (log_formats.md §12): listed by
`tokenlens sources` with the reason, never estimated from transcript text."""

from __future__ import annotations

from pathlib import Path

from tokenlens.config import Env
from tokenlens.tools import jetbrains_ai as where
from tokenlens.tools.source import Source


class JetBrainsAi(Source):
    id = "jetbrains-ai"
    name = "JetBrains AI Assistant"
    no_local_data_reason = "JetBrains AI accounts usage in the JetBrains cloud; no local token log"

    def roots(self, env: Env) -> list[Path]:
        return where.homes(env)  # only to say whether it is installed: nothing there is read
