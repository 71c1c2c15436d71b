"""Kilo CLI (Kilo-Org/kilocode, an OpenCode fork): data in `$XDG_DATA_HOME/kilo` (default
`~/.local/share/kilo`), config in `$XDG_CONFIG_HOME/kilo`, `~/.kilocode`, `~/.kilo` and
`$KILO_CONFIG_DIR`; `KILO_DB` names the database."""

from __future__ import annotations

from pathlib import Path

from tokenlens.config import Env
from tokenlens.tools.base import Tool


def config_dirs(env: Env) -> list[Path]:
    return [env.xdg("XDG_CONFIG_HOME", ".config") / "kilo"]


def home_config_dirs(env: Env) -> list[Path]:
    """The `.kilocode` and `.kilo` folders of home, and `$KILO_CONFIG_DIR`
    (packages/opencode/src/config/paths.ts `directories`)."""
    dirs = [env.home / ".kilocode", env.home / ".kilo"]
    configured = env.get("KILO_CONFIG_DIR")
    return [*dirs, Path(configured)] if configured else dirs


def data_dirs(env: Env) -> list[Path]:
    return [env.xdg("XDG_DATA_HOME", ".local/share") / "kilo"]


def db_override(env: Env) -> Path | None:
    """`KILO_DB`: an absolute path, or one relative to the data dir (`:memory:` is no file)."""
    value = env.get("KILO_DB")
    if not value or value.strip() == ":memory:":
        return None
    path = Path(value)
    return path if path.is_absolute() else data_dirs(env)[0] / path


def homes(env: Env) -> list[Path]:
    override = db_override(env)
    extra = [override.parent] if override is not None and override.parent not in data_dirs(env) else []
    return [*config_dirs(env), *home_config_dirs(env), *data_dirs(env), *extra]


TOOL = Tool(__name__, "kilo", "Kilo CLI", homes, usage="Kilo", permissions=True,
            credential_paths=(r"/kilo/auth\.json",))
