"""What every tool scanner shares: read-only config reading, project discovery, grant building.

Ground rules (spec §0): files are opened "rb" and only read; no tool is run and no MCP
server started; credential files are never opened; files over 20 MiB are skipped; an
unreadable file is reported as such, never as absent.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tokenlens.config import Env
from tokenlens.model import Grant
from tokenlens.permissions.rules import RULES, hint_for
from tokenlens.permissions.secrets import Fingerprinter, Redactor

MAX_CONFIG_BYTES = 20 << 20
MAX_ANCESTORS = 10

# Never opened, whatever a scanner asks for: transcripts, histories, env files, and each
# tool's credential files (its Tool.credential_paths).
NEVER_OPEN_ANY = (r"/\.env[^/]*$", r"\.jsonl$", r"/history[^/]*$", r"/sessions/")


@functools.cache
def never_open() -> re.Pattern:
    from tokenlens.tools import TOOLS

    patterns = [*(p for tool in TOOLS for p in tool.credential_paths), *NEVER_OPEN_ANY]
    return re.compile("(" + "|".join(patterns) + ")")


class NeverOpen(Exception):
    """A scanner asked for a credential file: a bug, refused."""


@dataclass
class ConfigFile:
    path: Path
    data: Any
    mtime_ms: int


@dataclass
class ScanContext:
    env: Env
    fingerprint: Fingerprinter
    projects: list[Path] = field(default_factory=list)
    grants: list[Grant] = field(default_factory=list)
    files: dict[str, int] = field(default_factory=dict)  # display path -> mtime ms, for `since`
    problems: list[str] = field(default_factory=list)  # one line each: unreadable / unparseable files
    world_writable: dict[str, Path] = field(default_factory=dict)  # display path -> path

    @property
    def home(self) -> Path:
        return self.env.home

    def show(self, path: Path | str) -> str:
        """A path with the home prefix as ~ (what the person recognises)."""
        text = str(path)
        home = str(self.home).rstrip("/")
        if text == home:
            return "~"
        if text.startswith(home + "/"):
            return "~" + text[len(home):]
        return text

    def scope_of(self, project: Path | None) -> str:
        return "global" if project is None else self.show(project)

    def redactor(self) -> Redactor:
        return Redactor(self.fingerprint)

    def add(
        self, tool: str, scope: str, kind: str, subject: str, value: Any, source: ConfigFile | Path,
        rule: str, fingerprint: str = "",
    ) -> Grant:
        path = source.path if isinstance(source, ConfigFile) else source
        spec = RULES[rule]
        shown, text = self.show(path), _text(value)
        grant = Grant(
            tool=tool, scope=scope, kind=kind, subject=str(subject), value=text, source_file=shown, risk=spec.risk,
            rule=rule, fingerprint=fingerprint,
            hint=hint_for(rule, tool=tool, kind=kind, subject=str(subject), value=text, source_file=shown),
        )
        self.grants.append(grant)
        return grant

    # ---- reading ---------------------------------------------------------------------------

    def read(self, path: Path, fmt: str = "json") -> ConfigFile | None:
        """Parse one config file read-only; None when absent. Problems are noted, not raised."""
        if never_open().search(str(path).replace("\\", "/")):
            raise NeverOpen(str(path))
        try:
            st = path.stat()
        except FileNotFoundError:
            return None
        except OSError as exc:
            self.problems.append(f"{self.show(path)}: cannot stat ({exc.strerror or exc})")
            return None
        if not path.is_file():
            return None
        if st.st_size > MAX_CONFIG_BYTES:
            self.problems.append(f"{self.show(path)}: skipped, larger than 20 MiB")
            return None
        try:
            with open(path, "rb") as fh:
                raw = fh.read(MAX_CONFIG_BYTES + 1)
        except PermissionError:
            self.problems.append(f"{self.show(path)}: unreadable (permission denied)")
            return None
        except OSError as exc:
            self.problems.append(f"{self.show(path)}: unreadable ({exc.strerror or exc})")
            return None
        mtime_ms = st.st_mtime_ns // 1_000_000
        self.files[self.show(path)] = mtime_ms
        if st.st_mode & 0o002:
            self.world_writable[self.show(path)] = path
        try:
            data = parse(raw, fmt)
        except Exception as exc:  # any parser's error: report file + line only, never content
            self.problems.append(f"{self.show(path)}: not valid {fmt}{_where(exc)}")
            return None
        return ConfigFile(path, data, mtime_ms)

    def project_files(self, *relative: str) -> Iterator[tuple[Path, Path]]:
        """(project root, file) for each known project and its ancestors holding `relative`."""
        seen: set[Path] = set()
        for root in self.project_roots():
            for rel in relative:
                path = root / rel
                if path in seen:
                    continue
                seen.add(path)
                if path.exists():
                    yield root, path

    def project_roots(self) -> list[Path]:
        """Each project and its ancestors, stopping below home (home itself is the user scope)."""
        roots: list[Path] = []
        home = self.home
        for project in self.projects:
            current = project
            for _ in range(MAX_ANCESTORS):
                if current == home or current in home.parents or current == current.parent:
                    break
                if current not in roots and current.is_dir():
                    roots.append(current)
                current = current.parent
        return roots


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ", ".join(_text(v) for v in value)
    return str(value)


def _where(exc: Exception) -> str:
    line = getattr(exc, "lineno", None) or getattr(getattr(exc, "problem_mark", None), "line", None)
    return f" (line {line})" if line else ""


def parse(raw: bytes, fmt: str) -> Any:
    if fmt == "toml":
        import tomllib

        return tomllib.loads(raw.decode("utf-8"))
    if fmt == "yaml":
        import yaml

        return yaml.safe_load(raw)
    text = raw.decode("utf-8-sig")
    if fmt == "text":
        return text
    if not text.strip():
        return {}
    if fmt == "json":
        import orjson

        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            pass  # many tools accept comments and trailing commas: fall through to JSON5
    import pyjson5

    return pyjson5.loads(text)


def dig(data: Any, *keys: str, default: Any = None) -> Any:
    """data[k1][k2]... tolerating missing keys and wrong types (schemas drift)."""
    for key in keys:
        if not isinstance(data, dict) or key not in data:
            return default
        data = data[key]
    return data


def str_list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [v for v in value if isinstance(v, str)]
    return []
