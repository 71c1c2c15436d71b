"""The main window: Overview, Sessions, Permissions, Export and Settings tabs.

Each tab's queries (SQL aggregates over an indexed time range) run in the background through
tokenlens.app.tasks, on a connection of the job's own (WAL lets it read while the scanner
writes); the GUI thread only paints the result.
"""

from __future__ import annotations

import html
import logging
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from PySide6.QtCore import QModelIndex, QSize, Qt, Signal, Slot
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMainWindow,
    QProgressBar,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from tokenlens import insights
from tokenlens.app.charts import Heatmap, StackedBars
from tokenlens.app.devices import DeviceFilter
from tokenlens.app.models import SessionsFilter, SessionsModel, project_label
from tokenlens.app.pages import ViewOrMessage, show_scrolling
from tokenlens.app.popup import reading_text
from tokenlens.app.tasks import Latest, open_read_ledger
from tokenlens.config import Env
from tokenlens.insights import format_cost, format_tokens
from tokenlens.tools import tool_name

log = logging.getLogger(__name__)

# Fits a 1366x768 laptop screen with a panel and a title bar (768 - 88 px), and every tab fits it.
DEFAULT_SIZE = QSize(1100, 680)
RANGES = (("Last 7 days", 7), ("Last 14 days", 14), ("Last 30 days", 30), ("Last 90 days", 90), ("Last year", 365))
SESSION_RANGES = (("Last 7 days", 7), ("Last 30 days", 30), ("Last 90 days", 90), ("Last year", 365), ("All time", 0))


class LedgerView:
    """What the tabs need from the app: where the ledger is, the zone, the time 'now'."""

    def __init__(self, data_dir: Path, zone_fn, now_fn=insights.now_ms) -> None:
        self.data_dir = data_dir
        self.zone_fn = zone_fn
        self.now_fn = now_fn

    @property
    def zone(self) -> ZoneInfo:
        return self.zone_fn()


class OverviewTab(QWidget):
    loaded = Signal()  # after each background refresh has been painted

    def __init__(self, view: LedgerView, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._view = view
        self._jobs = Latest(self)
        self.range = QComboBox()
        for label, days in RANGES:
            self.range.addItem(label, days)
        self.range.setCurrentIndex(2)
        self.split_by = QComboBox()
        self.split_by.addItem("by tool", "tool")
        self.split_by.addItem("by model", "model")
        self.split_by.addItem("by device", "device")  # your devices through a synced folder
        self.metric = QComboBox()
        self.metric.addItem("Tokens", "tokens")
        self.metric.addItem("Cost (USD)", "cost")
        self.device = DeviceFilter(view.data_dir)  # several devices (tokenlens/sync/)
        for combo in (self.range, self.split_by, self.metric, self.device):
            combo.currentIndexChanged.connect(self.refresh)

        controls = QHBoxLayout()
        controls.addWidget(self.metric)
        controls.addWidget(self.split_by)
        controls.addWidget(self.device)
        controls.addStretch(1)
        controls.addWidget(self.range)

        self.summary = QLabel("")
        self.summary.setObjectName("rangeSummary")
        self.bars = StackedBars()
        self.heatmap = Heatmap()
        self.projects = QTableWidget(0, 4)
        self.projects.setHorizontalHeaderLabels(["Project", "Sessions", "Tokens", "Cost"])
        self.projects.verticalHeader().hide()
        self.projects.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.projects.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.projects.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.projects.setMinimumHeight(150)
        _compact_rows(self.projects)
        self.signals = QLabel("")
        self.signals.setObjectName("signals")
        self.signals.setWordWrap(True)
        self.signals.setTextFormat(Qt.TextFormat.RichText)
        self.signals.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)

        # Chart and patterns side by side, heatmap and projects under them: all of it fits the
        # window's default size (DEFAULT_SIZE) without scrolling; smaller windows scroll.
        self.projects.setMinimumHeight(self.heatmap.sizeHint().height())
        patterns = QVBoxLayout()
        patterns.addWidget(_heading("Your patterns"))
        patterns.addWidget(self.signals, 1)
        grid = QGridLayout()
        grid.addWidget(self.bars, 0, 0)
        grid.addLayout(patterns, 0, 1)
        grid.addWidget(_heading("When you use them (tokens by weekday and hour)"), 1, 0)
        grid.addWidget(_heading("Top projects"), 1, 1)
        grid.addWidget(self.heatmap, 2, 0)
        grid.addWidget(self.projects, 2, 1)
        grid.setColumnStretch(0, 3)
        grid.setColumnStretch(1, 2)
        grid.setRowStretch(0, 1)

        inner = QWidget()
        layout = QVBoxLayout(inner)
        layout.addLayout(controls)
        layout.addWidget(self.summary)
        layout.addLayout(grid, 1)
        show_scrolling(self, inner)

    def days(self) -> int:
        return int(self.range.currentData())

    @Slot()
    def refresh(self) -> None:
        view = self._view
        zone = view.zone
        today = insights.local_day(zone, view.now_fn())
        first = today - timedelta(days=self.days() - 1)
        by, metric, devices = self.split_by.currentData(), self.metric.currentData(), self.device.selected()
        self.device.reload()
        self._jobs.run(lambda: overview_data(view.data_dir, zone, first, today, by, devices),
                       lambda data: self._paint(data, first, metric))

    def _paint(self, data: dict, first, metric: str) -> None:
        series = data["series"]
        fmt = format_cost if metric == "cost" else format_tokens
        names = {g: tool_name(g) for g in series.groups} if self.split_by.currentData() == "tool" else {}
        self.bars.set_data(series.days, series.groups, lambda d, g: series.value(d, g, metric), fmt, names)
        total_tokens = sum(series.day_total(d) for d in series.days)
        total_cost = sum(series.day_total(d, "cost") for d in series.days)
        self.summary.setText(
            f"{format_tokens(total_tokens)} tokens · {format_cost(total_cost)} from "
            f"{first.strftime('%d %b %Y').lstrip('0')} to today"
        )
        self.heatmap.set_grid(data["hours"], format_tokens)
        self._fill_projects(data["projects"])
        self.signals.setText(signals_html(data["signals"]))
        self.loaded.emit()

    def _fill_projects(self, rows: list[dict]) -> None:
        self.projects.setRowCount(len(rows))
        for i, row in enumerate(rows):
            cells = [project_label(row["project"]), f"{row['sessions']:,}", format_tokens(row["tokens"]), format_cost(row["cost"])]
            for j, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if j:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                else:
                    item.setToolTip(row["project"])
                self.projects.setItem(i, j, item)
        self.projects.resizeColumnsToContents()
        self.projects.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)


