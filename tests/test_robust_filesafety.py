"""File safety: the data dir is 0700 and everything in it 0600 (the ledger's WAL and SHM
included) even under a permissive umask; nothing is written anywhere but the data dir and
the export path the person chose — the tools' logs and configs stay byte-for-byte untouched.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

from tests.test_robust_network import commands
from tests.test_robust_support import REPO, build_corpus, cli_cmd, cli_env

# Scan, then die without closing the ledger, so its -wal and -shm stay to be inspected.
SCAN_AND_DIE = r"""
import os, signal, sys
from pathlib import Path
from tokenlens.ingest import scan
from tokenlens.store import open_ledger
scan(open_ledger(Path(sys.argv[1])))
os.kill(os.getpid(), signal.SIGKILL)
"""


def permissive_umask() -> None:
    os.umask(0)


def write_configs(home: Path) -> None:
    """Agent configs the permission scanners read (they must only read them)."""
    (home / ".claude").mkdir(parents=True, exist_ok=True)
    (home / ".claude/settings.json").write_text(json.dumps({
        "permissions": {"allow": ["Bash(git push:*)", "WebFetch"], "defaultMode": "acceptEdits"},
        "env": {"API_TOKEN": "sk-test-not-a-secret"},
    }))
    (home / ".codex").mkdir(parents=True, exist_ok=True)
    (home / ".codex/config.toml").write_text(
        'approval_policy = "never"\nsandbox_mode = "danger-full-access"\n'
        '[mcp_servers.github]\ncommand = "npx"\nargs = ["-y", "@modelcontextprotocol/server-github"]\n'
    )


def snapshot(root: Path, skip: set[Path]) -> dict[str, tuple]:
    """Every entry under root: type, mode, size, mtime and content hash (links not followed)."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if Path(dirpath, d) not in skip]
        for name in [*dirnames, *filenames]:
            path = Path(dirpath, name)
            if path in skip:
                continue
            st = path.lstat()
            digest = hashlib.sha256(path.read_bytes()).hexdigest() if stat.S_ISREG(st.st_mode) else None
            out[str(path.relative_to(root))] = (stat.S_IFMT(st.st_mode), stat.S_IMODE(st.st_mode),
                                                st.st_size, st.st_mtime_ns, digest)
    return out


def test_data_dir_0700_and_every_file_0600_under_umask_0(tmp_path):
    home = tmp_path / "home"
    build_corpus(home, claude_files=3, messages=10, codex_files=2, turns=10)
    data_dir = tmp_path / "data"
    env = cli_env(home)
    proc = subprocess.run([sys.executable, "-c", SCAN_AND_DIE, str(data_dir)], env=env, capture_output=True,
                          text=True, timeout=120, cwd=REPO, preexec_fn=permissive_umask)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    names = {p.name for p in data_dir.iterdir()}
    assert {"ledger.db", "ledger.db-wal", "ledger.db-shm"} <= names
    # More commands, still under umask 0: settings, snapshots, keys... whatever they write.
    for args in [a for a in commands(tmp_path) if a[0] not in ("export", "team")]:
        proc = subprocess.run(cli_cmd(data_dir, *args), env=env, capture_output=True, text=True,
                              timeout=120, cwd=REPO, preexec_fn=permissive_umask)
        assert proc.returncode == 0, (args, proc.stderr)
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    for path in data_dir.rglob("*"):
        mode = stat.S_IMODE(path.lstat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), f"{path.name}: {oct(mode)}"


def test_an_existing_data_dir_and_ledger_with_loose_modes_are_tightened(tmp_path):
    home = tmp_path / "home"
    build_corpus(home, claude_files=1, messages=3, codex_files=0)
    data_dir = tmp_path / "data"
    data_dir.mkdir(mode=0o755)
    data_dir.chmod(0o755)
    ledger = data_dir / "ledger.db"
    ledger.touch()
    ledger.chmod(0o644)
    proc = subprocess.run(cli_cmd(data_dir, "scan"), env=cli_env(home), capture_output=True, text=True,
                          timeout=120, cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE(ledger.stat().st_mode) == 0o600


def test_nothing_written_outside_the_data_dir_and_the_chosen_export(tmp_path):
    home = tmp_path / "home"
    build_corpus(home, claude_files=3, messages=10, codex_files=2, turns=10)
    write_configs(home)
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    data_dir = tmp_path / "data"
    chosen = {tmp_path / "summary.json", tmp_path / "team.json"}
    before = snapshot(tmp_path, {data_dir, *chosen})
    assert any(k.endswith(".jsonl") for k in before) and any(k.endswith("config.toml") for k in before)
    env = cli_env(home)
    for args in commands(tmp_path):
        proc = subprocess.run(cli_cmd(data_dir, *args), env=env, capture_output=True, text=True,
                              timeout=120, cwd=cwd)
        assert proc.returncode == 0, (args, proc.stderr)
    after = snapshot(tmp_path, {data_dir, *chosen})
    changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
    assert not changed, sorted(changed)
    written = [path for path in chosen if any(str(path) in args for args in commands(tmp_path))]
    for path in written:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
