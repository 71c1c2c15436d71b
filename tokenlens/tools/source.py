"""What a source module provides, and the incremental line reader they share.

A source knows one AI tool: where its files are and how to turn them into UsageEvents.
It never touches the ledger; `tokenlens.ingest` owns positions and transactions.

Two shapes exist:
- `JsonlSource`: append-only JSONL. Parsed from a saved byte offset; `parse_line` gets each
  complete line's object plus a small per-file `state` dict that is saved with the offset
  (e.g. Codex's previous cumulative totals).
- `SnapshotSource`: files rewritten whole (JSON) or databases. Re-read when size/mtime
  change; events are upserted by stable ids, so re-reading is idempotent.
"""

from __future__ import annotations

import errno
import os
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from fnmatch import translate
from pathlib import Path
from stat import S_ISDIR, S_ISREG
from typing import Any, ClassVar

import msgspec
import orjson

from tokenlens.config import Env
from tokenlens.model import Action, UsageEvent

READ_BLOCK = 1 << 20
# A line longer than this is skipped (and counted) without ever being held in memory whole:
# real usage lines are far smaller, and this bounds memory on hostile input.
MAX_LINE_BYTES = 64 << 20


class BadLine(ValueError):
    """Raised by a parser for a line that holds usage but cannot be trusted (wrong types...)."""


# What parsing a malformed record of a whole-file (snapshot) source can raise: the record is
# skipped and counted, never fatal. Sources whose records cannot raise some of these list fewer.
RECORD_ERRORS = (BadLine, TypeError, ValueError, AttributeError, KeyError, IndexError, OverflowError)


@dataclass(frozen=True)
class FileContext:
    path: Path
    root: Path | None = None  # the discovery root this file was found under


@dataclass(frozen=True)
class Discovered:
    path: Path
    root: Path
    stat: os.stat_result | None = None  # taken while discovering, when it was (saves a stat)


@dataclass(frozen=True)
class Retention:
    """How long a tool keeps its own logs before it deletes them (tokenlens keeps what it read)."""

    days: float | None  # None: kept until the person deletes them
    setting: str  # what sets it and where, e.g. "cleanupPeriodDays in ~/.claude/settings.json"
    is_default: bool  # the setting is absent: the tool's default applies
    writes_nothing: bool = False  # the setting turns the logs off altogether


# ---- paths that exist but cannot be read ---------------------------------------------
#
# Discovery must not skip an unreadable folder in silence (its files' usage would be missing
# from every total). Walkers report each OSError to `note_unreadable`; a caller that wants the
# list wraps its discovery in `recording_unreadable()`. A path that does not exist (or vanished
# between listing and reading) is "not found" / "gone", never unreadable, and is not recorded.

_unreadable: ContextVar[dict[str, dict] | None] = ContextVar("tokenlens_unreadable", default=None)
NOT_THERE = (errno.ENOENT, errno.ENOTDIR)


def unreadable_reason(exc: OSError) -> str | None:
    """Why an existing path could not be read ("permission denied"), or None when the error
    means the path is simply not there."""
    if isinstance(exc, FileNotFoundError | NotADirectoryError) or exc.errno in NOT_THERE:
        return None
    if isinstance(exc, PermissionError):
        return "permission denied"
    return (exc.strerror or type(exc).__name__).lower()


def note_unreadable(path: Path | str, exc: OSError, kind: str = "path") -> None:
    """Record `path` ("folder", "file" or "path" when unknown) as unreadable, if a recording
    is on and the error is not "not there"."""
    recorded = _unreadable.get()
    if recorded is None:
        return
    reason = unreadable_reason(exc)
    if reason is not None:
        recorded.setdefault(str(path), {"path": str(path), "reason": reason, "kind": kind})


@contextmanager
def recording_unreadable() -> Iterator[dict[str, dict]]:
    """Collect {path: {"path", "reason", "kind"}} of everything the discovery inside the block could not read.

    Generators run in their caller's context, so a `discover()` iterated inside the block is
    recorded even though it was created by a call inside it."""
    recorded: dict[str, dict] = {}
    token = _unreadable.set(recorded)
    try:
        yield recorded
    finally:
        _unreadable.reset(token)


