"""Settings: which sources to read, the time zone days are counted in, start at login, and an
optional daily threshold for a private nudge, the plan-window alert thresholds. Every change is
saved at once."""

from __future__ import annotations

import html
import sys
from zoneinfo import available_timezones

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from tokenlens import desktop
from tokenlens import limits as limits_core
from tokenlens.app.limits_view import THRESHOLDS_SETTING
from tokenlens.app.pages import show_scrolling
from tokenlens.app.settings import AUTOSTART, DAILY_THRESHOLD, TZ, AppSettings
from tokenlens.config import DISABLED_SOURCES, Env
from tokenlens.reports import local_zone_name

LOCAL_ZONE_LABEL = "This computer's zone"
THRESHOLD_STEP = 1000  # the spin box counts thousands of tokens


class SettingsTab(QWidget):
    changed = Signal()

    def __init__(self, settings: AppSettings, env: Env, launch_command: list[str], parent: QWidget | None = None,
                 autosync=None) -> None:
        super().__init__(parent)
        from tokenlens.app.devices import DevicesSection
        from tokenlens.tools import all_sources

        self._settings = settings
        self._env = env
        self._launch_command = launch_command

        sources_box = QGroupBox("Sources to read")
        sources_layout = QGridLayout(sources_box)
        columns = 3
        self.source_boxes: dict[str, QCheckBox] = {}
        disabled = set(settings.disabled_sources())
        for source in all_sources():
            # The id (for `--tool`) goes in the tooltip: three columns of "Name (id, status)"
            # were wider than the window and scrolled sideways.
            partly = {False: "  (no local usage)", "partial": "  (partial)"}.get(source.reads_usage, "")
            box = QCheckBox(f"{source.name}{partly}")
            box.setChecked(source.id not in disabled)
            roots = ", ".join(str(p) for p in source.roots(env))
            reads = f"Reads: {roots}" if roots else (source.no_local_data_reason or "")
            box.setToolTip(f"--tool {source.id}" + (f"\n{reads}" if reads else ""))
            box.toggled.connect(self._save_sources)
            index = len(self.source_boxes)
            self.source_boxes[source.id] = box
            sources_layout.addWidget(box, index // columns, index % columns)
        sources_layout.addWidget(
            _note("Turning a source off stops reading it; what is already in the ledger stays."),
            len(self.source_boxes) // columns + 1, 0, 1, columns,
        )

        # Filled each time the tab is shown: the person may have just edited a tool's settings.
        self.retention_box = QGroupBox("How long your tools keep their logs")
        self.retention_lines = QLabel()
        self.retention_lines.setWordWrap(True)
        self.retention_lines.setTextFormat(Qt.TextFormat.RichText)
        retention_layout = QVBoxLayout(self.retention_box)
        retention_layout.addWidget(self.retention_lines)
        retention_layout.addWidget(_note(
            "tokenlens reads new log lines as the tools write them. Usage logged while it is not"
            " running is read the next time it starts, unless the tool has deleted the log by then."))

        self.zone = QComboBox()
        self.zone.setEditable(False)
        self.zone.addItem(f"{LOCAL_ZONE_LABEL} ({local_zone_name()})", "")
        for name in sorted(available_timezones()):
            if "/" in name and not name.startswith(("Etc/", "SystemV/", "posix/", "right/")) or name == "UTC":
                self.zone.addItem(name, name)
        self.zone.setCurrentIndex(max(0, self.zone.findData(settings.tz() or "")))
        self.zone.currentIndexChanged.connect(self._save_zone)
        self.zone.setMaximumWidth(360)

        self.autostart = QCheckBox("Start tokenlens when I log in")
        # What the desktop will actually do at login (a Hidden=true entry or a system-wide
        # one count), not merely whether our file exists.
        self.autostart.setChecked(desktop.autostart_enabled(env))
        self.autostart.setToolTip(_autostart_where(env))
        self.autostart.toggled.connect(self._save_autostart)

        self.threshold = QSpinBox()
        self.threshold.setRange(0, 1_000_000)
        self.threshold.setSingleStep(50)
        self.threshold.setSpecialValueText("off")
        self.threshold.setSuffix(" k tokens")
        self.threshold.setValue((settings.daily_threshold() or 0) // THRESHOLD_STEP)
        # Saved when editing ends (Enter, focus out, an arrow step), not on each keystroke:
        # typing 150 passes through 1 and 15, and the nudge would fire at a value never meant.
        self.threshold.setKeyboardTracking(False)
        self.threshold.editingFinished.connect(self._save_threshold)
        self.threshold.setMaximumWidth(200)

        self.limit_alerts = QLineEdit(_thresholds_text(limits_core.alert_thresholds(settings.get(THRESHOLDS_SETTING))))
        self.limit_alerts.setPlaceholderText(_thresholds_text(limits_core.DEFAULT_ALERT_THRESHOLDS))
        self.limit_alerts.setMaximumWidth(200)
        self.limit_alerts.editingFinished.connect(self._save_limit_alerts)
        self.limit_alerts_error = QLabel()
        self.limit_alerts_error.setStyleSheet("color: #CC3311;")
        self.limit_alerts_error.setVisible(False)

        form = QFormLayout()
        form.addRow("Count days in", self.zone)
        form.addRow("", self.autostart)
        # The box and its note as one field: a note on a form row of its own is given a
        # two-line height and floats a line below the box.
        nudge = QWidget()
        nudge_layout = QVBoxLayout(nudge)
        nudge_layout.setContentsMargins(0, 0, 0, 0)
        nudge_layout.setSpacing(2)
        nudge_layout.addWidget(self.threshold)
        nudge_layout.addWidget(_note("A private note from the tray when today's usage passes this (saved when you"
                                     " press Enter or leave the box). Only you see it."))
        form.addRow("Nudge me past", nudge)
        alerts = QWidget()
        alerts_layout = QVBoxLayout(alerts)
        alerts_layout.setContentsMargins(0, 0, 0, 0)
        alerts_layout.setSpacing(2)
        alerts_layout.addWidget(self.limit_alerts)
        alerts_layout.addWidget(self.limit_alerts_error)
        alerts_layout.addWidget(_note("Percentages of a plan window (Codex, Claude Code) at which the tray tells"
                                      " you, once per window, e.g. 80, 95. Blank: the defaults."))
        form.addRow("Plan-window alerts at", alerts)

        inner = QWidget()
        layout = QVBoxLayout(inner)
        layout.addWidget(sources_box)
        layout.addWidget(self.retention_box)
        layout.addSpacing(8)
        layout.addLayout(form)
        layout.addSpacing(8)
        self.devices = DevicesSection(settings.data_dir, autosync)
        layout.addWidget(self.devices)
        layout.addSpacing(8)
        layout.addWidget(_note(f"Settings and the ledger live in {settings.data_dir}. Nothing leaves this device"
                               " but what you sync to your own folder."))
        layout.addStretch(1)
        show_scrolling(self, inner)

    def showEvent(self, event) -> None:  # noqa: N802 - Qt's name
        self.refresh_retention()
        super().showEvent(event)

    def hideEvent(self, event) -> None:  # noqa: N802 - Qt's name
        self._save_threshold()  # a value stepped with the arrows, the window closed before focus moved
        super().hideEvent(event)

    def refresh_retention(self) -> None:
        from tokenlens.status import log_retention, retention_text

        items = log_retention(self._env, set(self._settings.disabled_sources()))
        paragraphs = []
        for item in items:
            line = html.escape(retention_text(item))
            paragraphs.append(f'<p style="margin-bottom:4px">{f"<b>{line}</b>" if item["writes_nothing"] else line}</p>')
        self.retention_lines.setText("".join(paragraphs))
        self.retention_box.setVisible(bool(items))

    @Slot()
    def _save_sources(self) -> None:
        disabled = sorted(sid for sid, box in self.source_boxes.items() if not box.isChecked())
        self._settings.update(**{DISABLED_SOURCES: disabled})
        self.refresh_retention()
        self.changed.emit()

    @Slot()
    def _save_zone(self) -> None:
        self._settings.update(**{TZ: self.zone.currentData() or None})
        self.changed.emit()

    @Slot(bool)
    def _save_autostart(self, on: bool) -> None:
        try:
            if on:
                desktop.enable_autostart(self._env, self._launch_command)
            else:
                desktop.disable_autostart(self._env)
        except (desktop.DesktopError, OSError) as exc:
            self.autostart.blockSignals(True)
            self.autostart.setChecked(not on)
            self.autostart.blockSignals(False)
            self.autostart.setToolTip(f"Could not change the login item: {exc}")
            return
        self._settings.update(**{AUTOSTART: on})
        self.changed.emit()

    @Slot()
    def _save_threshold(self) -> None:
        value = self.threshold.value() * THRESHOLD_STEP or None
        if value == self._settings.daily_threshold():
            return  # focus left without a change: nothing to save, no rescan
        self._settings.update(**{DAILY_THRESHOLD: value})
        self.changed.emit()

    @Slot()
    def _save_limit_alerts(self) -> None:
        try:
            chosen = limits_core.parse_alert_thresholds(self.limit_alerts.text())
        except ValueError as exc:
            # Kept as typed, with why, so the person can fix it; the saved thresholds stay.
            self.limit_alerts_error.setText(f"Not saved: {exc}.")
            self.limit_alerts_error.setVisible(True)
            return
        self.limit_alerts.setText(_thresholds_text(chosen))
        if chosen != limits_core.alert_thresholds(self._settings.get(THRESHOLDS_SETTING)):
            # No `changed`: that rescans; the alerts read the thresholds at their next look.
            try:
                self._settings.update(**{THRESHOLDS_SETTING: list(chosen)})
            except OSError as exc:
                self.limit_alerts_error.setText(f"Not saved: cannot write the settings ({exc.strerror or exc}).")
                self.limit_alerts_error.setVisible(True)
                return
        self.limit_alerts_error.setVisible(False)


def _thresholds_text(thresholds) -> str:
    return ", ".join(str(t) for t in thresholds)


def _autostart_where(env: Env) -> str:
    if sys.platform == "darwin":
        return str(desktop.launch_agent_file(env))
    if sys.platform == "win32":
        return f"HKEY_CURRENT_USER\\{desktop.WINDOWS_RUN_KEY}\\{desktop.WINDOWS_RUN_VALUE}"
    return str(desktop.autostart_file(env))


def _note(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setStyleSheet("color: palette(placeholder-text);")
    return label
