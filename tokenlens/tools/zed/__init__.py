"""Zed's built-in agent: `<Zed data dir>/threads/threads.db`. The data dir is
`$FLATPAK_XDG_DATA_HOME/zed`, else `$XDG_DATA_HOME/zed` (~/.local/share/zed) on Linux,
~/Library/Application Support/Zed on macOS, %LOCALAPPDATA%\\Zed on Windows. Its settings
(`settings.json`) are in the config dir: `$FLATPAK_XDG_CONFIG_HOME/zed`, else
`$XDG_CONFIG_HOME/zed` (~/.config/zed) on Linux, ~/.config/zed on macOS, %APPDATA%\\Zed on
Windows (crates/paths/src/paths.rs `config_dir`)."""

from __future__ import annotations

from pathlib import Path

from tokenlens.config import Env
from tokenlens.tools.base import Tool


def homes(env: Env) -> list[Path]:
    return _unique([*data_dirs(env), *config_dirs(env)])


def config_dirs(env: Env) -> list[Path]:
    flatpak = env.get("FLATPAK_XDG_CONFIG_HOME")
    dirs = [Path(flatpak) / "zed"] if flatpak else []
    dirs.append(env.xdg("XDG_CONFIG_HOME", ".config") / "zed")
    dirs.append(Path(env.get("APPDATA") or env.home / "AppData" / "Roaming") / "Zed")
    return _unique(dirs)


def data_dirs(env: Env) -> list[Path]:
    dirs = []
    flatpak = env.get("FLATPAK_XDG_DATA_HOME")
    if flatpak:
        dirs.append(Path(flatpak) / "zed")
    dirs += [env.xdg("XDG_DATA_HOME", ".local/share") / "zed", env.home / "Library" / "Application Support" / "Zed"]
    local = env.get("LOCALAPPDATA")
    dirs.append(Path(local) / "Zed" if local else env.home / "AppData" / "Local" / "Zed")
    return _unique(dirs)


def _unique(dirs: list[Path]) -> list[Path]:
    unique: list[Path] = []
    for d in dirs:
        if d not in unique:
            unique.append(d)
    return unique


TOOL = Tool(__name__, "zed", "Zed agent", homes, usage="Zed", permissions=True)
