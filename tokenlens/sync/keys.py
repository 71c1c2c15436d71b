"""The key every device of one synced folder shares, and `<folder>/tokenlens/sync.json`.

The first device makes a random salt, derives a 32-byte key from the person's passphrase
with scrypt (memory-hard: N=2**17, r=8, p=1, 128 MiB, pyca/cryptography's
`cryptography.hazmat.primitives.kdf.scrypt.Scrypt`) and writes the salt, the parameters and a
key check (HMAC-SHA256 of a fixed label under the key) into sync.json. A later device joins
with the same passphrase: the check says at once whether it is right, before anything is
written. The derived key (never the passphrase) is then kept like the export key
(tokenlens/export/keys.py: OS keyring, read back; else a 0600 file in the data dir).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import orjson

from tokenlens.export.keys import DeviceKey, KeyFileError, StoredSecret

FORMAT = 1
SYNC_JSON = "sync.json"
KEY_BYTES = 32
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**17, 8, 1
MAX_SCRYPT_N = 2**20  # a sync.json asking for more is not ours (or an attempt to exhaust memory)
CHECK_LABEL = b"tokenlens/v1/sync/key-check"
PASSPHRASE_ENV = "TOKENLENS_SYNC_PASSPHRASE"


class SyncKeyError(Exception):
    """No usable key: wrong or missing passphrase, unreadable sync.json; one line."""


@dataclass(frozen=True)
class FolderKey:
    secret: bytes
    check: str  # the key check of sync.json, which names this key
    detail: str  # where it is kept, for the person


def stored(check: str) -> StoredSecret:
    """The keyring entry / key file of the key whose check is `check` (one per folder key)."""
    short = check[:16].replace("/", "_").replace("+", "-")
    return StoredSecret(f"sync-key-{short}", f"sync-key-{short}")


def key_check(secret: bytes) -> str:
    return base64.b64encode(hmac.new(secret, CHECK_LABEL, hashlib.sha256).digest()).decode()


def derive(passphrase: str, params: dict) -> bytes:
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    salt = base64.b64decode(params["salt"])
    kdf = Scrypt(salt=salt, length=KEY_BYTES, n=params["n"], r=params["r"], p=params["p"])
    return kdf.derive(passphrase.encode("utf-8"))


def read_sync_json(root: Path) -> dict | None:
    """The folder's sync.json, None when there is none yet; SyncKeyError when unusable."""
    path = root / SYNC_JSON
    try:
        data = orjson.loads(path.read_bytes())
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise SyncKeyError(f"cannot read {path}: {exc.strerror or exc}") from None
    except orjson.JSONDecodeError:
        raise SyncKeyError(f"{path} is not valid JSON (damaged, or half-synced: try again later)") from None
    if not isinstance(data, dict) or not isinstance(data.get("format"), int):
        raise SyncKeyError(f"{path} is not a tokenlens sync file")
    if data["format"] > FORMAT:
        raise SyncKeyError(f"{path} was made by a newer tokenlens (format {data['format']}); update tokenlens")
    kdf = data.get("kdf")
    if (not isinstance(kdf, dict) or kdf.get("name") != "scrypt" or not isinstance(data.get("check"), str)
            or not all(isinstance(kdf.get(k), int) and kdf[k] > 0 for k in ("n", "r", "p"))
            or kdf["n"] > MAX_SCRYPT_N or not isinstance(kdf.get("salt"), str)):
        raise SyncKeyError(f"{path} is damaged (no usable key parameters)")
    return data


def create_sync_json(root: Path, passphrase: str) -> tuple[dict, bytes]:
    """Make the folder's key. Linked into place, never renamed over: when two devices start
    the same folder at once, the second finds the first's file and joins it instead."""
    params = {"name": "scrypt", "n": SCRYPT_N, "r": SCRYPT_R, "p": SCRYPT_P,
              "salt": base64.b64encode(secrets.token_bytes(16)).decode()}
    secret = derive(passphrase, params)
    data = {"format": FORMAT, "kdf": params, "cipher": "AES-256-GCM", "check": key_check(secret)}
    path = root / SYNC_JSON
    tmp = root / f".{SYNC_JSON}.{os.getpid()}.tmp"
    with open(tmp, "wb") as fh:
        fh.write(orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS))
        fh.flush()
        os.fsync(fh.fileno())
    try:
        os.link(tmp, path)
    except FileExistsError:
        return {}, b""
    finally:
        tmp.unlink(missing_ok=True)
    return data, secret


def passphrase_from(env: dict, passphrase_file: str | None) -> str | None:
    """--passphrase-file FILE (its first line), else $TOKENLENS_SYNC_PASSPHRASE, else None."""
    if passphrase_file:
        try:
            text = Path(passphrase_file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise SyncKeyError(f"cannot read passphrase file {passphrase_file}: {exc}") from None
        value = text.splitlines()[0] if text.splitlines() else ""
    else:
        value = env.get(PASSPHRASE_ENV) or ""
    if passphrase_file and not value:
        raise SyncKeyError(f"passphrase file {passphrase_file} is empty")
    return value or None


def folder_key(root: Path, data_dir: Path, ask) -> tuple[FolderKey, bool]:
    """The folder's key and whether this call created the folder's sync.json.

    `ask(creating)`: the passphrase, or None when there is none to be had. A key kept from an
    earlier sync is used without asking; one whose check differs from sync.json (the folder
    was reset with another passphrase) is not."""
    data = read_sync_json(root)
    if data is not None:
        kept = _kept_key(data_dir, data["check"])
        if kept is not None:
            return kept, False
        passphrase = ask(False)
        if passphrase is None:
            raise SyncKeyError(f"{root} needs its passphrase: --passphrase-file FILE or ${PASSPHRASE_ENV}")
        secret = derive(passphrase, data["kdf"])
        if not hmac.compare_digest(key_check(secret), data["check"]):
            raise SyncKeyError(f"wrong passphrase for {root}; nothing was written")
        return _keep(data_dir, secret, data["check"]), False
    passphrase = ask(True)
    if passphrase is None:
        raise SyncKeyError(f"a new sync folder needs a passphrase: --passphrase-file FILE or ${PASSPHRASE_ENV}")
    created, secret = create_sync_json(root, passphrase)
    if not created:  # another device made it meanwhile: join that one
        return folder_key(root, data_dir, ask)
    return _keep(data_dir, secret, created["check"]), True


def _kept_key(data_dir: Path, check: str) -> FolderKey | None:
    try:
        key = stored(check).load(data_dir)
    except KeyFileError:
        return None  # a damaged key file: the passphrase makes it again
    if key is None or not hmac.compare_digest(key_check(key.secret), check):
        return None
    return FolderKey(key.secret, check, key.detail)


def _keep(data_dir: Path, secret: bytes, check: str) -> FolderKey:
    try:
        where: DeviceKey = stored(check).store(data_dir, secret)
    except KeyFileError as exc:
        raise SyncKeyError(str(exc)) from None
    return FolderKey(secret, check, where.detail)
