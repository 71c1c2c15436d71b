"""Shared fixtures. Every test gets a throwaway HOME and data dir; sockets are blocked
(pytest-socket, see pyproject addopts) except Unix sockets, which dbus and the app's
single-instance lock need."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(autouse=True)
def _keyring_not_declined(monkeypatch):
    """A dismissed keyring prompt is remembered for the process (one app session): each test
    is a session of its own."""
    import tokenlens.export.keys as keys

    monkeypatch.setattr(keys, "_declined", None)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "home"
    path.mkdir()
    return path


@pytest.fixture
def env(home: Path):
    from tokenlens.config import Env

    # Only what the code under test may look at: no real HOME leaks into a test.
    return Env(environ={"HOME": str(home), "PATH": os.environ.get("PATH", "")})


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def db(data_dir: Path):
    from tokenlens.store import open_ledger

    ledger = open_ledger(data_dir)
    yield ledger
    ledger.conn.close()


def _require(marker: str, ok: bool, why: str) -> None:
    if ok:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{marker} test cannot run in CI: {why}")
    pytest.skip(why)


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("tray"):
        _require("tray", bool(os.environ.get("TOKENLENS_TEST_DISPLAY")), "no Xvfb display (run scripts/test.sh)")
    if item.get_closest_marker("keyring"):
        _require("keyring", bool(os.environ.get("TOKENLENS_TEST_KEYRING")), "no unlocked gnome-keyring (run scripts/test.sh)")
    if item.get_closest_marker("syncthing"):
        import shutil

        _require("syncthing", shutil.which("syncthing") is not None, "syncthing is not installed (run scripts/test.sh)")


@pytest.fixture
def file_keys():
    """Keys in each data dir's 0600 file for the test's length (tests/sync_support.no_keyring:
    one process plays several devices), then the keyring as it was."""
    import keyring

    from tests.sync_support import no_keyring

    previous = no_keyring()
    yield
    keyring.set_keyring(previous)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """The synced folder the sync tests' devices share."""
    path = tmp_path / "Sync"
    path.mkdir()
    return path