class Source:
    """Base for every tool module. Subclasses set the class attributes and `roots`."""

    id: ClassVar[str]
    name: ClassVar[str]
    # Set for tools that keep no local token data: shown by `tokenlens sources`, never zero usage.
    no_local_data_reason: ClassVar[str | None] = None
    # What `sources` says it reads: True (real per-request counts), "partial" (only some of
    # what the tool spends is on this computer: say which in the module), or False (nothing).
    reads_usage: ClassVar[bool | str] = True
    # For a "partial" reader: what it reads and what it cannot (shown by `sources` as why_not).
    partial_reason: ClassVar[str | None] = None

    def roots(self, env: Env) -> list[Path]:
        """Directories (or files) looked at, in the order the tool itself honours them."""
        return []

    def discover(self, env: Env) -> Iterator[Discovered]:
        """Every data file under the roots. Default: files matching `patterns`, recursively."""
        seen: set = set()
        for root in self.roots(env):
            for path in _walk_files(root, self.patterns):
                st, identity = _identity(path)
                if identity not in seen:
                    seen.add(identity)
                    yield Discovered(path, root, st)

    patterns: ClassVar[tuple[str, ...]] = ("*.jsonl",)

    def discover_among(self, env: Env, paths: Iterable[Path]) -> list[Discovered] | None:
        """Those of `paths` (files a watcher saw change) that `discover` would yield, each
        with its root; None when this source cannot tell without discovering everything
        (its own `discover`: companion files, a layout of its own)."""
        if type(self).discover is not Source.discover:
            return None
        roots = self.roots(env)
        matches = _pattern_matcher(self.patterns)
        found = []
        for path in paths:
            root = next((r for r in roots if path == r or r in path.parents), None)
            if root is None or not matches(path.name):
                continue
            try:
                st = os.stat(path)
            except OSError:
                continue  # gone again, or unreadable: the next full scan says which
            if S_ISREG(st.st_mode):
                found.append(Discovered(path, root, st))
        return found

    def reads_whole(self, path: Path) -> bool:
        """True when `path` is re-read whole (`read_snapshot`) rather than line by line.

        A tool that changed its on-disk format (e.g. whole-file JSON, later JSONL) subclasses
        both JsonlSource and SnapshotSource and decides here per file."""
        return isinstance(self, SnapshotSource)

    def companion_files(self, path: Path) -> tuple[Path, ...]:
        """Files whose size/mtime changes count as changes of `path` (a SQLite `-wal`)."""
        return ()

    def retention(self, env: Env) -> Retention | None:
        """How long the tool keeps its logs, from its settings; None where tokenlens doesn't know."""
        return None


class NoLocalData(Source):
    """A tool that keeps no usable token log here (log_formats.md §12): listed by `sources`
    with its reason, its folders only looked at to say whether it is installed. Tokens are
    never estimated from transcript text: hidden system prompts, tool definitions and caching
    make such estimates far off."""

    reads_usage = False

    def __init__(self, tool) -> None:
        self.id, self.name, self.no_local_data_reason = tool.id, tool.name, tool.why_no_local_data
        self._where = tool.installed_at or tool.homes

    def roots(self, env: Env) -> list[Path]:
        return self._where(env)


class JsonlSource(Source):
    # A line containing none of these byte strings holds no usage: skipped without parsing,
    # and not counted as bad. This is what makes a first scan of big transcripts fast.
    line_markers: ClassVar[tuple[bytes, ...]] = ()

    def new_state(self) -> dict[str, Any]:
        return {}

    def decode(self, line: bytes) -> Any:
        """The line as the object `parse_line` takes: by default any JSON object, as a dict.

        Raises BadLine for a line that is not one."""
        return json_object(line)

    def glance(self, line: bytes, state: dict[str, Any]) -> None:
        """A cheap look at a line without a marker (never parsed), for per-file state such as
        a mode flag that big lines carry. Sources that need it override this."""

    def parse_line(self, obj: Any, state: dict[str, Any], ctx: FileContext) -> Iterable[UsageEvent | Action]:
        """Usage events (and agent actions, where the log shows tool calls) in the object that
        `decode` made of one line."""
        raise NotImplementedError


class SnapshotSource(Source):
    def read_snapshot(self, path: Path, ctx: FileContext) -> tuple[list[UsageEvent], int]:
        """All events in the file now, and how many records were skipped as bad."""
        raise NotImplementedError


