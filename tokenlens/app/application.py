"""The tray app's controller: tray icon and menu, popup, main window, live ledger, nudges.

A thin shell: numbers come from `tokenlens.insights` and scans from `tokenlens.ingest`, the
same core the CLI uses. Booting defensively (desktop_notes 3.1):
- no tray host (GNOME without the extension, offscreen): the main window opens with a
  one-line explanation and the app keeps running; Qt embeds the icon if a tray appears
  later, and a slow check then drops the explanation;
- some hosts never deliver clicks, so every tray action is also in the context menu, and
  the window has the same actions in its menu bar;
- the tooltip is set again after show() (aw-qt#112: some hosts drop an earlier one).
"""

from __future__ import annotations

import logging
from pathlib import Path
from zoneinfo import ZoneInfo

from PySide6.QtCore import QObject, QTimer, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QMenu, QSystemTrayIcon

from tokenlens.app import tasks
from tokenlens.app.devices import AutoSync
from tokenlens.app.icons import app_icon, gauge_fraction, glance_icon
from tokenlens.app.live import LiveLedger, PermissionsOutcome, ScanOutcome, count_risky
from tokenlens.app.main_window import LedgerView, MainWindow
from tokenlens.app.popup import GlancePopup, reading_percent, reading_text, tooltip_text
from tokenlens.app.settings import NOTIFIED_PERMISSION_SCAN, WELCOMED, AppSettings
from tokenlens.app.settings_tab import SettingsTab
from tokenlens.app.welcome import WelcomeDialog
from tokenlens.config import Env, default_data_dir
from tokenlens.insights import Glance, format_tokens, now_ms
from tokenlens.reports import ReportError, get_zone
from tokenlens.status import unreadable_text
from tokenlens.store import open_ledger
from tokenlens.store.ledger import ledger_path
from tokenlens.tools import tool_name

log = logging.getLogger(__name__)

NO_TRAY_NOTE = (
    "No system tray was found on this desktop, so tokenlens shows this window instead and keeps "
    "running; closing it leaves tokenlens watching (launch it again to bring the window back)."
)
TRAY_RECHECK_MS = 30_000
WINDOW_REFRESH_MS = 2000


def login_command(data_dir: Path, default_data_dir: Path) -> list[str]:
    """What "start at login" runs: this install's windowed `tokenlens-gui` (no console), with
    `--data-dir` only when a non-default ledger is in use."""
    from tokenlens.desktop import gui_command

    command = gui_command()
    if Path(data_dir) != Path(default_data_dir):
        command += ["--data-dir", str(data_dir)]
    return command


def high_risk_text(grants: list[dict]) -> str:
    """One line about grants that just became high risk (tool and setting, never a secret:
    values come from the snapshot, where secrets are already fingerprints)."""
    if len(grants) == 1:
        g = grants[0]
        return f"New high-risk agent permission: {tool_name(g['tool'])} {g['subject']} = {g['value']}. See Permissions."
    named = ", ".join(f"{tool_name(g['tool'])} {g['subject']}" for g in grants[:3])
    more = f" and {len(grants) - 3} more" if len(grants) > 3 else ""
    return f"{len(grants)} new high-risk agent permissions: {named}{more}. See Permissions."


