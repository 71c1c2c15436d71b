"""Kiro (AWS): the CLI's and the IDE's `~/.kiro` (`$KIRO_HOME`), holding `agents/`, `settings/`
and the CLI's sessions; the IDE's editor folders (`<app data>/Kiro/User`); a project's `.kiro/`."""

from __future__ import annotations

from pathlib import Path

from tokenlens.config import Env
from tokenlens.tools.base import Tool, editor_dirs


def homes(env: Env) -> list[Path]:
    configured = env.get("KIRO_HOME")
    return [Path(configured) if configured else env.home / ".kiro", *editor_dirs(env, "Kiro")]


# codeburn docs/providers/kiro.md, CodexBar docs/kiro.md: sessions record `metering_usage` /
# `usage_summary` in credits; `kiro-cli /usage` reports credits from the service.
WHY_NO_LOCAL_DATA = "Kiro meters usage in credits on its servers; its local sessions hold no token counts"

TOOL = Tool(__name__, "kiro", "Kiro", homes, why_no_local_data=WHY_NO_LOCAL_DATA, permissions=True,
            launch_flags=("kiro-cli chat --trust-all-tools",))
