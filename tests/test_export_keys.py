"""The device key and pseudonym: in the keyring when one works (read back to be sure), in a
0600 file in the data dir when not (no keyring, a locked one, one that drops writes), never a
crash; stable within a period, unrelated across periods; a new key on request."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import shutil
import stat
import subprocess

import pytest
from click.testing import CliRunner
from keyring.backend import KeyringBackend
from keyring.errors import KeyringLocked

from tests.test_export import MemoryKeyring, ledger, memory_keyring  # noqa: F401
from tokenlens.export import keys

SERVICE, USER = "tokenlens", "export-device-key"


def by_hand(secret: bytes, period: str) -> str:
    """privacy.md §4.2: HMAC-SHA256(secret, "tokenlens/v1/" + purpose + "/" + period), 64 bits, base32."""
    digest = hmac.new(secret, f"tokenlens/v1/summary/{period}".encode(), hashlib.sha256).digest()
    return base64.b32encode(digest[:8]).decode().rstrip("=").lower()


@pytest.fixture
def use_backend():
    import keyring

    previous = keyring.get_keyring()

    def install(backend):
        keyring.set_keyring(backend)
        return backend

    yield install
    keyring.set_keyring(previous)


class DroppingKeyring(KeyringBackend):
    """Says yes to every write and keeps nothing (like a disabled keyring)."""

    priority = 1

    def get_password(self, service, username):
        return None

    def set_password(self, service, username, password):
        return None

    def delete_password(self, service, username):
        return None


class StaleKeyring(MemoryKeyring):
    """Keeps the first value ever written and ignores later ones."""

    def set_password(self, service, username, password):
        self.items.setdefault((service, username), password)


class LockedKeyring(KeyringBackend):
    priority = 1

    def get_password(self, service, username):
        raise KeyringLocked("collection is locked")

    def set_password(self, service, username, password):
        raise KeyringLocked("collection is locked")

    def delete_password(self, service, username):
        raise KeyringLocked("collection is locked")


def test_key_lives_in_a_working_keyring(data_dir, memory_keyring):  # noqa: F811
    key = keys.load_device_key(data_dir)
    assert key.location == "keyring"
    assert base64.b64decode(memory_keyring.items[(SERVICE, USER)]) == key.secret
    assert len(key.secret) == 32
    assert not keys.key_file_path(data_dir).exists()
    assert keys.load_device_key(data_dir).secret == key.secret


def test_pseudonym_stable_within_a_period_and_unrelated_across(ledger, data_dir, memory_keyring):  # noqa: F811
    from tokenlens.export.summary import build_summary

    w38 = build_summary(ledger, data_dir, "2026-W38", tz="UTC").document["device"]
    again = build_summary(ledger, data_dir, "2026-W38", tz="UTC").document["device"]
    w39 = build_summary(ledger, data_dir, "2026-W39", tz="UTC").document["device"]
    month = build_summary(ledger, data_dir, "2026-09", tz="UTC").document["device"]
    secret = base64.b64decode(memory_keyring.items[(SERVICE, USER)])
    assert w38 == again == by_hand(secret, "2026-W38")
    assert w39 == by_hand(secret, "2026-W39")
    assert len({w38, w39, month}) == 3


def test_new_key_changes_the_pseudonym(data_dir, memory_keyring):  # noqa: F811
    old = keys.load_device_key(data_dir)
    new = keys.new_device_key(data_dir)
    assert new.secret != old.secret and new.location == "keyring"
    assert keys.load_device_key(data_dir).secret == new.secret
    assert keys.pseudonym(new.secret, "2026-W38") != keys.pseudonym(old.secret, "2026-W38")


@pytest.mark.parametrize(
    "backend_factory, reason_words",
    [
        (lambda: __import__("keyring.backends.fail", fromlist=["Keyring"]).Keyring(), "no OS keyring"),
        (lambda: __import__("keyring.backends.null", fromlist=["Keyring"]).Keyring(), "did not keep it"),
        (DroppingKeyring, "did not keep it"),
        (LockedKeyring, "locked"),
    ],
    ids=["fail-NoKeyringError", "null-backend", "drops-writes", "locked"],
)
def test_no_usable_keyring_falls_back_to_a_private_file(data_dir, use_backend, backend_factory, reason_words):
    use_backend(backend_factory())
    key = keys.load_device_key(data_dir)
    path = keys.key_file_path(data_dir)
    assert key.location == "file"
    assert "not protected by an OS keyring" in key.detail and reason_words in key.detail
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert base64.b64decode(path.read_text()) == key.secret
    assert keys.load_device_key(data_dir).secret == key.secret  # same pseudonym next time
    status = keys.doctor_check(None, data_dir, None)
    assert status["location"] == "file" and "NOT protected" in status["message"]
    assert [p.name for p in data_dir.iterdir()] == [keys.KEY_FILENAME]


def test_stale_keyring_cannot_keep_an_old_key_alive(data_dir, use_backend):
    backend = use_backend(StaleKeyring())
    first = keys.load_device_key(data_dir)
    assert first.location == "keyring"
    renewed = keys.new_device_key(data_dir)  # the keyring keeps the old value: read-back catches it
    assert renewed.location == "file"
    assert (SERVICE, USER) not in backend.items  # the stale one is removed, so the file key wins
    assert keys.load_device_key(data_dir).secret == renewed.secret != first.secret


def test_file_key_moves_into_a_keyring_that_appears_later(data_dir, use_backend):
    from keyring.backends.fail import Keyring as FailKeyring

    use_backend(FailKeyring())
    before = keys.load_device_key(data_dir)
    assert before.location == "file"
    backend = use_backend(MemoryKeyring())
    after = keys.load_device_key(data_dir)
    assert after.location == "keyring" and after.secret == before.secret
    assert base64.b64decode(backend.items[(SERVICE, USER)]) == before.secret
    assert not keys.key_file_path(data_dir).exists()


def test_damaged_key_file_is_a_clear_error(data_dir, use_backend):
    from keyring.backends.fail import Keyring as FailKeyring

    use_backend(FailKeyring())
    data_dir.mkdir(parents=True)
    keys.key_file_path(data_dir).write_text("not base64 at all!!\n")
    with pytest.raises(keys.KeyFileError, match="damaged"):
        keys.load_device_key(data_dir)


def test_doctor_reports_where_the_key_lives(data_dir, use_backend):
    from keyring.backends.fail import Keyring as FailKeyring

    from tokenlens.cli import cli

    use_backend(FailKeyring())
    runner = CliRunner()
    before = runner.invoke(cli, ["--data-dir", str(data_dir), "doctor", "--json"])
    assert before.exit_code == 0, before.output
    assert '"location": "none"' in before.stdout
    keys.load_device_key(data_dir)
    after = runner.invoke(cli, ["--data-dir", str(data_dir), "doctor", "--json"])
    assert '"location": "file"' in after.stdout and "NOT protected by an OS keyring" in after.stdout


@pytest.mark.keyring
def test_real_secret_service_keyring(data_dir, use_backend):
    """gnome-keyring under dbus (scripts/test.sh): the key is in the Secret Service, as
    `secret-tool` (libsecret, an independent client) sees it, and nowhere on disk."""
    from keyring.backends.SecretService import Keyring as SecretServiceKeyring

    backend = SecretServiceKeyring()
    assert backend.priority > 0, "Secret Service not reachable"
    use_backend(backend)
    try:
        key = keys.load_device_key(data_dir)
        assert key.location == "keyring", key.detail
        assert not keys.key_file_path(data_dir).exists()
        tool = shutil.which("secret-tool")
        assert tool, "secret-tool (libsecret-tools) missing"
        looked_up = subprocess.run([tool, "lookup", "service", SERVICE, "username", USER],
                                   capture_output=True, text=True, timeout=30, env=os.environ.copy())
        assert base64.b64decode(looked_up.stdout.strip()) == key.secret
        renewed = keys.new_device_key(data_dir)
        assert renewed.location == "keyring" and renewed.secret != key.secret
        assert keys.load_device_key(data_dir).secret == renewed.secret
        assert keys.doctor_check(None, data_dir, None)["location"] == "keyring"
    finally:
        backend.delete_password(SERVICE, USER)


def test_overlapping_background_jobs_make_one_key(data_dir, use_backend):
    """The app's Export tab builds previews in background jobs that can overlap. Two making
    the first key at once used to share one temp file ("cannot write device key file ...
    No such file or directory") or each keep a different key; now they get the same one."""
    import threading

    from keyring.backends.fail import Keyring as FailKeyring

    use_backend(FailKeyring())  # no keyring: the key goes to the file
    start = threading.Barrier(4)
    results, errors = [], []

    def make():
        start.wait()
        try:
            results.append(keys.load_device_key(data_dir).secret)
        except keys.KeyFileError as exc:
            errors.append(str(exc))

    threads = [threading.Thread(target=make) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert errors == [] and len(results) == 4 and len(set(results)) == 1
    assert keys.load_device_key(data_dir).secret == results[0]
    assert not [p for p in data_dir.iterdir() if p.name.endswith(".tmp")]
