"""Warp (the agentic terminal): its state folder holds `warp.sqlite` (and the TUI's
`tui/warp.sqlite`). Linux `$XDG_STATE_HOME/warp-terminal[-preview]` (`~/.local/state/...`);
macOS the app group container `~/Library/Group Containers/2BBY89MBSN.dev.warp/Library/
Application Support/dev.warp.Warp-Stable` (or `-Preview`), else `~/Library/Application
Support/<bundle id>`; Windows `%LOCALAPPDATA%\\warp\\Warp[Preview]\\data`. The open-source
build (WarpOss) uses `warp-oss` / `dev.warp.WarpOss` / `warp\\WarpOss`."""

from __future__ import annotations

from pathlib import Path

from tokenlens.config import Env
from tokenlens.tools.base import Tool

MAC_BUNDLES = ("dev.warp.Warp-Stable", "dev.warp.Warp-Preview", "dev.warp.WarpOss")
MAC_GROUP = Path("Library", "Group Containers", "2BBY89MBSN.dev.warp", "Library", "Application Support")


def homes(env: Env) -> list[Path]:
    state = env.xdg("XDG_STATE_HOME", ".local/state")
    dirs = [state / name for name in ("warp-terminal", "warp-terminal-preview", "warp-oss")]
    dirs += [env.home / MAC_GROUP / bundle for bundle in MAC_BUNDLES]
    dirs += [env.home / "Library" / "Application Support" / bundle for bundle in MAC_BUNDLES]
    local = Path(env.get("LOCALAPPDATA") or env.home / "AppData" / "Local")
    dirs += [local / "warp" / app / "data" for app in ("Warp", "WarpPreview", "WarpOss")]
    return dirs


TOOL = Tool(__name__, "warp", "Warp", homes, usage="Warp")
