"""The Export tab (real widgets, offscreen): preview shows the exact bytes, Save writes those
bytes (0600) and logs the export, a new key changes the pseudonym, the key line tells the truth
about where the key lives, and errors are messages, not crashes."""

from __future__ import annotations

import stat

import orjson
import pytest

from tests.test_export import ledger, memory_keyring  # noqa: F401


def settle(qtbot, widget, action) -> None:
    """Do `action` and wait until the tab has painted the background build it started."""
    with qtbot.waitSignal(widget.loaded, timeout=20_000):
        action()


@pytest.fixture
def tab(qtbot, ledger, data_dir, memory_keyring, monkeypatch):  # noqa: F811
    from tokenlens.app.export_tab import ExportTab

    monkeypatch.setenv("TZ", "UTC")
    widget = ExportTab(data_dir)
    qtbot.addWidget(widget)
    widget.period.setEditText("2026-W38")
    with qtbot.waitSignal(widget.loaded, timeout=20_000):
        widget.show()  # shown: the first build starts
        qtbot.waitExposed(widget)
    settle(qtbot, widget, widget.refresh)
    return widget


def test_preview_shows_the_summary_and_save_writes_exactly_it(qtbot, tab, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    shown = tab.preview.toPlainText()
    doc = orjson.loads(shown)
    assert doc["period"] == "2026-W38" and doc["usage"]["total_tokens"] == 77_000
    assert tab.history_box.showing_message() and tab.history_box.message.text().startswith("None saved yet")
    target = tmp_path / "saved.json"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(target), "")))
    settle(qtbot, tab, tab.save_button.click)
    assert target.read_bytes() == shown.encode("utf-8")
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert tab.history.rowCount() == 1 and not tab.history_box.showing_message()
    assert tab.history.item(0, 1).text() == "2026-W38"
    assert "Saved" in tab.message.text()


def test_cancelled_dialog_writes_nothing(tab, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: ("", "")))
    before = sorted(p.name for p in tmp_path.iterdir())
    tab.save_button.click()
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert tab.history.rowCount() == 0


def test_unwritable_target_is_a_message(tab, tmp_path):
    assert tab.save_to(tmp_path / "no-such-dir" / "x.json") is False
    assert "cannot write" in tab.message.text()


def test_bad_period_is_a_message_and_disables_save(qtbot, tab):
    settle(qtbot, tab, lambda: tab.period.setEditText("2026-W77"))
    assert "Cannot build the summary" in tab.message.text() and "ISO week" in tab.message.text()
    assert not tab.save_button.isEnabled()
    assert tab.preview.toPlainText() == ""


def test_noise_choice_changes_the_preview_and_shows_its_explanation(qtbot, tab):
    settle(qtbot, tab, lambda: tab.noise.setCurrentIndex(2))  # default, ε = 2
    doc = orjson.loads(tab.preview.toPlainText())
    assert doc["privacy"]["mechanism"] == "randomized-response" and doc["privacy"]["epsilon"] == 2.0
    assert tab.noise_note.isVisible() and "randomized response" in tab.noise_note.text()


