"""The device key behind the export pseudonym, kept in the OS keyring or, failing that, a file.

The pseudonym of a summary is an HMAC of its period under a 32-byte secret that never leaves
this device (privacy.md §4.2): the same device gives the same name within one period, so a
re-sent file replaces the first, and unrelated names across periods. Plain hashes of low-entropy
ids would be reversible by dictionary; a keyed hash is not without the key.

Keyring backends fail in several ways (desktop_notes.md §3.7): no backend at all
(NoKeyringError), a locked collection, D-Bus errors, or a null backend that silently drops
writes. So a key counts as stored in the keyring only after reading it back; otherwise it goes to
a 0600 file in the data dir, and that fallback is reported, never hidden, never a crash.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import stat
import threading
from dataclasses import dataclass
from pathlib import Path

KEYRING_SERVICE = "tokenlens"
KEYRING_USERNAME = "export-device-key"
KEY_FILENAME = "export-device-key"
KEY_BYTES = 32
PSEUDONYM_PURPOSE = "summary"
PSEUDONYM_CHARS = 13  # 64 bits of HMAC output in lowercase base32


@dataclass(frozen=True)
class DeviceKey:
    secret: bytes
    location: str  # "keyring" or "file"
    detail: str  # one line for the person: where, and why there


class KeyFileError(Exception):
    """The fallback key file cannot be read or written; the message is one line."""


class KeyringDeclined(KeyFileError):
    """The person dismissed the keyring's prompt and has not agreed to a key file instead."""


# Set when the person dismissed a keyring prompt (create or unlock a collection): they are
# not asked again until tokenlens restarts (gnome-keyring re-prompts on every call, and one
# preview makes several).
_declined: str | None = None


def keyring_declined() -> str | None:
    """Why the keyring is not asked this session (the person dismissed its prompt), or None."""
    return _declined


def _note_failure(exc: Exception) -> str:
    """Why the keyring failed; a dismissed prompt (to create or to unlock a collection) is
    also remembered, so the person is not asked again this session."""
    from keyring.errors import InitError, KeyringLocked

    global _declined
    if isinstance(exc, KeyringLocked):
        _declined = "the OS keyring is locked (its unlock prompt was dismissed)"
        return _declined
    if isinstance(exc, InitError) and "dismissed" in str(exc).lower():
        _declined = "you dismissed the keyring's password prompt"
        return _declined
    return _reason(exc)


def key_file_path(data_dir: Path, filename: str = KEY_FILENAME) -> Path:
    return data_dir / filename


def pseudonym(secret: bytes, period: str, purpose: str = PSEUDONYM_PURPOSE) -> str:
    """HMAC-SHA256(secret, "tokenlens/v1/<purpose>/<period>"), 64 bits, lowercase base32."""
    digest = hmac.new(secret, f"tokenlens/v1/{purpose}/{period}".encode(), hashlib.sha256).digest()
    return base64.b32encode(digest[:8]).decode().rstrip("=").lower()


def derived_bytes(secret: bytes, label: str) -> bytes:
    """Secret-keyed bytes for one purpose (e.g. memoized noise); unrelated to the pseudonym."""
    return hmac.new(secret, f"tokenlens/v1/{label}".encode(), hashlib.sha256).digest()


# ---- the keyring, defensively -------------------------------------------------------------


def _encode(secret: bytes) -> str:
    return base64.b64encode(secret).decode()


def _decode(text: str | None) -> bytes | None:
    if not text:
        return None
    try:
        value = base64.b64decode(text.strip(), validate=True)
    except (ValueError, TypeError):
        return None
    return value if len(value) == KEY_BYTES else None


def backend_name() -> str:
    try:
        import keyring

        backend = keyring.get_keyring()
    except Exception as exc:  # a broken keyring config must not break export or doctor
        return f"unavailable ({type(exc).__name__})"
    return f"{type(backend).__module__}.{type(backend).__name__}"


def _keyring_get(username: str = KEYRING_USERNAME) -> tuple[bytes | None, str | None]:
    """(key or None, why the keyring could not be asked or None)."""
    if _declined is not None:
        return None, _declined
    try:
        import keyring

        return _decode(keyring.get_password(KEYRING_SERVICE, username)), None
    except Exception as exc:  # NoKeyringError, KeyringLocked, D-Bus errors: all mean "no keyring"
        return None, _note_failure(exc)


