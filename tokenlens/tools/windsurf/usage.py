"""Windsurf keeps no usable token log on this computer (log_formats.md §12): listed by
`tokenlens sources` with the reason, never estimated from transcript text."""

from __future__ import annotations

from pathlib import Path

from tokenlens.config import Env
from tokenlens.tools import windsurf as where
from tokenlens.tools.source import Source


class Windsurf(Source):
    id = "windsurf"
    name = "Windsurf"
    no_local_data_reason = "Windsurf accounts usage on its servers; no local token log"

    def roots(self, env: Env) -> list[Path]:
        return where.homes(env)  # only to say whether it is installed: nothing there is read
