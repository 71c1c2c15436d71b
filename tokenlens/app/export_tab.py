"""The Export tab: the same choices as `tokenlens export`, the exact bytes before saving, and an
honest word about what the file does and does not protect.

Save writes the very bytes shown in the preview (kept from the same build), not a rebuild, so
what the person read is what they hand over.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from tokenlens.app.pages import ViewOrMessage

NOISE_CHOICES = (
    ("Off: coarse figures as shown", None),
    ("Strict noise (ε = 1)", "strict"),
    ("Default noise (ε = 2)", "default"),
    ("Lenient noise (ε = 4)", "lenient"),
)
NOISE_EXPLAINED = (
    "Noise uses randomized response: your file then holds only a usage band, a cost band and "
    "the posture facts, and each answer is the true one only with the probability stated in "
    "the file. No single file proves anything about you. The cost: per-tool and per-model "
    "figures are left out, and a team needs dozens of people before the estimates mean much. "
    "Sending the same period again repeats the same answers, so it spends no extra budget."
)
WHAT_PROTECTS_YOU = (
    "Nothing is sent anywhere: you save a file and hand it over yourself. The file holds "
    "coarse figures (2 significant digits), no projects, paths, session ids, host or user "
    "names, model versions or times, and a name for this device that changes every period. "
    "But whoever receives your file can tell that you sent it. Only the team merge, which "
    "shows aggregates of at least k people and never a row per person, is de-identified."
)


class ExportTab(QWidget):
    def __init__(self, data_dir: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.data_dir = Path(data_dir)
        self._summary = None  # the build the preview shows; Save writes its bytes
        self._stale = True

        self.period = QComboBox(editable=True)
        self.period.addItems(["last-week", "last-month"])
        self.period.setToolTip("last-week, last-month, an ISO week like 2026-W38 or a month like 2026-09")
        self.noise = QComboBox()
        for label, value in NOISE_CHOICES:
            self.noise.addItem(label, value)
        self.noise_note = QLabel(NOISE_EXPLAINED, wordWrap=True)
        self.preview = QPlainTextEdit(readOnly=True)
        self.preview.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.preview.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.message = QLabel(wordWrap=True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.key_status = QLabel(wordWrap=True)
        self.key_status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.save_button = QPushButton("Save summary…")
        self.new_key_button = QPushButton("Make a new device key…")
        self.history = QTableWidget(0, 4)
        self.history.setHorizontalHeaderLabels(["When", "Period", "SHA-256", "Noise ε"])
        self.history.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.history.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)

        options = QFormLayout()
        options.addRow("Period", self.period)
        options.addRow("Privacy noise", self.noise)
        buttons = QHBoxLayout()
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.new_key_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(WHAT_PROTECTS_YOU, wordWrap=True))
        layout.addLayout(options)
        layout.addWidget(self.noise_note)
        layout.addWidget(QLabel("Exactly what the file will contain:"))
        layout.addWidget(self.preview, 3)
        layout.addWidget(self.message)
        layout.addLayout(buttons)
        layout.addWidget(self.key_status)
        layout.addWidget(QLabel("Summaries you saved (kept in your ledger: when, period, file hash):"))
        self.history_box = ViewOrMessage(self.history)
        layout.addWidget(self.history_box, 1)

        self.period.currentTextChanged.connect(self.refresh)
        self.noise.currentIndexChanged.connect(self.refresh)
        self.save_button.clicked.connect(self.save)
        self.new_key_button.clicked.connect(self.make_new_key)

    # ---- building ---------------------------------------------------------------------------

    def _open_ledger(self):
        from tokenlens.store import open_ledger

        return open_ledger(self.data_dir)

    def showEvent(self, event) -> None:  # noqa: N802 (Qt override)
        super().showEvent(event)
        if self._stale:
            self.refresh()

    @Slot()
    def refresh(self) -> None:
        """Rebuild the preview from the ledger and update the key line and history. Deferred
        until the tab is shown: building the preview makes the device key, and merely opening
        the app should not put one in the person's keyring."""
        from tokenlens.export.keys import KeyFileError
        from tokenlens.export.summary import ExportError, build_summary, epsilon_spent
        from tokenlens.store import LedgerError

        if not self.isVisible():
            self._stale = True
            return
        self._stale = False
        self._summary = None
        self.save_button.setEnabled(False)
        self.noise_note.setVisible(self.noise.currentData() is not None)
        try:
            db = self._open_ledger()
        except LedgerError as exc:
            self._show_error(str(exc))
            return
        try:
            summary = build_summary(db, self.data_dir, self.period.currentText(), noise=self.noise.currentData())
            spent = epsilon_spent(db, summary.period.label)
            self._fill_history(db)
        except (ExportError, KeyFileError) as exc:
            self._show_error(str(exc))
            self._update_key_status()
            return
        finally:
            db.conn.close()
        self._summary = summary
        self.preview.setPlainText(summary.data.decode("utf-8"))
        note = f"Period {summary.period.label} ({summary.period.first} to {summary.period.last}), {len(summary.data)} bytes."
        if spent:
            note += f" Privacy budget already spent on this period by earlier noisy files: ε = {spent:g}."
        self.message.setText(note)
        self.save_button.setEnabled(True)
        self._update_key_status()

    def _show_error(self, text: str) -> None:
        self.preview.setPlainText("")
        self.message.setText(f"Cannot build the summary: {text}")

    def _update_key_status(self) -> None:
        from tokenlens.export.keys import key_status

        status = key_status(self.data_dir)
        self.key_status.setText(f"Device key: {status['message']}")

    def _fill_history(self, db) -> None:
        from tokenlens.export.summary import export_history

        rows = export_history(db)
        if rows:
            self.history_box.show_view()
        else:
            self.history_box.show_message("None saved yet. Each summary you save is listed here (when, period, file hash).")
        self.history.setRowCount(len(rows))
        for i, row in enumerate(rows):
            when = datetime.fromtimestamp(row["ts_ms"] / 1000).strftime("%Y-%m-%d %H:%M")
            eps = "" if row["noise_epsilon"] is None else f"{row['noise_epsilon']:g}"
            for j, text in enumerate((when, row["period"], row["sha256"][:16], eps)):
                self.history.setItem(i, j, QTableWidgetItem(text))

    # ---- actions ----------------------------------------------------------------------------

    @Slot()
    def save(self) -> None:
        if self._summary is None:
            return
        suggested = str(Path.home() / f"tokenlens-{self._summary.period.label}.json")
        path, _ = QFileDialog.getSaveFileName(self, "Save summary", suggested, "JSON (*.json)")
        if path:
            self.save_to(Path(path))

    def save_to(self, path: Path) -> bool:
        """Write the previewed bytes to `path` and log the export; False with a message if not."""
        from tokenlens.export.summary import ExportError, log_export, write_summary
        from tokenlens.store import LedgerError

        summary = self._summary
        if summary is None:
            return False
        try:
            write_summary(path, summary.data)
        except ExportError as exc:
            self.message.setText(str(exc))
            return False
        try:
            db = self._open_ledger()
        except LedgerError as exc:
            self.message.setText(f"Saved {path}, but the export log could not be updated: {exc}")
            return True
        try:
            log_export(db, summary)
            self._fill_history(db)
        finally:
            db.conn.close()
        self.message.setText(f"Saved {path} ({len(summary.data)} bytes, readable only by you).")
        return True

    @Slot()
    def make_new_key(self) -> None:
        from tokenlens.export.keys import KeyFileError, new_device_key

        answer = QMessageBox.question(
            self,
            "Make a new device key?",
            "Summaries made from now on get names unrelated to earlier ones. A file you already "
            "sent for a period will then no longer be replaced by a new one for the same period, "
            "but counted beside it. Continue?",
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        try:
            new_device_key(self.data_dir)
        except KeyFileError as exc:
            self.message.setText(str(exc))
            return
        self.refresh()
