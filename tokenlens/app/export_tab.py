"""The Export tab: the same choices as `tokenlens export`, the exact bytes before saving, and an
honest word about what the file does and does not protect.

Save writes the very bytes shown in the preview (kept from the same build), not a rebuild, so
what the person read is what they hand over.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from PySide6.QtCore import Qt, Signal, Slot
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
from tokenlens.app.tasks import Latest, open_read_ledger

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


DECLINED_TEXT = (
    "You dismissed the keyring's password prompt, so tokenlens will not ask it again until it "
    "restarts. The device key that names your summaries can instead live in a file in "
    "tokenlens's data folder, readable only by you (not protected by a keyring password)."
)


class ExportTab(QWidget):
    loaded = Signal()  # after each background build has been painted (tests wait on it)

    def __init__(self, data_dir: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.data_dir = Path(data_dir)
        self._summary = None  # the build the preview shows; Save writes its bytes
        self._stale = True
        self._key_file_ok = False  # the person agreed to a key file after declining the keyring
        self._jobs = Latest(self)
        self._key_jobs = Latest(self)

        self.period = QComboBox(editable=True)
        self.period.addItems(["last-week", "last-month"])
        self.period.setToolTip("last-week, last-month, an ISO week like 2026-W38 or a month like 2026-09")
        self.noise = QComboBox()
        for label, value in NOISE_CHOICES:
            self.noise.addItem(label, value)
        self.noise_note = QLabel(NOISE_EXPLAINED, wordWrap=True)
        # Offered only once another device's events are in the ledger; the preview says which.
        self.covers = QComboBox()
        self.covers.addItem("This device only", False)
        self.covers.addItem("All my devices", True)
        self.covers.setToolTip("Which devices' usage the summary counts (Settings: Devices)")
        self.preview = QPlainTextEdit(readOnly=True)
        self.preview.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.preview.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.message = QLabel(wordWrap=True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.key_status = QLabel(wordWrap=True)
        self.key_status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.save_button = QPushButton("Save summary…")
        self.new_key_button = QPushButton("Make a new device key…")
        self.declined_note = QLabel(DECLINED_TEXT, wordWrap=True)
        self.use_key_file_button = QPushButton("Keep the key in a file instead")
        self.declined_note.hide()
        self.use_key_file_button.hide()
        self.history = QTableWidget(0, 4)
        self.history.setHorizontalHeaderLabels(["When", "Period", "SHA-256", "Noise ε"])
        self.history.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.history.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)

        options = QFormLayout()
        options.addRow("Period", self.period)
        options.addRow("Privacy noise", self.noise)
        options.addRow("Covers", self.covers)
        self._options = options
        options.setRowVisible(self.covers, False)
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
        layout.addWidget(self.declined_note)
        layout.addWidget(self.use_key_file_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(QLabel("Summaries you saved (kept in your ledger: when, period, file hash):"))
        self.history_box = ViewOrMessage(self.history)
        layout.addWidget(self.history_box, 1)

        self.period.currentTextChanged.connect(self.refresh)
        self.noise.currentIndexChanged.connect(self.refresh)
        self.covers.currentIndexChanged.connect(self.refresh)
        self.save_button.clicked.connect(self.save)
        self.new_key_button.clicked.connect(self.make_new_key)
        self.use_key_file_button.clicked.connect(self.use_key_file)

    # ---- building ---------------------------------------------------------------------------

    def showEvent(self, event) -> None:  # noqa: N802 (Qt override)
        super().showEvent(event)
        if self._stale:
            self.refresh()

    @Slot()
    def refresh(self) -> None:
        """Rebuild the preview in the background, then show it with the key line and history.
        Deferred until the tab is shown: building the preview makes the device key, and merely
        opening the app should not put one in the person's keyring."""
        if not self.isVisible():
            self._stale = True
            return
        self._stale = False
        self._summary = None
        self.save_button.setEnabled(False)
        self.noise_note.setVisible(self.noise.currentData() is not None)
        self.message.setText("Building the summary…")
        data_dir, period, noise, file_ok = self.data_dir, self.period.currentText(), self.noise.currentData(), self._key_file_ok
        all_devices = bool(self.covers.currentData())
        self._jobs.run(lambda: build_preview(data_dir, period, noise, file_ok, all_devices),
                       self._show_preview, self._show_failure)

    @Slot(object)
    def _show_preview(self, built: dict) -> None:
        self._show_key(built["key"], built["declined"])
        self._options.setRowVisible(self.covers, built["several_devices"])
        if built["history"] is not None:
            self._fill_history(built["history"])
        if built["error"] is not None:
            self._show_error(built["error"])
        else:
            summary = self._summary = built["summary"]
            self.preview.setPlainText(summary.data.decode("utf-8"))
            note = f"Period {summary.period.label} ({summary.period.first} to {summary.period.last}), {len(summary.data)} bytes."
            if built["several_devices"]:
                note += " Covers all your devices." if built["all_devices"] else " Covers this device only."
            if built["spent"]:
                note += f" Privacy budget already spent on this period by earlier noisy files: ε = {built['spent']:g}."
            self.message.setText(note)
            self.save_button.setEnabled(True)
        self.loaded.emit()

    @Slot(str)
    def _show_failure(self, text: str) -> None:
        self._show_error(text)
        self.loaded.emit()

    def _show_error(self, text: str) -> None:
        self.preview.setPlainText("")
        self.message.setText(f"Cannot build the summary: {text}")

    def _show_key(self, status: dict, declined: bool) -> None:
        self.key_status.setText(f"Device key: {status['message']}")
        offer = declined and status["location"] == "none"
        self.declined_note.setVisible(offer)
        self.use_key_file_button.setVisible(offer)

    def _fill_history(self, rows: list[dict]) -> None:
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
        """Write the previewed bytes to `path` and log the export; False with a message if not.
        The file is written here (the bytes are in hand); the log entry and the refreshed
        history go through the background."""
        from tokenlens.export.summary import ExportError, write_summary

        summary = self._summary
        if summary is None:
            return False
        try:
            write_summary(path, summary.data)
        except ExportError as exc:
            self.message.setText(str(exc))
            return False
        self.message.setText(f"Saved {path} ({len(summary.data)} bytes, readable only by you).")
        data_dir = self.data_dir
        self._key_jobs.run(lambda: log_and_list(data_dir, summary), self._logged,
                           lambda text: self._log_failed(path, text))
        return True

    @Slot(object)
    def _logged(self, rows: list[dict]) -> None:
        self._fill_history(rows)
        self.loaded.emit()

    def _log_failed(self, path: Path, text: str) -> None:
        self.message.setText(f"Saved {path}, but the export log could not be updated: {text}")
        self.loaded.emit()

    @Slot()
    def make_new_key(self) -> None:
        answer = QMessageBox.question(
            self,
            "Make a new device key?",
            "Summaries made from now on get names unrelated to earlier ones. A file you already "
            "sent for a period will then no longer be replaced by a new one for the same period, "
            "but counted beside it. Continue?",
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        data_dir, file_ok = self.data_dir, self._key_file_ok
        self.message.setText("Making a new device key…")
        self._key_jobs.run(lambda: make_key(data_dir, file_ok), self._key_made, self._show_failure)

    @Slot(object)
    def _key_made(self, error: str | None) -> None:
        if error is not None:
            self.message.setText(error)
            self.loaded.emit()
            return
        self.refresh()

    @Slot()
    def use_key_file(self) -> None:
        """The person agreed: the device key lives in a 0600 file for this session's exports."""
        self._key_file_ok = True
        self.refresh()


# ---- run in the background (tokenlens.app.tasks), never on the GUI thread ------------------


def build_preview(data_dir: Path, period: str, noise: str | None, key_file_ok: bool,
                  all_devices: bool = False) -> dict:
    """The summary, its spent budget, the export history and the key line: everything the tab
    shows, from a connection of this job's own. Errors the person can act on are part of the
    result, in one line."""
    from tokenlens.export.keys import KeyFileError, key_status, keyring_declined
    from tokenlens.export.summary import ExportError, build_summary, epsilon_spent, export_history
    from tokenlens.store import LedgerError
    from tokenlens.store.queries import has_imported_events

    built: dict = {"summary": None, "spent": None, "history": None, "error": None,
                   "several_devices": False, "all_devices": False}
    try:
        db = open_read_ledger(data_dir)
    except LedgerError as exc:
        built["error"] = str(exc)
    else:
        try:
            built["history"] = export_history(db)
            built["several_devices"] = has_imported_events(db)
            built["all_devices"] = all_devices and built["several_devices"]
            built["summary"] = build_summary(db, data_dir, period, noise=noise, key_file_ok=key_file_ok,
                                             all_devices=built["all_devices"])
            built["spent"] = epsilon_spent(db, built["summary"].period.label)
        except (ExportError, KeyFileError) as exc:
            built["error"] = str(exc)
        finally:
            db.conn.close()
    built["key"] = key_status(data_dir)
    built["declined"] = keyring_declined() is not None
    return built


def log_and_list(data_dir: Path, summary) -> list[dict]:
    from tokenlens.export.summary import export_history, log_export

    db = open_read_ledger(data_dir)
    try:
        log_export(db, summary)
        return export_history(db)
    finally:
        db.conn.close()


def make_key(data_dir: Path, file_ok: bool) -> str | None:
    """A new device key; None when made, else why not (one line)."""
    from tokenlens.export.keys import KeyFileError, new_device_key

    try:
        new_device_key(data_dir, file_ok=file_ok)
    except KeyFileError as exc:
        return str(exc)
    return None