def test_new_key_changes_the_pseudonym_after_confirmation(qtbot, tab, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    before = orjson.loads(tab.preview.toPlainText())["device"]
    monkeypatch.setattr(QMessageBox, "question", staticmethod(lambda *a, **k: QMessageBox.StandardButton.No))
    tab.new_key_button.click()
    assert orjson.loads(tab.preview.toPlainText())["device"] == before
    monkeypatch.setattr(QMessageBox, "question", staticmethod(lambda *a, **k: QMessageBox.StandardButton.Yes))
    settle(qtbot, tab, tab.new_key_button.click)
    assert orjson.loads(tab.preview.toPlainText())["device"] != before
    assert "OS keyring" in tab.key_status.text()


def test_key_line_says_when_no_keyring_protects_the_key(qtbot, ledger, data_dir, monkeypatch):  # noqa: F811
    import keyring
    from keyring.backends.fail import Keyring as FailKeyring

    from tokenlens.app.export_tab import ExportTab

    previous = keyring.get_keyring()
    keyring.set_keyring(FailKeyring())
    try:
        widget = ExportTab(data_dir)
        qtbot.addWidget(widget)
        settle(qtbot, widget, widget.show)
        assert "NOT protected by an OS keyring" in widget.key_status.text()
        assert widget.save_button.isEnabled()
    finally:
        keyring.set_keyring(previous)


def test_hidden_tab_makes_no_key(qtbot, data_dir, memory_keyring):  # noqa: F811
    from tokenlens.app.export_tab import ExportTab

    widget = ExportTab(data_dir)
    qtbot.addWidget(widget)
    widget.refresh()
    assert memory_keyring.items == {}


class PromptingKeyring:
    """A keyring whose every call waits `delay` seconds, as gnome-keyring does while its
    'Choose password for new keyring' prompt is open, then fails as a dismissed prompt does
    (secretstorage's InitError, what keyring's SecretService backend raises)."""

    def __init__(self, delay: float) -> None:
        import keyring.backend

        outer = self

        class Backend(keyring.backend.KeyringBackend):
            priority = 1

            def _prompt(self, *args):
                import time

                from keyring.errors import InitError

                outer.calls += 1
                time.sleep(outer.delay)
                raise InitError("Failed to create the collection: Prompt dismissed..")

            get_password = set_password = delete_password = _prompt

        self.delay, self.calls, self.backend = delay, 0, Backend()


def test_a_prompting_keyring_never_freezes_the_window_and_one_cancel_is_respected(qtbot, ledger, data_dir,  # noqa: F811
                                                                                     monkeypatch):
    import keyring
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QPushButton

    import tokenlens.export.keys as keys
    from tokenlens.app.export_tab import ExportTab

    monkeypatch.setattr(keys, "_declined", None)
    prompting = PromptingKeyring(delay=3.0)
    previous = keyring.get_keyring()
    keyring.set_keyring(prompting.backend)
    try:
        widget = ExportTab(data_dir)
        qtbot.addWidget(widget)
        other = QPushButton("elsewhere")
        qtbot.addWidget(other)
        other.show()
        clicks, ticks = [], []
        other.clicked.connect(lambda: clicks.append(1))
        timer = QTimer()
        timer.timeout.connect(lambda: ticks.append(1))
        timer.start(20)
        widget.show()
        qtbot.waitUntil(lambda: prompting.calls == 1, timeout=5000)  # the prompt is 'open' now
        qtbot.wait(1000)
        other.click()  # the window answers clicks...
        assert clicks == [1]
        assert len(ticks) >= 20  # ...and its event loop keeps running (it repaints)
        assert widget.message.text() == "Building the summary…"
        qtbot.waitSignal(widget.loaded, timeout=20_000).wait()
        timer.stop()
        # Said in plain words, with the key-file fallback offered; no raw InitError.
        assert widget.declined_note.isVisible() and widget.use_key_file_button.isVisible()
        assert "dismissed the keyring's password prompt" in widget.declined_note.text()
        assert "InitError" not in widget.message.text() + widget.key_status.text()
        assert not (data_dir / keys.KEY_FILENAME).exists()  # no file key without the person's word
        # One cancel holds for the session: building again does not prompt again.
        with qtbot.waitSignal(widget.loaded, timeout=20_000):
            widget.refresh()
        assert prompting.calls == 1
        with qtbot.waitSignal(widget.loaded, timeout=20_000):
            widget.use_key_file_button.click()
        assert widget.save_button.isEnabled() and widget.preview.toPlainText().startswith("{")
        assert (data_dir / keys.KEY_FILENAME).exists()
        assert "NOT protected by an OS keyring" in widget.key_status.text()
        assert not widget.use_key_file_button.isVisible()
        assert prompting.calls == 1
    finally:
        keyring.set_keyring(previous)


def test_with_another_devices_events_the_tab_offers_all_my_devices_and_says_what_it_covers(qtbot, tmp_path):
    """Until another device's events arrive the choice is not shown; then the preview counts this
    device only unless the person picks "All my devices", and the message says which."""
    import keyring

    from tests.sync_support import Device, no_keyring
    from tokenlens.app.export_tab import ExportTab
    from tokenlens.export.summary import coarse_tokens

    previous = no_keyring()
    try:
        folder = tmp_path / "Sync"
        folder.mkdir()
        laptop, desktop = Device(tmp_path / "laptop", "laptop"), Device(tmp_path / "desktop", "desktop")
        laptop.claude("2026-09-16", inp=1_000, out=200)
        laptop.sync(folder, name="laptop")
        desktop.claude("2026-09-17", inp=30, out=7)
        desktop.scan()
        desktop.close()

        widget = ExportTab(desktop.data_dir)
        qtbot.addWidget(widget)
        widget.period.setEditText("2026-W38")
        with qtbot.waitSignal(widget.loaded, timeout=20_000):
            widget.show()
            qtbot.waitExposed(widget)
        settle(qtbot, widget, widget.refresh)
        assert not widget.covers.isVisibleTo(widget)  # nothing from another device yet
        assert orjson.loads(widget.preview.toPlainText())["usage"]["total_tokens"] == 37
        assert "Covers" not in widget.message.text()

        desktop.open()
        desktop.sync(folder, name="desktop")  # brings the laptop's 1,200 tokens
        desktop.close()
        settle(qtbot, widget, widget.refresh)
        assert widget.covers.isVisibleTo(widget)
        assert orjson.loads(widget.preview.toPlainText())["usage"]["total_tokens"] == 37
        assert "Covers this device only." in widget.message.text()
        settle(qtbot, widget, lambda: widget.covers.setCurrentIndex(widget.covers.findData(True)))
        # The file's counts are coarsened (tokenlens.export.summary): 1,237 is said as 1,200.
        assert orjson.loads(widget.preview.toPlainText())["usage"]["total_tokens"] == coarse_tokens(1_237) == 1_200
        assert "Covers all your devices." in widget.message.text()
    finally:
        keyring.set_keyring(previous)
