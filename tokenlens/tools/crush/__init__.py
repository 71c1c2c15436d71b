"""Crush (charmbracelet): its global data dir `$CRUSH_GLOBAL_DATA`, else
`$XDG_DATA_HOME/crush`, else `~/.local/share/crush` (`%LOCALAPPDATA%\\crush` on Windows), holds
`projects.json`; each listed project keeps its own `crush.db` in its data directory
(default `<project>/.crush`)."""

from __future__ import annotations

from pathlib import Path

from tokenlens.config import Env
from tokenlens.tools.base import Tool


def homes(env: Env) -> list[Path]:
    configured = env.get("CRUSH_GLOBAL_DATA")
    if configured:
        return [Path(configured)]
    xdg = env.get("XDG_DATA_HOME")
    dirs = [Path(xdg) / "crush" if xdg else env.home / ".local" / "share" / "crush"]
    local = env.get("LOCALAPPDATA")
    if local:
        dirs.append(Path(local) / "crush")
    return dirs


TOOL = Tool(__name__, "crush", "Crush", homes, usage="Crush", permissions=True,
            launch_flags=("crush --yolo", "crush -y"))
