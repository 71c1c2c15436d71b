"""kill -9 during a large first scan and during a migration: nothing lost, nothing counted twice.

Two ways of choosing where the scanner dies:
- deterministic: a driver script (test code, not a hook in tokenlens) registers SQLite's trace
  callback on the ledger connection and SIGKILLs its own process when the N-th SQL statement
  is about to run, so we can die right before and right after each COMMIT;
- timing: SIGKILL from outside after random delays, as a crash or an OOM killer would.

After every kill the ledger must be consistent on its own (the committed events are exactly
the usage in each file up to its committed offset), and a resumed scan must end with exactly
the totals computed from the numbers the corpus was written with.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from tests.test_robust_support import (
    REPO,
    build_corpus,
    cli_env,
    ledger_offsets,
    ledger_totals,
    run_cli,
)

# Runs the real CLI; dies by SIGKILL just before the ROBUST_KILL_AT-th SQL statement runs.
# With ROBUST_KILL_AT=0 it records every statement's first word instead (to find COMMITs).
DRIVER = r"""
import os, signal, sys
import tokenlens.store.writer as writer
import tokenlens.store.ledger as ledger

# Small batches: a transaction every few events, so there are many commits to die around
# (by default small files share one transaction and this corpus would commit a few times).
writer.BATCH_EVENTS = 25
kill_at = int(os.environ["ROBUST_KILL_AT"])
log_path = os.environ.get("ROBUST_STATEMENT_LOG")
seen = []

def trace(statement):
    seen.append(statement.split(None, 1)[0].upper() if statement.strip() else "")
    if len(seen) == kill_at:
        os.kill(os.getpid(), signal.SIGKILL)

real_connect = ledger.connect

def connect(path):
    db = real_connect(path)
    db.conn.set_trace_callback(trace)
    return db

ledger.connect = connect
from tokenlens.cli import main
try:
    main()
finally:
    if log_path:
        with open(log_path, "w") as fh:
            fh.write("\n".join(seen))
"""


def driver_argv(data_dir, *args: str) -> list[str]:
    return [sys.executable, "-c", DRIVER, "--data-dir", str(data_dir), *args]


def run_driver(home, data_dir, kill_at: int, *args: str, log_path=None) -> subprocess.CompletedProcess:
    env = cli_env(home, ROBUST_KILL_AT=str(kill_at))
    if log_path:
        env["ROBUST_STATEMENT_LOG"] = str(log_path)
    return subprocess.run(driver_argv(data_dir, *args), env=env, capture_output=True, text=True, timeout=120,
                          cwd=REPO)


def assert_consistent(corpus, db_path) -> dict:
    """What a killed scan left: exactly the usage up to each file's committed offset."""
    if not db_path.exists():
        return {}
    offsets = ledger_offsets(db_path)
    try:
        found = ledger_totals(db_path)
    except sqlite3.OperationalError:  # killed before the events table existed
        return {}
    assert found == corpus.expected(offsets)
    return found


@pytest.fixture(scope="module")
def corpus_home(tmp_path_factory):
    home = tmp_path_factory.mktemp("home")
    return home, build_corpus(home)


def test_statement_trace_driver_runs_a_whole_scan(corpus_home, tmp_path):
    home, corpus = corpus_home
    log = tmp_path / "statements.txt"
    proc = run_driver(home, tmp_path / "data", 0, "scan", log_path=log)
    assert proc.returncode == 0, proc.stderr
    statements = log.read_text().split("\n")
    assert statements.count("COMMIT") > 60  # small batches: many kill points
    assert ledger_totals(tmp_path / "data/ledger.db") == corpus.expected()


@pytest.mark.slow
def test_sigkill_before_and_after_commits_then_resume(corpus_home, tmp_path):
    home, corpus = corpus_home
    log = tmp_path / "statements.txt"
    run_driver(home, tmp_path / "probe", 0, "scan", log_path=log)
    statements = log.read_text().split("\n")
    commits = [i + 1 for i, s in enumerate(statements) if s == "COMMIT"]  # 1-based statement numbers
    rng = random.Random(8)
    # Right before a COMMIT, right after one, and anywhere in between (e.g. mid-executemany).
    points = sorted(
        {commits[0], commits[0] + 1, commits[-1], commits[-1] + 1}
        | {c + d for c in rng.sample(commits, 6) for d in (0, 1)}
        | set(rng.sample(range(1, len(statements)), 6))
    )
    totals_expected = corpus.expected()
    mid_scan = 0
    for n, kill_at in enumerate(points):
        data_dir = tmp_path / f"d{n}"
        proc = run_driver(home, data_dir, kill_at, "scan")
        assert proc.returncode == -signal.SIGKILL, (kill_at, proc.stderr)
        partial = assert_consistent(corpus, data_dir / "ledger.db")
        if partial and partial != totals_expected:
            mid_scan += 1
        resumed = run_cli(home, data_dir, "scan", "--json")
        assert resumed.returncode == 0, resumed.stderr
        assert ledger_totals(data_dir / "ledger.db") == totals_expected, f"killed at statement {kill_at}"
    assert mid_scan >= len(points) // 2


