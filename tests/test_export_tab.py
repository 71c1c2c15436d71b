"""The Export tab (real widgets, offscreen): preview shows the exact bytes, Save writes those
bytes (0600) and logs the export, a new key changes the pseudonym, the key line tells the truth
about where the key lives, and errors are messages, not crashes."""

from __future__ import annotations

import stat

import orjson
import pytest

from tests.test_export import ledger, memory_keyring  # noqa: F401


@pytest.fixture
def tab(qtbot, ledger, data_dir, memory_keyring, monkeypatch):  # noqa: F811
    from tokenlens.app.export_tab import ExportTab

    monkeypatch.setenv("TZ", "UTC")
    widget = ExportTab(data_dir)
    qtbot.addWidget(widget)
    widget.period.setEditText("2026-W38")
    widget.show()
    qtbot.waitExposed(widget)
    widget.refresh()
    return widget


def test_preview_shows_the_summary_and_save_writes_exactly_it(tab, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    shown = tab.preview.toPlainText()
    doc = orjson.loads(shown)
    assert doc["period"] == "2026-W38" and doc["usage"]["total_tokens"] == 77_000
    assert tab.history_box.showing_message() and tab.history_box.message.text().startswith("None saved yet")
    target = tmp_path / "saved.json"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(target), "")))
    tab.save_button.click()
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


def test_bad_period_is_a_message_and_disables_save(tab):
    tab.period.setEditText("2026-W77")
    assert "Cannot build the summary" in tab.message.text() and "ISO week" in tab.message.text()
    assert not tab.save_button.isEnabled()
    assert tab.preview.toPlainText() == ""


def test_noise_choice_changes_the_preview_and_shows_its_explanation(tab):
    tab.noise.setCurrentIndex(2)  # default, ε = 2
    doc = orjson.loads(tab.preview.toPlainText())
    assert doc["privacy"]["mechanism"] == "randomized-response" and doc["privacy"]["epsilon"] == 2.0
    assert tab.noise_note.isVisible() and "randomized response" in tab.noise_note.text()


def test_new_key_changes_the_pseudonym_after_confirmation(tab, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    before = orjson.loads(tab.preview.toPlainText())["device"]
    monkeypatch.setattr(QMessageBox, "question", staticmethod(lambda *a, **k: QMessageBox.StandardButton.No))
    tab.new_key_button.click()
    assert orjson.loads(tab.preview.toPlainText())["device"] == before
    monkeypatch.setattr(QMessageBox, "question", staticmethod(lambda *a, **k: QMessageBox.StandardButton.Yes))
    tab.new_key_button.click()
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
        widget.show()
        qtbot.waitExposed(widget)
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
