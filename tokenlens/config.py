"""Where tokenlens keeps its ledger, whose home it reads, and the person's settings.

Everything that depends on the process environment goes through `Env`, so tests (and
`--data-dir`) can point the whole program at a throwaway home without patching globals.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

DATA_DIR_ENV = "TOKENLENS_DATA_DIR"
DB_FILENAME = "ledger.db"
SETTINGS_FILENAME = "settings.json"
DISABLED_SOURCES = "disabled_sources"  # settings key: tool ids turned off by the person


class DataDirError(Exception):
    """The data dir cannot be created or written; the message is one line for the person."""


class Env:
    """A snapshot of the environment the tools' files are found through (`environ`: this
    process's by default). A plain class, not a dataclass: the status line imports this module
    on every run, and `dataclasses` costs it more than the rest of its imports together."""

    __slots__ = ("environ",)

    def __init__(self, environ: dict[str, str] | None = None) -> None:
        self.environ: dict[str, str] = dict(os.environ) if environ is None else environ

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Env) and other.environ == self.environ

    __hash__ = None  # compared by content, which is a dict

    def __repr__(self) -> str:
        return f"Env({len(self.environ)} variables)"  # never their values: they may hold secrets

    @property
    def home(self) -> Path:
        # HOME of the process wins over the password database, as the tools themselves do.
        home = self.environ.get("HOME") or self.environ.get("USERPROFILE")
        return Path(home) if home else Path.home()

    def get(self, name: str) -> str | None:
        value = self.environ.get(name)
        return value if value else None

    def path_list(self, name: str) -> list[Path]:
        """An env var holding one path or several (comma or os.pathsep separated)."""
        raw = self.get(name)
        if not raw:
            return []
        parts = raw.replace(os.pathsep, ",").split(",")
        return [Path(p.strip()).expanduser() for p in parts if p.strip()]

    def xdg(self, name: str, default: str) -> Path:
        value = self.get(name)
        return Path(value) if value else self.home / default


def default_data_dir() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("tokenlens", appauthor=False))


def app_instance_name(data_dir: Path) -> str:
    """The name the tray app listens on for its data dir (app/single_instance.py), which the
    status line also looks for: one app per user and data dir. CRC-32, not a hash from
    hashlib: it tells two data dirs apart, and the status line cannot spare hashlib's import."""
    import zlib

    checksum = zlib.crc32(str(Path(data_dir).resolve()).encode())
    uid = os.getuid() if hasattr(os, "getuid") else 0
    return f"tokenlens-{uid}-{checksum:08x}"


def resolve_data_dir(explicit: str | os.PathLike | None = None, env: Env | None = None) -> Path:
    """--data-dir, else $TOKENLENS_DATA_DIR (either is created if missing), else the platform's
    user data dir, which is never made under a home folder that does not exist: DataDirError."""
    env = env or Env()
    if explicit:
        return Path(explicit).expanduser()
    from_env = env.get(DATA_DIR_ENV)
    if from_env:
        return Path(from_env).expanduser()
    path = default_data_dir()
    home = env.home
    if not home.is_dir() and path.is_relative_to(home):
        state = "is not a folder" if home.exists() else "does not exist"
        raise DataDirError(
            f"no home folder: {home} {state}, so there is no default data dir;"
            f" give --data-dir DIR or set {DATA_DIR_ENV}"
        )
    return path


def ensure_data_dir(path: Path) -> Path:
    """Create the data dir private to this user (0700), or explain in one line why not.

    An existing one loses any group/other permission bits but is never given more: a folder
    made read-only stays so, and is reported as not writable."""
    try:
        existed = path.is_dir()
        if not existed:
            path.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        try:
            message = _cannot_create(path, exc)
        except OSError:  # a folder above it cannot even be looked into
            message = f"cannot create data dir {path}: {exc.strerror or exc}"
        raise DataDirError(message) from exc
    writable = os.access(path, os.W_OK | os.X_OK)
    if existed and not writable:
        raise DataDirError(f"data dir {path} exists but is not writable by this user")
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            path.chmod(mode & 0o700)
    except OSError as exc:
        raise DataDirError(f"data dir {path} cannot be made private to this user (0700):"
                           f" {exc.strerror or exc}") from exc
    if not writable:
        raise DataDirError(f"data dir {path} was created but is not writable by this user")
    return path


def _cannot_create(path: Path, exc: OSError) -> str:
    """Which case it is: the path is a file, something above it is, or where it would go is
    not writable by this user."""
    if path.exists() and not path.is_dir():
        return f"data dir {path} exists and is not a folder"
    nearest = path.parent
    while not nearest.exists() and nearest != nearest.parent:
        nearest = nearest.parent
    head = f"cannot create data dir {path}:"
    if not nearest.is_dir():
        return f"{head} {nearest} exists and is not a folder"
    if not os.access(nearest, os.W_OK | os.X_OK):
        where = "its parent" if nearest == path.parent else "the folder it would be made in,"
        return f"{head} {where} {nearest} is not writable by this user"
    return f"{head} {exc.strerror or exc}"


def create_private_file(path: Path) -> None:
    """Create `path` as 0600 if missing, so SQLite's -wal/-shm files inherit that mode."""
    if path.exists():
        if stat.S_IMODE(path.stat().st_mode) & 0o077:
            path.chmod(0o600)
        return
    fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
    os.close(fd)


def load_settings(data_dir: Path) -> dict:
    # The standard library's json: a small file, and the status line reads it on every
    # message, where importing orjson would cost more than reading.
    import json

    path = data_dir / SETTINGS_FILENAME
    try:
        value = json.loads(path.read_bytes())
    except (OSError, ValueError, RecursionError):
        return {}
    return value if isinstance(value, dict) else {}


def save_settings(data_dir: Path, settings: dict) -> None:
    import orjson  # here, not at the top: the status line imports this module on every message

    path = data_dir / SETTINGS_FILENAME
    tmp = path.with_suffix(".tmp")
    create_private_file(tmp)
    tmp.write_bytes(orjson.dumps(settings, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS))
    os.replace(tmp, path)


def disabled_sources(data_dir: Path) -> set[str]:
    """Tools the person turned off in the app's Settings: neither the app nor the CLI reads them."""
    return disabled_in(load_settings(data_dir))


def disabled_in(settings: dict) -> set[str]:
    value = settings.get(DISABLED_SOURCES)
    return {v for v in value if isinstance(v, str)} if isinstance(value, list) else set()