def overview_data(data_dir: Path, zone: ZoneInfo, first, today, by: str, devices=()) -> dict:
    """Overview's four aggregates, in the background on a connection of this job's own."""
    lo, hi = insights.day_range_ms(zone, first, today)
    db = open_read_ledger(data_dir, devices)
    try:
        hours = insights.hour_of_week(db, zone, lo, hi)
        return {"series": insights.daily_series(db, zone, first, today, by=by),
                "hours": hours,
                "projects": insights.top_projects(db, lo, hi),
                "signals": insights.signals(db, zone, lo, hi, grid=hours)}
    finally:
        db.conn.close()


def sessions_data(data_dir: Path, lo: int, hi: int, devices=()) -> list[dict]:
    db = open_read_ledger(data_dir, devices)
    try:
        return insights.sessions(db, lo, hi)
    finally:
        db.conn.close()


def session_detail_data(data_dir: Path, tool: str, session_id: str):
    db = open_read_ledger(data_dir)
    try:
        return insights.session_detail(db, tool, session_id)
    finally:
        db.conn.close()


def signals_html(sig: insights.Signals) -> str:
    cache = "–" if sig.cache_hit_ratio is None else f"{100 * sig.cache_hit_ratio:.0f}%"
    per_session = format_cost(sig.cost_per_session)
    hours = ", ".join(f"{h:02d}:00" for h in sig.busiest_hours) or "–"
    parts = [
        f"<p><b>Cache hits</b>: {cache} of prompt tokens came from cache.</p>",
        f"<p><b>Sessions</b>: {sig.sessions:,} on {sig.active_days} active days, "
        f"about {per_session} each.</p>",
        f"<p><b>Busiest hours</b>: {hours}</p>",
    ]
    if sig.biggest_sessions:
        items = "".join(
            f"<li>{html.escape(project_label(s['project']))} ({html.escape(tool_name(s['tool']))}):"
            f" {format_tokens(s['total_tokens'])} · "
            f"{format_cost(s['cost_usd'])}</li>"
            for s in sig.biggest_sessions[:3]
        )
        parts.append(f"<p><b>Biggest sessions</b>:</p><ul style='margin-left:-20px'>{items}</ul>")
    return "".join(parts)


