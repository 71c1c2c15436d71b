"""AI tools that keep no usable token log on this computer (log_formats.md §12).

They are listed by `tokenlens sources` with the reason, so the person sees why they have
no numbers, instead of a silent zero that reads like "not used". `roots` are where each tool
keeps its local state, so `sources` can still say whether the tool is installed; nothing
there is read. Tokens are never estimated from transcript text: hidden system prompts,
tool definitions and caching make such estimates far off.
"""

from __future__ import annotations

from pathlib import Path

from tokenlens.config import Env
from tokenlens.sources.base import Source


def _config_dirs(env: Env, name: str) -> list[Path]:
    """Where a VS Code-style editor keeps its user data, per OS."""
    dirs = [
        env.xdg("XDG_CONFIG_HOME", ".config") / name,
        env.home / "Library" / "Application Support" / name,
    ]
    appdata = env.get("APPDATA")
    if appdata:
        dirs.append(Path(appdata) / name)
    return dirs


class Cursor(Source):
    id = "cursor"
    name = "Cursor"
    no_local_data_reason = (
        "Cursor keeps per-request tokens and cost only on cursor.com (dashboard / CSV export); "
        "its local state.vscdb has no reliable token accounting"
    )

    def roots(self, env: Env) -> list[Path]:
        return [env.home / ".cursor", *_config_dirs(env, "Cursor")]


class Windsurf(Source):
    id = "windsurf"
    name = "Windsurf"
    no_local_data_reason = "Windsurf accounts usage on its servers; no local token log"

    def roots(self, env: Env) -> list[Path]:
        return [env.home / ".codeium" / "windsurf", *_config_dirs(env, "Windsurf")]


class Antigravity(Source):
    id = "antigravity"
    name = "Antigravity"
    no_local_data_reason = "Antigravity stores conversations as opaque .pb files with no readable token counts"

    def roots(self, env: Env) -> list[Path]:
        return [env.home / ".gemini" / "antigravity", *_config_dirs(env, "Antigravity")]


class JetBrainsAi(Source):
    id = "jetbrains-ai"
    name = "JetBrains AI Assistant"
    no_local_data_reason = "JetBrains AI accounts usage in the JetBrains cloud; no local token log"

    def roots(self, env: Env) -> list[Path]:
        return _config_dirs(env, "JetBrains")


class DevinCli(Source):
    id = "devin-cli"
    name = "Devin CLI"
    no_local_data_reason = "Devin accounts usage on its servers; no local token log"

    def roots(self, env: Env) -> list[Path]:
        return [env.home / ".devin"]


class GrokCli(Source):
    id = "grok-cli"
    name = "Grok CLI"
    no_local_data_reason = "Grok CLI's local database holds no token counts"

    def roots(self, env: Env) -> list[Path]:
        return [env.home / ".grok"]


class VsCodeCopilotChat(Source):
    id = "vscode-copilot-chat"
    name = "GitHub Copilot Chat (VS Code)"
    no_local_data_reason = (
        "Copilot Chat in VS Code writes no per-request token log (extensions that show numbers estimate them)"
    )

    def roots(self, env: Env) -> list[Path]:
        return [d / "User" / "globalStorage" / "github.copilot-chat" for d in _config_dirs(env, "Code")]


NO_LOCAL_DATA_SOURCES: tuple[type[Source], ...] = (
    Cursor,
    Windsurf,
    Antigravity,
    JetBrainsAi,
    DevinCli,
    GrokCli,
    VsCodeCopilotChat,
)
