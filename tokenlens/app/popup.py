"""The compact popup: today and this week, 14 days, the split by tool, risky grants.

Where the platform can place a window next to the tray icon (X11 with a known icon
geometry) it opens there as a popup that closes on an outside click; elsewhere (Wayland,
hosts that report no geometry) it is an ordinary window, centred (desktop_notes 3.1).
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from tokenlens.app.charts import Sparkline, SplitBar
from tokenlens.insights import Glance, format_cost, format_tokens
from tokenlens.tools import tool_name


def compare_text(glance: Glance) -> str:
    """Today against the person's own 7-day average, in words."""
    ratio = glance.ratio_to_average
    if ratio is None:
        return "No earlier days to compare with yet"
    avg = f"{format_tokens(glance.avg7_tokens)} tokens · {format_cost(glance.avg7_cost)}"
    if glance.today_tokens == 0:
        return f"Nothing yet today. Your 7-day average: {avg}"
    if 0.9 <= ratio <= 1.1:
        return f"About your 7-day average ({avg})"
    return f"{ratio:.1f}× your 7-day average ({avg})"


FILLING_NOTE = "Today is up to date; earlier days are still being read, newest first."


# What the tray icon draws (tokenlens.app.icons.paint_gauge), said where the person sees it.
GAUGE_MEANING = "Icon: the full ring is your 7-day daily average; the arc is today so far (amber once past it)."


def gauge_text(glance: Glance | None) -> str:
    """The popup's header line: what the ring stands for, and where today's arc is now."""
    if glance is None or glance.ratio_to_average is None:
        return ("The tray ring fills as today goes on; once there are earlier days, a full ring is your "
                "7-day daily average.")
    share = f"{100 * glance.ratio_to_average:.0f}%"
    return (f"Tray ring = your 7-day daily average ({format_tokens(glance.avg7_tokens)}); "
            f"the arc is today: {share} of it{' (amber past 100%)' if glance.ratio_to_average > 1 else ''}.")


