"""Plan windows in the app (issue 17): bars in the popup, the tightest window in the tooltip,
a "Limits" tab with each window's history and calibration, and threshold alerts.

The numbers are tokenlens.limits' (the same as `tokenlens limits`); this module only paints
and decides when to tell. Everything is read off the GUI thread (app/tasks.py). Alerts: each
threshold (settings `limit_alert_thresholds`, default 80 and 95 %) once per window instance,
remembered across restarts (`limit_alerts_told`); the first look after start tells what was
crossed while the app was not running, once. While a full-screen window has the focus (X11
says so; elsewhere it is unknown) alerts wait for a later look.
"""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QObject, QPointF, QRectF, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QColor, QGuiApplication, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from tokenlens import limits as core
from tokenlens.app.charts import ACCENT, _small_font, _text_color
from tokenlens.app.tasks import Latest, open_read_ledger
from tokenlens.numbers import format_cost, format_tokens

THRESHOLDS_SETTING = "limit_alert_thresholds"
TOLD_SETTING = "limit_alerts_told"
TOLD_KEPT = 400
HISTORY_DAYS = 14
WARN, DANGER = "#E69F00", "#CC3311"


def level_color(percent: float | None) -> QColor:
    if percent is None:
        return QColor("#9E9E9E")
    return QColor(DANGER if percent >= 80 else WARN if percent >= 50 else ACCENT)


def clock(ms: int, now_ms: int) -> str:
    """16:40 today, else with the weekday (Wed 16:40): a bare time tomorrow reads as today."""
    at, now = time.localtime(ms / 1000), time.localtime(now_ms / 1000)
    same_day = (at.tm_year, at.tm_yday) == (now.tm_year, now.tm_yday)
    return time.strftime("%H:%M" if same_day else "%a %H:%M", at)


def detail_text(s: core.WindowStatus, now_ms: int) -> str:
    """"resets 16:40 · at this pace full by 15:55", in words a glance can take."""
    if s.state == "reset":
        return "reset since the last reading: use unknown"
    parts = []
    if s.resets_at_ms is not None:
        parts.append(f"resets {clock(s.resets_at_ms, now_ms)}")
    if s.state == "stale":  # an old reading's pace says little about now
        parts.append(f"last seen {clock(s.last_seen_ms, now_ms)}")
    elif s.pace == "full_at" and s.pace_full_at_ms is not None:
        parts.append(f"on pace to fill by {clock(s.pace_full_at_ms, now_ms)}")
    elif s.pace == "not_before_reset":
        parts.append("won't fill before reset")
    return " · ".join(parts)


def tooltip_line(states: list[core.WindowStatus]) -> str | None:
    s = core.tightest(states)
    if s is None:
        return None
    reset = f", resets {core.time_of_day(s.resets_at_ms)}" if s.resets_at_ms is not None else ""
    return f"Tightest limit: {core.window_label(s)} {s.used_percent:.0f}%{reset}"


def calibration_text(s: core.WindowStatus) -> str:
    """One sentence per model family; the figure over all models when no family dominates."""
    lines = []
    families = [c for c in s.calibration if c.family != "all"] or list(s.calibration)
    for c in families:
        name = "all models" if c.family == "all" else c.family
        money = f" (≈ {format_cost(c.usd_per_percent)} at API prices)" if c.usd_per_percent is not None else ""
        span = f"{format_tokens(c.low)}–{format_tokens(c.high)}" if c.high is not None else f"≥ {format_tokens(c.low)}"
        lines.append(f"About {format_tokens(c.tokens_per_percent)} tokens ({name}) per 1% of this window"
                     f"{money}; range {span}, from {c.instances} window{'s' if c.instances != 1 else ''}.")
    return "\n".join(lines)


