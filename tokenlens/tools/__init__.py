"""Every AI tool tokenlens knows, one package each; TOOLS is the one registry.

To add a tool: a package `tokenlens/tools/<tool>/` (its `__init__.py` says where the tool
keeps its files and builds `TOOL`; `usage.py` reads its logs, `permissions.py` its grants;
a tool with no local token data says why in its `TOOL` and needs no usage.py),
then one line below. Nothing else names a tool.
"""

from __future__ import annotations

from tokenlens.tools import (
    aider,
    amazon_q,
    amp,
    antigravity,
    claude_code,
    claude_desktop,
    cline,
    codebuff,
    codex,
    continue_dev,
    copilot_cli,
    crush,
    cursor,
    devin_cli,
    droid,
    gemini_cli,
    goose,
    grok,
    hermes,
    jetbrains_ai,
    kilo,
    kilo_code,
    kimi,
    kiro,
    openclaw,
    opencode,
    pi,
    qwen_code,
    roo_code,
    vscode,
    warp,
    windsurf,
    zcode,
    zed,
)
from tokenlens.tools.base import Tool

# In the order `sources` lists them: the tools with usage to read first.
TOOLS: list[Tool] = [
    claude_code.TOOL,
    codex.TOOL,
    gemini_cli.TOOL,
    qwen_code.TOOL,
    opencode.TOOL,
    amp.TOOL,
    openclaw.TOOL,
    pi.TOOL,
    copilot_cli.TOOL,
    kimi.TOOL,
    aider.TOOL,
    goose.TOOL,
    hermes.TOOL,
    kilo.TOOL,
    cline.TOOL,
    roo_code.TOOL,
    kilo_code.TOOL,
    zed.TOOL,
    crush.TOOL,
    antigravity.TOOL,
    droid.TOOL,
    codebuff.TOOL,
    grok.TOOL,
    zcode.TOOL,
    cursor.TOOL,
    warp.TOOL,
    windsurf.TOOL,
    jetbrains_ai.TOOL,
    continue_dev.TOOL,
    devin_cli.TOOL,
    kiro.TOOL,
    amazon_q.TOOL,
    vscode.TOOL,
    claude_desktop.TOOL,
]


def all_sources() -> list:
    """A fresh usage reader for every tool that has one (incl. the no-local-data ones)."""
    return [tool.source() for tool in TOOLS if tool.listed]


def source_ids() -> list[str]:
    return [tool.id for tool in TOOLS if tool.listed]


def get_source(source_id: str):
    for tool in TOOLS:
        if tool.id == source_id and tool.listed:
            return tool.source()
    raise KeyError(source_id)


def scanner_for(grant_tool: str):
    """The permissions module whose grants carry this tool id (None for an unknown one)."""
    for tool in TOOLS:
        if tool.permissions and grant_tool in (tool.id, tool.grant_id):
            return tool.scanner()
    return None


def tool_name(tool_id: str) -> str:
    """How a person reads a tool id ("claude-code" -> "Claude Code"); an id no tool in the
    registry claims (a tool removed since its events were stored) is shown as it is."""
    for tool in TOOLS:
        if tool_id in (tool.id, tool.grant_id):
            return tool.name
    return tool_id