def _identity(path: Path) -> tuple[os.stat_result | None, tuple[int, int] | Path]:
    """The same file reached twice (symlinked dirs, overlapping roots) is one file: (dev, inode)
    says so with one stat, where resolving the real path costs a lstat per path component.
    The stat comes back too, for the scan's is-it-unchanged test."""
    try:
        st = os.stat(path)
    except OSError:
        return None, _real(path)
    return st, (st.st_dev, st.st_ino)


def _real(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return path


def _walk_files(root: Path, patterns: tuple[str, ...]) -> Iterator[Path]:
    """Files under root matching any pattern; survives symlink loops and unreadable dirs
    (each one it could not read is passed to `note_unreadable`)."""
    try:
        st = os.stat(root)
    except OSError as exc:
        note_unreadable(root, exc)  # a root that does not exist is not noted
        return
    if S_ISREG(st.st_mode):
        yield root
        return
    if not S_ISDIR(st.st_mode):
        return
    matches = _pattern_matcher(patterns)
    # Only a symlinked directory can lead back up the tree (directories have no hard links),
    # so only those cost a stat for loop detection.
    visited = {(st.st_dev, st.st_ino)}

    def walk(directory: str) -> Iterator[Path]:
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError as exc:
            note_unreadable(directory, exc, "folder")
            return
        for entry in entries:
            try:
                if entry.is_dir():
                    if entry.is_symlink():
                        target = os.stat(entry.path)
                        ident = (target.st_dev, target.st_ino)
                        if ident in visited:
                            continue
                        visited.add(ident)
                    yield from walk(entry.path)
                elif matches(entry.name) and entry.is_file():
                    yield Path(entry.path)
            except OSError as exc:
                note_unreadable(entry.path, exc)
                continue

    yield from walk(str(root))


def _pattern_matcher(patterns: tuple[str, ...]) -> Callable[[str], Any]:
    return re.compile("|".join(translate(p) for p in patterns)).match


def files_in_project_chats(roots: list[Path], patterns: tuple[str, ...]) -> Iterator[Discovered]:
    """Files under `<root>/<project>/chats/` only: Gemini CLI's layout, which Qwen Code kept
    (the rest of each project dir holds logs, checkpoints and tool outputs)."""
    for root in roots:
        try:
            projects = sorted(p for p in root.iterdir() if p.is_dir())
        except OSError as exc:
            note_unreadable(root, exc, "folder")
            continue
        for project_dir in projects:
            for path in _walk_files(project_dir / "chats", patterns):
                yield Discovered(path, root)


def iter_lines(handle, start: int, max_line: int = MAX_LINE_BYTES) -> Iterator[tuple[bytes | None, int, int]]:
    """Yield (line, line_start, next_offset) for each complete line from `start`.

    A partial last line (no newline yet) is not yielded: the writer may be mid-line.
    An over-long line is yielded as None so the caller can count it, without buffering it.
    Memory stays near `max_line` plus one block: lines that fit in a block are sliced from
    it; only a line spanning blocks is gathered, in place, in one growing buffer (a line
    gathered that way may come out as a bytearray).
    """
    handle.seek(start)
    pos = start  # file offset of the first byte not yet yielded (the start of `partial`)
    partial = bytearray()  # the start of a line begun in earlier blocks
    oversized_from: int | None = None  # start offset of a giant line being skipped
    while True:
        block = handle.read(READ_BLOCK)
        if not block:
            return
        cut = 0
        nl = block.find(b"\n")
        if nl >= 0 and (partial or oversized_from is not None):
            # This block ends the line begun earlier.
            end = pos + len(partial) + nl + 1
            if oversized_from is not None:
                yield None, oversized_from, end
                oversized_from = None
            else:
                partial += memoryview(block)[:nl]
                line, partial = partial, bytearray()
                yield line, pos, end
            pos, cut = end, nl + 1
            nl = block.find(b"\n", cut)
        while nl >= 0:
            end = pos + nl + 1 - cut
            yield block[cut:nl], pos, end
            pos, cut = end, nl + 1
            nl = block.find(b"\n", cut)
        if oversized_from is not None:
            pos += len(block) - cut
            continue
        partial += memoryview(block)[cut:]
        if len(partial) > max_line:
            # Drop what we hold of the giant line; remember to report it when it ends.
            oversized_from = pos
            pos += len(partial)
            partial = bytearray()


# ---- helpers shared by parsers ------------------------------------------------------


def decode_typed(decoder, line: bytes, salvage: Callable[[dict], Any]) -> Any:
    """A line decoded by a msgspec `decoder` into only the fields a source reads.

    JSON of an unexpected shape in some part read (a string where an object was expected)
    is parsed again with orjson and handed to `salvage`, which keeps the parts that have the
    expected shape; anything that is not a JSON object at all is a BadLine."""
    try:
        return decoder.decode(line)
    except msgspec.ValidationError:
        pass
    except msgspec.DecodeError as exc:
        raise BadLine("not a JSON object" if line.lstrip()[:1] != b"{" else "invalid JSON") from exc
    except RecursionError as exc:
        raise BadLine("nested too deeply") from exc
    return salvage(json_object(line))


# A settings file is a few kB; anything far bigger is not one, and is not read into memory.
MAX_SETTINGS_BYTES = 4 << 20


def read_json_settings(path: Path) -> dict | None:
    """A tool's JSON settings file as a dict; None if it is absent, unreadable, too big or not
    an object."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_SETTINGS_BYTES + 1)
        obj = orjson.loads(data) if len(data) <= MAX_SETTINGS_BYTES else None
    except (OSError, orjson.JSONDecodeError):
        return None
    return obj if isinstance(obj, dict) else None


def json_object(line: bytes) -> dict:
    """The line as a dict, parsed by orjson; BadLine if it is not JSON or not an object."""
    try:
        obj = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        raise BadLine("invalid JSON") from exc
    if not isinstance(obj, dict):
        raise BadLine("not a JSON object")
    return obj


MAX_COUNT = 10**12


def count(value: Any, name: str) -> int:
    """A token count from a log: a non-negative int (None/missing = 0), else BadLine."""
    if type(value) is int and 0 <= value <= MAX_COUNT:
        return value  # the common case, first: a first scan calls this millions of times
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BadLine(f"{name} is not a number")
    if value != value or value in (float("inf"), float("-inf")):
        raise BadLine(f"{name} is not finite")
    if value < 0:
        raise BadLine(f"{name} is negative")
    if value > MAX_COUNT:
        raise BadLine(f"{name} is implausibly large")
    return int(value)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_MS = timedelta(milliseconds=1)


def iso_to_ms(value: Any) -> int:
    """ISO-8601 timestamp (with Z or offset; naive = UTC) or epoch s/ms to UTC epoch ms."""
    if type(value) is str:
        try:
            # Python 3.11 reads what the tools write ("...T10:29:51.250Z", offsets) in C.
            dt = datetime.fromisoformat(value)
        except ValueError:
            dt = _lenient_iso(value)
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=UTC)
        try:
            return _plausible((dt - _EPOCH) // _ONE_MS)  # integer arithmetic: no float rounding
        except OverflowError as exc:  # year 1 with a positive offset
            raise BadLine("timestamp out of range") from exc
    if isinstance(value, bool):
        raise BadLine("timestamp has wrong type")
    if isinstance(value, int | float):
        if value != value:
            raise BadLine("timestamp is NaN")
        # Epoch seconds vs milliseconds: anything past year 33658 in seconds is ms.
        if value in (float("inf"), float("-inf")):
            raise BadLine("timestamp is not finite")
        return _plausible(int(value if value > 1e12 else value * 1000))
    raise BadLine("timestamp missing")


def _lenient_iso(value: str) -> datetime:
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        return datetime.fromisoformat(text)
    except ValueError as exc:
        raise BadLine("timestamp unparseable" if text else "timestamp missing") from exc


MAX_TS_MS = 32503680000000  # 3000-01-01T00:00:00Z


def _plausible(ms: int) -> int:
    # Outside 1970..3000 a timestamp is damage, not usage: far enough from datetime's limits
    # that pricing and reports in any time zone can still date it, and it fits SQLite's int64.
    if not 0 <= ms <= MAX_TS_MS:
        raise BadLine("timestamp out of range")
    return ms


def text(value: Any) -> str:
    return value if isinstance(value, str) else ""