def _keyring_store(secret: bytes, username: str = KEYRING_USERNAME) -> str | None:
    """Store and read back; None when the keyring really holds the key, else why not."""
    if _declined is not None:
        return _declined
    try:
        import keyring

        keyring.set_password(KEYRING_SERVICE, username, _encode(secret))
        stored = _decode(keyring.get_password(KEYRING_SERVICE, username))
    except Exception as exc:
        return _note_failure(exc)
    if stored != secret:
        return "the keyring accepted the key but did not keep it (disabled or null keyring)"
    return None


def _keyring_delete(username: str = KEYRING_USERNAME) -> None:
    if _declined is not None:
        return
    try:
        import keyring

        keyring.delete_password(KEYRING_SERVICE, username)
    except Exception:  # nothing stored, or no keyring: either way there is nothing to remove
        return


def _reason(exc: Exception) -> str:
    from keyring.errors import KeyringLocked, NoKeyringError

    if isinstance(exc, NoKeyringError):
        return "no OS keyring available"
    if isinstance(exc, KeyringLocked):
        return "the OS keyring is locked"
    text = str(exc).strip().splitlines()[0][:120] if str(exc).strip() else ""
    return f"keyring error {type(exc).__name__}: {text}" if text else f"keyring error {type(exc).__name__}"


# ---- the fallback file ---------------------------------------------------------------------


def _read_key_file(data_dir: Path, filename: str = KEY_FILENAME) -> bytes | None:
    path = key_file_path(data_dir, filename)
    try:
        text = path.read_text(encoding="ascii")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise KeyFileError(f"cannot read device key file {path}: {exc}") from exc
    secret = _decode(text)
    if secret is None:
        raise KeyFileError(f"device key file {path} is damaged; make a new key")
    if stat.S_IMODE(path.stat().st_mode) & 0o077:
        path.chmod(0o600)
    return secret


