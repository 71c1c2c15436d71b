"""OpenClaw: its state dirs (`$OPENCLAW_STATE_DIR`, else ~/.openclaw, profiles ~/.openclaw-*,
and the legacy ~/.clawdbot, ~/.moltbot, ~/.moldbot) hold agents' sessions and the config."""

from __future__ import annotations

import os
from pathlib import Path

from tokenlens.config import Env
from tokenlens.tools.base import Tool

LEGACY_STATE_DIRS = (".clawdbot", ".moltbot", ".moldbot")


def homes(env: Env) -> list[Path]:
    configured = env.path_list("OPENCLAW_STATE_DIR")
    if configured:
        return configured
    home = env.home
    try:  # os.scandir, not Path.glob: this runs on every scan, and a home folder is big
        with os.scandir(home) as entries:
            profiles = sorted(home / e.name for e in entries if e.name.startswith(".openclaw-") and e.is_dir())
    except OSError:  # an unreadable home: the usage reader notes it when it walks there
        profiles = []
    return [home / ".openclaw", *profiles, *(home / name for name in LEGACY_STATE_DIRS)]


TOOL = Tool(__name__, "openclaw", "OpenClaw", homes, usage="OpenClaw", permissions=True,
            credential_paths=(r"/\.openclaw/credentials/", r"/auth-profiles\.json"))
