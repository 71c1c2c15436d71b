"""Several devices through one synced folder (tokenlens/sync/): three data dirs with their own
real logs, synced in every order; the same events on two devices counted once; forget;
damaged, truncated, foreign, newer and conflict-copy segments; wrong passphrase; a copied
data dir; a ledger restored from an old backup or rebuilt; a vanished folder."""

from __future__ import annotations

import itertools
import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.sync_support import PASSPHRASE, Device
from tokenlens.cli import cli
from tokenlens.sync import segments
from tokenlens.sync.engine import SyncError, SyncPaused


@pytest.fixture(autouse=True)
def _file_keys(file_keys):
    pass


@pytest.fixture
def three(tmp_path: Path):
    devices = []
    for i, label in enumerate(("laptop", "desktop", "devbox")):
        d = Device(tmp_path / label, label)
        d.claude(f"2026-11-2{i + 1}", inp=100 * (i + 1), out=10 + i, cr=1000, cw=7)
        d.claude("2026-11-25", inp=3 + i, out=5000 * (i + 1))
        d.codex("2026-11-24", inp=2000 + i, cached=500, out=300)
        devices.append(d)
    yield devices
    for d in devices:
        d.close()


def own_dir(folder: Path, device) -> Path:
    from tokenlens.store.queries import sync_config

    return folder / "tokenlens" / sync_config(device.db)[1]


def test_three_devices_in_every_order_agree_on_the_sum(three, folder):
    expected = sum(d.expected_own for d in three)
    assert len({d.expected_own for d in three}) == 3  # three different histories
    for d in three:
        assert d.sync(folder).events_sent == 3
    for order in itertools.permutations(three):
        for d in order:
            d.sync(folder)
        for d in order:
            d.sync(folder)
            assert d.total() == expected, d.label
    # More usage on one device reaches the others; nothing counted twice on re-syncs.
    three[1].claude("2026-11-26", inp=1, out=2)
    expected += 3
    for order in itertools.permutations(three):
        for d in order:
            d.sync(folder)
    assert [d.total() for d in three] == [expected] * 3
    assert len({d.events() for d in three}) == 1


def test_deleted_logs_still_count_and_forget_removes_exactly_one_share(three, folder):
    laptop, desktop, devbox = three
    for _ in range(2):
        for d in three:
            d.sync(folder)
    expected = sum(d.expected_own for d in three)
    shutil.rmtree(desktop.home / ".claude")
    shutil.rmtree(desktop.home / ".codex")
    for d in three:
        d.sync(folder)
        assert d.total() == expected
    from tokenlens.store.queries import sync_config

    desktop_id = sync_config(desktop.db)[1]
    runner = CliRunner()
    result = runner.invoke(cli, ["--data-dir", str(laptop.data_dir), "devices", "forget", desktop_id])
    assert result.exit_code == 0, result.output
    assert laptop.total() == expected - desktop.expected_own
    assert laptop.total(devices=("",)) == laptop.expected_own
    laptop.sync(folder)  # a forgotten device's segments are not read again
    assert laptop.total() == expected - desktop.expected_own
    assert devbox.total() == expected


def test_report_by_device_and_device_filter(three, folder):
    for _ in range(2):
        for d in three:
            d.sync(folder, name=f"my {d.label}")
    laptop = three[0]
    runner = CliRunner()
    base = ["--data-dir", str(laptop.data_dir), "report", "monthly", "--json", "--no-scan", "--tz", "UTC"]
    out = json.loads(runner.invoke(cli, [*base, "--by", "device"]).output)
    by = {row["group"]: row["total_tokens"] for row in out["rows"]}
    assert by == {f"my {d.label}": d.expected_own for d in three}
    out = json.loads(runner.invoke(cli, [*base, "--device", "my desktop", "--device", "my devbox"]).output)
    assert out["totals"]["total_tokens"] == three[1].expected_own + three[2].expected_own
    bad = runner.invoke(cli, [*base, "--device", "nope"])
    assert bad.exit_code == 2 and "unknown device 'nope'" in bad.output
    listed = json.loads(runner.invoke(cli, ["--data-dir", str(laptop.data_dir), "devices", "--json"]).output)
    rows = {r["name"]: r for r in listed["devices"]}
    assert set(rows) == {"my laptop", "my desktop", "my devbox"}
    assert rows["my laptop"]["this_device"] and not rows["my devbox"]["this_device"]
    assert rows["my devbox"]["events"] == 3 and rows["my devbox"]["days_covered"] == 3


