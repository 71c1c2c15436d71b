"""Nothing leaves the device: every CLI command, run as its own process, under a guard that
records and refuses any internet connection (TCP or UDP, IPv4 or IPv6) and any name lookup.

pytest-socket already blocks sockets inside the test process; subprocesses escape it, so
they get this guard through a `sitecustomize` module on their PYTHONPATH (which Python
imports at start-up, before tokenlens). A control run proves the guard catches a connect.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.test_robust_support import REPO, build_corpus, cli_cmd, cli_env

GUARD = r'''
import os, socket

_LOG = os.environ["ROBUST_NET_LOG"]
_INTERNET = (socket.AF_INET, socket.AF_INET6)
with open(_LOG + ".loaded", "a") as _fh:
    _fh.write(f"{os.getpid()}\n")


def _record(what, detail):
    with open(_LOG, "a") as fh:
        fh.write(f"{os.getpid()} {what} {detail!r}\n")
    raise OSError(f"network access blocked by test guard: {what} {detail!r}")


def _guard_method(name):
    real = getattr(socket.socket, name)

    def guarded(self, *args, **kwargs):
        if self.family in _INTERNET:
            _record(name, args[:1])
        return real(self, *args, **kwargs)

    setattr(socket.socket, name, guarded)


for _name in ("connect", "connect_ex", "sendto", "sendmsg"):
    _guard_method(_name)


def _guard_function(name):
    def guarded(*args, **kwargs):
        _record(name, args[:1])

    setattr(socket, name, guarded)


for _name in ("getaddrinfo", "gethostbyname", "gethostbyname_ex", "gethostbyaddr", "create_connection"):
    _guard_function(_name)
'''


@pytest.fixture
def guarded(tmp_path):
    guard_dir = tmp_path / "guard"
    guard_dir.mkdir()
    (guard_dir / "sitecustomize.py").write_text(GUARD)
    log = tmp_path / "net.log"
    log.touch()
    home = tmp_path / "home"
    env = cli_env(home, ROBUST_NET_LOG=str(log))
    env["PYTHONPATH"] = f"{guard_dir}:{REPO}"
    return home, env, log


def test_guard_catches_a_deliberate_connect(guarded):
    _, env, log = guarded
    code = ("import socket\n"
            "try:\n    socket.create_connection(('192.0.2.1', 443), timeout=1)\nexcept OSError as e:\n    print(e)\n"
            "s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)\n"
            "try:\n    s.sendto(b'x', ('2001:db8::1', 53))\nexcept OSError as e:\n    print(e)\n"
            "try:\n    socket.getaddrinfo('example.com', 80)\nexcept OSError as e:\n    print(e)\n"
            "a, b = socket.socketpair()\na.sendall(b'local is fine'); print(b.recv(64))\n")
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("blocked by test guard") == 3
    assert "local is fine" in proc.stdout
    assert [line.split()[1] for line in log.read_text().splitlines()] == ["create_connection", "sendto", "getaddrinfo"]


def commands(tmp_path) -> list[list[str]]:
    from tokenlens.cli import cli

    available = set(cli.list_commands(None))
    out = [["scan", "--json"], ["sources", "--json"], ["doctor", "--json"]]
    for kind in ("daily", "weekly", "monthly", "session", "blocks"):
        out.append(["report", kind, "--json", "--tz", "America/New_York"])
    out.append(["report", "daily", "--by", "model"])
    if "permissions" in available:
        out += [["permissions", "--json"], ["permissions", "--diff", "--json"]]
    if "export" in available:
        out += [["export", "--period", "2026-10", "--preview"],
                ["export", "--period", "2026-10", "--out", str(tmp_path / "summary.json")]]
    if "team" in available:
        out.append(["team", "merge", str(tmp_path / "summary.json"), "--out", str(tmp_path / "team.json")])
    return out


def test_every_cli_command_runs_without_touching_the_network(guarded, tmp_path):
    home, env, log = guarded
    build_corpus(home, claude_files=3, messages=10, codex_files=2, turns=10)
    data_dir = tmp_path / "data"
    ran = []
    for args in commands(tmp_path):
        proc = subprocess.run(cli_cmd(data_dir, *args), env=env, capture_output=True, text=True,
                              timeout=120, cwd=tmp_path)
        assert "blocked by test guard" not in proc.stderr + proc.stdout, (args, proc.stderr)
        assert proc.returncode == 0, (args, proc.stderr)
        if "--json" in args:
            json.loads(proc.stdout)
        ran.append(args[0])
    assert log.read_text() == ""
    assert {"scan", "report", "sources", "doctor"} <= set(ran)
    # The guard was live in every one of those processes.
    assert len((tmp_path / "net.log.loaded").read_text().split()) >= len(ran)
