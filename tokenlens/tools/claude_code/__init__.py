"""Claude Code: its config dirs hold the transcripts (`projects/`) and the settings."""

from __future__ import annotations

from pathlib import Path

from tokenlens.config import Env
from tokenlens.tools.base import Tool


def configured_dirs(env: Env) -> list[Path]:
    """CLAUDE_CONFIG_DIR's dirs (one or several); a dir given as its projects/ folder counts
    as the config dir above it."""
    return [p.parent if p.name == "projects" else p for p in env.path_list("CLAUDE_CONFIG_DIR")]


def homes(env: Env) -> list[Path]:
    """CLAUDE_CONFIG_DIR's dirs, else ~/.config/claude (newer installs) and ~/.claude."""
    return configured_dirs(env) or [env.xdg("XDG_CONFIG_HOME", ".config") / "claude", env.home / ".claude"]


TOOL = Tool(__name__, "claude-code", "Claude Code", homes, usage="ClaudeCode", permissions=True,
            credential_paths=(r"/\.claude/\.credentials\.json",),
            launch_flags=('--dangerously-skip-permissions', '--permission-mode bypassPermissions', '--allow-dangerously-skip-permissions'))