class LimitBar(QWidget):
    """One window: name and percentage, a bar, and the reset and pace under it; its tooltip the
    window's calibration where it was worked out (the Limits tab), else where to find it."""

    def __init__(self, parent: QWidget | None = None, calibrated: bool = True) -> None:
        super().__init__(parent)
        self.calibrated = calibrated
        self.status: core.WindowStatus | None = None
        self.now_ms = 0
        self.show_account = False  # only where one tool has windows of several accounts
        self.setMinimumHeight(self.fontMetrics().height() * 2 + 14)

    def set_status(self, status: core.WindowStatus, now_ms: int) -> None:
        self.status, self.now_ms = status, now_ms
        if not self.calibrated:
            self.setToolTip("Tokens per 1% of this window: in the window's Limits tab.")
        else:
            self.setToolTip(calibration_text(status) or "No calibration yet: it needs two readings of one window "
                            "with usage between them.")
        self.update()

    def paintEvent(self, event) -> None:
        s = self.status
        if s is None:
            return
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        fm = self.fontMetrics()
        width = self.width()
        top = fm.ascent()
        painter.setPen(_text_color(self))
        painter.drawText(0, top, bar_label(s, self.show_account))
        value = "–" if s.used_percent is None else f"{s.used_percent:.0f}%"
        painter.drawText(width - fm.horizontalAdvance(value), top, value)
        bar = QRectF(0, top + 4, width, 7)
        painter.setPen(Qt.PenStyle.NoPen)
        track = QColor(_text_color(self, dim=True))
        track.setAlphaF(0.15)
        painter.setBrush(track)
        painter.drawRoundedRect(bar, 3, 3)
        if s.used_percent is not None:
            painter.setBrush(level_color(s.used_percent))
            painter.drawRoundedRect(QRectF(0, bar.top(), width * min(100.0, s.used_percent) / 100, bar.height()), 3, 3)
        painter.setFont(_small_font(self))
        painter.setPen(_text_color(self, dim=True))
        small = painter.fontMetrics()
        detail = small.elidedText(detail_text(s, self.now_ms), Qt.TextElideMode.ElideRight, width)
        painter.drawText(0, int(bar.bottom()) + fm.ascent() + 2, detail)
        painter.end()


class LimitBars(QWidget):
    """Every known window as a bar (the popup; the Limits tab's, `calibrated`); hidden while
    there is none."""

    def __init__(self, parent: QWidget | None = None, calibrated: bool = True) -> None:
        super().__init__(parent)
        self.calibrated = calibrated
        self.setObjectName("limitBars")
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(4)
        self.caption = QLabel("PLAN LIMITS")
        font = self.caption.font()
        font.setPointSizeF(font.pointSizeF() * 0.8)
        font.setBold(True)
        self.caption.setFont(font)
        self.caption.setStyleSheet("color: palette(placeholder-text);")
        self._layout.addWidget(self.caption)
        self.bars: list[LimitBar] = []
        self.hide()

    def set_states(self, states: list[core.WindowStatus], now_ms: int) -> None:
        while len(self.bars) < len(states):
            bar = LimitBar(self, self.calibrated)
            self.bars.append(bar)
            self._layout.addWidget(bar)
        accounts: dict[str, set] = {}
        for status in states:
            accounts.setdefault(status.tool, set()).add(status.account)
        for bar, status in zip(self.bars, states, strict=False):
            bar.show_account = len(accounts[status.tool]) > 1
            bar.set_status(status, now_ms)
            bar.show()
        for bar in self.bars[len(states):]:
            bar.hide()
        self.setVisible(bool(states))
        self.updateGeometry()


