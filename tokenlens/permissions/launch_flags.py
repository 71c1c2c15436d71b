"""Launch-flag grants: "YOLO" switches that live only in shell aliases and startup files.

Only the flag that matched is kept, never the line or the file's other content.
"""

from __future__ import annotations

import re

from tokenlens.permissions.base import ScanContext

RC_FILES = (".bashrc", ".bash_aliases", ".zshrc", ".bash_profile", ".profile", ".zprofile", ".config/fish/config.fish")
FLAGS = (
    ("claude-code", "--dangerously-skip-permissions"),
    ("claude-code", "--permission-mode bypassPermissions"),
    ("claude-code", "--allow-dangerously-skip-permissions"),
    ("codex", "--dangerously-bypass-approvals-and-sandbox"),
    ("codex", "--full-auto"),
    ("codex", "codex --yolo"),
    ("gemini-cli", "gemini --yolo"),
    ("gemini-cli", "--approval-mode=yolo"),
    ("gemini-cli", "--approval-mode yolo"),
    ("copilot-cli", "--allow-all-tools"),
    ("copilot-cli", "copilot --yolo"),
    ("amp", "--dangerously-allow-all"),
    ("aider", "--yes-always"),
    ("opencode", "opencode --auto"),
)


def scan(ctx: ScanContext) -> None:
    for rel in RC_FILES:
        path = ctx.home / rel
        config = ctx.read(path, "text") if path.is_file() else None
        if config is None or not isinstance(config.data, str):
            continue
        active = "\n".join(line for line in config.data.splitlines() if not line.lstrip().startswith("#"))
        for tool, flag in FLAGS:
            if re.search(r"(^|[\s'\"=])" + re.escape(flag) + r"($|[\s'\";])", active, re.MULTILINE):
                ctx.add(tool, "global", "approval_mode", f"launch flag {flag}", "in a shell alias or startup file",
                        config, "MODE-3")