class TokenlensApp(QObject):
    def __init__(self, data_dir: Path, env: Env | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.data_dir = data_dir
        self.env = env or Env()
        self.settings = AppSettings(data_dir)
        # Opening here applies migrations before the worker opens its own connection.
        self.read_db = open_ledger(data_dir)
        self.view = LedgerView(data_dir, self.zone, now_ms)
        self.glance: Glance | None = None
        self.filling = False  # the glance is the first scan's pass one: today only
        self.risky: int | None = None
        # What the last scan could not read; while non-empty the tray shows a warning mark.
        self.unreadable: dict[str, list[dict]] = {}
        self.welcome: WelcomeDialog | None = None
        self.scans_completed = 0  # whole scans: the first scan's pass one (`filling`) is not one
        self.reading: tuple[int, int] | None = None  # (bytes read, to read) of a big scan under way
        self.permission_scans_completed = 0
        self.notifications: list[str] = []  # what the person was told, in order (tray or banner)
        self._nudged_day = None
        self._shut_down = False

        self.live = LiveLedger(data_dir, self.env, self.settings, self)
        self.live.updated.connect(self.on_updated)
        self.live.failed.connect(self.on_failed)
        self.live.busy_changed.connect(self.on_busy)
        self.live.progressed.connect(self.on_progress)
        self.live.permissions_scanned.connect(self.on_permissions_scanned)
        # Several devices (tokenlens/sync/): a sync after each scan and every few minutes.
        self.autosync = AutoSync(data_dir, self)
        self.live.updated.connect(self.autosync.after_scan)
        self.autosync.synced.connect(self.on_synced)

        self._build_actions()
        self.popup = GlancePopup()
        self.popup.setWindowIcon(app_icon())
        self.popup.open_window.connect(self.open_window)
        self.popup.scan_requested.connect(self.live.scan_now)
        self._add_limits()
        self.settings_tab = SettingsTab(
            self.settings, self.env, login_command(data_dir, default_data_dir()), autosync=self.autosync
        )
        self.settings_tab.changed.connect(self.on_settings_changed)
        self.window = MainWindow(self.view, data_dir, self.settings_tab, env=self.env)
        self.window.setWindowIcon(app_icon())
        scanned = getattr(self.window.permissions, "scanned", None)  # absent when the feature is
        if scanned is not None:
            scanned.connect(self.on_permissions_tab_scanned)
        self.window.tabs.insertTab(2, self.limits_tab, "Limits")
        app_menu = self.window.menuBar().addMenu("&tokenlens")
        for action in (self.act_scan, self.act_pause, None, self.act_quit):
            app_menu.addSeparator() if action is None else app_menu.addAction(action)

        self.tray = QSystemTrayIcon(glance_icon(0.0), self)
        self._icon_key: tuple | None = None  # what the tray icon shows now (None: the empty ring)
        self.tray.setContextMenu(self.menu)
        self.tray.activated.connect(self.on_tray_activated)
        self.tray.setToolTip(tooltip_text(None))
        # While a tool writes, scans come every second; the window's tab is re-read at most
        # every WINDOW_REFRESH_MS (a single-shot timer that updates do not restart).
        self._window_refresh = QTimer(self)
        self._window_refresh.setSingleShot(True)
        self._window_refresh.setInterval(WINDOW_REFRESH_MS)
        self._window_refresh.timeout.connect(self.window.refresh)
        self._tray_check = QTimer(self)
        self._tray_check.setInterval(TRAY_RECHECK_MS)
        self._tray_check.timeout.connect(self.check_tray)

    # ---- setup ----------------------------------------------------------------------

    def _add_limits(self) -> None:
        """Plan windows (app/limits_view.py): bars in the popup above its status line, the
        tightest in the tooltip, a Limits tab, threshold alerts."""
        from tokenlens.app.limits_view import LimitsTab, LimitsWatch

        self.limits = LimitsWatch(self.data_dir, self.settings, self)
        self.limits.changed.connect(lambda: self.tray.setToolTip(self._tooltip()))
        self.limits.changed.connect(self.popup.adjustSize)
        self.limits.alert.connect(lambda text: self.notify(text, warning=True))
        layout = self.popup.layout()
        layout.insertWidget(layout.indexOf(self.popup.risky), self.limits.bars)
        self.limits_tab = LimitsTab(self.data_dir)

    def _build_actions(self) -> None:
        self.act_popup = QAction("Today at a glance…", self)
        self.act_popup.triggered.connect(self.show_popup)
        self.act_open = QAction("Open tokenlens", self)
        self.act_open.triggered.connect(self.open_window)
        self.act_scan = QAction("Scan now", self)
        self.act_scan.triggered.connect(self.scan_now)
        self.act_pause = QAction("Pause watching", self)
        self.act_pause.setCheckable(True)
        self.act_pause.toggled.connect(self.set_paused)
        self.act_settings = QAction("Settings…", self)
        self.act_settings.triggered.connect(self.open_settings)
        self.act_quit = QAction("Quit tokenlens", self)
        self.act_quit.triggered.connect(self.quit)
        self.menu = QMenu()
        for action in (self.act_popup, self.act_open, None, self.act_scan, self.act_pause, self.act_settings, None, self.act_quit):
            self.menu.addSeparator() if action is None else self.menu.addAction(action)

    def start(self) -> None:
        self.tray.show()
        self.tray.setToolTip(self._tooltip())  # aw-qt#112
        self.tray_available = QSystemTrayIcon.isSystemTrayAvailable()
        log.info("system tray available: %s", self.tray_available)
        if not self.tray_available:
            self.window.set_banner(NO_TRAY_NOTE)
            self.open_window()
            self._tray_check.start()
        for note in self.read_db.notes:  # e.g. an empty ledger file found and kept aside
            log.warning("%s", note)
            self.notify(note, warning=True)
        self.live.start()
        self.autosync.start()

    @Slot(object)
    def on_synced(self, result: dict) -> None:
        """Another device's events arrived: a scan repaints the ring and the tabs with them."""
        if result.get("events_added"):
            self.live.scan_now()

    @Slot()
    def shutdown(self) -> None:
        """Stop the watcher and the worker cleanly; safe to call twice (aboutToQuit + tests)."""
        if self._shut_down:
            return
        self._shut_down = True
        self._tray_check.stop()
        self._window_refresh.stop()
        self.limits.stop()
        self.live.stop()
        self.autosync.stop()
        self.tray.hide()
        self.popup.close()
        if self.welcome is not None:
            self.welcome.close()
        self.window.hide()
        if not tasks.wait_for_all(5000):
            log.warning("a background job (a keyring prompt?) was still running at quit")
        self.read_db.conn.close()
        log.info("stopped cleanly")

    # ---- state ----------------------------------------------------------------------

    def zone(self) -> ZoneInfo:
        try:
            return get_zone(self.settings.tz())
        except ReportError:
            return get_zone(None)

    @Slot(object)
    def on_updated(self, outcome: ScanOutcome) -> None:
        self.filling = outcome.filling
        if not outcome.filling:
            self.scans_completed += 1
            self._reading(None)
        self.glance = outcome.glance
        self.risky = outcome.risky_grants
        if not outcome.focused:  # a scan of a few written files knows nothing of the others
            self.unreadable = outcome.unreadable
        self._render_glance()
        self.popup.set_status(self.status_text(outcome.errors))
        if not outcome.focused or outcome.limit_readings:  # else the windows are as they were
            self.limits.refresh()
        if outcome.filling:
            self.window.refresh()  # today is in; the welcome and the nudge wait for the rest
            return
        if outcome.first_scan:
            self.window.refresh()
        elif outcome.changed and not self._window_refresh.isActive():
            self._window_refresh.start()  # coalesced: at most one re-read of the tab per interval
        self._maybe_nudge()
        if outcome.first_scan and not self.settings.welcomed():
            self.show_welcome(outcome.sources, outcome.retention)

    def unreadable_warning(self) -> str | None:
        """E.g. "2 log folders could not be read (permission denied): ~/.claude/projects/x …"."""
        return unreadable_text(self.unreadable, self.env.home)

    def status_text(self, errors: list[str] = ()) -> str:
        """The popup's status line: the unreadable warning first, then other scan errors
        (an unreadable file's own error is already in the warning)."""
        bad = {u["path"] for paths in self.unreadable.values() for u in paths}
        others = [e for e in errors if e.rpartition(": ")[0] not in bad]
        warning = self.unreadable_warning()
        return "\n".join(([f"⚠ {warning}"] if warning else []) + (["; ".join(others[:2])] if others else []))

    def _tooltip(self) -> str:
        text = tooltip_text(self.glance, self.live.paused, self.unreadable_warning(), reading_percent(self.reading),
                            filling=self.filling)
        tightest = self.limits.tooltip_line()
        if not tightest or self.glance is None:
            return text
        lines = text.split("\n")
        # After the numbers, before the warnings and what the ring means (hosts cut long tips).
        return "\n".join([*lines[:3], tightest, *lines[3:]])

    @Slot(object, object)
    def on_progress(self, done: int, total: int) -> None:
        """A big scan's progress (LiveLedger.progressed, on this thread): paint it only."""
        self._reading((done, total))

    def _reading(self, reading: tuple[int, int] | None) -> None:
        if reading is None and self.reading is None:
            return
        self.reading = reading
        self.window.set_progress(reading)
        self.popup.set_progress(reading_text(reading))
        self.tray.setToolTip(self._tooltip())

    @Slot(str)
    def on_failed(self, message: str) -> None:
        log.warning("scan failed: %s", message)
        self.filling = False
        self._reading(None)
        self.popup.set_status(message)
        self.tray.setToolTip(f"{self._tooltip()}\n{message}")

    @Slot(bool)
    def on_busy(self, busy: bool) -> None:
        self.act_scan.setEnabled(not busy)

    def _render_glance(self) -> None:
        glance = self.glance
        # While the history fills in, the 7-day average is not known yet: no ratio to draw.
        ratio = None if glance is None or self.filling else glance.ratio_to_average
        fraction = gauge_fraction(ratio, glance.today_tokens) if glance else 0.0
        # Painted only when it would look different: a scan a second while a tool writes
        # mostly moves the ring by less than a pixel.
        icon_key = (round(fraction, 3), self.live.paused, bool(self.unreadable))
        if icon_key != self._icon_key:
            self._icon_key = icon_key
            self.tray.setIcon(glance_icon(fraction, self.live.paused, warning=bool(self.unreadable)))
        self.tray.setToolTip(self._tooltip())
        if glance is not None:
            self.popup.set_glance(glance, self.risky, filling=self.filling)

    @Slot(object)
    def on_permissions_scanned(self, outcome: PermissionsOutcome) -> None:
        self.permission_scans_completed += 1
        self.risky = outcome.risky
        self.popup.set_risky(self.risky)  # now, not at the next usage scan
        self._notify_new_high_risk(outcome)

    @Slot(object)
    def on_permissions_tab_scanned(self, data: dict) -> None:
        self.on_permissions_scanned(
            PermissionsOutcome(data.get("scan_id"), count_risky(data.get("summary")), data.get("new_high") or [])
        )

    def _notify_new_high_risk(self, outcome: PermissionsOutcome) -> None:
        """Once per snapshot that brought new high-risk grants: rescans that change nothing
        confirm the same snapshot (same id), and the id is remembered across restarts."""
        if not outcome.new_high or outcome.scan_id is None:
            return
        told = self.settings.notified_permission_scan()
        if told is not None and outcome.scan_id <= told:
            return
        self.settings.update(**{NOTIFIED_PERMISSION_SCAN: outcome.scan_id})
        self.notify(high_risk_text(outcome.new_high), warning=True)

    def notify(self, text: str, warning: bool = False) -> None:
        """A private note: a tray message where the tray can show one, else the window's banner."""
        self.notifications.append(text)
        if self.tray.isVisible() and QSystemTrayIcon.isSystemTrayAvailable() and self.tray.supportsMessages():
            icon = QSystemTrayIcon.MessageIcon.Warning if warning else QSystemTrayIcon.MessageIcon.Information
            self.tray.showMessage("tokenlens", text, icon, 15_000)
            return
        self.window.set_banner(text)
        if warning and not self.window.isVisible():
            self.window.show()  # without a tray, a hidden banner would tell no one

    def _maybe_nudge(self) -> None:
        threshold = self.settings.daily_threshold()
        glance = self.glance
        if not threshold or glance is None or glance.today_tokens < threshold or self._nudged_day == glance.day:
            return
        self._nudged_day = glance.day
        text = (
            f"Today you have used {format_tokens(glance.today_tokens)} tokens, past the "
            f"{format_tokens(threshold)} you set for yourself."
        )
        self.last_nudge = text
        self.notify(text)

    # ---- actions --------------------------------------------------------------------

    @Slot(QSystemTrayIcon.ActivationReason)
    def on_tray_activated(self, reason) -> None:
        if reason == QSystemTrayIcon.ActivationReason.Trigger:
            if self.popup.isVisible():
                self.popup.hide()
            else:
                self.show_popup()
        elif reason == QSystemTrayIcon.ActivationReason.DoubleClick:
            self.open_window()

    @Slot()
    def show_popup(self) -> None:
        geometry = self.tray.geometry() if QSystemTrayIcon.isSystemTrayAvailable() else None
        self.popup.show_near(geometry)

    @Slot()
    def open_window(self) -> None:
        self.popup.hide()
        self.window.showNormal()
        self.window.raise_()
        self.window.activateWindow()

    @Slot()
    def open_settings(self) -> None:
        self.window.show_tab("Settings")
        self.open_window()

    @Slot()
    def scan_now(self) -> None:
        self.live.scan_now()
        self.live.scan_permissions()

    @Slot(bool)
    def set_paused(self, paused: bool) -> None:
        self.live.set_paused(paused)
        self.act_pause.setChecked(paused)
        self._render_glance()

    @Slot()
    def on_settings_changed(self) -> None:
        self.live.rearm()
        self.live.scan_now()
        self.window.refresh()

    @Slot()
    def check_tray(self) -> None:
        if QSystemTrayIcon.isSystemTrayAvailable():
            log.info("system tray appeared")
            self.tray_available = True
            self._tray_check.stop()
            self.window.set_banner("")
            self.tray.show()
            self.tray.setToolTip(self._tooltip())

    def show_welcome(self, sources: list[dict], retention: list[dict] = ()) -> None:
        self.welcome = WelcomeDialog(sources, ledger_path(self.data_dir), list(retention), home=self.env.home)
        self.welcome.setWindowIcon(app_icon())
        self.welcome.finished.connect(self._welcomed)
        self.welcome.show()
        log.info("welcome shown")

    @Slot()
    def _welcomed(self) -> None:
        self.settings.update(**{WELCOMED: True})

    @Slot()
    def quit(self) -> None:
        # exit(), not quit(): quit() is refused while the welcome or the popup is open, because
        # the main window declines to close (it hides) and Qt stops asking the others.
        QApplication.instance().exit(0)
