"""What tokenlens knows about one AI tool, and the folders several tools share.

Each tool is a package under `tokenlens/tools/` whose `__init__.py` says where the tool keeps
its files (`homes`) and builds its `TOOL`; beside it, `usage.py` reads its usage logs and
`permissions.py` reads the grants in its configs. Both take their folders from `homes`, so
an override the tool honours (CLAUDE_CONFIG_DIR, CODEX_HOME, GEMINI_CLI_HOME, ...) moves
the usage and the grants tokenlens shows together. The modules are imported when first
needed (a report never loads a permission scanner); a broken one fails loudly.
"""

from __future__ import annotations

import importlib
from collections import namedtuple
from pathlib import Path
from types import ModuleType

from tokenlens.config import Env


class Tool(namedtuple("Tool", [
        "package", "id", "name", "homes", "usage", "permissions", "credential_paths", "launch_flags",
        "grant_id", "why_no_local_data", "installed_at"], defaults=(None, False, (), (), None, None, None))):
    """One tool, as its package's `__init__.py` builds it:

    - `package`: e.g. "tokenlens.tools.claude_code"; `id`: as in the ledger, `--tool`, grants;
      `name`: as a person reads it;
    - `homes(env) -> [Path]`: where the tool keeps its files, overrides honoured;
    - `usage`: the class in `<package>.usage` that reads its logs (None: no reader);
    - `permissions`: `<package>.permissions` has `scan(ctx)` (and maybe `projects(ctx)`);
    - `credential_paths`: regexes over '/'-paths of files never opened;
    - `launch_flags`: "YOLO" switches, when found in a shell alias or rc file;
    - `grant_id`: the tool id its grants carry, where it differs from `id`;
    - `why_no_local_data`: a tool that keeps no usable token log on this computer says why
      (`sources` lists it with that reason, never as zero usage); `installed_at(env)`
      (default: its homes) tells whether it is there.

    A namedtuple, not a dataclass: every tool package builds one on import, the status line's
    included, and `dataclasses` costs that more than the rest of its imports together."""

    __slots__ = ()

    @property
    def listed(self) -> bool:
        """Shown by `sources` (it has a usage reader, or a reason it cannot have one)."""
        return self.usage is not None or self.why_no_local_data is not None

    def source(self):
        """A fresh instance of the tool's usage reader (None when it is not listed)."""
        if self.why_no_local_data is not None:
            from tokenlens.tools.source import NoLocalData

            return NoLocalData(self)
        if self.usage is None:
            return None
        return getattr(importlib.import_module(f"{self.package}.usage"), self.usage)()

    def scanner(self) -> ModuleType | None:
        return importlib.import_module(f"{self.package}.permissions") if self.permissions else None


# ---- folders the operating systems give every tool ---------------------------------------


def appdata_dirs(env: Env) -> list[Path]:
    """Per-user application-data roots on Linux, macOS and Windows (one person's home)."""
    home = env.home
    roots = [env.xdg("XDG_CONFIG_HOME", ".config"), home / "Library" / "Application Support"]
    if env.get("APPDATA"):
        roots.append(Path(env.get("APPDATA")))
    roots.append(home / "AppData" / "Roaming")
    unique: list[Path] = []
    for root in roots:
        if root not in unique:
            unique.append(root)
    return unique


def system_dirs(env: Env) -> list[Path]:
    """Machine-wide config roots (managed settings an administrator may set)."""
    base = [Path("/etc"), Path("/Library/Application Support")]
    program_data = env.get("ProgramData")
    if program_data:
        base.append(Path(program_data))
    return base


def editor_dirs(env: Env, name: str) -> list[Path]:
    """Where a VS Code-style editor called `name` keeps its user data, on each OS."""
    return [base / name for base in appdata_dirs(env)]
