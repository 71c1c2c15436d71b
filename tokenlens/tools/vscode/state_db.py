"""Values from a VS Code-family editor's `User/globalStorage/state.vscdb`, read without touching it.

The database (SQLite, table `ItemTable(key TEXT UNIQUE, value BLOB)`) is the editor's global
storage; an extension's `context.globalState` is one row whose key is the extension's id as its
manifest spells it (`publisher.name`, e.g. `RooVeterinaryInc.roo-cline`) and whose value is that
state as one JSON object (microsoft/vscode src/vs/platform/extensionManagement/common/
extensionStorage.ts `setExtensionState` @ 1471a85ad54b3b49fcdeee1f2f07d073f7527693, fed by
workbench/api/common/extHostMemento.ts with the extension's identifier). Keys are matched without
regard to case for that reason.

The database also holds auth tokens and other extensions' state: it is copied (db + -wal) to a
private temp dir, opened read-only there, and only the named keys are selected.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import orjson

from tokenlens.permissions.base import ScanContext


def read_state_values(path: Path, keys: Iterable[str]) -> dict[str, str]:
    """{lowercased key: value} for the named keys present; {} when the database cannot be read."""
    wanted = sorted({key.lower() for key in keys})
    with tempfile.TemporaryDirectory(prefix="tokenlens-") as tmp:
        copy = Path(tmp) / "state.vscdb"
        try:
            shutil.copyfile(path, copy)
            wal = path.with_name(path.name + "-wal")
            if wal.exists():
                shutil.copyfile(wal, Path(tmp) / "state.vscdb-wal")
        except OSError:
            return {}
        try:
            conn = sqlite3.connect(f"file:{copy}?mode=ro", uri=True)
        except sqlite3.Error:
            return {}
        try:
            marks = ", ".join("?" for _ in wanted)
            rows = conn.execute(f"SELECT key, value FROM ItemTable WHERE lower(key) IN ({marks})", wanted).fetchall()
        except sqlite3.Error:
            return {}
        finally:
            conn.close()
    return {str(key).lower(): value.decode() if isinstance(value, bytes) else value for key, value in rows}


def read_state_key(path: Path, key: str) -> str | None:
    """One value from a state DB (None when it is absent or the database cannot be read)."""
    return read_state_values(path, [key]).get(key.lower())


def extension_state(ctx: ScanContext, path: Path, key: str, label: str) -> dict[str, Any] | None:
    """One extension's globalState (or another JSON object stored under `key`) from a state DB,
    noted among the files a scan looked at; None when it is not there, a problem ("<label>
    unreadable") when it is not a JSON object."""
    if not path.is_file():
        return None
    value = read_state_key(path, key)
    if value is None:
        return None
    ctx.files[ctx.show(path)] = path.stat().st_mtime_ns // 1_000_000
    try:
        state = orjson.loads(value)
    except orjson.JSONDecodeError:
        state = None
    if not isinstance(state, dict):
        ctx.problems.append(f"{ctx.show(path)}: {label} unreadable")
        return None
    return state
