"""Cursor keeps no usable token log on this computer (log_formats.md §12): listed by
`tokenlens sources` with the reason, never estimated from transcript text."""

from __future__ import annotations

from pathlib import Path

from tokenlens.config import Env
from tokenlens.tools import cursor as where
from tokenlens.tools.source import Source


class Cursor(Source):
    id = "cursor"
    name = "Cursor"
    no_local_data_reason = (
        "Cursor keeps per-request tokens and cost only on cursor.com (dashboard / CSV export); "
        "its local state.vscdb has no reliable token accounting"
    )

    def roots(self, env: Env) -> list[Path]:
        return where.homes(env)  # only to say whether it is installed: nothing there is read
