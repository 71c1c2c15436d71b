"""A hostile file system: symlink loops, unreadable files and folders, files vanishing or
rewritten between reads, read-only log folders, a 100 MB line, invalid UTF-8 (in lines and
in file names), and a data dir that cannot be written.

Tests run as root in CI, and root ignores file modes. Where a mode must bite, the scanner
subprocess runs without CAP_DAC_OVERRIDE / CAP_DAC_READ_SEARCH (dropped from its bounding
set), i.e. as an ordinary user would; as a non-root user nothing needs dropping.
"""

from __future__ import annotations

import ctypes
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.logs import append, claude_assistant
from tests.test_robust_support import REPO, build_corpus, cli_cmd, cli_env, ledger_totals, run_cli

PR_CAPBSET_DROP = 24
CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER = 1, 2, 3
NOBODY = 65534


def _drop_file_capabilities() -> None:
    """preexec_fn: after exec, this process obeys file modes (and cannot chmod what it does
    not own) even as root."""
    if os.geteuid() != 0:
        return
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER):
        if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def run_as_user(home, data_dir, *args, env=None) -> subprocess.CompletedProcess:
    return subprocess.run(cli_cmd(data_dir, *args), env=env or cli_env(home), capture_output=True, text=True,
                          timeout=120, cwd=REPO, preexec_fn=_drop_file_capabilities)


@pytest.fixture(scope="module")
def modes_bite(tmp_path_factory):
    """Prove the trick works here: a 000 file must be unreadable to the dropped process."""
    probe = tmp_path_factory.mktemp("probe") / "secret"
    probe.write_text("x")
    probe.chmod(0)
    proc = subprocess.run([sys.executable, "-c", f"open({str(probe)!r}).read()"], capture_output=True,
                          preexec_fn=_drop_file_capabilities)
    if proc.returncode == 0:
        pytest.skip("cannot make file modes apply to a subprocess here")


def assert_one_line_error(proc, *needles):
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


def scan_json(home, data_dir, runner=run_cli) -> dict:
    proc = runner(home, data_dir, "scan", "--json")
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    return json.loads(proc.stdout)


# ---- symlinks ----------------------------------------------------------------------------


def test_symlink_loops_and_aliases_are_walked_once(tmp_path):
    home = tmp_path / "home"
    corpus = build_corpus(home, claude_files=4, messages=10, codex_files=2, turns=10)
    projects = home / ".claude/projects"
    (projects / "-home-me-proj0/loop").symlink_to("..")  # a loop back to projects/
    (projects / "self").symlink_to(projects)  # projects/self/self/self...
    (projects / "alias.jsonl").symlink_to(corpus.files[0].path)  # one file, two names
    (projects / "dangling.jsonl").symlink_to(projects / "nowhere.jsonl")
    sessions = home / ".codex/sessions"
    (sessions / "2026/again").symlink_to(sessions)
    started = time.perf_counter()
    payload = scan_json(home, tmp_path / "data")
    assert time.perf_counter() - started < 60
    assert payload["sources"]["claude-code"]["files"] == 4
    assert ledger_totals(tmp_path / "data/ledger.db") == corpus.expected()


# ---- unreadable files and folders -------------------------------------------------------


def test_unreadable_file_and_folder_are_reported_then_read_once_readable(tmp_path, modes_bite):
    home = tmp_path / "home"
    corpus = build_corpus(home, claude_files=4, messages=10, codex_files=2, turns=10)
    data_dir = tmp_path / "data"
    locked_file = corpus.files[0].path
    locked_dir = corpus.files[4].path.parent  # a Codex day folder
    locked_file.chmod(0)
    locked_dir.chmod(0)
    try:
        payload = scan_json(home, data_dir, run_as_user)
    finally:
        locked_file.chmod(0o644)
        locked_dir.chmod(0o755)
    errors = payload["sources"]["claude-code"]["errors"]
    assert len(errors) == 1 and str(locked_file) in errors[0] and "ermission" in errors[0]
    readable = [f for f in corpus.files if f.path != locked_file and f.path.parent != locked_dir]
    from tests.test_robust_support import Corpus

    assert ledger_totals(data_dir / "ledger.db") == Corpus(readable).expected()
    # Readable again: the next scan picks up exactly what was missed.
    scan_json(home, data_dir, run_as_user)
    assert ledger_totals(data_dir / "ledger.db") == corpus.expected()


# ---- files that vanish or change under the scanner ---------------------------------------


