"""A parallel first scan (forked workers) under kill -9, Ctrl-C and SIGTERM: no process is
left behind, and the next scan ends with exactly the totals of an uninterrupted one.

The history is bench/generate.py's, above ingest.plan.PARALLEL_MIN_BYTES, so the scan really forks
(the crash tests in test_robust_crash.py use corpora too small for that)."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.test_robust_support import REPO, cli_env, ledger_totals, run_cli

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="parallel scans fork")


@pytest.fixture(scope="module")
def history(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("parallel-history")
    subprocess.run([sys.executable, str(REPO / "bench" / "generate.py"), "--size", "56MB", "--out", str(out),
                    "--seed", "4"], check=True, capture_output=True)
    return out / "home"


@pytest.fixture(scope="module")
def uninterrupted(history, tmp_path_factory) -> dict:
    data_dir = tmp_path_factory.mktemp("uninterrupted")
    assert run_cli(history, data_dir, "scan").returncode == 0
    return ledger_totals(data_dir / "ledger.db")


def processes_using(data_dir: Path) -> list[int]:
    """Every process whose command line names this data dir (the scan and its forks)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if str(data_dir).encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def wait_until_gone(data_dir: Path, seconds: float) -> list[int]:
    deadline = time.monotonic() + seconds
    while (left := processes_using(data_dir)) and time.monotonic() < deadline:
        time.sleep(0.02)
    return left


def start_scan(history: Path, data_dir: Path, *driver_lines: str) -> subprocess.Popen:
    code = "\n".join([*driver_lines, "from tokenlens.cli import main", "main()"])
    return subprocess.Popen([sys.executable, "-c", code, "--data-dir", str(data_dir), "scan"],
                            env=cli_env(history), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def wait_for_workers(scan: subprocess.Popen, data_dir: Path) -> None:
    """Until the scan has forked (more than one process names the data dir)."""
    deadline = time.monotonic() + 30
    while len(processes_using(data_dir)) < 2:
        assert scan.poll() is None, f"the scan ended before it forked: {scan.stderr.read()}"
        assert time.monotonic() < deadline, "the scan never forked"
        time.sleep(0.005)


needs_proc = pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="finds processes through /proc")


@needs_proc
def test_five_kill_9_at_random_moments_leave_no_process_and_exact_totals(history, uninterrupted, tmp_path):
    """Each of the five kills lands in a first scan of its own (a resumed scan may have too
    little left to fork); each ledger is then finished by a normal scan."""
    rng = random.Random(14)
    for attempt in range(5):
        data_dir = tmp_path / f"data{attempt}"
        scan = start_scan(history, data_dir)
        wait_for_workers(scan, data_dir)
        time.sleep(rng.uniform(0.0, 0.3))
        scan.kill()
        scan.wait()
        assert wait_until_gone(data_dir, 2.0) == [], f"attempt {attempt}: processes left after kill -9"
        finished = run_cli(history, data_dir, "scan")
        assert finished.returncode == 0, finished.stderr
        assert "locking protocol" not in finished.stderr
        assert ledger_totals(data_dir / "ledger.db") == uninterrupted, f"attempt {attempt}"


@needs_proc
def test_workers_die_with_their_parent_without_prctl_too(history, uninterrupted, tmp_path):
    """Where PR_SET_PDEATHSIG does not exist (macOS), the lifeline pipe alone ends them."""
    data_dir = tmp_path / "data"
    scan = start_scan(history, data_dir, "import tokenlens.ingest.forked as forked", "forked.PR_SET_PDEATHSIG = 0")
    wait_for_workers(scan, data_dir)
    scan.kill()
    scan.wait()
    assert wait_until_gone(data_dir, 2.0) == []
    assert run_cli(history, data_dir, "scan").returncode == 0
    assert ledger_totals(data_dir / "ledger.db") == uninterrupted


@needs_proc
@pytest.mark.parametrize(("signum", "name", "code"), [(signal.SIGINT, "Ctrl-C", 130), (signal.SIGTERM, "SIGTERM", 143)])
def test_ctrl_c_and_sigterm_stop_a_parallel_scan_with_one_line(history, uninterrupted, tmp_path, signum, name, code):
    data_dir = tmp_path / "data"
    scan = start_scan(history, data_dir)
    wait_for_workers(scan, data_dir)
    time.sleep(0.05)
    scan.send_signal(signum)
    _, stderr = scan.communicate(timeout=30)
    assert scan.returncode == code
    assert stderr.strip().splitlines() == [
        f"tokenlens: stopped by {name}; what was read so far is kept, the next scan goes on from there"]
    assert wait_until_gone(data_dir, 2.0) == []
    assert run_cli(history, data_dir, "scan").returncode == 0
    assert ledger_totals(data_dir / "ledger.db") == uninterrupted