def test_export_counts_only_this_devices_usage(three, folder):
    from tokenlens.export.summary import Period, usage_figures

    for _ in range(2):
        for d in three:
            d.sync(folder)
    from datetime import date

    month = Period("month", "2026-11", date(2026, 11, 1), date(2026, 11, 30))
    assert usage_figures(three[0].db, month, "UTC")["total_tokens"] == three[0].expected_own
    everyone = sum(d.expected_own for d in three)
    assert usage_figures(three[0].db, month, "UTC", all_devices=True)["total_tokens"] == everyone
    runner = CliRunner()
    base = ["--data-dir", str(three[0].data_dir), "export", "--period", "2026-11", "--tz", "UTC", "--no-scan",
            "--preview"]
    own, everything = runner.invoke(cli, base), runner.invoke(cli, [*base, "--all-devices"])
    assert own.exit_code == 0 and everything.exit_code == 0, own.output + everything.output
    assert "covers this device only" in own.stderr and "covers all your devices" in everything.stderr
    assert "all of this person's devices" in json.loads(everything.stdout)["methodology"]
    assert "all of this person's devices" not in json.loads(own.stdout)["methodology"]


def test_same_events_on_two_devices_count_once(tmp_path, folder):
    a, b, c = (Device(tmp_path / n, n) for n in "abc")
    a.claude("2026-11-20", inp=100, out=1)
    a.codex("2026-11-20", inp=400, cached=0, out=4)
    shutil.copytree(a.home / ".claude", b.home / ".claude")  # a dotfiles repo syncs ~/.claude
    b.claude_file.parent.mkdir(parents=True, exist_ok=True)
    b.claude("2026-11-21", inp=20, out=2)
    shared = 101
    c.claude("2026-11-22", inp=7, out=7)
    for _ in range(2):
        for d in (a, b, c):
            d.sync(folder)
    expected = a.expected_own + b.expected_own + c.expected_own
    for d in (a, b, c):
        assert d.total() == expected
    # c got the shared event from a; forgetting a leaves it, since b has it too.
    from tokenlens.store import rollup, writes
    from tokenlens.store.queries import sync_config
    from tokenlens.store.writer import write_transaction

    with write_transaction(c.db):
        writes.forget_device(c.db, sync_config(a.db)[1], 0)
        rollup.resum(c.db)
    c.sync(folder)
    assert c.total() == shared + b.expected_own + c.expected_own  # a's codex usage (404) went
    assert a.expected_own - shared == 404
    for d in (a, b, c):
        d.close()


