"""Plan-window readings travel through the synced folder (issue 18 on issue 17's readings):
each device's Codex readings (real rollouts, tests/logs.py) go out in its segments, come into
the other devices' ledgers once, kept apart per device, shown by `limits` under the device's
name, and leave again with `devices forget`; segments hold counts, not content."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.logs import CANARY
from tests.sync_support import Device
from tokenlens.cli import cli
from tokenlens.limits import window_states
from tokenlens.store import queries
from tokenlens.sync import keys, segments
from tokenlens.sync.engine import host_tag

READING_AT_MS = 1_795_510_802_000  # 2026-11-24T09:00:02Z, when Device.codex's reading is taken


@pytest.fixture(autouse=True)
def _file_keys(file_keys):
    pass


@pytest.fixture
def pair(tmp_path: Path):
    a, b = Device(tmp_path / "a", "a"), Device(tmp_path / "b", "b")
    # The same day and shape on both: one window each, the same reading.
    a.codex("2026-11-24", inp=2000, cached=500, out=300)
    b.codex("2026-11-24", inp=1000, cached=0, out=100)
    yield a, b
    a.close()
    b.close()


def device_id(device) -> str:
    return queries.sync_config(device.db)[1]


def imported(device, source_id: str) -> list[tuple]:
    conn = sqlite3.connect(device.data_dir / "ledger.db")
    try:
        return conn.execute("SELECT tool, account, window, used_percent, observed_at_ms FROM device_limit_readings"
                            " WHERE device = ? ORDER BY observed_at_ms", [source_id]).fetchall()
    finally:
        conn.close()


def own_readings(device) -> list[tuple]:
    return [(r["tool"], r["account"], r["window"], r["used_percent"], r["observed_at_ms"])
            for r in queries.latest_limit_readings(device.db)]


def limits_json(device) -> list[dict]:
    out = CliRunner().invoke(cli, ["--data-dir", str(device.data_dir), "limits", "--json", "--no-scan"])
    assert out.exit_code == 0, out.output
    return json.loads(out.stdout)["limits"]


def test_readings_are_sent_imported_once_kept_apart_and_forgotten(pair, folder):
    a, b = pair
    sent = a.sync(folder, name="work laptop")
    a_own = own_readings(a)
    assert len(a_own) == 1 and sent.limits_sent == queries.limit_reading_count(a.db) == 1
    got = b.sync(folder)
    assert got.limits_added == 1 and got.limits_skipped == 0
    assert imported(b, device_id(a)) == a_own
    # b's own windows are still b's alone.
    b_own = own_readings(b)
    assert b_own == [("codex", b_own[0][1], "5h", 12.0, READING_AT_MS)] and b_own[0][1] != a_own[0][1]
    assert queries.limit_reading_count(b.db) == 1

    # Nothing new on a: no new segment, nothing sent again; b reads nothing twice.
    again = a.sync(folder)
    assert again.segments_written == 0 and again.limits_sent == 0
    assert b.sync(folder).limits_added == 0
    # b reading all of a's segments again (as after forgetting a third device) adds nothing.
    conn = sqlite3.connect(b.data_dir / "ledger.db")
    conn.execute("DELETE FROM sync_segments WHERE device = ?", [device_id(a)])
    conn.commit()
    conn.close()
    reread = b.sync(folder)
    assert reread.segments_read >= 1 and reread.limits_added == 0
    assert len(imported(b, device_id(a))) == 1

    # `limits` lists both windows: b's own unlabelled, a's under a's name.
    windows = limits_json(b)
    assert sorted((w["device"] or "", w["tool"], w["window"]) for w in windows) == [
        ("", "codex", "5h"), ("work laptop", "codex", "5h")]
    states = window_states(b.db, READING_AT_MS + 60_000, with_devices=True)
    assert [(s.device, s.used_percent, s.state) for s in states] == [("", 12.0, "current"),
                                                                     ("work laptop", 12.0, "current")]
    text = CliRunner().invoke(cli, ["--data-dir", str(b.data_dir), "limits", "--no-scan"]).output
    assert "[work laptop] codex" in text
    # The status line and the app's alerts stay this device's.
    assert [s.device for s in window_states(b.db, READING_AT_MS + 60_000)] == [""]

    # A new reading on a reaches b; then forgetting a removes exactly what a brought.
    a.codex("2026-11-25", inp=10, cached=0, out=1)
    assert a.sync(folder).limits_sent == 1
    assert b.sync(folder).limits_added == 1 and len(imported(b, device_id(a))) == 2
    forget = CliRunner().invoke(cli, ["--data-dir", str(b.data_dir), "devices", "forget", device_id(a)])
    assert forget.exit_code == 0, forget.output
    assert imported(b, device_id(a)) == []
    assert own_readings(b) == b_own
    assert [w["device"] for w in limits_json(b)] == [None]
    b.sync(folder)  # a forgotten device's segments are not read again
    assert imported(b, device_id(a)) == []


def test_calibration_counts_only_the_windows_own_device(pair, folder):
    a, b = pair
    a.sync(folder)
    b.sync(folder)
    a_tokens = sum(r[1] for r in queries.tokens_per_model_between(b.db, "codex", 0, 1 << 62, device_id(a)))
    b_tokens = sum(r[1] for r in queries.tokens_per_model_between(b.db, "codex", 0, 1 << 62))
    assert (a_tokens, b_tokens) == (2300, 1100)  # fresh + cached input + output of each device


def segment_key(device, folder: Path) -> tuple[bytes, str]:
    check = json.loads((folder / "tokenlens/sync.json").read_text())["check"]
    secret = keys.stored(check).load(device.data_dir).secret
    return secret, host_tag(secret, device.data_dir)


def test_segments_carry_counts_not_content(pair, folder):
    a, _ = pair
    a.sync(folder)
    secret, _ = segment_key(a, folder)
    own = folder / "tokenlens" / device_id(a)
    plain = segments.decode(secret, (own / segments.segment_name(1)).read_bytes(), device_id(a), 1)
    (reading,) = plain.payload["limits"]
    assert set(reading) == set(queries.SYNC_LIMIT_COLUMNS)
    assert CANARY not in json.dumps(plain.payload)
    assert all(isinstance(reading[k], (int, float)) for k in ("observed_at_ms", "last_seen_ms", "used_percent"))
    assert reading["tool"] == "codex" and reading["window"] == "5h" and reading["used_percent"] == 12.0


def test_unusable_readings_are_skipped_and_counted_and_old_segments_still_read(pair, folder):
    a, b = pair
    a.sync(folder)
    secret, tag = segment_key(a, folder)
    own = folder / "tokenlens" / device_id(a)
    good = {"tool": "claude-code", "account": "~/.claude", "window": "7d", "window_minutes": 10080,
            "reading_key": "1796000000:40", "observed_at_ms": READING_AT_MS, "last_seen_ms": READING_AT_MS,
            "used_percent": 40, "resets_at_ms": 1_796_000_000_000, "plan": None, "source": "claude-statusline",
            "a_field_from_a_newer_version": 1}
    bad = [dict(good, used_percent=140), {k: v for k, v in good.items() if k != "tool"},
           dict(good, observed_at_ms="yesterday"), "not an object"]
    base = {"device": {"name": ""}, "columns": list(queries.SYNC_EVENT_COLUMNS), "events": [], "permissions": None}
    segments.write_new(own, 2, segments.encode(secret, device_id(a), 2, tag, READING_AT_MS,
                                               dict(base, limits=[good, *bad])))
    # A segment from before readings travelled has no `limits` key at all.
    segments.write_new(own, 3, segments.encode(secret, device_id(a), 3, tag, READING_AT_MS, base))
    result = b.sync(folder)
    assert result.segments_read == 3 and result.unread == []
    assert (result.limits_added, result.limits_skipped) == (2, 4)
    assert ("claude-code", "~/.claude", "7d", 40.0, READING_AT_MS) in imported(b, device_id(a))
    from tokenlens.sync.cli import _problem_lines

    assert "skipped 4 plan-window readings of the wrong shape in segments (not stored)" in _problem_lines(result)


def test_a_ledger_restored_from_an_old_backup_gets_its_sent_readings_back_and_resends_none(tmp_path, folder):
    import shutil

    a, b = Device(tmp_path / "a", "a"), Device(tmp_path / "b", "b")
    a.claude("2026-11-20", inp=100, out=1)
    a.sync(folder)
    backup = tmp_path / "backup.db"
    with sqlite3.connect(backup) as dst:
        a.db.conn.backup(dst)
    a.codex("2026-11-24", inp=50, cached=0, out=5)  # its reading goes out, then its logs go
    assert a.sync(folder).limits_sent == 1
    sent = own_readings(a)
    a.close()
    shutil.rmtree(a.home / ".codex")
    for suffix in ("", "-wal", "-shm"):
        (a.data_dir / f"ledger.db{suffix}").unlink(missing_ok=True)
    shutil.copy(backup, a.data_dir / "ledger.db")
    a.open()
    assert own_readings(a) == []
    result = a.sync(folder)
    assert result.restored_segments == 1 and result.limits_sent == 0 and result.segments_written == 0
    assert own_readings(a) == sent
    assert b.sync(folder).limits_added == 1
    a.close()
    b.close()
