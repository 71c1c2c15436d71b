"""The synced folder's key: derived from the passphrase once, then kept in the OS keyring when
one works (read back), else in a 0600 file in the data dir, moved into the keyring once it
works; the passphrase itself is never kept."""

from __future__ import annotations

import base64
import json

import keyring
import pytest
from keyring.backends.fail import Keyring as NoKeyring

from tests.sync_support import PASSPHRASE, Device
from tests.test_export import MemoryKeyring
from tokenlens.sync import keys


@pytest.fixture
def backend():
    previous = keyring.get_keyring()
    yield lambda b: keyring.set_keyring(b)
    keyring.set_keyring(previous)


def check_of(folder) -> str:
    return json.loads((folder / "tokenlens" / "sync.json").read_text())["check"]


def test_the_key_lives_in_a_working_keyring_and_moves_there_from_a_file(tmp_path, backend):
    folder = tmp_path / "Sync"
    folder.mkdir()
    backend(NoKeyring())
    a = Device(tmp_path / "a", "a")
    result = a.sync(folder)
    assert result.key_detail.startswith("file ")
    entry = keys.stored(check_of(folder))
    key_file = a.data_dir / entry.filename
    assert key_file.exists() and key_file.stat().st_mode & 0o077 == 0
    memory = MemoryKeyring()
    backend(memory)
    asked = []
    from tokenlens.sync.engine import sync

    result = sync(a.db, a.data_dir, ask=lambda creating: asked.append(creating))  # no passphrase needed
    assert asked == [] and result.key_detail.startswith("OS keyring")
    assert not key_file.exists()
    secret = base64.b64decode(memory.items[("tokenlens", entry.username)])
    assert keys.key_check(secret) == check_of(folder)
    assert PASSPHRASE not in json.dumps(list(memory.items.values()))
    b = Device(tmp_path / "b", "b")
    b.sync(folder)  # joins with the passphrase; the key goes to the same keyring entry
    assert not (b.data_dir / entry.filename).exists()
    a.close()
    b.close()


def test_a_damaged_key_file_asks_for_the_passphrase_again(tmp_path, backend):
    folder = tmp_path / "Sync"
    folder.mkdir()
    backend(NoKeyring())
    a = Device(tmp_path / "a", "a")
    a.sync(folder)
    key_file = a.data_dir / keys.stored(check_of(folder)).filename
    key_file.write_text("not a key\n")
    from tokenlens.sync.engine import SyncError, sync

    with pytest.raises(SyncError, match="needs its passphrase"):
        sync(a.db, a.data_dir, ask=lambda creating: None)
    assert sync(a.db, a.data_dir, ask=lambda creating: PASSPHRASE).key_detail.startswith("file ")
    a.close()
