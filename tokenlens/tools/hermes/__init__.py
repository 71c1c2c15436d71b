"""Hermes Agent (Nous Research): `$HERMES_HOME`, default `~/.hermes`; named profiles in
`<home>/profiles/<name>/`, each with its own `state.db`."""

from __future__ import annotations

from pathlib import Path

from tokenlens.config import Env
from tokenlens.tools.base import Tool


def homes(env: Env) -> list[Path]:
    configured = env.get("HERMES_HOME")
    return [Path(configured) if configured else env.home / ".hermes"]


TOOL = Tool(__name__, "hermes", "Hermes Agent", homes, usage="Hermes", permissions=True,
            launch_flags=("hermes --yolo", "HERMES_YOLO_MODE=1"),
            credential_paths=(r"/\.hermes/(.*/)?auth\.json", r"/\.hermes/(.*/)?\.env"))
