"""A damaged ledger: a one-line message (no traceback), the file kept aside and never deleted,
and a rebuild from the logs on request (`tokenlens doctor --rebuild`)."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys

import pytest

from tests.test_robust_support import build_corpus, cli_env, ledger_totals, run_cli

DAMAGED_HINT = "doctor --rebuild"


@pytest.fixture
def scanned(tmp_path):
    home = tmp_path / "home"
    corpus = build_corpus(home, claude_files=6, messages=30, codex_files=3, turns=20)
    data_dir = tmp_path / "data"
    proc = run_cli(home, data_dir, "scan")
    assert proc.returncode == 0, proc.stderr
    checkpoint(data_dir / "ledger.db")
    return home, data_dir, corpus


def checkpoint(db_path):
    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def not_a_database(path):
    path.write_bytes(b"this is a note someone saved over the ledger\n" * 200)


def truncated(path):
    os.truncate(path, path.stat().st_size // 3)


def header_garbled(path):
    data = bytearray(path.read_bytes())
    data[0:16] = b"\x00" * 16
    path.write_bytes(bytes(data))


def page_garbled(path):
    """Overwrite the pages holding one event's key (its table row and its index entry) with
    noise: the schema still reads fine, so the damage only shows when a query reaches them."""
    data = bytearray(path.read_bytes())
    page_size = int.from_bytes(data[16:18], "big")
    hits = []
    at = data.find(b"msg_cs3_17:req_cs3_17")
    while at >= 0:
        hits.append(at)
        at = data.find(b"msg_cs3_17:req_cs3_17", at + 1)
    assert len(hits) == 2 and min(hits) > page_size
    for at in hits:
        page = at // page_size * page_size
        data[page:page + page_size] = bytes((i * 37 + 11) % 256 for i in range(page_size))
    path.write_bytes(bytes(data))


def assert_one_line_error(proc, *needles):
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


@pytest.mark.parametrize("damage", [not_a_database, truncated, header_garbled, page_garbled])
def test_damaged_ledger_is_reported_kept_and_rebuilt(scanned, damage):
    home, data_dir, corpus = scanned
    db_path = data_dir / "ledger.db"
    damage(db_path)
    damaged_bytes = db_path.read_bytes()

    commands = [["report", "daily", "--json"], ["report", "weekly", "--no-scan"], ["scan"], ["sources"]]
    if damage is page_garbled:
        # Damage inside the events table shows only where a query reads those pages: calendar
        # reports read the rollup table and a scan with nothing new reads no events.
        commands = [["report", "session", "--json"], ["sources"], ["report", "blocks", "--no-scan"]]
    for args in commands:
        proc = run_cli(home, data_dir, *args)
        assert_one_line_error(proc, "damaged", DAMAGED_HINT)
    # A failed open changes nothing: the person's history is still there, byte for byte.
    assert db_path.exists()
    if damage is not page_garbled:  # (a scan may have written healthy pages of that one)
        assert db_path.read_bytes() == damaged_bytes

    proc = run_cli(home, data_dir, "doctor", "--rebuild", "--json")
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    rebuilt = json.loads(proc.stdout)["rebuilt"]
    aside = data_dir / os.path.basename(rebuilt["set_aside"])
    assert aside.name.startswith("ledger.db.damaged-")
    assert aside.exists() and str(aside) == rebuilt["set_aside"]
    if damage is not page_garbled:
        assert aside.read_bytes() == damaged_bytes
    assert aside.stat().st_mode & 0o077 == 0
    expected = corpus.expected()
    assert rebuilt["events"] == sum(t["events"] for t in expected.values())
    assert ledger_totals(db_path) == expected
    # And the CLI works again.
    proc = run_cli(home, data_dir, "report", "daily", "--json", "--no-scan")
    assert proc.returncode == 0, proc.stderr


def test_open_ledger_raises_ledger_damaged(tmp_path):
    from tokenlens.store.ledger import LedgerDamaged, open_ledger

    data_dir = tmp_path / "data"
    data_dir.mkdir(mode=0o700)
    not_a_database(data_dir / "ledger.db")
    with pytest.raises(LedgerDamaged) as info:
        open_ledger(data_dir)
    assert info.value.path == data_dir / "ledger.db"
    assert "\n" not in str(info.value)
    assert (data_dir / "ledger.db").exists()


def test_rebuild_keeps_history_only_the_old_ledger_has(scanned):
    """Logs the tools deleted live on only in the ledger: a rebuild must keep that copy
    readable, committed WAL frames included."""
    home, data_dir, corpus = scanned
    gone = corpus.files[0]
    gone.path.unlink()
    # Something newer sits only in the WAL (no checkpoint after this scan).
    extra = corpus.files[1]
    with open(extra.path, "a") as fh:
        fh.write(json.dumps({
            "type": "assistant", "timestamp": "2026-10-30T10:00:00.000Z", "sessionId": "late",
            "requestId": "req_late", "message": {"id": "msg_late", "model": "claude-sonnet-4-5-20250929",
                                                 "usage": {"input_tokens": 7, "output_tokens": 777}}}) + "\n")
    # Scan, then die without closing: the new rows stay in the WAL, as after a crash.
    code = ("import os, signal, sys; from pathlib import Path; from tokenlens.store import open_ledger;"
            "from tokenlens.ingest import scan; scan(open_ledger(Path(sys.argv[1])));"
            "os.kill(os.getpid(), signal.SIGKILL)")
    proc = subprocess.run([sys.executable, "-c", code, str(data_dir)], env=cli_env(home), capture_output=True)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert os.path.getsize(data_dir / "ledger.db-wal") > 0
    before = ledger_totals(data_dir / "ledger.db")

    proc = run_cli(home, data_dir, "doctor", "--rebuild", "--json")
    assert proc.returncode == 0, proc.stderr
    aside = data_dir / os.path.basename(json.loads(proc.stdout)["rebuilt"]["set_aside"])
    assert aside.name.startswith("ledger.db.before-rebuild-")
    assert ledger_totals(aside) == before  # the old ledger, WAL and all, still reads whole
    conn = sqlite3.connect(f"file:{aside}?mode=ro", uri=True)
    late = conn.execute("SELECT output_tokens FROM events WHERE event_key = 'msg_late:req_late'").fetchone()
    conn.close()
    assert late == (777,)
    # The rebuilt ledger keeps the deleted file's usage (issue 14: it used to hold only what
    # the logs still hold, dropping the history tokenlens exists to keep).
    assert ledger_totals(data_dir / "ledger.db") == before
    assert json.loads(proc.stdout)["rebuilt"]["lost"] == 0


def test_a_second_rebuild_never_overwrites_the_first_copy(scanned):
    home, data_dir, _ = scanned
    not_a_database(data_dir / "ledger.db")
    first = run_cli(home, data_dir, "doctor", "--rebuild", "--json")
    second = run_cli(home, data_dir, "doctor", "--rebuild", "--json")
    assert first.returncode == 0 and second.returncode == 0, (first.stderr, second.stderr)
    kept = sorted(p.name for p in data_dir.iterdir() if p.name.startswith("ledger.db.") and "-wal" not in p.name
                  and "-shm" not in p.name)
    assert len(kept) == 2, kept
    assert any(name.startswith("ledger.db.damaged-") for name in kept)


def test_rebuild_refuses_while_another_process_has_the_ledger_open(scanned):
    """The app keeps its connection open: moving the ledger from under it would leave it
    writing to the copy set aside. The rebuild says so in one line and moves nothing."""
    home, data_dir, _ = scanned
    before = ledger_totals(data_dir / "ledger.db")
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys; from pathlib import Path; from tokenlens.store import open_ledger;"
         "db = open_ledger(Path(sys.argv[1])); db.execute('SELECT COUNT(*) FROM events').fetchone();"
         "print('open', flush=True); sys.stdin.read()", str(data_dir)],
        env=cli_env(home), stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"
        proc = run_cli(home, data_dir, "doctor", "--rebuild")
        assert proc.returncode == 2
        assert "open in another process" in proc.stderr and "Traceback" not in proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1
        assert not [p for p in data_dir.iterdir() if p.name.startswith("ledger.db.")]
    finally:
        holder.stdin.close()
        holder.wait(10)
    proc = run_cli(home, data_dir, "doctor", "--rebuild", "--json")  # the app has quit
    assert proc.returncode == 0, proc.stderr
    aside = data_dir / os.path.basename(json.loads(proc.stdout)["rebuilt"]["set_aside"])
    assert ledger_totals(aside) == before
    assert not os.path.exists(f"{aside}-wal")  # a healthy ledger is set aside as one file
    assert ledger_totals(data_dir / "ledger.db") == before


@pytest.mark.parametrize("damage", [not_a_database, page_garbled])
def test_doctor_json_stays_json_when_the_ledger_is_damaged(scanned, damage):
    home, data_dir, _ = scanned
    damage(data_dir / "ledger.db")
    proc = run_cli(home, data_dir, "doctor", "--json")
    assert proc.returncode == 2
    payload = json.loads(proc.stdout)
    assert payload["damaged"] is True
    assert "damaged" in payload["error"] and DAMAGED_HINT in payload["error"]
    assert payload["database"] == str(data_dir / "ledger.db")
    assert_one_line_error(proc, "damaged", DAMAGED_HINT)
    # Without --json it stays the one line.
    proc = run_cli(home, data_dir, "doctor")
    assert_one_line_error(proc, "damaged", DAMAGED_HINT)
    assert proc.stdout == ""
