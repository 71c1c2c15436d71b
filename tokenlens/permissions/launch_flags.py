"""Launch-flag grants: "YOLO" switches that live only in shell aliases and startup files.

Only the flag that matched is kept, never the line or the file's other content.
"""

from __future__ import annotations

import re

from tokenlens.permissions.base import ScanContext

RC_FILES = (".bashrc", ".bash_aliases", ".zshrc", ".bash_profile", ".profile", ".zprofile", ".config/fish/config.fish")


def flags() -> list[tuple[str, str]]:
    """(tool id, flag) for every tool that declares launch flags (tokenlens.tools)."""
    from tokenlens.tools import TOOLS

    return [(tool.id, flag) for tool in TOOLS for flag in tool.launch_flags]


def scan(ctx: ScanContext) -> None:
    for rel in RC_FILES:
        path = ctx.home / rel
        config = ctx.read(path, "text") if path.is_file() else None
        if config is None or not isinstance(config.data, str):
            continue
        active = "\n".join(line for line in config.data.splitlines() if not line.lstrip().startswith("#"))
        for tool, flag in flags():
            if re.search(r"(^|[\s'\"=])" + re.escape(flag) + r"($|[\s'\";])", active, re.MULTILINE):
                ctx.add(tool, "global", "approval_mode", f"launch flag {flag}", "in a shell alias or startup file",
                        config, "MODE-3")
