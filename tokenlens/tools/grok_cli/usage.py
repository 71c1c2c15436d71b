"""GrokCli keeps no usable token log on this computer (log_formats.md §12): listed by
`tokenlens sources` with the reason, never estimated from transcript text."""

from __future__ import annotations

from pathlib import Path

from tokenlens.config import Env
from tokenlens.tools import grok_cli as where
from tokenlens.tools.source import Source


class GrokCli(Source):
    id = "grok-cli"
    name = "Grok CLI"
    no_local_data_reason = "Grok CLI's local database holds no token counts"

    def roots(self, env: Env) -> list[Path]:
        return where.homes(env)  # only to say whether it is installed: nothing there is read