@pytest.mark.slow
def test_sigkill_at_random_times_repeatedly_then_resume(corpus_home, tmp_path):
    home, corpus = corpus_home
    rng = random.Random(88)
    env = cli_env(home, ROBUST_KILL_AT="0")  # the driver's small batches; it never kills itself
    # How long a whole first scan takes here (startup included), to aim kills inside it.
    started = time.perf_counter()
    probe = subprocess.run(driver_argv(tmp_path / "probe", "scan"), env=env, capture_output=True, text=True,
                           timeout=120, cwd=REPO)
    assert probe.returncode == 0, probe.stderr
    full = time.perf_counter() - started
    kills = mid_scan = 0
    for chain in range(40):
        # Kill timing depends on the machine's load: keep going (up to 40 ledgers) until
        # enough kills landed inside scans, but never fewer than 12 ledgers.
        if chain >= 12 and kills >= 10 and mid_scan >= 5:
            break
        # Up to three kills on one ledger, then a resume that must end exactly right.
        data_dir = tmp_path / f"d{chain}"
        for _ in range(3):
            proc = subprocess.Popen(driver_argv(data_dir, "scan"), env=env, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.PIPE, cwd=REPO)
            time.sleep(rng.uniform(0.3, 1.0) * full)
            proc.send_signal(signal.SIGKILL)
            _, err = proc.communicate(timeout=60)
            if proc.returncode != -signal.SIGKILL:
                assert proc.returncode == 0, err
                break
            kills += 1
            partial = assert_consistent(corpus, data_dir / "ledger.db")
            if partial == corpus.expected():
                break  # killed after the last commit
            mid_scan += bool(partial)
        final = run_cli(home, data_dir, "scan", "--json")
        assert final.returncode == 0, final.stderr
        assert ledger_totals(data_dir / "ledger.db") == corpus.expected()
    # The kills must really have landed inside scans, or this test proves nothing.
    assert kills >= 10 and mid_scan >= 5, (kills, mid_scan)


# ---- a kill during a migration ---------------------------------------------------------


def make_old_ledger(data_dir):
    """A ledger as the first release left it: only the first migration, with usage in it."""
    from sqlite_utils import Database

    from tokenlens.store.ledger import connect
    from tokenlens.store.schema import migrations

    data_dir.mkdir(mode=0o700)
    db = connect(data_dir / "ledger.db")
    migrations.apply(Database(db.conn, execute_plugins=False), stop_before="m002_actions")
    with db.conn:
        db.execute("INSERT INTO files (id, source, path, offset) VALUES (1, 'claude-code', '/gone.jsonl', 10)")
        db.conn.executemany(
            "INSERT INTO events (tool, event_key, ts_ms, model, input_tokens, output_tokens, total_tokens, file_id)"
            " VALUES ('claude-code', ?, ?, 'claude-sonnet-4-5', ?, ?, ?, 1)",
            [(f"k{i}", 1_780_000_000_000 + i * 60_000, i, 2 * i, 3 * i) for i in range(500)],
        )
    db.conn.close()


def schema_state(db_path) -> tuple[set[str], set[str], int]:
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        applied = {r[0] for r in conn.execute("SELECT name FROM _sqlite_migrations")}
        output = conn.execute("SELECT SUM(output_tokens) FROM events").fetchone()[0]
    finally:
        conn.close()
    return tables, applied, output


def test_sigkill_at_every_statement_of_a_migration(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    old_output = sum(2 * i for i in range(500))
    probe = tmp_path / "probe"
    make_old_ledger(probe)
    log = tmp_path / "statements.txt"
    proc = run_driver(home, probe, 0, "report", "daily", "--no-scan", "--json", log_path=log)
    assert proc.returncode == 0, proc.stderr
    statements = log.read_text().split("\n")
    # Right before and right after every statement that writes or delimits a transaction
    # (reads between them change nothing on disk), up to the migrations' COMMIT.
    last = max(i + 1 for i, s in enumerate(statements) if s == "COMMIT")
    writes = [i + 1 for i, s in enumerate(statements[:last]) if s not in ("SELECT", "PRAGMA")]
    kill_points = sorted({n for w in writes for n in (w, w + 1)})
    assert len(writes) >= 10
    tables, applied, _ = schema_state(probe / "ledger.db")
    assert "actions" in tables and "m002_actions" in applied
    for kill_at in kill_points:
        data_dir = tmp_path / f"d{kill_at}"
        make_old_ledger(data_dir)
        proc = run_driver(home, data_dir, kill_at, "report", "daily", "--no-scan", "--json")
        assert proc.returncode == -signal.SIGKILL, proc.stderr
        tables, applied, output = schema_state(data_dir / "ledger.db")
        # Each migration and the record of it are one transaction: never half applied.
        assert ("actions" in tables) == ("m002_actions" in applied), kill_at
        assert output == old_output
        again = run_cli(home, data_dir, "report", "daily", "--no-scan", "--json")
        assert again.returncode == 0, again.stderr
        tables, applied, output = schema_state(data_dir / "ledger.db")
        assert "actions" in tables and "m002_actions" in applied
        assert output == old_output
        assert os.stat(data_dir / "ledger.db").st_mode & 0o077 == 0
