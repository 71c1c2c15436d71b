"""pi (badlogic/pi-mono's coding agent): its agent dir `$PI_CODING_AGENT_DIR` (a leading `~`
expanded), else `~/.pi/agent` (packages/coding-agent/src/config.ts `getAgentDir`)."""

from __future__ import annotations

from pathlib import Path

from tokenlens.config import Env
from tokenlens.tools.base import Tool


def homes(env: Env) -> list[Path]:
    return env.path_list("PI_CODING_AGENT_DIR") or [env.home / ".pi" / "agent"]


TOOL = Tool(__name__, "pi", "pi", homes, usage="Pi", credential_paths=(r"/\.pi/agent/auth\.json$",))