class HistoryChart(QWidget):
    """One window's used % over time: a line per window instance, its resets as dashed lines."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.readings: list[dict] = []
        self.span = (0, 1)
        self.setMinimumHeight(220)

    def set_readings(self, readings: list[dict], lo_ms: int, hi_ms: int) -> None:
        self.readings, self.span = readings, (lo_ms, max(hi_ms, lo_ms + 1))
        self.update()

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setFont(_small_font(self))
        fm = painter.fontMetrics()
        left, right, top, bottom = fm.horizontalAdvance("100%") + 8, fm.horizontalAdvance("00 Mmm") // 2 + 4, 8, \
            fm.height() + 8
        plot = QRectF(left, top, self.width() - left - right, self.height() - top - bottom)
        lo, hi = self.span

        def x_of(ms: int) -> float:
            return plot.left() + plot.width() * (ms - lo) / (hi - lo)

        def y_of(p: float) -> float:
            return plot.bottom() - plot.height() * p / 100

        dim = _text_color(self, dim=True)
        for p in (0, 50, 80, 100):
            pen = QPen(QColor(DANGER) if p == 80 else dim, 1, Qt.PenStyle.DotLine if p in (50, 80) else Qt.PenStyle.SolidLine)
            painter.setPen(pen)
            painter.drawLine(QPointF(plot.left(), y_of(p)), QPointF(plot.right(), y_of(p)))
            painter.setPen(dim)
            painter.drawText(0, int(y_of(p) + fm.ascent() / 2), f"{p}%")
        day = 86_400_000
        for n in range(0, int((hi - lo) // day) + 1, max(1, int((hi - lo) // day) // 7)):
            ms = lo + n * day
            label = time.strftime("%d %b", time.localtime(ms / 1000))
            painter.drawText(int(x_of(ms) - fm.horizontalAdvance(label) / 2), int(plot.bottom() + fm.ascent() + 4), label)
        if not self.readings:
            painter.drawText(plot, Qt.AlignmentFlag.AlignCenter, "No readings of this window in the last 14 days")
            painter.end()
            return
        resets = sorted({r["resets_at_ms"] for r in self.readings if r["resets_at_ms"] is not None and lo <= r["resets_at_ms"] <= hi})
        painter.setPen(QPen(dim, 1, Qt.PenStyle.DashLine))
        for ms in resets:
            painter.drawLine(QPointF(x_of(ms), plot.top()), QPointF(x_of(ms), plot.bottom()))
        painter.setPen(QPen(QColor(ACCENT), 2))
        path = QPainterPath()
        previous_reset = None
        for r in self.readings:
            point = QPointF(x_of(r["observed_at_ms"]), y_of(r["used_percent"]))
            # One line per window instance: a reset starts a new one.
            if path.elementCount() and core.same_instance(previous_reset, r["resets_at_ms"]):
                path.lineTo(point)
            else:
                path.moveTo(point)
            previous_reset = r["resets_at_ms"]
            painter.drawEllipse(point, 1.5, 1.5)
        painter.drawPath(path)
        painter.end()


def window_key(s: core.WindowStatus) -> tuple[str, str, str, str]:
    return (s.device_id, s.tool, s.account, s.window)


def load_limits(data_dir: Path, now_ms: int) -> dict:
    """In the background: every window's status (this device's, then the other devices' that a
    synced folder brought), and each window's readings of 14 days."""
    from tokenlens.store import queries

    db = open_read_ledger(data_dir)
    try:
        states = core.window_states(db, now_ms, with_devices=True)
        since = now_ms - HISTORY_DAYS * 86_400_000
        history = {}
        for s in states:
            if s.device_id:
                rows = queries.device_limit_readings_of(db, s.device_id, s.tool, s.account, s.window, since)
            else:
                rows = queries.limit_readings_of(db, s.tool, s.account, s.window, since)
            history[window_key(s)] = rows
    finally:
        db.conn.close()
    return {"states": states, "history": history, "now": now_ms}


def bar_label(s: core.WindowStatus, with_account: bool) -> str:
    """"Claude Code 5h", with the account where one tool has several, and another device's
    name in front ("[laptop] Codex 5h"), as `tokenlens limits` shows them."""
    label = core.window_label(s) + (f" · {s.account}" if with_account and s.account else "")
    return f"[{s.device}] {label}" if s.device else label


