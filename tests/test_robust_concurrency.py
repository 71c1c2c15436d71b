"""The app's watcher and a CLI scan on one ledger at once, while the tools keep writing.

The watcher is emulated the way the app runs it: one long-lived process with its own
connection (`open_ledger`) scanning again and again. Next to it, `tokenlens scan` runs as
separate processes, and a writer appends to the logs (new files too, and lines written in
two halves). No process may fail with "database is locked", and the ledger must end with
exactly the usage written: no duplicates, nothing lost.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta

from tests.test_robust_support import (
    REPO,
    Corpus,
    claude_file,
    cli_cmd,
    cli_env,
    codex_file,
    ledger_totals,
    run_cli,
)

WATCHER = r"""
import sys, time
from pathlib import Path
from tokenlens.ingest import scan
from tokenlens.store import open_ledger

data_dir, stop = Path(sys.argv[1]), Path(sys.argv[2])
db = open_ledger(data_dir)
rounds = 0
while not stop.exists():
    scan(db)
    rounds += 1
    time.sleep(0.005)
scan(db)
print(rounds)
"""


def planned_logs(home, rng) -> Corpus:
    start = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    files = []
    for i in range(8):
        path = home / f".claude/projects/-home-me-p{i % 3}/live-{i}.jsonl"
        files.append(claude_file(path, f"live{i}", 60, rng, start + timedelta(hours=i), bad_every=7))
    for i in range(4):
        sid = f"019a{i:04d}-1111-2222-3333-{i:012d}"
        path = home / f".codex/sessions/2026/11/02/rollout-2026-11-02T09-00-0{i}-{sid}.jsonl"
        files.append(codex_file(path, sid, 60, rng, start + timedelta(minutes=i)))
    return Corpus(files)


def write_slowly(corpus: Corpus, rng: random.Random, stop_after: float) -> None:
    """Append every planned line; files appear over time, some lines land in two writes."""
    pending = {id(log): 0 for log in corpus.files}
    started = time.perf_counter()
    while any(pending[id(log)] < len(log.lines) for log in corpus.files):
        log = rng.choice([f for f in corpus.files if pending[id(f)] < len(f.lines)])
        log.path.parent.mkdir(parents=True, exist_ok=True)
        take = log.lines[pending[id(log)]:pending[id(log)] + rng.randint(1, 6)]
        data = "".join(line.text for line in take).encode()
        with open(log.path, "ab") as fh:
            if rng.random() < 0.3:
                cut = rng.randint(1, len(data) - 1)
                fh.write(data[:cut])
                fh.flush()
                time.sleep(0.003)  # a scanner may read the half line now
                fh.write(data[cut:])
            else:
                fh.write(data)
        pending[id(log)] += len(take)
        # Spread the writing over the test so scans overlap it.
        time.sleep(max(0.0, stop_after * (sum(pending.values()) / total_lines(corpus))
                       - (time.perf_counter() - started)) / 4)


def total_lines(corpus: Corpus) -> int:
    return sum(len(log.lines) for log in corpus.files)


def test_watcher_and_cli_scans_at_once_on_growing_logs(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    data_dir = tmp_path / "data"
    stop = tmp_path / "stop"
    rng = random.Random(11)
    corpus = planned_logs(home, rng)
    env = cli_env(home)

    watcher = subprocess.Popen([sys.executable, "-c", WATCHER, str(data_dir), str(stop)], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO)
    writer = threading.Thread(target=write_slowly, args=(corpus, random.Random(12), 4.0))
    writer.start()
    cli_runs = []
    while writer.is_alive():
        # Two CLI scans racing each other as well as the watcher.
        procs = [subprocess.Popen(cli_cmd(data_dir, "scan", "--json"), env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True, cwd=REPO) for _ in range(2)]
        for proc in procs:
            out, err = proc.communicate(timeout=120)
            cli_runs.append((proc.returncode, err))
    writer.join()
    stop.touch()
    out, err = watcher.communicate(timeout=120)

    assert watcher.returncode == 0, err
    assert int(out) >= 5  # the watcher really scanned while the logs grew
    assert len(cli_runs) >= 2
    for code, err in cli_runs:
        assert code == 0, err
        assert "locked" not in err
    final = run_cli(home, data_dir, "scan", "--json")
    assert final.returncode == 0, final.stderr
    assert ledger_totals(data_dir / "ledger.db") == corpus.expected()
    doctor = run_cli(home, data_dir, "doctor", "--json")
    assert doctor.returncode == 0, doctor.stderr
    assert json.loads(doctor.stdout)["lines_skipped"] == corpus.bad_lines() > 0
    # One row per file, whoever saw the file first.
    import sqlite3

    conn = sqlite3.connect(f"file:{data_dir / 'ledger.db'}?mode=ro", uri=True)
    paths = [r[0] for r in conn.execute("SELECT path FROM files")]
    conn.close()
    assert sorted(paths) == sorted(str(log.path) for log in corpus.files)


# All start together (a shared go-file), so they race on creating the schema and on being
# first to see each log file.
RACER = r"""
import sys, time
from pathlib import Path
go = Path(sys.argv[2])
while not go.exists():
    time.sleep(0.001)
from tokenlens.cli import main
sys.argv = ["tokenlens", "--data-dir", sys.argv[1], "scan", "--json"]
main()
"""


def test_many_first_scans_start_at_the_same_moment(tmp_path):
    from tests.test_robust_support import build_corpus

    home = tmp_path / "home"
    corpus = build_corpus(home, claude_files=30, messages=5, codex_files=10, turns=5)
    env = cli_env(home)
    for attempt in range(3):
        data_dir, go = tmp_path / f"data{attempt}", tmp_path / f"go{attempt}"
        procs = [subprocess.Popen([sys.executable, "-c", RACER, str(data_dir), str(go)], env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO)
                 for _ in range(5)]
        time.sleep(1.0)  # let every racer import and wait at the line
        go.touch()
        for proc in procs:
            _, err = proc.communicate(timeout=120)
            assert proc.returncode == 0, err
        assert ledger_totals(data_dir / "ledger.db") == corpus.expected()
