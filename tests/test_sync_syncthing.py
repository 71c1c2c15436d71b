"""End to end: two real Syncthing instances (Debian's `syncthing`) on loopback move the synced
folder between two devices' data dirs; both end with the sum of both histories.

Each instance has a throwaway home, a config written here (loopback listen address, the peer
at its loopback address; global and local discovery, relays, NAT, usage reporting, crash
reporting, upgrades and the GUI/REST API all off), and is started and stopped by the test in
its own process group, which is killed whatever happens. The test process itself opens no
socket (pytest-socket): free ports are found by a child Python, the rest is files.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.sync_support import Device, no_keyring

pytestmark = pytest.mark.syncthing

DEADLINE_S = 180  # a failure bound only: on loopback each step takes a few seconds
FOLDER_ID = "tokenlens-e2e"

CONFIG = """<configuration version="36">
    <folder id="{folder_id}" label="tokenlens e2e" path="{path}" type="sendreceive" rescanIntervalS="2"
            fsWatcherEnabled="true" fsWatcherDelayS="1" ignorePerms="false" autoNormalize="true">
        <filesystemType>basic</filesystemType>
        <device id="{me}"></device>
        <device id="{peer}"></device>
    </folder>
    <device id="{me}" name="me" compression="metadata"><address>dynamic</address></device>
    <device id="{peer}" name="peer" compression="metadata"><address>tcp://127.0.0.1:{peer_port}</address></device>
    <gui enabled="false" tls="false"><address>127.0.0.1:0</address></gui>
    <options>
        <listenAddress>tcp://127.0.0.1:{port}</listenAddress>
        <globalAnnounceServer></globalAnnounceServer>
        <globalAnnounceEnabled>false</globalAnnounceEnabled>
        <localAnnounceEnabled>false</localAnnounceEnabled>
        <relaysEnabled>false</relaysEnabled>
        <natEnabled>false</natEnabled>
        <urAccepted>-1</urAccepted>
        <autoUpgradeIntervalH>0</autoUpgradeIntervalH>
        <crashReportingEnabled>false</crashReportingEnabled>
        <startBrowser>false</startBrowser>
        <reconnectionIntervalS>1</reconnectionIntervalS>
        <stunServer></stunServer>
    </options>
</configuration>
"""


def free_ports(n: int) -> list[int]:
    code = (f"import socket\nss=[socket.socket() for _ in range({n})]\n"
            "[s.bind(('127.0.0.1', 0)) for s in ss]\nprint(' '.join(str(s.getsockname()[1]) for s in ss))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return [int(p) for p in out.split()]


class Instance:
    def __init__(self, root: Path, folder: Path) -> None:
        self.home, self.folder = root / "st-home", folder
        self.env = {"HOME": str(root), "PATH": os.environ.get("PATH", ""), "STNODEFAULTFOLDER": "1",
                    "STNOUPGRADE": "1", "STNORESTART": "1"}
        subprocess.run(["syncthing", "generate", f"--home={self.home}", "--no-default-folder", "--skip-port-probing"],
                       env=self.env, check=True, capture_output=True)
        self.id = subprocess.run(["syncthing", "serve", f"--home={self.home}", "--device-id"], env=self.env,
                                 check=True, capture_output=True, text=True).stdout.strip()
        self.proc: subprocess.Popen | None = None
        folder.mkdir(parents=True, exist_ok=True)
        (folder / ".stfolder").mkdir(exist_ok=True)

    def configure(self, port: int, peer: Instance, peer_port: int) -> None:
        (self.home / "config.xml").write_text(CONFIG.format(folder_id=FOLDER_ID, path=self.folder, me=self.id,
                                                            peer=peer.id, port=port, peer_port=peer_port))

    def start(self, log: Path) -> None:
        self.log = log
        self.proc = subprocess.Popen(
            ["syncthing", "serve", f"--home={self.home}", "--no-browser", "--no-restart", "--no-upgrade",
             f"--logfile={log}"], env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
            start_new_session=True)

    def stop(self) -> None:
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


def wait_until(what: str, check, instances) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while not check():
        for inst in instances:
            assert inst.proc.poll() is None, f"syncthing exited early; its log:\n{inst.log.read_text()[-3000:]}"
        if time.monotonic() > deadline:
            logs = "\n".join(inst.log.read_text(errors="replace")[-2000:] for inst in instances)
            pytest.fail(f"timed out waiting for {what}; syncthing logs:\n{logs}")
        time.sleep(0.5)


def test_two_syncthing_instances_carry_the_folder_between_two_devices(tmp_path):
    import keyring

    previous = no_keyring()
    a, b = Device(tmp_path / "a", "a"), Device(tmp_path / "b", "b")
    a.claude("2026-11-20", inp=100, out=1, cr=1000)
    a.codex("2026-11-21", inp=400, cached=100, out=40)
    b.claude("2026-11-22", inp=7, out=3000)
    expected = a.expected_own + b.expected_own
    sa, sb = Instance(tmp_path / "a", tmp_path / "a" / "Sync"), Instance(tmp_path / "b", tmp_path / "b" / "Sync")
    pa, pb = free_ports(2)
    sa.configure(pa, sb, pb)
    sb.configure(pb, sa, pa)
    try:
        sa.start(tmp_path / "a-syncthing.log")
        sb.start(tmp_path / "b-syncthing.log")
        a.sync(sa.folder, name="laptop")
        wait_until("sync.json to reach b", lambda: (sb.folder / "tokenlens/sync.json").is_file(), (sa, sb))

        def b_has_both() -> bool:
            try:
                b.sync(sb.folder, name="desktop")
            except Exception as exc:  # a half-synced sync.json: try again
                if "sync.json" not in str(exc):
                    raise
                return False
            return b.total() == expected

        wait_until("b to read a's segment", b_has_both, (sa, sb))

        def a_has_both() -> bool:
            a.sync(sa.folder)
            return a.total() == expected

        wait_until("a to read b's segment", a_has_both, (sa, sb))
        names = {n for (n,) in a.db.execute("SELECT COALESCE(local_name, name) FROM devices")}
        assert names == {"laptop", "desktop"}
        logs = sa.log.read_text(errors="replace") + sb.log.read_text(errors="replace")
    finally:
        sa.stop()
        sb.stop()
        a.close()
        b.close()
        keyring.set_keyring(previous)
    # Loopback only: no discovery, relay or STUN lookups were even tried.
    for word in ("relay", "stun", "announce", "discover"):
        assert not [line for line in logs.lower().splitlines() if word in line and "disabled" not in line], word
    for inst in (sa, sb):
        assert inst.proc.poll() is not None
        with pytest.raises(ProcessLookupError):
            os.killpg(inst.proc.pid, 0)  # nothing of its process group outlives the test
