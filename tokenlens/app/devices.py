"""Several devices in the app: the sync every few minutes and after each scan while a folder is
set, and the "Devices" section of Settings (start syncing, sync now, what each device brought).

Every sync and every ledger read runs through tokenlens.app.tasks on a connection of the job's
own; the GUI thread only paints. A background sync never asks for a passphrase: the key kept
by the first sync (keyring or key file) is used, and without one the section says what to do.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from tokenlens.app.tasks import Latest, open_read_ledger

log = logging.getLogger(__name__)

SYNC_EVERY_MS = 5 * 60 * 1000
# A scan runs seconds after every log write while a tool is busy; a sync after each would be a
# segment file per scan. After a scan the sync waits until this long after the last one.
AFTER_SCAN_GAP_MS = 2 * 60 * 1000


def sync_job(data_dir: Path, folder: str | None = None, passphrase: str | None = None,
             name: str | None = None) -> dict | None:
    """One sync; None when no folder is set and none is given. Its JSON (see design.md), or
    {"error": one line} when it could not run (paused folder, no kept key, wrong passphrase)."""
    from tokenlens.store.queries import sync_config
    from tokenlens.sync.engine import SyncError, sync

    db = open_read_ledger(data_dir)
    try:
        if folder is None and sync_config(db) is None:
            return None
        try:
            return sync(db, data_dir, folder=folder, ask=lambda creating: passphrase, name=name).to_json()
        except SyncError as exc:
            return {"error": str(exc)}
    finally:
        db.conn.close()


def device_choices_job(data_dir: Path) -> dict:
    """The devices a filter offers, without devices_job's event counts."""
    from tokenlens.store.queries import device_choices

    db = open_read_ledger(data_dir)
    try:
        return {"devices": device_choices(db)}
    finally:
        db.conn.close()


def devices_job(data_dir: Path) -> dict:
    from tokenlens.store.queries import devices_overview, sync_config

    db = open_read_ledger(data_dir)
    try:
        config = sync_config(db)
        return {"folder": config[0] if config else None, "devices": devices_overview(db)}
    finally:
        db.conn.close()


class AutoSync(QObject):
    """Syncs on a timer and after scans (at most every AFTER_SCAN_GAP_MS), while a folder is
    set; one sync at a time."""

    synced = Signal(object)  # sync_job's result, on the GUI thread

    def __init__(self, data_dir: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._data_dir = data_dir
        self._jobs = Latest(self)
        self._busy = self._stopped = False
        self._waiting = None
        self.completed = 0
        self._timer = QTimer(self)
        self._timer.setInterval(SYNC_EVERY_MS)
        self._timer.timeout.connect(self.sync_now)
        self.after_scan_gap_ms = AFTER_SCAN_GAP_MS
        self._last_start: float | None = None
        self._deferred = QTimer(self)
        self._deferred.setSingleShot(True)
        self._deferred.timeout.connect(self.sync_now)

    def start(self) -> None:
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()
        self._deferred.stop()
        self._stopped = True

    @Slot()
    def sync_now(self) -> None:
        self.run(lambda: sync_job(self._data_dir))

    @Slot(object)
    def after_scan(self, outcome=None) -> None:
        """LiveLedger.updated: the scan's new events go out now, or once the gap since the last
        sync has passed (one deferred sync, however many scans meanwhile). Not after the first
        scan's pass one (`filling`): the whole history follows within the same scan."""
        if outcome is not None and outcome.filling:
            return
        if self._last_start is None:
            self.sync_now()
            return
        wait_ms = int(self.after_scan_gap_ms - (time.monotonic() - self._last_start) * 1000)
        if wait_ms <= 0:
            self.sync_now()
        elif not self._deferred.isActive():
            self._deferred.start(wait_ms)

    def run(self, work) -> None:
        """Run `work` (a sync job) now, or right after the one under way: the newest request
        waits, so a "Start syncing" during a timer's sync is not lost."""
        if self._stopped:
            return
        if self._busy:
            self._waiting = work
            return
        self._busy = True
        self._last_start = time.monotonic()
        self._deferred.stop()
        self._jobs.run(work, self._done, lambda message: self._done({"error": message}))

    def _done(self, result) -> None:
        self._busy = False
        self.completed += 1
        if result is not None:
            self.synced.emit(result)
        waiting, self._waiting = self._waiting, None
        if waiting is not None:
            self.run(waiting)


class DevicesSection(QGroupBox):
    """Settings' "Devices": the folder, this device and every device seen, sync now."""

    def __init__(self, data_dir: Path, autosync: AutoSync | None = None, parent: QWidget | None = None) -> None:
        super().__init__("Devices", parent)
        self._data_dir = data_dir
        self._autosync = autosync or AutoSync(data_dir, self)
        self._autosync.synced.connect(self.show_result)
        self._jobs = Latest(self)

        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.table = QTreeWidget()
        self.table.setHeaderLabels(["Device", "Id", "Events", "Days", "Last segment"])
        self.table.setRootIsDecorated(False)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setMinimumHeight(90)

        self.folder = QLineEdit()
        self.folder.setPlaceholderText("a folder your devices already sync (Syncthing, Dropbox, a share)")
        choose = QPushButton("Choose…")
        choose.clicked.connect(self._choose)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder, 1)
        folder_row.addWidget(choose)
        self.name = QLineEdit()
        self.name.setPlaceholderText("e.g. work laptop (not the hostname unless you type it)")
        self.passphrase = QLineEdit()
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase.setPlaceholderText("the same on every device; new folder: choose one")
        self.start_button = QPushButton("Start syncing")
        self.start_button.clicked.connect(self.start_syncing)
        self.setup = QWidget()
        form = QFormLayout(self.setup)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Folder", folder_row)
        form.addRow("This device", self.name)
        form.addRow("Passphrase", self.passphrase)
        form.addRow("", self.start_button)

        self.sync_button = QPushButton("Sync now")
        self.sync_button.clicked.connect(self._autosync.sync_now)

        layout = QVBoxLayout(self)
        layout.addWidget(self.setup)
        layout.addWidget(self.table)
        buttons = QHBoxLayout()
        buttons.addWidget(self.status, 1)
        buttons.addWidget(self.sync_button)
        layout.addLayout(buttons)
        note = QLabel("Each device writes only its own encrypted files under <folder>/tokenlens/; tokenlens opens"
                      " no connection, your sync engine moves the files. Reports count every device.")
        note.setWordWrap(True)
        note.setStyleSheet("color: palette(placeholder-text);")
        layout.addWidget(note)
        self.refresh()

    @Slot()
    def refresh(self) -> None:
        self._jobs.run(lambda: devices_job(self._data_dir), self._paint,
                       lambda message: self.status.setText(f"Could not read the devices: {message}"))

    def _paint(self, data: dict) -> None:
        syncing = data["folder"] is not None
        self.setup.setVisible(not syncing)
        self.sync_button.setVisible(syncing)
        self.table.setVisible(bool(data["devices"]))
        self.table.clear()
        for row in data["devices"]:
            mark = " (this device)" if row["this_device"] else " (forgotten)" if row["forgotten_ms"] else ""
            QTreeWidgetItem(self.table, [f"{row['name']}{mark}", row["id"], f"{row['events']:,}",
                                         str(row["days_covered"]), _when(row["last_segment_ms"])])
        if syncing and not self.status.text():
            self.status.setText(f"Syncing through {data['folder']} every few minutes and after each scan.")
        elif not syncing and not self.status.text():
            self.status.setText("Not syncing: this view shows this device only.")

    @Slot()
    def _choose(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "The folder your devices sync")
        if path:
            self.folder.setText(path)

    @Slot()
    def start_syncing(self) -> None:
        folder, name, passphrase = self.folder.text().strip(), self.name.text().strip(), self.passphrase.text()
        if not folder or not passphrase:
            self.status.setText("Choose the folder and type its passphrase first.")
            return
        self.passphrase.clear()  # not kept in the widget; the derived key is kept (keyring or file)
        self.status.setText("Starting…")
        self._autosync.run(lambda: sync_job(self._data_dir, folder, passphrase, name or None))

    @Slot(object)
    def show_result(self, result: dict) -> None:
        self.status.setText(result_text(result))
        self.refresh()