def test_truncated_flipped_moved_and_conflict_copies_are_named_and_ignored(tmp_path, folder):
    a, b = Device(tmp_path / "a", "a"), Device(tmp_path / "b", "b")
    a.claude("2026-11-20", inp=100, out=1)
    a.sync(folder)
    seg = own_dir(folder, a) / segments.segment_name(1)
    good = seg.read_bytes()

    seg.write_bytes(good[: len(good) // 2])  # half-synced
    result = b.sync(folder)
    assert [(u.path, u.status) for u in result.unread] == [(seg, "incomplete")]
    assert b.total() == 0

    flipped = bytearray(good)
    flipped[len(good) // 3] ^= 0x04
    seg.write_bytes(bytes(flipped))
    assert [(u.path, u.status) for u in b.sync(folder).unread] == [(seg, "damaged")]

    # Changed and re-hashed (so only the authentication can tell): rejected, never merged.
    header_end = good.index(b"\n") + 1
    cut = good.rindex(segments.TRAILER)
    body = bytearray(good[header_end:cut])
    body[5] ^= 0x01
    import hashlib

    trailer = json.loads(good[cut + len(segments.TRAILER):-1])
    trailer["sha256"] = hashlib.sha256(good[:header_end] + bytes(body)).hexdigest()
    seg.write_bytes(good[:header_end] + bytes(body) + segments.TRAILER + json.dumps(trailer).encode() + b"\n")
    problems = b.sync(folder).unread
    assert [(u.status, "authentication failed" in u.reason) for u in problems] == [("rejected", True)]
    assert b.total() == 0

    seg.write_bytes(good)
    conflicts = ["seg-00000001.sync-conflict-20261201-101010-ABCDEFG.tls", "seg-00000001 (conflicted copy).tls",
                 "seg-00000001~1.tls"]
    for name in conflicts:
        (seg.parent / name).write_bytes(good)
    (seg.parent / segments.segment_name(2)).write_bytes(good)  # renumbered copy: seq is authenticated
    result = b.sync(folder)
    assert b.total() == 101
    assert sorted(u.path.name for u in result.unread if u.status == "ignored") == sorted(conflicts)
    assert [(u.path.name, u.status) for u in result.unread if u.status != "ignored"] == [
        (segments.segment_name(2), "rejected")]
    b.sync(folder)
    assert b.total() == 101
    a.close()
    b.close()


def test_a_segment_from_a_newer_version_is_kept_not_read_and_reported(tmp_path, folder):
    a, b = Device(tmp_path / "a", "a"), Device(tmp_path / "b", "b")
    a.claude("2026-11-20", inp=100, out=1)
    a.sync(folder)
    future = own_dir(folder, a) / segments.segment_name(2)
    future.write_bytes(json.dumps({"v": 2, "device": own_dir(folder, a).name, "seq": 2}).encode() + b"\nrest")
    result = b.sync(folder)
    assert [(u.path, u.status) for u in result.unread] == [(future, "newer")]
    assert future.exists() and b.total() == 101
    a.close()
    b.close()


def test_wrong_passphrase_is_one_line_and_writes_nothing(tmp_path, folder, monkeypatch):
    a, b = Device(tmp_path / "a", "a"), Device(tmp_path / "b", "b")
    a.claude("2026-11-20", inp=100, out=1)
    a.sync(folder)
    before = sorted(p.relative_to(folder) for p in folder.rglob("*"))
    with pytest.raises(SyncError, match="wrong passphrase"):
        b.sync(folder, passphrase="not it")
    assert b.db.execute("SELECT COUNT(*) FROM sync_config").fetchone()[0] == 0
    b.close()
    monkeypatch.setenv("HOME", str(b.home))
    monkeypatch.setenv("TOKENLENS_SYNC_PASSPHRASE", "still not it")
    result = CliRunner().invoke(cli, ["--data-dir", str(b.data_dir), "sync", "--folder", str(folder)])
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0 and "wrong passphrase" in result.output
    assert sorted(p.relative_to(folder) for p in folder.rglob("*")) == before
    passfile = tmp_path / "pass.txt"
    passfile.write_text(PASSPHRASE + "\n")
    monkeypatch.delenv("TOKENLENS_SYNC_PASSPHRASE")
    result = CliRunner().invoke(cli, ["--data-dir", str(b.data_dir), "sync", "--passphrase-file", str(passfile),
                                      "--folder", str(folder), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["joined"] is True
    a.close()


def test_a_copied_data_dir_claiming_the_same_id_is_refused(tmp_path, folder):
    a = Device(tmp_path / "a", "a")
    a.claude("2026-11-20", inp=100, out=1)
    a.sync(folder)
    a.close()
    clone = Device.__new__(Device)
    shutil.copytree(tmp_path / "a", tmp_path / "clone")
    Device.__init__(clone, tmp_path / "clone", "a")
    clone.claude("2026-11-21", inp=5, out=5)
    listing = sorted(own_dir(folder, clone).iterdir())
    with pytest.raises(SyncError, match="already used by another computer or data dir"):
        clone.sync(folder)
    assert sorted(own_dir(folder, clone).iterdir()) == listing
    a.open()
    a.claude("2026-11-22", inp=1, out=1)
    assert a.sync(folder).segments_written == 1
    # The clone takes an id of its own; the original's usage still counts once everywhere.
    result = clone.sync(folder, new_device=True, name="the clone")
    assert result.device_id != own_dir(folder, a).name and result.events_sent == 2
    a.sync(folder)
    assert a.total() == clone.total() == 113
    from tokenlens.store.queries import devices_overview

    seen = {(r["name"], r["this_device"], r["forgotten_ms"] is not None) for r in devices_overview(clone.db)}
    assert ("the clone", True, False) in seen and len([s for s in seen if not s[2]]) == 2
    a.close()
    clone.close()


def test_a_ledger_restored_from_an_old_backup_neither_resends_nor_loses(tmp_path, folder):
    a, b = Device(tmp_path / "a", "a"), Device(tmp_path / "b", "b")
    a.claude("2026-11-20", inp=100, out=1)
    a.sync(folder)
    backup = tmp_path / "backup.db"
    with sqlite3.connect(backup) as dst:
        a.db.conn.backup(dst)
    a.codex("2026-11-21", inp=50, cached=0, out=5)  # its logs go before the restore
    assert a.sync(folder).events_sent == 1
    a.close()
    shutil.rmtree(a.home / ".codex")
    for suffix in ("", "-wal", "-shm"):
        (a.data_dir / f"ledger.db{suffix}").unlink(missing_ok=True)
    shutil.copy(backup, a.data_dir / "ledger.db")
    a.open()
    assert a.total() == 101
    result = a.sync(folder)
    assert result.restored_segments == 1 and result.segments_written == 0 and result.events_sent == 0
    assert a.total() == 156
    a.claude("2026-11-22", inp=1, out=1)
    assert a.sync(folder).segments_written == 1
    assert sorted(p.name for p in own_dir(folder, a).iterdir()) == [segments.segment_name(i) for i in (1, 2, 3)]
    b.sync(folder)
    assert b.total() == 158
    a.close()
    b.close()


def test_a_rebuilt_ledger_does_not_resend(tmp_path, folder):
    from tokenlens.status import rebuild

    a = Device(tmp_path / "a", "a")
    a.claude("2026-11-20", inp=100, out=1)
    a.codex("2026-11-21", inp=50, cached=0, out=5)
    assert a.sync(folder).events_sent == 2
    a.close()
    a.db, _ = rebuild(a.data_dir, a.env)
    result = a.sync(folder)
    assert (result.events_sent, result.segments_written) == (0, 0)
    assert a.total() == 156
    a.close()


def test_a_vanished_folder_pauses_and_loses_nothing(tmp_path, folder):
    a, b = Device(tmp_path / "a", "a"), Device(tmp_path / "b", "b")
    a.claude("2026-11-20", inp=100, out=1)
    a.sync(folder)
    moved = tmp_path / "unmounted"
    folder.rename(moved)
    a.claude("2026-11-21", inp=10, out=1)
    with pytest.raises(SyncPaused, match="is not there"):
        a.sync(None)
    moved.rename(folder)
    assert a.sync(None).events_sent == 1
    b.sync(folder)
    assert b.total() == 112
    a.close()
    b.close()


def test_an_unwritable_own_folder_pauses_sending_but_still_reads(tmp_path, folder):
    a, b = Device(tmp_path / "a", "a"), Device(tmp_path / "b", "b")
    a.claude("2026-11-20", inp=100, out=1)
    b.claude("2026-11-20", inp=7, out=1)
    a.sync(folder)
    b.sync(folder)
    own = own_dir(folder, a)
    shutil.rmtree(own)
    own.write_text("a stray file where the device folder was")  # as a read-only mount fails: no write
    a.claude("2026-11-21", inp=10, out=1)
    result = a.sync(folder)
    assert result.paused and "sent by the next sync" in result.paused
    assert result.segments_read == 1 and a.total() == 120
    own.unlink()
    result = a.sync(folder)
    # Its first segment went with the folder: everything is sent again, so a newcomer gets it.
    assert (result.events_sent, result.resent_because_missing, result.paused) == (2, 1, None)
    b.sync(folder)
    assert b.total() == 120
    c = Device(tmp_path / "c", "c")
    c.sync(folder)
    assert c.total() == 120
    c.close()
    a.close()
    b.close()


def test_clock_skew_of_hours_changes_nothing(tmp_path, folder):
    a, b = Device(tmp_path / "a", "a"), Device(tmp_path / "b", "b")
    a.claude("2026-11-20", inp=100, out=1)
    b.claude("2026-11-20", inp=5, out=1)
    now = 1_795_000_000_000
    a.sync(folder, now_ms=now)
    b.sync(folder, now_ms=now - 9 * 3_600_000)  # b's clock is 9 hours behind
    a.claude("2026-11-21", inp=1, out=1)
    a.sync(folder, now_ms=now - 20 * 3_600_000)  # and a's jumps back further
    b.sync(folder, now_ms=now - 9 * 3_600_000)
    a.sync(folder, now_ms=now)
    assert a.total() == b.total() == 109
    a.close()
    b.close()


def test_segments_hold_counts_not_content(tmp_path, folder):
    from tests.logs import CANARY
    from tokenlens.sync import keys

    a = Device(tmp_path / "a", "a")
    a.claude("2026-11-20", inp=100, out=1)
    a.sync(folder)
    data = (own_dir(folder, a) / segments.segment_name(1)).read_bytes()
    assert CANARY.encode() not in data and b"claude" not in data  # encrypted
    secret = keys.stored(json.loads((folder / "tokenlens/sync.json").read_text())["check"]).load(a.data_dir).secret
    plain = segments.decode(secret, data, own_dir(folder, a).name, 1)
    assert CANARY not in json.dumps(plain.payload)
    assert plain.payload["events"][0][0] == "claude-code"
    a.close()


def test_permission_counts_and_names_travel_and_rename_applies(tmp_path, folder, monkeypatch):
    from tokenlens.store import writes
    from tokenlens.store.queries import sync_config
    from tokenlens.store.writer import write_transaction

    a, b = Device(tmp_path / "a", "a"), Device(tmp_path / "b", "b")
    with write_transaction(a.db):
        writes.insert_perm_scan(a.db, 1_795_000_000_000, 9, (2, 3, 1, 3), "[]")
    a.sync(folder, name="work laptop")
    b.sync(folder)
    a_id = sync_config(a.db)[1]
    runner = CliRunner()

    def listed(device):
        out = runner.invoke(cli, ["--data-dir", str(device.data_dir), "devices", "--json"])
        assert out.exit_code == 0, out.output
        return {r["id"]: r for r in json.loads(out.stdout)["devices"]}

    with write_transaction(a.db):  # a rescan finds the same posture: no new segment for it
        writes.confirm_perm_scan(a.db, 1, 1_795_000_900_000, "[]")
    assert a.sync(folder).segments_written == 0
    row = listed(b)[a_id]
    assert row["name"] == "work laptop" and row["this_device"] is False
    assert row["permissions"] == {"scanned_ms": 1_795_000_000_000, "high": 2, "medium": 3, "low": 1, "info": 3}
    assert listed(b)[sync_config(b.db)[1]]["name"].startswith("device ")  # not the hostname
    # Renaming this device reaches the others at its next sync; renaming another stays local.
    assert runner.invoke(cli, ["--data-dir", str(a.data_dir), "devices", "rename", a_id, "old laptop"]).exit_code == 0
    a.sync(folder)
    b.sync(folder)
    assert listed(b)[a_id]["name"] == "old laptop"
    b_id = sync_config(b.db)[1]
    assert runner.invoke(cli, ["--data-dir", str(a.data_dir), "devices", "rename", b_id, "the box"]).exit_code == 0
    assert listed(a)[b_id]["name"] == "the box"
    bad = runner.invoke(cli, ["--data-dir", str(a.data_dir), "devices", "forget", "nosuchdevice"])
    assert bad.exit_code == 2 and "unknown device id" in bad.output
    own = runner.invoke(cli, ["--data-dir", str(a.data_dir), "devices", "forget", a_id])
    assert own.exit_code == 2 and "this device" in own.output
    a.close()
    b.close()


def test_sync_cli_first_needs_a_folder_and_a_passphrase(tmp_path, folder, monkeypatch):
    d = Device(tmp_path / "d", "d")
    d.close()
    monkeypatch.setenv("HOME", str(d.home))
    monkeypatch.delenv("TOKENLENS_SYNC_PASSPHRASE", raising=False)
    runner = CliRunner()
    base = ["--data-dir", str(d.data_dir), "sync"]
    result = runner.invoke(cli, base)
    assert result.exit_code == 2 and "no sync folder yet" in result.output
    result = runner.invoke(cli, [*base, "--folder", str(folder)])
    assert result.exit_code == 2 and "needs a passphrase" in result.output
    assert not (folder / "tokenlens" / "sync.json").exists()
    monkeypatch.setenv("TOKENLENS_SYNC_PASSPHRASE", PASSPHRASE)
    result = runner.invoke(cli, [*base, "--folder", str(folder), "--name", "home desktop"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"created {folder} as 'home desktop'")
    monkeypatch.delenv("TOKENLENS_SYNC_PASSPHRASE")
    result = runner.invoke(cli, base)  # the folder and the key are remembered
    assert result.exit_code == 0, result.output
    assert (d.data_dir / "ledger.db").exists()
    key_files = list(d.data_dir.glob("sync-key-*"))
    assert len(key_files) == 1 and (key_files[0].stat().st_mode & 0o077) == 0
    assert PASSPHRASE not in key_files[0].read_text()


def test_an_event_imported_first_becomes_this_devices_own_when_its_logs_hold_it(tmp_path, folder):
    from tokenlens.store import rollup, writes
    from tokenlens.store.queries import sync_config
    from tokenlens.store.writer import write_transaction

    a, b = Device(tmp_path / "a", "a"), Device(tmp_path / "b", "b")
    a.claude("2026-11-20", inp=100, out=1)
    a.sync(folder)
    b.sync(folder)
    assert b.total() == 101 and b.total(devices=("",)) == 0
    shutil.copytree(a.home / ".claude", b.home / ".claude")  # later, ~/.claude is copied over
    b.sync(folder)
    assert b.total() == 101 and b.total(devices=("",)) == 101  # once, and now b's own
    with write_transaction(b.db):
        writes.forget_device(b.db, sync_config(a.db)[1], 0)
        rollup.resum(b.db)
    assert b.total() == 101
    a.close()
    b.close()


def test_a_folder_started_over_with_a_new_key_gets_everything_again_under_a_new_id(tmp_path, folder):
    a, b = Device(tmp_path / "a", "a"), Device(tmp_path / "b", "b")
    a.claude("2026-11-20", inp=100, out=1)
    first = a.sync(folder)
    shutil.rmtree(folder / "tokenlens")  # the person starts the folder over, another passphrase
    second = a.sync(folder, passphrase="a new one")
    assert second.created_folder and second.device_id != first.device_id and second.events_sent == 1
    assert second.device_name == first.device_name
    b.sync(folder, passphrase="a new one")
    assert b.total() == 101
    a.close()
    b.close()


@pytest.mark.parametrize(("content", "message"), [
    (b'{"format": 2, "kdf": {}}', "newer tokenlens"),
    (b'{"format": 1, "kd', "not valid JSON"),
    (b'{"format": 1, "kdf": {"name": "scrypt", "n": 1073741824, "r": 8, "p": 1, "salt": "AA=="}, "check": "x"}',
     "damaged"),
])
def test_an_unusable_sync_json_is_one_line_and_nothing_is_written(tmp_path, folder, content, message):
    d = Device(tmp_path / "d", "d")
    (folder / "tokenlens").mkdir()
    (folder / "tokenlens" / "sync.json").write_bytes(content)
    with pytest.raises(SyncError, match=message):
        d.sync(folder)
    assert [p.name for p in (folder / "tokenlens").iterdir()] == ["sync.json"]
    d.close()
