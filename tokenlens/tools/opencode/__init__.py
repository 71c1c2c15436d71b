"""OpenCode: config in ~/.config/opencode (and ~/.opencode), data in ~/.local/share/opencode."""

from __future__ import annotations

from pathlib import Path

from tokenlens.config import Env
from tokenlens.tools.base import Tool


def config_dirs(env: Env) -> list[Path]:
    return [env.xdg("XDG_CONFIG_HOME", ".config") / "opencode", env.home / ".opencode"]


def data_dirs(env: Env) -> list[Path]:
    return [env.xdg("XDG_DATA_HOME", ".local/share") / "opencode"]


def homes(env: Env) -> list[Path]:
    return [*config_dirs(env), *data_dirs(env)]


TOOL = Tool(__name__, "opencode", "OpenCode", homes, usage="OpenCode", permissions=True,
            credential_paths=(r"/opencode/auth\.json",),
            launch_flags=('opencode --auto',))
