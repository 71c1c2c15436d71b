"""`doctor --rebuild` keeps the person's history: events whose logs the tools have deleted,
permission snapshots and the export log come over from the old ledger, page by page where
it is damaged, and the rebuild says in numbers what it kept, re-read and could not save."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest

from tests.test_robust_damaged import checkpoint
from tests.test_robust_support import build_corpus, cli_env, run_cli

DAY_MS = 86_400_000


def per_day(db_path: Path) -> dict[tuple, tuple]:
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        rows = conn.execute("SELECT tool, ts_ms / ?, COUNT(*), SUM(input_tokens), SUM(output_tokens),"
                            " SUM(cache_read_tokens) FROM events GROUP BY 1, 2", [DAY_MS]).fetchall()
    finally:
        conn.close()
    return {(tool, day): tuple(rest) for tool, day, *rest in rows}


def event_count(db_path: Path) -> int:
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        return conn.execute("SELECT COUNT(*) FROM events").fetchone()[0]
    finally:
        conn.close()


def garble_event_pages(db_path: Path, rowid_ranges_wanted) -> list[int]:
    """Overwrite the events-table leaf pages holding the given rowids with noise.

    A rowid table's leaves, in B-tree order (dbstat's path), hold consecutive rowids, so a
    running count of their cells says which page holds which rows."""
    conn = sqlite3.connect(db_path)
    leaves = conn.execute("SELECT pageno, ncell FROM dbstat WHERE name = 'events' AND pagetype = 'leaf'"
                          " ORDER BY path").fetchall()
    rowids = [r[0] for r in conn.execute("SELECT rowid FROM events ORDER BY rowid")]
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    conn.close()
    pages, at = [], 0
    for pageno, ncell in leaves:
        held = rowids[at:at + ncell]
        at += ncell
        if any(rowid_ranges_wanted(r) for r in held):
            pages.append(pageno)
    data = bytearray(db_path.read_bytes())
    for pageno in pages:
        start = (pageno - 1) * page_size
        data[start:start + page_size] = bytes((i * 37 + 11) % 256 for i in range(page_size))
    db_path.write_bytes(bytes(data))
    return pages


@pytest.fixture
def history(tmp_path):
    """A scanned corpus with a permission scan and an export logged, then a third of its logs
    deleted by 'the tools' (and a scan that noticed)."""
    home = tmp_path / "home"
    corpus = build_corpus(home, claude_files=24, messages=40, codex_files=9, turns=40, seed=3)
    settings = home / ".claude" / "settings.json"
    settings.write_text(json.dumps({"permissions": {"allow": ["Bash(npm test)", "Read(src/**)"]}}))
    data_dir = tmp_path / "data"
    assert run_cli(home, data_dir, "scan").returncode == 0
    assert run_cli(home, data_dir, "permissions", "--json").returncode == 0
    conn = sqlite3.connect(data_dir / "ledger.db")
    conn.execute("INSERT INTO exports (ts_ms, period, sha256) VALUES (1790000000000, '2026-W44', 'ab12')")
    conn.commit()
    conn.close()
    gone = corpus.files[::3]
    for log in gone:
        log.path.unlink()
    assert run_cli(home, data_dir, "scan").returncode == 0
    checkpoint(data_dir / "ledger.db")
    return home, data_dir, corpus, gone


def rebuild(home, data_dir, **env) -> dict:
    proc = run_cli(home, data_dir, "doctor", "--rebuild", "--json", env=cli_env(home, **env))
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    return json.loads(proc.stdout)["rebuilt"], proc.stderr


def table_count(db_path: Path, table: str) -> int:
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        return conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
    finally:
        conn.close()


def test_a_healthy_rebuild_keeps_deleted_logs_usage_permissions_and_exports(history):
    home, data_dir, corpus, gone = history
    db_path = data_dir / "ledger.db"
    before = per_day(db_path)
    scans, grants = table_count(db_path, "perm_scans"), table_count(db_path, "perm_grants")
    rebuilt, stderr = rebuild(home, data_dir)
    assert per_day(db_path) == before  # every day, those of the deleted logs included
    deleted_keys = {(log.tool, line.key) for log in gone for line in log.lines if line.key}
    assert rebuilt["kept_from_deleted_logs"] == len(deleted_keys)
    assert rebuilt["lost"] == 0 and "nothing was lost" in stderr
    assert table_count(db_path, "perm_scans") == scans and table_count(db_path, "perm_grants") == grants
    assert table_count(db_path, "exports") == 1


def shell_recovers() -> bool:
    """The sqlite3 shell's .recover needs SQLITE_ENABLE_DBPAGE_VTAB; Debian 12's is built without."""
    import shutil
    import subprocess

    shell = shutil.which("sqlite3")
    if shell is None:
        return False
    probe = subprocess.run([shell, ":memory:", ".recover"], capture_output=True, text=True)
    return probe.returncode == 0


@pytest.mark.parametrize("how", [
    pytest.param("sqlite3 shell", marks=pytest.mark.skipif(not shell_recovers(), reason="no sqlite3 shell whose .recover works")),
    "row by row"])
def test_a_damaged_rebuild_keeps_what_survived_and_counts_exactly_what_did_not(history, how, tmp_path):
    home, data_dir, corpus, gone = history
    db_path = data_dir / "ledger.db"
    before, count_before = per_day(db_path), event_count(db_path)
    gone_paths = {str(log.path) for log in gone}
    conn = sqlite3.connect(db_path)
    rows_of = {}
    for rowid, path in conn.execute("SELECT e.rowid, f.path FROM events e JOIN files f ON f.id = e.file_id"):
        rows_of[rowid] = path
    conn.close()
    # Damage two pages holding events of deleted logs and one of a log that still exists.
    deleted_rowids = sorted(r for r, p in rows_of.items() if p in gone_paths)
    kept_rowids = sorted(r for r, p in rows_of.items() if p not in gone_paths)
    targets = {deleted_rowids[len(deleted_rowids) // 3], deleted_rowids[2 * len(deleted_rowids) // 3],
               kept_rowids[len(kept_rowids) // 2]}
    pages = garble_event_pages(db_path, lambda rowid: rowid in targets)
    assert len(pages) >= 2

    env = {}
    if how == "row by row":  # no sqlite3 shell on PATH: the walk through the API
        bare = tmp_path / "bin"
        bare.mkdir()
        env["PATH"] = str(bare)
    rebuilt, stderr = rebuild(home, data_dir, **env)
    assert rebuilt["method"] == ("recovered" if how == "sqlite3 shell" else "walked")
    after = per_day(db_path)
    lost = count_before - event_count(db_path)
    assert lost > 0  # the damaged pages of deleted logs are gone for good...
    assert rebuilt["lost"] == lost  # ...and the rebuild says exactly how many
    assert f"could not save: {lost} events" in stderr
    for key, totals in before.items():
        now = after.get(key, (0, 0, 0, 0))
        assert all(n <= b for n, b in zip(now, totals, strict=True)), key  # never more than there was
    # Days whose logs all still exist are whole again: the logs were read again.
    live_days = per_day_of_live_logs(db_path, gone_paths)
    for key in live_days:
        assert after[key] == before[key], key
    assert table_count(db_path, "perm_scans") >= 1 and table_count(db_path, "exports") == 1


def per_day_of_live_logs(db_path: Path, gone_paths: set[str]) -> set[tuple]:
    """(tool, day) keys none of whose events came from a deleted log."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        rows = conn.execute("SELECT e.tool, e.ts_ms / ?, f.path FROM events e LEFT JOIN files f ON f.id = e.file_id",
                            [DAY_MS]).fetchall()
    finally:
        conn.close()
    days: dict[tuple, bool] = {}
    for tool, day, path in rows:
        days[(tool, day)] = days.get((tool, day), True) and path is not None and path not in gone_paths
    return {k for k, live in days.items() if live}


def test_an_empty_ledger_file_is_said_and_kept_aside(tmp_path):
    home = tmp_path / "home"
    build_corpus(home, claude_files=2, messages=5, codex_files=1, turns=5)
    data_dir = tmp_path / "data"
    data_dir.mkdir(mode=0o700)
    (data_dir / "ledger.db").write_bytes(b"")
    old = os.stat(data_dir / "ledger.db").st_mtime - 60
    os.utime(data_dir / "ledger.db", (old, old))
    proc = run_cli(home, data_dir, "scan")
    assert proc.returncode == 0, proc.stderr
    kept = [p for p in data_dir.iterdir() if p.name.startswith("ledger.db.empty-")]
    assert len(kept) == 1 and kept[0].stat().st_size == 0
    assert "empty file (0 bytes)" in proc.stderr and str(kept[0]) in proc.stderr
