"""Codebuff (CodebuffAI, formerly Manicode): `~/.config/manicode` on every OS (`os.homedir()`,
not XDG), `~/.config/manicode-<env>` on its dev/staging stacks (cli/src/utils/config-dir.ts)."""

from __future__ import annotations

from pathlib import Path

from tokenlens.config import Env
from tokenlens.tools.base import Tool

CHANNELS = ("manicode", "manicode-dev", "manicode-staging")


def homes(env: Env) -> list[Path]:
    return [env.home / ".config" / channel for channel in CHANNELS]


TOOL = Tool(__name__, "codebuff", "Codebuff", homes, usage="Codebuff")