class LimitsTab(QWidget):
    """The main window's "Limits" view."""

    loaded = Signal()

    def __init__(self, data_dir: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.data_dir = data_dir
        self._jobs = Latest(self)
        self.data: dict | None = None
        self.empty = QLabel("No plan-window readings yet. Codex writes them into its session logs as you use it;"
                            " for Claude Code's 5-hour and 7-day windows run `tokenlens statusline install`.")
        self.empty.setWordWrap(True)
        self.bars = LimitBars()
        self.bars.caption.setText("EACH WINDOW NOW")
        self.choice = QComboBox()
        self.choice.currentIndexChanged.connect(self._paint_history)
        self.chart = HistoryChart()
        self.calibration = QLabel("")
        self.calibration.setWordWrap(True)
        self.calibration.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        pick = QHBoxLayout()
        pick.addWidget(QLabel("History of"))
        pick.addWidget(self.choice, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.empty)
        layout.addWidget(self.bars)
        layout.addSpacing(8)
        layout.addLayout(pick)
        layout.addWidget(self.chart, 1)
        layout.addWidget(self.calibration)

    @Slot()
    def refresh(self) -> None:
        now = int(time.time() * 1000)
        self._jobs.run(lambda: load_limits(self.data_dir, now), self._paint, self._failed)

    def _failed(self, message: str) -> None:
        self.empty.setText(f"Could not read the limits: {message}")
        self.empty.show()
        self.loaded.emit()

    def _paint(self, data: dict) -> None:
        self.data = data
        states = data["states"]
        self.empty.setVisible(not states)
        self.bars.set_states(states, data["now"])
        current = self.choice.currentData()
        self.choice.blockSignals(True)
        self.choice.clear()
        for s in states:
            self.choice.addItem(bar_label(s, True), window_key(s))
        index = self.choice.findData(current) if current is not None else 0
        self.choice.setCurrentIndex(max(0, index))
        self.choice.blockSignals(False)
        self._paint_history()
        self.loaded.emit()

    @Slot()
    def _paint_history(self) -> None:
        if not self.data:
            return
        key = self.choice.currentData()
        now = self.data["now"]
        self.chart.set_readings(self.data["history"].get(key, []), now - HISTORY_DAYS * 86_400_000, now)
        status = next((s for s in self.data["states"] if window_key(s) == key), None)
        text = calibration_text(status) if status else ""
        if status is not None and not text:
            whose = f"{status.device}'s" if status.device else "this computer's"
            text = ("Calibration: not yet — it needs two readings of one window that rose, with"
                    f" {whose} own usage between them.")
        self.calibration.setText(text)


class LimitsWatch(QObject):
    """The windows' states for the popup bars and the tooltip, and alerts: re-read after a scan
    that brought readings (LiveLedger's outcome says so) and once a minute, for the readings the
    status line writes straight into the ledger and for windows going stale or reset with time.
    Without calibration (the Limits tab works it out): this runs while a tool is writing."""

    EVERY_MS = 60_000

    changed = Signal()
    alert = Signal(str)

    def __init__(self, data_dir: Path, settings, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.data_dir, self.settings = data_dir, settings
        self.bars = LimitBars(calibrated=False)
        self.states: list[core.WindowStatus] = []
        self.started_ms = int(time.time() * 1000)
        self.looks = 0
        self.deferred = 0  # looks whose alerts waited for a full-screen window to go
        self._jobs = Latest(self)
        self._timer = QTimer(self)
        self._timer.setInterval(self.EVERY_MS)
        self._timer.timeout.connect(self.refresh)
        self._timer.start()
        self._stopped = False

    def stop(self) -> None:
        """At quit (TokenlensApp.shutdown): no more re-reads, no alerts from a closed app."""
        self._timer.stop()
        self._stopped = True

    def thresholds(self) -> tuple[int, ...]:
        return core.alert_thresholds(self.settings.get(THRESHOLDS_SETTING))

    @Slot()
    def refresh(self) -> None:
        if self._stopped:
            return
        now = int(time.time() * 1000)
        platform = QGuiApplication.platformName()

        def work():
            return core_states(self.data_dir, now), fullscreen_focused(platform)

        self._jobs.run(work, lambda result: self._paint(result[0], now, result[1]))

    def _paint(self, states: list[core.WindowStatus], now_ms: int, fullscreen: bool | None = None) -> None:
        if self._stopped:  # a look that was under way at quit
            return
        self.states = states
        self.bars.set_states(states, now_ms)
        self.looks += 1
        if fullscreen:
            self.deferred += 1  # told at a later look, when the full-screen window has gone
        else:
            self._tell(states)
        self.changed.emit()

    def tooltip_line(self) -> str | None:
        return tooltip_line(self.states)

    def _tell(self, states: list[core.WindowStatus]) -> None:
        told_list = self.settings.get(TOLD_SETTING)
        told_list = [k for k in told_list if isinstance(k, str)] if isinstance(told_list, list) else []
        due = core.due_alerts(states, self.thresholds(), set(told_list), at_start=self.looks == 1 + self.deferred,
                              started_ms=self.started_ms)
        if not due:
            return
        for keys, _ in due:
            told_list += [k for k in keys.split(";") if k not in told_list]
        self.settings.update(**{TOLD_SETTING: told_list[-TOLD_KEPT:]})  # the oldest go first
        for _, text in due:
            self.alert.emit(text)


def fullscreen_focused(platform: str) -> bool | None:
    """Whether the focused window is full screen, where the platform says: on X11 from the
    window manager's _NET_ACTIVE_WINDOW and its _NET_WM_STATE (xprop); elsewhere (Wayland,
    macOS, Windows, no xprop) None, unknown, and alerts are shown."""
    import shutil
    import subprocess

    if platform != "xcb" or shutil.which("xprop") is None:
        return None
    try:
        active = subprocess.run(["xprop", "-root", "_NET_ACTIVE_WINDOW"], capture_output=True, text=True,
                                timeout=1.0).stdout
        window = active.rsplit("#", 1)[-1].strip().split(",")[0].strip() if "#" in active else ""
        if not window or window in ("0x0", "0"):
            return False
        state = subprocess.run(["xprop", "-id", window, "_NET_WM_STATE"], capture_output=True, text=True,
                               timeout=1.0).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return "_NET_WM_STATE_FULLSCREEN" in state


def core_states(data_dir: Path, now_ms: int) -> list[core.WindowStatus]:
    db = open_read_ledger(data_dir)
    try:
        return core.window_states(db, now_ms, calibrate=False)
    finally:
        db.conn.close()
