"""One segment file: what a device adds to the synced folder each time it syncs.

`<folder>/tokenlens/<device-id>/seg-<seq, 8 digits>.tls`, written once and never changed:

    {"v": 1, "device": ID, "seq": N, "host": TAG, "created_ms": MS, "nonce": B64}\\n
    AES-256-GCM(key, nonce, zlib(JSON payload), associated data = that first line)
    \\n#tokenlens-end {"count": EVENTS, "bytes": CIPHERTEXT LENGTH, "sha256": HEX}\\n

The trailer's hash covers the header line and the ciphertext, so a file a sync engine has
only half delivered (no trailer yet, or fewer bytes than it says) is "incomplete" and read
later, and one changed on the way is "damaged". The header is the AEAD's associated data:
a segment moved into another device's folder, renumbered, or made with another key fails
authentication and is "rejected", never merged. A header with a newer `v` is "newer": kept,
not read, reported. Everything is written to a temp name, fsynced, then renamed into place
(without replacing anything), so a reader never sees a file being written under the real name.
Sync engines' conflict copies (`seg-00000003.sync-conflict-….tls`, `seg-00000003 (conflicted
copy).tls`, `seg-00000003~1.tls`) do not match the one accepted name and are ignored, counted.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import secrets
import zlib
from dataclasses import dataclass
from pathlib import Path

import orjson

FORMAT = 1
TRAILER = b"\n#tokenlens-end "
NAME_RE = re.compile(r"^seg-(\d{8})\.tls$")
DEVICE_ID_RE = re.compile(r"^[a-z2-7]{16}$")
TEMP_PREFIX = ".tmp-"


def segment_name(seq: int) -> str:
    return f"seg-{seq:08d}.tls"


def seq_of(name: str) -> int | None:
    m = NAME_RE.match(name)
    return int(m.group(1)) if m else None


@dataclass
class Segment:
    device: str
    seq: int
    host: str
    created_ms: int
    sha256: str
    payload: dict


@dataclass
class Unread:
    """A file in a device's folder that was not read, and why (one line)."""

    path: Path
    status: str  # "incomplete", "damaged", "rejected", "newer", "ignored"
    reason: str


