"""Antigravity keeps no usable token log on this computer (log_formats.md §12): listed by
`tokenlens sources` with the reason, never estimated from transcript text."""

from __future__ import annotations

from pathlib import Path

from tokenlens.config import Env
from tokenlens.tools import antigravity as where
from tokenlens.tools.source import Source


class Antigravity(Source):
    id = "antigravity"
    name = "Antigravity"
    no_local_data_reason = "Antigravity stores conversations as opaque .pb files with no readable token counts"

    def roots(self, env: Env) -> list[Path]:
        return where.homes(env)  # only to say whether it is installed: nothing there is read
