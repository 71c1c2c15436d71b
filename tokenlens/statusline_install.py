"""`tokenlens statusline install` / `uninstall`: Claude Code's settings.json, changed with care.

Each Claude Code config dir (CLAUDE_CONFIG_DIR's, else the default dirs that exist, else
~/.claude; tools/claude_code.homes) gets `"statusLine": {"type": "command", "command":
"<python> -m tokenlens.statusline ..."}`. Before writing: the exact change as a unified diff,
and a byte-for-byte backup beside the file (`settings.json.tokenlens-<UTC time>.bak`). Every
other key is kept, in its order, and the file's indentation is reused (comments and spacing
JSON cannot hold are not: settings.json is plain JSON). A statusLine already there (ccusage,
a script) is chained: tokenlens runs it after its own line with the same stdin (`--then`).

What was done is remembered in the data dir (`statusline-install.json`). `uninstall`
restores the backup byte for byte when the file is still exactly what install wrote; when the
person (or Claude Code) changed it since, only the statusLine key is put back as it was,
the rest of their changes kept, and it says so.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
import shlex
import sys
import time
from dataclasses import dataclass
from pathlib import Path

RECORD_FILE = "statusline-install.json"
MARKER = "tokenlens.statusline"


class InstallError(Exception):
    """One line for the person: a settings.json that cannot be read, parsed or written."""


@dataclass
class Change:
    path: Path
    before: bytes | None  # None: the file did not exist
    after: bytes | None  # None: the file is removed (uninstall of a file install created)
    note: str

    def diff(self) -> str:
        old = (self.before or b"").decode("utf-8", "replace").splitlines(keepends=True)
        new = (self.after or b"").decode("utf-8", "replace").splitlines(keepends=True)
        lines = difflib.unified_diff(old, new, f"{self.path} (now)", f"{self.path} (after)")
        text = "".join(line if line.endswith("\n") else line + "\n" for line in lines)
        return text or f"{self.path}: no change\n"


def config_dirs(env) -> list[Path]:
    from tokenlens.tools.claude_code import configured_dirs, homes

    configured = configured_dirs(env)
    if configured:
        return configured
    existing = [d for d in homes(env) if d.is_dir()]
    return existing or [env.home / ".claude"]


def our_command(data_dir: str | None, previous: str | None) -> str:
    words = [shlex.quote(sys.executable), "-m", MARKER]
    if data_dir:
        words += ["--data-dir", shlex.quote(str(Path(data_dir).resolve()))]
    if previous:
        words += ["--then", shlex.quote(previous)]
    return " ".join(words)


def _indent_of(text: str) -> int | str:
    for line in text.splitlines()[1:]:
        stripped = line.lstrip(" \t")
        if stripped and len(stripped) < len(line):
            lead = line[: len(line) - len(stripped)]
            return lead if "\t" in lead else len(lead)
    return 2


def _load(path: Path) -> tuple[bytes | None, dict]:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None, {}
    except OSError as exc:
        raise InstallError(f"cannot read {path}: {exc.strerror or exc}") from None
    if not raw.strip():
        return raw, {}
    try:
        value = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InstallError(f"{path} is not valid JSON ({exc}); fix it or move it aside first") from None
    if not isinstance(value, dict):
        raise InstallError(f"{path} does not hold a JSON object")
    return raw, value


def _dump(settings: dict, like: bytes | None) -> bytes:
    text = (like or b"").decode("utf-8", "replace")
    out = json.dumps(settings, indent=_indent_of(text) if text else 2, ensure_ascii=False)
    return (out + ("\n" if not text or text.endswith("\n") else "")).encode("utf-8")


def is_ours(entry) -> bool:
    return isinstance(entry, dict) and MARKER in str(entry.get("command", ""))


def plan_install(env, data_dir: str | None, chain: bool = True) -> list[Change]:
    changes = []
    for folder in config_dirs(env):
        path = folder / "settings.json"
        before, settings = _load(path)
        previous = settings.get("statusLine")
        if is_ours(previous):
            changes.append(Change(path, before, before, "already set up"))
            continue
        chained = None
        if chain and isinstance(previous, dict) and isinstance(previous.get("command"), str):
            chained = previous["command"]
        entry = {"type": "command", "command": our_command(data_dir, chained), "padding": 0}
        settings = {**settings, "statusLine": entry}  # an existing key keeps its place
        note = f"chains the existing status line ({chained})" if chained else (
            "replaces the existing status line" if previous is not None else "adds the status line")
        changes.append(Change(path, before, _dump(settings, before), note))
    return changes


def apply_install(changes: list[Change], data_dir: Path) -> list[str]:
    """Write the planned files (each after its backup); returns what was done, a line each."""
    record = _read_record(data_dir)
    done = []
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    for change in changes:
        if change.after == change.before:
            done.append(f"{change.path}: {change.note}")
            continue
        backup = None
        if change.before is not None:
            backup = change.path.with_name(f"{change.path.name}.tokenlens-{stamp}.bak")
            _write(backup, change.before)
        previous = _load_from_bytes(change.before).get("statusLine") if change.before else None
        _write(change.path, change.after or b"")
        record[str(change.path)] = {
            "backup": str(backup) if backup else None, "existed": change.before is not None,
            "written_sha256": hashlib.sha256(change.after or b"").hexdigest(),
            "had_status_line": previous is not None, "previous_status_line": previous,
        }
        done.append(f"{change.path}: {change.note}" + (f"; backup {backup}" if backup else ""))
    _write_record(data_dir, record)
    return done


def plan_uninstall(env, data_dir: Path) -> list[Change]:
    record = _read_record(data_dir)
    changes = []
    paths = {str(folder / "settings.json") for folder in config_dirs(env)} | set(record)
    for key in sorted(paths):
        path = Path(key)
        entry = record.get(key)
        before, settings = _load(path)
        if entry is None:
            if is_ours(settings.get("statusLine")):  # set by hand or a lost record: just take it out
                rest = {k: v for k, v in settings.items() if k != "statusLine"}
                changes.append(Change(path, before, _dump(rest, before), "removes the tokenlens status line"))
            continue
        unchanged = before is not None and hashlib.sha256(before).hexdigest() == entry["written_sha256"]
        if unchanged and entry["existed"] and entry["backup"]:
            try:
                original = Path(entry["backup"]).read_bytes()
            except OSError as exc:
                raise InstallError(f"cannot read the backup {entry['backup']}: {exc.strerror or exc}") from None
            changes.append(Change(path, before, original, f"restores {entry['backup']} byte for byte"))
        elif unchanged and not entry["existed"]:
            changes.append(Change(path, before, None, "removes the file install created"))
        elif before is not None:
            restored = {k: v for k, v in settings.items() if k != "statusLine"}
            if entry["had_status_line"]:
                restored = _put_back(settings, entry["previous_status_line"])
            changes.append(Change(path, before, _dump(restored, before),
                                  "changed since install: puts back only the previous statusLine"))
    return changes


def apply_uninstall(changes: list[Change], data_dir: Path) -> list[str]:
    record = _read_record(data_dir)
    done = []
    for change in changes:
        if change.after is None:
            change.path.unlink(missing_ok=True)
        elif change.after != change.before:
            _write(change.path, change.after)
        record.pop(str(change.path), None)
        done.append(f"{change.path}: {change.note}")
    _write_record(data_dir, record)
    return done


def _put_back(settings: dict, previous) -> dict:
    """The settings with statusLine as it was before install, in the same place."""
    return {k: (previous if k == "statusLine" else v) for k, v in settings.items()} if "statusLine" in settings \
        else {**settings, "statusLine": previous}


def _load_from_bytes(raw: bytes) -> dict:
    try:
        value = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return {}
    return value if isinstance(value, dict) else {}


def _write(path: Path, data: bytes) -> None:
    """Write through a temporary file in the same folder, keeping the old file's mode."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        mode = path.stat().st_mode & 0o777 if path.exists() else 0o600
        tmp = path.with_name(f".{path.name}.tokenlens-tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except OSError as exc:
        raise InstallError(f"cannot write {path}: {exc.strerror or exc}") from None


def _read_record(data_dir: Path) -> dict:
    try:
        value = json.loads((data_dir / RECORD_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def _write_record(data_dir: Path, record: dict) -> None:
    if not record and not (data_dir / RECORD_FILE).exists():
        return
    _write(data_dir / RECORD_FILE, json.dumps(record, indent=2, sort_keys=True).encode())