def test_files_vanishing_or_truncated_mid_scan(tmp_path, env, home):
    from tokenlens.ingest import scan
    from tokenlens.store import open_ledger
    from tokenlens.tools.claude_code.usage import ClaudeCode

    corpus = build_corpus(home, claude_files=5, messages=8, codex_files=0)
    db = open_ledger(tmp_path / "data")
    scan(db, env, [ClaudeCode()])
    first = corpus.expected()
    vanished, shrunk = corpus.files[1].path, corpus.files[2].path
    for log in corpus.files:
        append(log.path, claude_assistant("2026-10-30T12:00:00Z", "late", f"late-{log.path.stem}",
                                          "req", inp=1, out=1000))

    def sabotage(source_id, path):
        # Called just before each file is read: the tool deletes one, truncates another.
        if path == vanished:
            path.unlink()
        elif path == shrunk:
            os.truncate(path, 0)

    result = scan(db, env, [ClaudeCode()], progress=sabotage)
    stats = result.sources["claude-code"]
    assert len(stats.errors) == 1 and str(vanished) in stats.errors[0]
    totals = ledger_totals(tmp_path / "data/ledger.db")["claude-code"]
    # Everything read before stays (the ledger is the history); the 3 untouched files' new
    # lines are in; the deleted and emptied files add nothing.
    assert totals["events"] == first["claude-code"]["events"] + 3
    assert totals["output_tokens"] == first["claude-code"]["output_tokens"] + 3000
    again = scan(db, env, [ClaudeCode()])
    assert again.sources["claude-code"].files_missing == 1
    assert ledger_totals(tmp_path / "data/ledger.db")["claude-code"] == totals
    db.conn.close()