class SegmentProblem(Exception):
    def __init__(self, status: str, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason


def encode(key: bytes, device: str, seq: int, host: str, created_ms: int, payload: dict) -> bytes:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = secrets.token_bytes(12)
    header = orjson.dumps({"v": FORMAT, "device": device, "seq": seq, "host": host, "created_ms": created_ms,
                           "nonce": base64.b64encode(nonce).decode()}) + b"\n"
    body = AESGCM(key).encrypt(nonce, zlib.compress(orjson.dumps(payload), 6), header)
    trailer = orjson.dumps({"count": len(payload.get("events", ())), "bytes": len(body),
                            "sha256": hashlib.sha256(header + body).hexdigest()})
    return header + body + TRAILER + trailer + b"\n"


def read_header(data: bytes) -> dict:
    """The plain header line; SegmentProblem when there is none (not a segment, or too short)."""
    end = data.find(b"\n")
    if end < 0:
        raise SegmentProblem("incomplete", "no header line yet (half-synced?)")
    try:
        header = orjson.loads(data[:end])
    except orjson.JSONDecodeError:
        raise SegmentProblem("rejected", "not a tokenlens segment (unreadable header)") from None
    if not isinstance(header, dict) or not isinstance(header.get("v"), int):
        raise SegmentProblem("rejected", "not a tokenlens segment (no format version)")
    if header["v"] > FORMAT:
        raise SegmentProblem("newer", f"made by a newer tokenlens (segment format {header['v']}); kept, not read")
    if not (isinstance(header.get("device"), str) and isinstance(header.get("seq"), int)
            and isinstance(header.get("host"), str) and isinstance(header.get("nonce"), str)
            and isinstance(header.get("created_ms"), int)):
        raise SegmentProblem("rejected", "not a tokenlens segment (header fields missing)")
    return header


def decode(key: bytes, data: bytes, device: str, seq: int) -> Segment:
    """The segment in `data`, expected to be `device`'s number `seq`; SegmentProblem if not."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    header = read_header(data)
    head_len = data.find(b"\n") + 1
    cut = data.rfind(TRAILER)
    if cut < head_len - 1 or not data.endswith(b"\n"):
        raise SegmentProblem("incomplete", "no end marker yet (half-synced or truncated); read when complete")
    try:
        trailer = orjson.loads(data[cut + len(TRAILER):-1])
        expected_bytes, count, digest = int(trailer["bytes"]), int(trailer["count"]), str(trailer["sha256"])
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        raise SegmentProblem("incomplete", "end marker unreadable (half-synced or truncated)") from None
    body = data[head_len:cut]
    if len(body) < expected_bytes:
        raise SegmentProblem("incomplete", f"{len(body)} of {expected_bytes} bytes (half-synced or truncated)")
    if len(body) != expected_bytes or hashlib.sha256(data[:head_len] + body).hexdigest() != digest:
        raise SegmentProblem("damaged", "its bytes do not match its end marker's hash (changed or corrupted)")
    if header["device"] != device or header["seq"] != seq:
        raise SegmentProblem("rejected", f"it says it is {header['device']}'s segment {header['seq']}, "
                             "not this folder's (moved or foreign)")
    try:
        nonce = base64.b64decode(header["nonce"], validate=True)
        plain = AESGCM(key).decrypt(nonce, body, data[:head_len])
        payload = orjson.loads(zlib.decompress(plain))
    except InvalidTag:
        raise SegmentProblem("rejected", "authentication failed: changed, or not made with this folder's key") from None
    except (ValueError, zlib.error, orjson.JSONDecodeError):
        raise SegmentProblem("rejected", "authenticated but unreadable (a bug in the writer?)") from None
    if not isinstance(payload, dict) or len(payload.get("events", ())) != count:
        raise SegmentProblem("rejected", "its event count differs from its end marker's")
    return Segment(device, seq, header["host"], header["created_ms"], digest, payload)


def write_new(folder: Path, seq: int, data: bytes) -> Path:
    """Put `data` in `folder` as segment `seq`: temp name, fsync, then a link into place that
    fails rather than replace a file already there (FileExistsError)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise NotADirectoryError(f"{folder} is not a folder") from None  # not a second claim: a stray file
    final = folder / segment_name(seq)
    tmp = folder / f"{TEMP_PREFIX}{segment_name(seq)}.{os.getpid()}"
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        _link_or_rename(tmp, final)
    finally:
        tmp.unlink(missing_ok=True)
    _fsync_dir(folder)
    return final


def _link_or_rename(tmp: Path, final: Path) -> None:
    try:
        os.link(tmp, final)
    except FileExistsError:
        raise
    except OSError:
        # Some synced file systems (FAT on a USB stick, some FUSE mounts) have no hard links.
        if final.exists():
            raise FileExistsError(final) from None
        os.replace(tmp, final)


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return  # Windows cannot open a directory; its rename is durable enough
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def list_folder(folder: Path) -> tuple[dict[int, Path], list[Unread]]:
    """The segments in one device's folder by number, and every other file there (conflict
    copies, strays), each named as ignored. Our own temp files are in progress, not named."""
    found: dict[int, Path] = {}
    others: list[Unread] = []
    try:
        entries = list(os.scandir(folder))
    except (FileNotFoundError, NotADirectoryError):
        return found, others
    for entry in entries:
        name = entry.name
        seq = seq_of(name)
        if seq is not None and entry.is_file():
            found[seq] = Path(entry.path)
        elif name.startswith(TEMP_PREFIX) or name.startswith(".syncthing.") or name.startswith("~syncthing~"):
            continue
        else:
            why = "a sync engine's conflict copy" if _looks_like_conflict(name) else "not a segment name"
            others.append(Unread(Path(entry.path), "ignored", f"{why}; never read, so never counted twice"))
    return found, others


def _looks_like_conflict(name: str) -> bool:
    lowered = name.lower()
    return ".sync-conflict-" in lowered or "conflicted copy" in lowered or re.search(r"~\d+(\.|$)", name) is not None
