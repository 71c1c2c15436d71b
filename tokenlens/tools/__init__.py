"""Every AI tool tokenlens knows, one package each; TOOLS is the one registry.

To add a tool: a package `tokenlens/tools/<tool>/` (its `__init__.py` says where the tool
keeps its files and builds `TOOL`; `usage.py` reads its logs, `permissions.py` its grants;
a tool with no local token data says why in its `TOOL` and needs no usage.py),
then one line below. Nothing else names a tool.
"""

from __future__ import annotations

import importlib

# In the order `sources` lists them: the tools with usage to read first. Imported on first
# use (PEP 562 `__getattr__` below), so a module that needs one tool's files (the status line
# reading Claude Code's payload) does not import all of them.
TOOL_PACKAGES: tuple[str, ...] = (
    "claude_code",
    "codex",
    "gemini_cli",
    "qwen_code",
    "opencode",
    "amp",
    "openclaw",
    "pi",
    "copilot_cli",
    "kimi",
    "aider",
    "goose",
    "hermes",
    "kilo",
    "cline",
    "roo_code",
    "kilo_code",
    "zed",
    "crush",
    "antigravity",
    "droid",
    "codebuff",
    "grok",
    "zcode",
    "cursor",
    "warp",
    "windsurf",
    "jetbrains_ai",
    "continue_dev",
    "devin_cli",
    "kiro",
    "amazon_q",
    "vscode",
    "claude_desktop",
)


def __getattr__(name: str):
    if name == "TOOLS":
        return _registry()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _registry() -> list:
    """TOOLS: every tool's `Tool` (tokenlens.tools.base), in TOOL_PACKAGES' order, built once
    and then a plain module attribute (which a test may replace)."""
    found = globals().get("TOOLS")
    if found is None:
        found = globals()["TOOLS"] = [importlib.import_module(f"{__name__}.{package}").TOOL
                                      for package in TOOL_PACKAGES]
    return found


def all_sources() -> list:
    """A fresh usage reader for every tool that has one (incl. the no-local-data ones)."""
    return [tool.source() for tool in _registry() if tool.listed]


def source_ids() -> list[str]:
    return [tool.id for tool in _registry() if tool.listed]


def get_source(source_id: str):
    for tool in _registry():
        if tool.id == source_id and tool.listed:
            return tool.source()
    raise KeyError(source_id)


def scanner_for(grant_tool: str):
    """The permissions module whose grants carry this tool id (None for an unknown one)."""
    for tool in _registry():
        if tool.permissions and grant_tool in (tool.id, tool.grant_id):
            return tool.scanner()
    return None


def tool_name(tool_id: str) -> str:
    """How a person reads a tool id ("claude-code" -> "Claude Code"); an id no tool in the
    registry claims (a tool removed since its events were stored) is shown as it is."""
    for tool in _registry():
        if tool_id in (tool.id, tool.grant_id):
            return tool.name
    return tool_id