class SessionsTab(QWidget):
    loaded = Signal()  # after each background refresh has been painted

    def __init__(self, view: LedgerView, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._view = view
        self._jobs = Latest(self)
        self.model = SessionsModel(view.zone, self)
        self.proxy = SessionsFilter(self)
        self.proxy.setSourceModel(self.model)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.DescendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        _compact_rows(self.table)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.table.setToolTip("Double-click a session for its details")
        self.table.doubleClicked.connect(self.open_detail)
        self._detail_jobs = Latest(self)
        self.detail = None  # the open SessionDetailDialog, if any

        self.search = QLineEdit()
        self.search.setPlaceholderText("Filter by project, model, tool or session id")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self.proxy.set_text)
        self.tool = QComboBox()
        self.tool.addItem("All tools", "")
        self.tool.currentIndexChanged.connect(lambda _i: self.proxy.set_tool(self.tool.currentData() or ""))
        self.range = QComboBox()
        for label, days in SESSION_RANGES:
            self.range.addItem(label, days)
        self.range.setCurrentIndex(1)
        self.range.currentIndexChanged.connect(self.refresh)
        self.device = DeviceFilter(view.data_dir)
        self.device.currentIndexChanged.connect(self.refresh)
        self.count = QLabel("")

        top = QHBoxLayout()
        top.addWidget(self.search, 1)
        top.addWidget(self.tool)
        top.addWidget(self.device)
        top.addWidget(self.range)
        layout = QVBoxLayout(self)
        self.table_box = ViewOrMessage(self.table)
        layout.addLayout(top)
        layout.addWidget(self.table_box)
        layout.addWidget(self.count)
        self.proxy.rowsInserted.connect(self._update_count)
        self.proxy.rowsRemoved.connect(self._update_count)
        self.proxy.modelReset.connect(self._update_count)
        self.proxy.layoutChanged.connect(self._update_count)

    @Slot()
    def refresh(self) -> None:
        view = self._view
        days = int(self.range.currentData())
        now = view.now_fn()
        if days:
            zone = view.zone
            today = insights.local_day(zone, now)
            lo, hi = insights.day_range_ms(zone, today - timedelta(days=days - 1), today)
        else:
            lo, hi = 0, now + 86_400_000
        devices = self.device.selected()
        self.device.reload()
        self._jobs.run(lambda: sessions_data(view.data_dir, lo, hi, devices), self._paint)

    @Slot(QModelIndex)
    def open_detail(self, index: QModelIndex) -> None:
        """The session's detail view, its numbers read in the background."""
        row = self.model.row_at(self.proxy.mapToSource(index).row())
        tool, sid, data_dir = row["tool"], row["session_id"], self._view.data_dir
        self._detail_jobs.run(lambda: session_detail_data(data_dir, tool, sid), self._show_detail,
                              lambda message: self.count.setText(f"Could not read the session: {message}"))

    def _show_detail(self, detail) -> None:
        from tokenlens.app.session_detail import SessionDetailDialog

        if detail is None:
            self.count.setText("That session is no longer in the ledger.")
            return
        if self.detail is not None:
            self.detail.close()
        dialog = SessionDetailDialog(detail, self._view.zone, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.destroyed.connect(lambda *_: self._forget_detail(dialog))
        self.detail = dialog
        dialog.show()

    def _forget_detail(self, dialog) -> None:
        if self.detail is dialog:  # not a newer one, opened before this one was deleted
            self.detail = None

    def _paint(self, rows: list[dict]) -> None:
        self.model.set_rows(rows, self._view.zone)
        self._sync_tools(sorted({r["tool"] for r in rows}))
        self._update_count()
        self.loaded.emit()

    def _sync_tools(self, tools: list[str]) -> None:
        current = self.tool.currentData() or ""
        present = [self.tool.itemData(i) for i in range(1, self.tool.count())]
        if present == tools:
            return
        self.tool.blockSignals(True)
        while self.tool.count() > 1:
            self.tool.removeItem(1)
        for tool in tools:
            self.tool.addItem(tool_name(tool), tool)
        self.tool.setCurrentIndex(max(0, self.tool.findData(current)))
        self.tool.blockSignals(False)

    @Slot()
    def _update_count(self) -> None:
        shown, total = self.proxy.rowCount(), self.model.rowCount()
        self.count.setText(f"{shown:,} of {total:,} sessions" if shown != total else f"{total:,} sessions")
        if shown:
            self.table_box.show_view()
        elif total:
            self.table_box.show_message("No session matches this filter.")
        elif self.range.currentData():
            self.table_box.show_message(f"No sessions in the {self.range.currentText().lower()}.")
        else:
            self.table_box.show_message("No sessions yet: they show here as soon as an AI tool logs some usage.")


class MainWindow(QMainWindow):
    closed = Signal()

    def __init__(self, view: LedgerView, data_dir: Path, settings_tab: QWidget, parent: QWidget | None = None,
                 env: Env | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("tokenlens")
        self.resize(default_size())
        self._view = view
        self.banner = QLabel("")
        self.banner.setObjectName("banner")
        self.banner.setWordWrap(True)
        self.banner.setStyleSheet(
            "QLabel#banner { background: palette(alternate-base); border: 1px solid palette(mid);"
            " border-radius: 4px; padding: 6px 10px; }"
        )
        self.banner.hide()
        self.progress = ScanProgress()
        self.tabs = QTabWidget()
        self.overview = OverviewTab(view)
        self.sessions = SessionsTab(view)
        # Imported with the window, not with the module: every build has both tabs.
        from tokenlens.app.export_tab import ExportTab
        from tokenlens.app.permissions_tab import PermissionsTab

        self.permissions = PermissionsTab(data_dir, self, env=env or Env())
        self.export = ExportTab(data_dir, self)
        self.settings = settings_tab
        self.tabs.addTab(self.overview, "Overview")
        self.tabs.addTab(self.sessions, "Sessions")
        self.tabs.addTab(self.permissions, "Permissions")
        self.tabs.addTab(self.export, "Export")
        self.tabs.addTab(self.settings, "Settings")
        self.tabs.currentChanged.connect(self._refresh_current)
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.addWidget(self.banner)
        layout.addWidget(self.progress)
        layout.addWidget(self.tabs)
        self.setCentralWidget(central)

    def set_banner(self, text: str) -> None:
        self.banner.setText(text)
        self.banner.setVisible(bool(text))

    def set_progress(self, reading: tuple[int, int] | None) -> None:
        """(bytes read, to read) of a big scan under way; None hides the bar."""
        self.progress.show_reading(reading)

    def show_tab(self, name: str) -> None:
        for i in range(self.tabs.count()):
            if self.tabs.tabText(i).lower() == name.lower():
                self.tabs.setCurrentIndex(i)

    @Slot()
    def refresh(self) -> None:
        """Refresh what is on screen; hidden tabs refresh when shown."""
        if self.isVisible():
            self._refresh_current()

    @Slot()
    def _refresh_current(self) -> None:
        tab = self.tabs.currentWidget()
        refresh = getattr(tab, "refresh", None)
        if callable(refresh):
            try:
                refresh()
            except Exception:  # one tab's bug must not take the window down
                log.exception("refreshing %s failed", type(tab).__name__)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self._refresh_current()

    def closeEvent(self, event) -> None:
        # Closing the window hides it; the tray (or Quit) ends the app.
        event.ignore()
        self.hide()
        self.closed.emit()


class ScanProgress(QWidget):
    """A line and a bar above the tabs while a big scan reads (the first start's history)."""

    STEPS = 1000  # the bar's range: QProgressBar takes a 32-bit int, a history's bytes may not fit

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("scanProgress")
        self.label = QLabel("")
        self.bar = QProgressBar()
        self.bar.setRange(0, self.STEPS)
        self.bar.setTextVisible(False)
        self.bar.setMaximumWidth(260)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(2, 0, 2, 0)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.bar)
        self.hide()

    def show_reading(self, reading: tuple[int, int] | None) -> None:
        if reading is None:
            self.hide()
            return
        done, total = reading
        self.label.setText(reading_text(reading))
        self.bar.setValue(self.STEPS if done >= total else self.STEPS * done // max(1, total))
        self.show()


def default_size(available: QSize | None = None) -> QSize:
    """DEFAULT_SIZE, or less on a screen smaller than that (room left for the frame).
    `available`: the screen's free area (default: the primary screen's)."""
    if available is None:
        screen = QGuiApplication.primaryScreen()
        if screen is None:
            return DEFAULT_SIZE
        available = screen.availableGeometry().size()
    return DEFAULT_SIZE.boundedTo(available - QSize(16, 48)).expandedTo(QSize(640, 480))


def _compact_rows(table) -> None:
    table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + 8)


def _heading(text: str) -> QLabel:
    label = QLabel(text)
    font = label.font()
    font.setBold(True)
    label.setFont(font)
    return label