@needs_proc
def test_a_scan_that_meets_a_held_ledger_says_who_holds_it(history, tmp_path):
    data_dir = tmp_path / "data"
    assert run_cli(history, data_dir, "scan").returncode == 0
    (history / ".claude" / "projects" / "held.jsonl").write_text("{}\n")  # something for the scan to write
    holder = sqlite3.connect(data_dir / "ledger.db")
    holder.execute("BEGIN IMMEDIATE")
    try:
        scan = start_scan(history, data_dir, "import tokenlens.store.ledger as ledger", "ledger.BUSY_TIMEOUT_MS = 300")
        _, stderr = scan.communicate(timeout=60)
    finally:
        holder.rollback()
        holder.close()
        (history / ".claude" / "projects" / "held.jsonl").unlink()
    assert scan.returncode == 2
    assert f"pid {os.getpid()} (" in stderr and "locked" in stderr
    assert len(stderr.strip().splitlines()) == 1


def test_a_stop_outside_a_scan_says_only_that_it_stopped(tmp_path):
    """The scan's reassurance ("what was read so far is kept") is not said of other commands."""
    code = ("import os, signal, sys\n"
            "from tokenlens import cli\n"
            "orig = cli.Context.open_db\n"
            "def open_db(self):\n"
            "    os.kill(os.getpid(), signal.SIGTERM)\n"
            "    return orig(self)\n"
            "cli.Context.open_db = open_db\n"
            "cli.main()")
    proc = subprocess.run([sys.executable, "-c", code, "--data-dir", str(tmp_path / "d"), "doctor"],
                          capture_output=True, text=True, timeout=60, env=cli_env(tmp_path))
    assert proc.returncode == 143
    assert proc.stderr.strip().splitlines() == ["tokenlens: stopped by SIGTERM"]


# ---- spawned workers (Windows, macOS, threaded callers), run here on Linux ----------------
#
# A spawned worker's command line is multiprocessing's, not the scan's: it is found as a
# descendant of the scan instead. multiprocessing's resource tracker, a child of the scan
# too, must end with it as well.

SPAWN = ("import tokenlens.ingest.plan as plan", "plan.START_METHOD = 'spawn'")


def children_of(pid: int) -> set[int]:
    """Every live process descending from `pid` (zombies count as gone)."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[0] != "Z":
                parents.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def alive(pids: set[int]) -> set[int]:
    left = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            left.add(pid)
    return left


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def wait_until_dead(pids: set[int], seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while alive(pids) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert alive(pids) == set(), f"left running: {[_cmdline(pid) for pid in alive(pids)]}"


def wait_for_spawned_workers(scan: subprocess.Popen) -> set[int]:
    """Until a spawned worker has opened the ledger (its own connection: it is reading)."""
    deadline = time.monotonic() + 60
    while True:
        assert scan.poll() is None, f"the scan ended before its workers read: {scan.stderr.read()}"
        assert time.monotonic() < deadline, "no spawned worker ever opened the ledger"
        kids = children_of(scan.pid)
        for pid in kids:
            try:
                if any(os.readlink(fd).endswith("ledger.db") for fd in Path(f"/proc/{pid}/fd").iterdir()):
                    return kids
            except OSError:
                continue
        time.sleep(0.01)


@needs_proc
def test_spawned_workers_die_with_a_killed_scan_and_the_totals_are_exact(history, uninterrupted, tmp_path):
    rng = random.Random(19)
    for attempt in range(2):
        data_dir = tmp_path / f"data{attempt}"
        scan = start_scan(history, data_dir, *SPAWN)
        kids = wait_for_spawned_workers(scan)
        time.sleep(rng.uniform(0.0, 0.3))
        kids |= children_of(scan.pid)
        scan.kill()
        scan.wait()
        wait_until_dead(kids)
        finished = run_cli(history, data_dir, "scan")
        assert finished.returncode == 0, finished.stderr
        assert ledger_totals(data_dir / "ledger.db") == uninterrupted, f"attempt {attempt}"


@needs_proc
def test_spawned_workers_die_with_their_parent_without_prctl_too(history, uninterrupted, tmp_path):
    data_dir = tmp_path / "data"
    scan = start_scan(history, data_dir, *SPAWN, "import tokenlens.ingest.forked as forked",
                      "forked.PR_SET_PDEATHSIG = 0")
    kids = wait_for_spawned_workers(scan)
    scan.kill()
    scan.wait()
    wait_until_dead(kids)
    assert run_cli(history, data_dir, "scan").returncode == 0
    assert ledger_totals(data_dir / "ledger.db") == uninterrupted


@needs_proc
def test_sigterm_stops_a_scan_with_spawned_workers_with_one_line(history, uninterrupted, tmp_path):
    data_dir = tmp_path / "data"
    scan = start_scan(history, data_dir, *SPAWN)
    kids = wait_for_spawned_workers(scan)
    scan.send_signal(signal.SIGTERM)
    _, stderr = scan.communicate(timeout=30)
    assert scan.returncode == 143
    assert stderr.strip().splitlines() == [
        "tokenlens: stopped by SIGTERM; what was read so far is kept, the next scan goes on from there"]
    wait_until_dead(kids)  # multiprocessing's resource tracker may take a moment to see its pipe end
    assert run_cli(history, data_dir, "scan").returncode == 0
    assert ledger_totals(data_dir / "ledger.db") == uninterrupted
