"""One sync: send this device's new events as segments, read every other device's new ones.

The folder is the truth about what was sent. This device's next segment number is one past
the highest of its own segments found there or known to the ledger, so a ledger restored from
an old backup never writes over (or re-numbers) what it wrote since; its own segments the
ledger does not know are read back first (their events are then this device's again, and
marked sent, so nothing is sent twice and nothing whose logs are gone is lost). A ledger
rebuilt by `doctor --rebuild` keeps `sync_sent` and the event ids (store/salvage.py copies
every table), so it does not re-send either.

Two ledgers claiming the same device id (a data dir copied to another computer, or to
another place on this one) are told apart by the host tag in each segment's header, an HMAC
under the folder key of the machine id and the data dir's path: a device that finds a
segment with another tag in its own folder refuses to write there.

Imported events keep the id of the device they came from in `events.device`; the rollup, the
reports and the app count them like this device's own (store/rollup.py sums every event).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tokenlens.permissions.rules import RISK_LEVELS
from tokenlens.store import queries, rollup, writes
from tokenlens.store.writer import write_transaction
from tokenlens.sync import keys, segments
from tokenlens.sync.segments import SegmentProblem, Unread

SYNC_DIR = "tokenlens"
SEGMENT_EVENTS = 50_000  # events per segment: a first sync of a long history is several files
IMPORT_BATCH_SEGMENTS = 500  # segments read into the ledger per transaction


class SyncError(Exception):
    """Sync cannot go on (no folder, wrong passphrase, an id claimed twice); one line."""


class SyncPaused(SyncError):
    """The folder is not there or cannot be written: nothing lost, the next sync catches up."""


@dataclass
class SyncResult:
    folder: str
    device_id: str
    device_name: str
    created_folder: bool = False
    joined: bool = False
    key_detail: str = ""
    segments_written: int = 0
    events_sent: int = 0
    segments_read: int = 0
    events_added: int = 0
    restored_segments: int = 0
    resent_because_missing: int = 0  # own segments gone from the folder: all sent again
    paused: str | None = None  # why this device's new events were not sent this time
    unread: list[Unread] = field(default_factory=list)
    forgotten_skipped: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        counts: dict[str, int] = {}
        for u in self.unread:
            counts[u.status] = counts.get(u.status, 0) + 1
        return {
            "folder": self.folder, "device": {"id": self.device_id, "name": self.device_name},
            "created_folder": self.created_folder, "joined": self.joined, "key": self.key_detail,
            "segments_written": self.segments_written, "events_sent": self.events_sent,
            "segments_read": self.segments_read, "events_added": self.events_added,
            "restored_segments": self.restored_segments, "resent_because_missing": self.resent_because_missing,
            "paused": self.paused,
            "unread": [{"path": str(u.path), "status": u.status, "reason": u.reason} for u in self.unread],
            "unread_counts": counts, "forgotten_not_read": self.forgotten_skipped,
        }


def machine_id() -> str:
    """A stable id of this computer: systemd/D-Bus machine-id where there is one, else the
    MAC-derived node number Python knows (macOS, Windows)."""
    for candidate in ("/etc/machine-id", "/var/lib/dbus/machine-id"):
        try:
            value = Path(candidate).read_text(encoding="ascii").strip()
        except (OSError, UnicodeDecodeError):
            continue
        if value:
            return value
    import uuid

    return f"node-{uuid.getnode():012x}"


def host_tag(secret: bytes, data_dir: Path) -> str:
    where = f"{machine_id()}\0{os.path.realpath(data_dir)}".encode("utf-8", "surrogateescape")
    return hmac.new(secret, b"tokenlens/v1/sync/host\0" + where, hashlib.sha256).hexdigest()[:20]


def new_device_id() -> str:
    return base64.b32encode(secrets.token_bytes(10)).decode().lower()


def sync(db, data_dir: Path, *, folder: str | os.PathLike | None = None, ask: Callable[[bool], str | None],
         name: str | None = None, now_ms: int | None = None, new_device: bool = False) -> SyncResult:
    """Sync once. `folder`: set (or change) the synced folder; default the one set before.
    `ask(creating)`: the passphrase when no key is kept for the folder (None: there is none).
    `name`: what to call this device (first sync; later a rename). `new_device`: take a new
    device id (this ledger was moved or copied and its old id is refused): its events go out
    again under the new one, which the other devices count once; the old id stays a device
    like any other (for a copied data dir, it is the original's)."""
    now_ms = int(time.time() * 1000) if now_ms is None else now_ms
    config = queries.sync_config(db)
    if folder is None:
        if config is None:
            raise SyncError("no sync folder yet: run `tokenlens sync --folder DIR` with a folder your devices share")
        folder = config[0]
    base = Path(folder).expanduser()
    root = _sync_root(base)
    try:
        key, created = keys.folder_key(root, data_dir, ask)
    except keys.SyncKeyError as exc:
        raise SyncError(str(exc)) from None
    except OSError as exc:  # a read-only folder, a full disk: the first device cannot make sync.json
        raise SyncPaused(f"sync paused: cannot write to {root} ({exc.strerror or exc}); nothing is lost") from None
    device_id = _own_device_id(db, None if new_device else config, key, root)
    if new_device and config is not None:
        with write_transaction(db):
            writes.reset_sent(db)
    with write_transaction(db):
        writes.set_sync_config(db, str(base.resolve()), device_id, key.check, now_ms)
        writes.note_device(db, device_id, None, now_ms)
        if config is not None and config[1] != device_id and not new_device:
            writes.retire_own_id(db, config[1], device_id, now_ms)
        row = queries.device_row(db, device_id)
        if name:
            writes.set_local_name(db, device_id, name)
        elif not row[0] and not row[1]:
            writes.set_local_name(db, device_id, f"device {device_id[:6]}")
    name_row = queries.device_row(db, device_id)
    result = SyncResult(str(base), device_id, name_row[1] or name_row[0], created_folder=created,
                        joined=config is None and not created, key_detail=key.detail)
    tag = host_tag(key.secret, data_dir)
    own_dir = root / device_id
    _refuse_a_second_claim(own_dir, tag, device_id)
    _read_back_own(db, key.secret, own_dir, device_id, tag, now_ms, result)
    _resend_if_own_segments_went(db, own_dir, device_id, result)
    try:
        _send(db, key.secret, own_dir, device_id, tag, now_ms, result)
    except FileExistsError:
        raise SyncError(f"another ledger wrote into {own_dir} at the same moment: device id {device_id} "
                        "is claimed twice; this device stops syncing until that is resolved") from None
    except OSError as exc:
        result.paused = (f"cannot write to {own_dir} ({exc.strerror or exc}); this device's new usage stays "
                         "in its ledger and is sent by the next sync that can write")
    _read_others(db, key.secret, root, device_id, now_ms, result)
    return result


def _sync_root(base: Path) -> Path:
    if not base.is_dir():
        raise SyncPaused(f"sync paused: {base} is not there (unmounted, or not synced yet); nothing is lost, "
                         "the next sync catches up")
    root = base / SYNC_DIR
    try:
        root.mkdir(exist_ok=True)
    except OSError as exc:
        raise SyncPaused(f"sync paused: cannot create {root} ({exc.strerror or exc}); nothing is lost") from None
    return root


def _own_device_id(db, config, key: keys.FolderKey, root: Path) -> str:
    """This ledger's device id in the folder keyed by `key`. A ledger that synced before with
    another key (a new folder, one started over, or the loser of two first devices racing to
    make sync.json) takes a new id, its segments under the old key being unreadable now, and
    sends all its events again."""
    if config is not None and config[2] == key.check:
        return config[1]
    if config is not None:
        with write_transaction(db):
            writes.reset_sent(db)
    while True:
        device_id = new_device_id()
        if not (root / device_id).exists():
            return device_id


def _refuse_a_second_claim(own_dir: Path, tag: str, device_id: str) -> None:
    found, _ = segments.list_folder(own_dir)
    for _seq, path in sorted(found.items()):
        try:
            with open(path, "rb") as fh:
                header = segments.read_header(fh.read(4096))
        except (OSError, SegmentProblem):
            continue
        if header.get("host") != tag:
            raise SyncError(f"device id {device_id} is already used by another computer or data dir "
                            f"({path.name} is not this ledger's; a copied or moved data dir?): refused, nothing "
                            "written; `tokenlens sync --as-new-device` gives this one a new id")


def _read_back_own(db, secret: bytes, own_dir: Path, device_id: str, tag: str, now_ms: int,
                   result: SyncResult) -> None:
    """Own segments the ledger does not know (restored from an old backup): read them back."""
    found, strays = segments.list_folder(own_dir)
    result.unread.extend(strays)  # conflict copies of this device's own segments, say
    known = queries.known_segments(db, device_id)
    for seq in sorted(set(found) - known):
        decoded = _decode_file(secret, found[seq], device_id, seq, result)
        if decoded is None:
            continue
        segment, rows = decoded
        with write_transaction(db):
            writes.import_events(db, "", rows)
            writes.mark_sent(db, queries.sent_versions(db, [(r[0], r[1]) for r in rows]))
            writes.record_segment(db, device_id, seq, segment.sha256, len(rows), segment.created_ms)
            rollup.resum(db)
        result.restored_segments += 1


def _resend_if_own_segments_went(db, own_dir: Path, device_id: str, result: SyncResult) -> None:
    """Segments this device wrote that are gone from the folder (deleted there, or by a peer
    the deletion synced from): everything it has is sent again, under new numbers, so a device
    that joins later still gets all of it; the others count each event once anyway."""
    found, _ = segments.list_folder(own_dir)
    gone = queries.known_segments(db, device_id) - set(found)
    if gone:
        with write_transaction(db):
            writes.forget_sent(db)
        result.resent_because_missing = len(gone)


def _send(db, secret: bytes, own_dir: Path, device_id: str, tag: str, now_ms: int, result: SyncResult) -> None:
    """Write this device's unsent events (and its name and permission counts when they
    changed) as new segments. All in one ledger transaction: a scan that changes an event
    meanwhile waits, so no change slips between reading and marking sent; a failed write
    rolls everything back, to be sent next time."""
    with write_transaction(db):
        unsent = queries.own_unsent_events(db)
        known = queries.known_segments(db, device_id)
        found, _ = segments.list_folder(own_dir)
        name, local_name, _ = queries.device_row(db, device_id)
        perms = _own_permissions(db)
        published_perms = queries.device_permissions(db, device_id)
        first = not known and not found
        # Counts, not the scan's time: the app re-confirms permissions often, and an unchanged
        # posture must not make a segment each time.
        changed = bool(local_name) or (perms is not None and (published_perms is None
                                                               or perms[1:] != tuple(published_perms[1:])))
        if not unsent and not first and not changed:
            return
        seq = max(known | set(found) | {0})
        chunks = [unsent[i:i + SEGMENT_EVENTS] for i in range(0, len(unsent), SEGMENT_EVENTS)] or [[]]
        for chunk in chunks:
            seq += 1
            payload = {
                "device": {"name": local_name or name},
                "columns": list(queries.SYNC_EVENT_COLUMNS),
                "events": [list(r[1:]) for r in chunk],
                "permissions": None if perms is None else dict(zip(("scanned_ms", *RISK_LEVELS), perms, strict=True)),
                "limits": _limit_readings(db),
            }
            data = segments.encode(secret, device_id, seq, tag, now_ms, payload)
            segments.write_new(own_dir, seq, data)
            writes.record_segment(db, device_id, seq, _sha_of(data), len(chunk), now_ms)
            writes.mark_sent(db, [(r[0], r[17], r[3], r[14], r[19]) for r in chunk])
            result.segments_written += 1
            result.events_sent += len(chunk)
        writes.publish_own_name(db, device_id)
        writes.note_device(db, device_id, None, now_ms, now_ms)
        if perms is not None:
            writes.set_device_permissions(db, device_id, perms[0], perms[1:])


def _limit_readings(db) -> list:
    """HOOK for issue 17 (plan limits): the ledger keeps no limit readings yet. When it does,
    return them here as plain counts (tool, window, used, limit, reset time), and store the
    other devices' in `_read_device`; a segment's readers ignore keys they do not know, so
    filling this list needs no new segment format version."""
    return []


def _own_permissions(db) -> tuple | None:
    counts = queries.latest_perm_risk_counts(db)
    if counts is None:
        return None
    _, last_ms = queries.perm_scan_stats(db)
    return (last_ms, *counts)


def _sha_of(data: bytes) -> str:
    return hashlib.sha256(data[:data.rfind(segments.TRAILER)]).hexdigest()


def _read_others(db, secret: bytes, root: Path, device_id: str, now_ms: int, result: SyncResult) -> None:
    try:
        entries = sorted(os.scandir(root), key=lambda e: e.name)
    except OSError as exc:
        raise SyncPaused(f"sync paused: cannot read {root} ({exc.strerror or exc}); nothing is lost") from None
    for entry in entries:
        if entry.name == keys.SYNC_JSON or entry.name.startswith("."):
            continue
        if not (entry.is_dir() and segments.DEVICE_ID_RE.match(entry.name)):
            why = "a sync engine's conflict copy" if segments._looks_like_conflict(entry.name) else "not tokenlens's"
            result.unread.append(Unread(Path(entry.path), "ignored", f"{why}; never read"))
            continue
        if entry.name == device_id:
            continue
        _read_device(db, secret, Path(entry.path), entry.name, now_ms, result)


def _read_device(db, secret: bytes, folder: Path, device: str, now_ms: int, result: SyncResult) -> None:
    row = queries.device_row(db, device)
    if row is not None and row[2] is not None:
        result.forgotten_skipped.append(device)
        return
    found, others = segments.list_folder(folder)
    result.unread.extend(others)
    newest_known = max(queries.known_segments(db, device) | {0})
    batch: list[tuple[int, segments.Segment, list[tuple]]] = []
    for seq in sorted(set(found) - queries.known_segments(db, device)):
        decoded = _decode_file(secret, found[seq], device, seq, result)
        if decoded is None:
            continue
        batch.append((seq, *decoded))
        if len(batch) >= IMPORT_BATCH_SEGMENTS or sum(len(r) for _, _, r in batch) >= SEGMENT_EVENTS:
            _import_batch(db, device, batch, newest_known, now_ms, result)
            newest_known = max(newest_known, batch[-1][0])
            batch = []
    if batch:
        _import_batch(db, device, batch, newest_known, now_ms, result)


def _import_batch(db, device: str, batch: list, newest_known: int, now_ms: int, result: SyncResult) -> None:
    """Segments of one device in one transaction: a device that joins late reads hundreds of
    small segments, and a transaction (and a rollup re-sum) each would cost more than the rows."""
    with write_transaction(db):
        for seq, segment, rows in batch:
            newest = seq > newest_known  # an older segment arriving late has no say on the name
            newest_known = max(newest_known, seq)
            info = segment.payload.get("device")
            name = info.get("name") if isinstance(info, dict) else None
            writes.note_device(db, device, name if isinstance(name, str) and newest else None, now_ms,
                               segment.created_ms)
            result.events_added += writes.import_events(db, device, rows)
            perms = segment.payload.get("permissions")
            if newest and isinstance(perms, dict) and all(isinstance(perms.get(k), int) for k in RISK_LEVELS):
                writes.set_device_permissions(db, device, perms.get("scanned_ms"), tuple(perms[k] for k in RISK_LEVELS))
            writes.record_segment(db, device, seq, segment.sha256, len(rows), segment.created_ms)
        rollup.resum(db)
    result.segments_read += len(batch)


def _decode_file(secret: bytes, path: Path, device: str, seq: int, result: SyncResult):
    try:
        data = path.read_bytes()
    except OSError as exc:
        result.unread.append(Unread(path, "incomplete", f"cannot read it yet ({exc.strerror or exc})"))
        return None
    try:
        segment = segments.decode(secret, data, device, seq)
        return segment, _event_rows(segment)
    except SegmentProblem as problem:
        result.unread.append(Unread(path, problem.status, problem.reason))
        return None


def _event_rows(segment: segments.Segment) -> list[tuple]:
    """The segment's events as rows of this version's columns, by name: a segment of the same
    format from a version with more columns still reads (the extra ones are left out)."""
    columns = segment.payload.get("columns")
    events = segment.payload.get("events") or []
    if columns == list(queries.SYNC_EVENT_COLUMNS) and all(isinstance(e, list) and len(e) == len(columns)
                                                           for e in events):
        return [tuple(e) for e in events]
    index = {c: i for i, c in enumerate(columns or ())}
    missing = [c for c in queries.SYNC_EVENT_COLUMNS if c not in index]
    if missing or not all(isinstance(e, list) and len(e) == len(index) for e in events):
        raise SegmentProblem("rejected", f"its events lack the columns {', '.join(missing) or '(row lengths)'}")
    return [tuple(e[index[c]] for c in queries.SYNC_EVENT_COLUMNS) for e in events]
