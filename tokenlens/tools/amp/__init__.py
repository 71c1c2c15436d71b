"""Amp: settings in ~/.config/amp, threads in ~/.local/share/amp."""

from __future__ import annotations

from pathlib import Path

from tokenlens.config import Env
from tokenlens.tools.base import Tool


def config_dirs(env: Env) -> list[Path]:
    return [env.xdg("XDG_CONFIG_HOME", ".config") / "amp"]


def data_dirs(env: Env) -> list[Path]:
    return [env.xdg("XDG_DATA_HOME", ".local/share") / "amp"]


def homes(env: Env) -> list[Path]:
    return [*config_dirs(env), *data_dirs(env)]


TOOL = Tool(__name__, "amp", "Amp", homes, usage="Amp", permissions=True,
            launch_flags=('--dangerously-allow-all',))