def result_text(result: dict) -> str:
    if "error" in result:
        return result["error"]
    parts = [f"Sent {result['events_sent']:,} events, read {result['events_added']:,} new from other devices."]
    if result["paused"]:
        parts.append(f"Paused sending: {result['paused']}.")
    counts = result["unread_counts"]
    problems = {k: v for k, v in counts.items() if k != "ignored"}
    if problems:
        parts.append("Not read: " + ", ".join(f"{v} {k}" for k, v in sorted(problems.items())) + " (see `tokenlens sync`).")
    if counts.get("ignored"):
        parts.append(f"{counts['ignored']} conflict copies or strays ignored.")
    return " ".join(parts)


def _when(ms: int | None) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M UTC") if ms else "-"


class DeviceFilter(QComboBox):
    """"All devices" or one of them, for a tab's queries (tasks.open_read_ledger's `devices`).
    Hidden until the ledger knows more than one device, so it costs nothing to whoever does
    not sync."""

    ALL = "All devices"

    def __init__(self, data_dir: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._data_dir = data_dir
        self._jobs = Latest(self)
        self.addItem(self.ALL, None)
        self.setVisible(False)
        self.reload()

    def selected(self) -> tuple[str, ...]:
        """() for every device, else the one events.device value chosen ('' is this device)."""
        value = self.currentData()
        return () if value is None else (value,)

    @Slot()
    def reload(self) -> None:
        self._jobs.run(lambda: device_choices_job(self._data_dir), self._fill,
                       lambda message: log.warning("device list failed: %s", message))

    def _fill(self, data: dict) -> None:
        rows = [r for r in data["devices"] if not r["forgotten_ms"]]
        items = [("" if r["this_device"] else r["id"], f"{r['name']} (this device)" if r["this_device"] else r["name"])
                 for r in rows]
        present = [(self.itemData(i), self.itemText(i)) for i in range(1, self.count())]
        self.setVisible(len(items) > 1)
        if present == items:
            return
        current = self.currentData()
        self.blockSignals(True)
        while self.count() > 1:
            self.removeItem(1)
        for value, label in items:
            self.addItem(label, value)
        index = self.findData(current) if current is not None else 0
        self.setCurrentIndex(max(0, index))
        self.blockSignals(False)
        if index < 0:  # the device chosen was forgotten: show all again
            self.currentIndexChanged.emit(0)
