"""One module per AI tool. To add a tool: write its module, then add one line to SOURCES."""

from __future__ import annotations

from tokenlens.sources.aider import Aider
from tokenlens.sources.amp import Amp
from tokenlens.sources.base import JsonlSource, SnapshotSource, Source
from tokenlens.sources.claude_code import ClaudeCode
from tokenlens.sources.codex import Codex
from tokenlens.sources.copilot_cli import CopilotCli
from tokenlens.sources.gemini_cli import GeminiCli
from tokenlens.sources.goose import Goose
from tokenlens.sources.no_local_data import NO_LOCAL_DATA_SOURCES
from tokenlens.sources.openclaw import OpenClaw
from tokenlens.sources.opencode import OpenCode
from tokenlens.sources.qwen_code import QwenCode

SOURCES: tuple[type[Source], ...] = (
    ClaudeCode,
    Codex,
    GeminiCli,
    QwenCode,
    OpenCode,
    Amp,
    OpenClaw,
    CopilotCli,
    Aider,
    Goose,
    *NO_LOCAL_DATA_SOURCES,
)


def all_sources() -> list[Source]:
    return [cls() for cls in SOURCES]


def source_ids() -> list[str]:
    return [cls.id for cls in SOURCES]


def get_source(source_id: str) -> Source:
    for cls in SOURCES:
        if cls.id == source_id:
            return cls()
    raise KeyError(source_id)


__all__ = ["JsonlSource", "SnapshotSource", "Source", "all_sources", "get_source", "source_ids"]