def reading_percent(reading: tuple[int, int] | None) -> int | None:
    """How far a big scan is, in whole percent (never 100 before it is done)."""
    if reading is None:
        return None
    done, total = reading
    return 100 if done >= total else min(99, 100 * done // max(1, total))


def reading_text(reading: tuple[int, int] | None) -> str:
    """E.g. "Reading your history: 38 % (450 of 1,200 MB), newest first"; "" when no scan is."""
    if reading is None:
        return ""
    done, total = reading
    digits = 1 if total < 10_000_000 else 0
    return (f"Reading your history: {reading_percent(reading)} % "
            f"({done / 1e6:,.{digits}f} of {total / 1e6:,.{digits}f} MB), newest first")


def tooltip_text(glance: Glance | None, paused: bool = False, warning: str | None = None,
                 reading: int | None = None, filling: bool = False) -> str:
    """The tray tooltip: the numbers, then what is wrong (paused, unreadable folders), then
    what the icon means: last, as some hosts cut a long tooltip (Windows at 127 characters).

    `reading`: percent of a big scan read; `filling`: the glance has today but not yet the
    earlier days, whose average is then not shown (it would be too low)."""
    progress = "reading history…" + (f" {reading} %" if reading is not None else "")
    if glance is None:
        head = f"tokenlens — {progress}" if reading is not None else "tokenlens — reading your logs…"
        return head + (f"\n⚠ {warning}" if warning else "")
    average = (f"7-day average: {progress}" if filling else
               f"7-day average: {format_tokens(glance.avg7_tokens)} tokens · {format_cost(glance.avg7_cost)}")
    lines = [
        "tokenlens",
        f"Today: {format_tokens(glance.today_tokens)} tokens · {format_cost(glance.today_cost)}",
        average,
    ]
    if reading is not None and not filling:
        lines.append(f"Scanning: {progress}")
    if paused:
        lines.append("Watching paused")
    if warning:
        lines.append(f"⚠ {warning}")
    lines.append(GAUGE_MEANING)
    return "\n".join(lines)


def can_anchor(tray_geometry: QRect | None) -> bool:
    platform = QGuiApplication.platformName().lower()
    return platform == "xcb" and tray_geometry is not None and tray_geometry.isValid() and not tray_geometry.isEmpty()


class GlancePopup(QFrame):
    open_window = Signal()
    scan_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("glancePopup")
        self.setWindowTitle("tokenlens — today")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.anchored = False

        self.today_value = QLabel("–")
        self.today_value.setObjectName("todayValue")
        big = self.today_value.font()
        big.setPointSizeF(big.pointSizeF() * 1.9)
        big.setBold(True)
        self.today_value.setFont(big)
        self.today_cost = QLabel("")
        self.compare = QLabel("")
        self.compare.setWordWrap(True)
        self.gauge_note = QLabel(gauge_text(None))
        self.gauge_note.setObjectName("gaugeNote")
        self.gauge_note.setWordWrap(True)
        self.gauge_note.setStyleSheet("color: palette(placeholder-text);")
        self.week_value = QLabel("–")
        self.sparkline = Sparkline()
        self.split = SplitBar()
        self.risky = QLabel("")
        self.risky.setObjectName("riskyGrants")
        self.risky.hide()
        self.status = QLabel("")
        self.status.setObjectName("status")
        self.progress = QLabel("")
        self.progress.setObjectName("progress")
        self.progress.setWordWrap(True)
        self.progress.hide()

        self.open_button = QPushButton("Open tokenlens")
        self.open_button.setDefault(True)
        self.open_button.clicked.connect(self.open_window)
        self.scan_button = QPushButton("Scan now")
        self.scan_button.clicked.connect(self.scan_requested)

        head = QGridLayout()
        head.addWidget(_caption("Today"), 0, 0)
        head.addWidget(_caption("This week"), 0, 1, Qt.AlignmentFlag.AlignRight)
        head.addWidget(self.today_value, 1, 0)
        head.addWidget(self.week_value, 1, 1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignBottom)
        head.addWidget(self.today_cost, 2, 0)

        buttons = QHBoxLayout()
        buttons.addWidget(self.scan_button)
        buttons.addStretch(1)
        buttons.addWidget(self.open_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 12, 14, 12)
        layout.setSpacing(6)
        layout.addLayout(head)
        layout.addWidget(self.compare)
        layout.addWidget(self.gauge_note)
        layout.addSpacing(4)
        layout.addWidget(_caption("Last 14 days"))
        layout.addWidget(self.sparkline)
        layout.addSpacing(4)
        layout.addWidget(_caption("Today by tool"))
        layout.addWidget(self.split)
        layout.addWidget(self.risky)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addLayout(buttons)
        self.setFixedWidth(320)

    def set_glance(self, glance: Glance, risky: int | None = None, filling: bool = False) -> None:
        """`filling`: today is complete, earlier days are still being read."""
        self.today_value.setText(f"{format_tokens(glance.today_tokens)} tokens")
        self.today_cost.setText(f"≈ {format_cost(glance.today_cost)} at list prices")
        self.week_value.setText("reading…" if filling else
                                f"{format_tokens(glance.week_tokens)} · {format_cost(glance.week_cost)}")
        self.compare.setText(FILLING_NOTE if filling else compare_text(glance))
        self.gauge_note.setText(gauge_text(None if filling else glance))
        # The bars name the day under the pointer themselves (no 14-line tooltip to read).
        self.sparkline.set_values([d.tokens for d in glance.series14], [d.day for d in glance.series14], format_tokens)
        self.split.set_parts([(tool, tool_name(tool), tokens, format_tokens(tokens))
                              for tool, tokens, _ in glance.by_tool_today])
        self.set_risky(risky)

    def set_risky(self, risky: int | None) -> None:
        """The count of high-risk agent grants; None (never scanned) hides the line."""
        if risky is None:
            self.risky.hide()
        else:
            noun = "grant" if risky == 1 else "grants"
            self.risky.setText(f"⚠ {risky} risky agent {noun} — see Permissions" if risky else "No risky agent grants found")
            self.risky.show()
        self.adjustSize()

    def set_status(self, text: str) -> None:
        self.status.setText(text)
        self.status.setVisible(bool(text))

    def set_progress(self, text: str) -> None:
        """A big scan's progress line ("" hides it)."""
        self.progress.setText(text)
        if self.progress.isHidden() == bool(text):
            self.progress.setVisible(bool(text))
            self.adjustSize()

    def show_near(self, tray_geometry: QRect | None) -> None:
        """Next to the tray icon when the platform allows it, else as an ordinary window."""
        self.anchored = can_anchor(tray_geometry)
        self.setWindowFlags(
            Qt.WindowType.Popup if self.anchored else Qt.WindowType.Window
        )
        self.adjustSize()
        if self.anchored:
            self.move(popup_position(tray_geometry, self.size(), _screen_rect(tray_geometry.center())))
        else:
            screen = _screen_rect(None)
            self.move(screen.center() - QPoint(self.width() // 2, self.height() // 2))
        self.show()
        self.raise_()
        self.activateWindow()


def popup_position(icon: QRect, size, screen: QRect) -> QPoint:
    """Below the icon if the panel is at the top, above it otherwise; kept on screen."""
    below = icon.center().y() < screen.center().y()
    y = icon.bottom() + 6 if below else icon.top() - size.height() - 6
    x = icon.center().x() - size.width() // 2
    x = max(screen.left() + 4, min(x, screen.right() - size.width() - 4))
    y = max(screen.top() + 4, min(y, screen.bottom() - size.height() - 4))
    return QPoint(x, y)


def _screen_rect(point: QPoint | None) -> QRect:
    screen = QGuiApplication.screenAt(point) if point is not None else None
    screen = screen or QGuiApplication.primaryScreen()
    return screen.availableGeometry() if screen else QRect(0, 0, 1280, 800)


def _caption(text: str) -> QLabel:
    label = QLabel(text.upper())
    font = label.font()
    font.setPointSizeF(font.pointSizeF() * 0.8)
    font.setBold(True)
    label.setFont(font)
    label.setStyleSheet("color: palette(placeholder-text);")
    return label