def _write_key_file(data_dir: Path, secret: bytes, filename: str = KEY_FILENAME) -> Path:
    from tokenlens.config import DataDirError, ensure_data_dir

    path = key_file_path(data_dir, filename)
    try:
        ensure_data_dir(data_dir)
        tmp = path.with_name(f"{path.name}.{os.getpid()}-{threading.get_ident()}.tmp")
        tmp.unlink(missing_ok=True)
        fd = os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(_encode(secret) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except (OSError, DataDirError) as exc:
        raise KeyFileError(f"cannot write device key file {path}: {exc}") from exc
    return path


def _file_detail(path: Path, why: str | None) -> str:
    because = f" ({why})" if why else ""
    return f"file {path}, readable only by you; not protected by an OS keyring{because}"


# ---- what the rest of tokenlens calls -----------------------------------------------------


# The app builds previews in background jobs that may overlap: two of them making the key at
# once would each write a different one (and share a temp file name). One at a time.
_KEY_LOCK = threading.Lock()


def load_device_key(data_dir: Path, file_ok: bool = True) -> DeviceKey:
    with _KEY_LOCK:
        return _load_device_key(data_dir, file_ok)


def _load_device_key(data_dir: Path, file_ok: bool) -> DeviceKey:
    """The device key, made on first use. Prefers the keyring; moves a file key into it when
    a keyring has become available, so the pseudonym stays the same.

    `file_ok=False`: when the person dismissed the keyring's prompt, raise KeyringDeclined
    rather than make a key file they have not agreed to (the app asks them first)."""
    from_keyring, why = _keyring_get()
    if from_keyring is not None:
        return DeviceKey(from_keyring, "keyring", f"OS keyring ({backend_name()}), service {KEYRING_SERVICE!r}")
    from_file = _read_key_file(data_dir)
    if from_file is not None:
        if why is None:
            why = _keyring_store(from_file)
            if why is None:
                key_file_path(data_dir).unlink(missing_ok=True)
                return DeviceKey(from_file, "keyring", f"OS keyring ({backend_name()}), moved from the key file")
        return DeviceKey(from_file, "file", _file_detail(key_file_path(data_dir), why))
    if _declined is not None and not file_ok:
        raise KeyringDeclined(f"{_declined}, so no device key could be kept there")
    return _store_new(data_dir, secrets.token_bytes(KEY_BYTES), why)


def new_device_key(data_dir: Path, file_ok: bool = True) -> DeviceKey:
    """Replace the device key: later summaries get names unrelated to earlier ones."""
    with _KEY_LOCK:
        return _new_device_key(data_dir, file_ok)


def _new_device_key(data_dir: Path, file_ok: bool) -> DeviceKey:
    _, why = _keyring_get()
    if _declined is not None and not file_ok:
        raise KeyringDeclined(f"{_declined}, so no device key could be kept there")
    return _store_new(data_dir, secrets.token_bytes(KEY_BYTES), why)


def _store_new(data_dir: Path, secret: bytes, why: str | None) -> DeviceKey:
    if why is None:
        why = _keyring_store(secret)
    if why is None:
        key_file_path(data_dir).unlink(missing_ok=True)  # an older file key must not linger
        return DeviceKey(secret, "keyring", f"OS keyring ({backend_name()}), service {KEYRING_SERVICE!r}")
    _keyring_delete()  # an older key a half-working keyring still holds must not win next time
    path = _write_key_file(data_dir, secret)
    return DeviceKey(secret, "file", _file_detail(path, why))


def key_status(data_dir: Path) -> dict:
    """Where the key lives, without making one (doctor and the app's status line)."""
    from_keyring, why = _keyring_get()
    path = key_file_path(data_dir)
    if from_keyring is not None:
        location, message = "keyring", f"device key in the OS keyring ({backend_name()})"
    elif path.exists():
        location = "file"
        message = f"device key in {path} (0600), NOT protected by an OS keyring"
        if why:
            message += f": {why}"
    else:
        location = "none"
        message = "no device key yet; the first export makes one"
        if why:
            message += f" (no usable OS keyring: {why}; it will be a 0600 file in the data dir)"
    return {"location": location, "backend": backend_name(), "key_file": str(path), "message": message}


# ---- other 32-byte secrets kept the same way (the sync key, tokenlens/sync/keys.py) -------


@dataclass(frozen=True)
class StoredSecret:
    """Where a named secret lives: the keyring entry `username`, else the 0600 file `filename`."""

    username: str
    filename: str

    def load(self, data_dir: Path) -> DeviceKey | None:
        """The secret, from the keyring (moving a file copy into it once it works) or the
        file; None when neither holds it. KeyFileError when the file cannot be read."""
        with _KEY_LOCK:
            from_keyring, why = _keyring_get(self.username)
            if from_keyring is not None:
                return DeviceKey(from_keyring, "keyring", f"OS keyring ({backend_name()})")
            from_file = _read_key_file(data_dir, self.filename)
            if from_file is None:
                return None
            if why is None and _keyring_store(from_file, self.username) is None:
                key_file_path(data_dir, self.filename).unlink(missing_ok=True)
                return DeviceKey(from_file, "keyring", f"OS keyring ({backend_name()}), moved from the key file")
            return DeviceKey(from_file, "file", _file_detail(key_file_path(data_dir, self.filename), why))

    def store(self, data_dir: Path, secret: bytes) -> DeviceKey:
        """Keep `secret`: in the keyring when it really keeps it, else in the 0600 file."""
        with _KEY_LOCK:
            why = _keyring_store(secret, self.username)
            if why is None:
                key_file_path(data_dir, self.filename).unlink(missing_ok=True)
                return DeviceKey(secret, "keyring", f"OS keyring ({backend_name()})")
            _keyring_delete(self.username)
            path = _write_key_file(data_dir, secret, self.filename)
            return DeviceKey(secret, "file", _file_detail(path, why))

    def forget(self, data_dir: Path) -> None:
        with _KEY_LOCK:
            _keyring_delete(self.username)
            key_file_path(data_dir, self.filename).unlink(missing_ok=True)


def doctor_check(db, data_dir: Path, env) -> dict:
    """`tokenlens doctor`'s keyring line (called by tokenlens.status.doctor_report)."""
    return key_status(data_dir)
