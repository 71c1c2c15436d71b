"""Goose: `$GOOSE_PATH_ROOT/{config,data}`, else the platform's config and data folders."""

from __future__ import annotations

from pathlib import Path

from tokenlens.config import Env
from tokenlens.tools.base import Tool, appdata_dirs


def config_dirs(env: Env) -> list[Path]:
    configured = env.path_list("GOOSE_PATH_ROOT")
    if configured:
        return [root / "config" for root in configured]
    return [env.xdg("XDG_CONFIG_HOME", ".config") / "goose",
            *(base / "Block" / "goose" / "config" for base in appdata_dirs(env)[2:])]


def data_dirs(env: Env) -> list[Path]:
    configured = env.path_list("GOOSE_PATH_ROOT")
    if configured:
        return [root / "data" for root in configured]
    home = env.home
    dirs = [env.xdg("XDG_DATA_HOME", ".local/share") / "goose", home / "Library" / "Application Support" / "goose",
            home / ".local" / "share" / "Block" / "goose"]
    appdata = env.get("APPDATA")
    if appdata:
        dirs.append(Path(appdata) / "Block" / "goose" / "data")
    return dirs


def homes(env: Env) -> list[Path]:
    return [*config_dirs(env), *data_dirs(env)]


TOOL = Tool(__name__, "goose", "Goose", homes, usage="Goose", permissions=True,
            credential_paths=(r"/goose/secrets\.yaml",))
