"""Factory Droid CLI: `~/.factory` (the home is `$FACTORY_HOME_OVERRIDE` when set, as the CLI
reads it); sessions in `.factory/sessions/<cwd-slug>/<session-id>.{jsonl,settings.json}`."""

from __future__ import annotations

from pathlib import Path

from tokenlens.config import Env
from tokenlens.tools.base import Tool


def factory_dirs(env: Env) -> list[Path]:
    override = env.get("FACTORY_HOME_OVERRIDE")
    return [(Path(override) if override else env.home) / ".factory"]


def homes(env: Env) -> list[Path]:
    return factory_dirs(env)


TOOL = Tool(__name__, "droid", "Factory Droid", homes, usage="Droid", permissions=True,
            launch_flags=("--skip-permissions-unsafe", "droid exec --auto high"))