def test_file_rewritten_between_scans_keeps_history_without_duplicates(tmp_path, env, home):
    from tests.test_robust_support import Corpus, LogFile, _add_line
    from tokenlens.ingest import scan
    from tokenlens.store import open_ledger
    from tokenlens.tools.claude_code.usage import ClaudeCode

    corpus = build_corpus(home, claude_files=2, messages=12, codex_files=0)
    db = open_ledger(tmp_path / "data")
    scan(db, env, [ClaudeCode()])
    log = corpus.files[0]
    before = Corpus(list(corpus.files))
    # The tool rewrites the file: its first half stays, then lines the old file never had.
    kept = LogFile(log.tool, log.path, list(log.lines[: len(log.lines) // 2]))
    for i in range(3):
        stamp = f"2026-10-29T0{i}:00:00.000Z"
        tokens = {"input_tokens": 3, "cache_read_tokens": 0, "cache_write_tokens": 0,
                  "output_tokens": 500 + i, "reasoning_tokens": 0}
        _add_line(kept, claude_assistant(stamp, "rw", f"new{i}", f"rq{i}", inp=3, out=500 + i),
                  key=f"new{i}:rq{i}", rank=10**9, tokens=tokens)
    kept.write()
    scan(db, env, [ClaudeCode()])
    union = Corpus([*before.files, kept]).expected()
    assert ledger_totals(tmp_path / "data/ledger.db") == union
    # Same size, different first bytes: still noticed as a rewrite.
    data = bytearray(kept.path.read_bytes())
    first_ts = data.find(b"2026-")
    data[first_ts:first_ts + 4] = b"2027"
    kept.path.write_bytes(bytes(data))
    scan(db, env, [ClaudeCode()])
    totals = ledger_totals(tmp_path / "data/ledger.db")["claude-code"]
    assert totals == union["claude-code"]  # same keys: updated in place, never doubled
    db.conn.close()


# ---- read-only places -------------------------------------------------------------------


def test_log_folders_without_write_permission(tmp_path, modes_bite):
    home = tmp_path / "home"
    corpus = build_corpus(home, claude_files=3, messages=5, codex_files=2, turns=5)
    for root in (home / ".claude", home / ".codex"):
        for path in sorted(root.rglob("*"), reverse=True):
            path.chmod(0o444 if path.is_file() else 0o555)
    try:
        scan_json(home, tmp_path / "data", run_as_user)
    finally:
        for root in (home / ".claude", home / ".codex"):
            for path in root.rglob("*"):
                path.chmod(0o644 if path.is_file() else 0o755)
    assert ledger_totals(tmp_path / "data/ledger.db") == corpus.expected()


@pytest.fixture
def ro_mount(tmp_path):
    """A tmpfs filled with logs, then remounted read-only (root only)."""
    mount_point = tmp_path / "ro"
    mount_point.mkdir()
    ok = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(mount_point)],
                        capture_output=True).returncode == 0
    if not ok:
        pytest.skip("cannot mount a tmpfs here (needs root)")
    yield mount_point
    subprocess.run(["umount", "-l", str(mount_point)], check=False)


def test_logs_on_a_read_only_mount(tmp_path, ro_mount):
    home = ro_mount / "home"
    corpus = build_corpus(home, claude_files=3, messages=5, codex_files=2, turns=5)
    subprocess.run(["mount", "-o", "remount,ro", str(ro_mount)], check=True)
    with pytest.raises(OSError):
        (home / "probe").write_text("x")
    payload = scan_json(home, tmp_path / "data")
    assert all(not s["errors"] for s in payload["sources"].values())
    assert ledger_totals(tmp_path / "data/ledger.db") == corpus.expected()


# ---- a 100 MB line ----------------------------------------------------------------------

PEAK_DRIVER = r"""
import atexit, sys
def peak():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            sys.stderr.write("PEAK_KB " + line.split()[1] + "\n")
atexit.register(peak)
from tokenlens.cli import main
main()
"""


def test_a_100mb_line_is_skipped_with_bounded_memory(tmp_path):
    home = tmp_path / "home"
    path = home / ".claude/projects/-p/huge.jsonl"
    append(path, claude_assistant("2026-11-01T10:00:00Z", "s", "m1", "r1", inp=5, out=7))
    # A usage line (it has the marker) holding 100 MB of text, then a normal line after it.
    with open(path, "a") as fh:
        fh.write('{"type": "assistant", "message": {"usage": {"input_tokens": 1}, "content": "')
        chunk = "x" * (1 << 20)
        for _ in range(100):
            fh.write(chunk)
        fh.write('"}}\n')
    append(path, claude_assistant("2026-11-01T10:02:00Z", "s", "m3", "r3", inp=5, out=11))
    assert path.stat().st_size > 100 << 20
    # VmHWM is this process image's own peak (rusage would include the forking pytest).
    proc = subprocess.run([sys.executable, "-c", PEAK_DRIVER, "--data-dir", str(tmp_path / "data"),
                           "scan", "--json"], env=cli_env(home), capture_output=True, text=True,
                          timeout=300, cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    peak_mb = int(proc.stderr.split("PEAK_KB ")[1].split()[0]) / 1024
    stats = json.loads(proc.stdout)["sources"]["claude-code"]
    assert stats["lines_skipped"] == 1 and stats["events_added"] == 2
    assert ledger_totals(tmp_path / "data/ledger.db")["claude-code"]["output_tokens"] == 18
    assert peak_mb < 110, f"peak RSS {peak_mb:.0f} MB"
    doctor = json.loads(run_cli(home, tmp_path / "data", "doctor", "--json").stdout)
    assert [s["reason"] for s in doctor["skipped"]] == ["line too long"]


# ---- invalid UTF-8 ----------------------------------------------------------------------


def test_invalid_utf8_in_lines_and_file_names(tmp_path):
    home = tmp_path / "home"
    folder = home / ".claude/projects/-p"
    good = claude_assistant("2026-11-01T10:00:00Z", "s", "m1", "r1", inp=5, out=7)
    append(folder / "ok.jsonl", good)
    raw = json.dumps(claude_assistant("2026-11-01T10:01:00Z", "s", "m2", "r2", inp=5, out=9)).encode()
    broken = raw.replace(b"answer about", b"answer \xff\xfe\xc3 about")
    with open(folder / "ok.jsonl", "ab") as fh:
        fh.write(broken + b"\n" + b"\x80\x81 not even json \xff\n")
    # A file name that is not UTF-8 (possible on Linux), in a folder that is not either.
    odd = os.fsencode(folder) + b"/\xff\xfeodd.jsonl"
    with open(odd, "wb") as fh:
        fh.write(json.dumps(claude_assistant("2026-11-01T10:03:00Z", "s", "m4", "r4", inp=5, out=13)).encode() + b"\n")
    odd_dir = os.fsencode(home / ".claude/projects") + b"/\xe9t\xe9"
    os.mkdir(odd_dir)
    with open(odd_dir + b"/s.jsonl", "wb") as fh:
        line = claude_assistant("2026-11-01T10:04:00Z", "s2", "m5", "r5", inp=5, out=17)
        del line["cwd"]  # the project then comes from the folder's (non-UTF-8) name
        fh.write(json.dumps(line).encode() + b"\n")
    data_dir = tmp_path / "data"
    payload = scan_json(home, data_dir)
    # The garbage line is skipped. The bad bytes inside the other line's prompt text are in a
    # part never read (the decoder skips it), so that line's usage still counts, as it does
    # for ccusage, which decodes the file with replacement characters.
    assert payload["sources"]["claude-code"]["lines_skipped"] == 1
    assert ledger_totals(data_dir / "ledger.db")["claude-code"]["output_tokens"] == 7 + 9 + 13 + 17
    for args in (["sources", "--json"], ["doctor", "--json"], ["report", "session", "--json"],
                 ["report", "daily", "--by", "project", "--json"]):
        proc = run_cli(home, data_dir, *args)
        assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
        json.loads(proc.stdout)
    # The odd file is known by one stable key: a rescan adds nothing.
    assert scan_json(home, data_dir)["sources"]["claude-code"]["events_added"] == 0


# ---- a data dir that cannot be written --------------------------------------------------


def test_data_dir_under_a_regular_file(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    proc = run_cli(tmp_path, blocker / "data", "scan")
    assert_one_line_error(proc, str(blocker / "data"))


def test_data_dir_without_write_permission(tmp_path, modes_bite):
    """Someone else's folder (as after a restore as another user): cannot be fixed, so say so."""
    data_dir = tmp_path / "data"
    data_dir.mkdir(mode=0o755)
    if os.geteuid() == 0:
        os.chown(data_dir, NOBODY, NOBODY)
    else:
        data_dir.chmod(0o500)
    proc = run_as_user(tmp_path, data_dir, "report", "daily")
    assert_one_line_error(proc, str(data_dir))
    assert list(data_dir.iterdir()) == []


def test_ledger_file_made_read_only(tmp_path, modes_bite):
    home = tmp_path / "home"
    corpus = build_corpus(home, claude_files=1, messages=3, codex_files=0)
    data_dir = tmp_path / "data"
    scan_json(home, data_dir)
    before = (data_dir / "ledger.db").read_bytes()
    # New usage, so the next scan has to write.
    append(corpus.files[0].path, claude_assistant("2026-11-01T10:00:00Z", "s", "mx", "rx", inp=1, out=2))
    (data_dir / "ledger.db").chmod(0o400)
    if os.geteuid() == 0:
        os.chown(data_dir / "ledger.db", NOBODY, NOBODY)
    try:
        proc = run_as_user(home, data_dir, "scan")
        report = run_as_user(home, data_dir, "report", "daily", "--no-scan", "--json")
    finally:
        os.chown(data_dir / "ledger.db", os.geteuid(), os.getegid())
        (data_dir / "ledger.db").chmod(0o600)
    assert_one_line_error(proc, "ledger")
    assert "damaged" not in proc.stderr  # a permission problem is not damage
    assert (data_dir / "ledger.db").read_bytes() == before
    # Reading it may or may not work (SQLite's WAL needs a writable ledger to open); never a traceback.
    assert "Traceback" not in report.stderr and len(report.stderr.strip().splitlines()) <= 1, report.stderr


def test_data_dir_on_a_read_only_mount(tmp_path, ro_mount):
    subprocess.run(["mount", "-o", "remount,ro", str(ro_mount)], check=True)
    proc = run_cli(tmp_path, ro_mount / "data", "scan")
    assert_one_line_error(proc, str(ro_mount / "data"))


def test_full_disk_during_scan_is_one_line(tmp_path, ro_mount):
    """A tiny tmpfs as the data dir fills up mid-scan: one line, and the ledger stays usable."""
    subprocess.run(["mount", "-o", "remount,size=3200k", str(ro_mount)], check=True)
    home = tmp_path / "home"
    # More events than one transaction takes (store.writer.BATCH_EVENTS), so some commit first.
    corpus = build_corpus(home, claude_files=60, messages=200, codex_files=0)
    data_dir = ro_mount / "data"
    proc = run_cli(home, data_dir, "scan")
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert ledger_totals(data_dir / "ledger.db")["claude-code"]["events"] > 0  # it filled up mid-scan
    # Room again: the ledger is intact and the scan completes exactly.
    subprocess.run(["mount", "-o", "remount,size=64m", str(ro_mount)], check=True)
    scan_json(home, data_dir)
    assert ledger_totals(data_dir / "ledger.db") == corpus.expected()
    shutil.rmtree(data_dir)


def test_data_dir_path_with_invalid_utf8(tmp_path):
    home = tmp_path / "home"
    corpus = build_corpus(home, claude_files=1, messages=3, codex_files=0)
    data_dir = Path(os.fsdecode(os.fsencode(tmp_path) + b"/d\xffata"))
    payload = scan_json(home, data_dir)
    assert payload["sources"]["claude-code"]["events_added"] == corpus.expected()["claude-code"]["events"]
