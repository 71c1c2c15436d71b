"""Small charts painted with QPainter: day bars (stacked), a sparkline, an hour-of-week heatmap
and a split bar.

Why QPainter and not a chart library: Qt Charts is deprecated since Qt 6.10 and is not in
PySide6-Essentials; its successor Qt Graphs draws through Qt Quick/RHI (GPU), which is
fragile offscreen and under Xvfb; pyqtgraph would add numpy for four static charts. These
widgets are a few dozen lines each, follow the palette (light and dark themes), and render
identically offscreen, so screenshots and tests see exactly what the person sees.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPalette, QPen
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

# Colour-blind-friendly series colours (Okabe-Ito, slightly deepened for light backgrounds).
SERIES_COLORS = ("#0077BB", "#EE7733", "#009988", "#CC3311", "#33BBEE", "#EE3377", "#AA8800", "#666699")
OTHER_COLOR = "#9E9E9E"
ACCENT = "#0F9D8A"
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def series_color(index: int) -> QColor:
    return QColor(SERIES_COLORS[index % len(SERIES_COLORS)])


def _text_color(widget: QWidget, dim: bool = False) -> QColor:
    color = widget.palette().color(QPalette.ColorRole.WindowText)
    if dim:
        color.setAlphaF(0.6)
    return color


def _small_font(widget: QWidget, delta: float = -1.0) -> QFont:
    font = QFont(widget.font())
    font.setPointSizeF(max(6.5, font.pointSizeF() + delta))
    return font


def nice_ceiling(value: float) -> float:
    """The next 'round' number (1, 2, 2.5, 5 x 10^n) at or above value, for axis tops."""
    if value <= 0:
        return 1.0
    magnitude = 10 ** len(str(int(value))) / 10 if value >= 1 else 1.0
    while magnitude > value:
        magnitude /= 10
    for step in (1, 2, 2.5, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude


class Sparkline(QWidget):
    """Day bars without axes; the last bar (today) in the accent colour."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._values: list[float] = []
        self.setMinimumHeight(36)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def sizeHint(self) -> QSize:
        return QSize(220, 40)

    def set_values(self, values: Sequence[float]) -> None:
        self._values = [max(0.0, float(v)) for v in values]
        self.update()

    def values(self) -> list[float]:
        return list(self._values)

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = QRectF(self.rect()).adjusted(1, 2, -1, -1)
        n = len(self._values)
        baseline = _text_color(self, dim=True)
        baseline.setAlphaF(0.25)
        painter.setPen(QPen(baseline, 1))
        painter.drawLine(QPointF(rect.left(), rect.bottom()), QPointF(rect.right(), rect.bottom()))
        if not n:
            return
        top = max(self._values) or 1.0
        slot = rect.width() / n
        gap = max(1.0, slot * 0.22)
        painter.setPen(Qt.PenStyle.NoPen)
        muted = QColor(ACCENT)
        muted.setAlphaF(0.45)
        for i, value in enumerate(self._values):
            h = rect.height() * value / top
            if value > 0:
                h = max(h, 1.5)
            bar = QRectF(rect.left() + i * slot + gap / 2, rect.bottom() - h, slot - gap, h)
            painter.setBrush(QColor(ACCENT) if i == n - 1 else muted)
            painter.drawRoundedRect(bar, 1.5, 1.5)


class SplitBar(QWidget):
    """One horizontal bar split by share, with a legend line under it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._parts: list[tuple[str, float, str]] = []  # (label, value, caption)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def sizeHint(self) -> QSize:
        lines = max(1, len(self._parts))
        return QSize(220, 16 + lines * (QFontMetrics(_small_font(self)).height() + 2))

    def minimumSizeHint(self) -> QSize:
        return self.sizeHint()

    def set_parts(self, parts: Sequence[tuple[str, float, str]]) -> None:
        self._parts = list(parts)
        self.updateGeometry()
        self.update()

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        width = self.width() - 2
        total = sum(v for _, v, _ in self._parts)
        bar = QRectF(1, 1, width, 9)
        track = _text_color(self, dim=True)
        track.setAlphaF(0.15)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(track)
        painter.drawRoundedRect(bar, 4, 4)
        x = bar.left()
        for i, (_, value, _) in enumerate(self._parts):
            if total <= 0 or value <= 0:
                continue
            w = width * value / total
            painter.setBrush(series_color(i))
            painter.drawRect(QRectF(x, bar.top(), w, bar.height()))
            x += w
        font = _small_font(self)
        painter.setFont(font)
        fm = QFontMetrics(font)
        y = bar.bottom() + 5
        for i, (label, value, caption) in enumerate(self._parts):
            painter.setBrush(series_color(i))
            painter.setPen(Qt.PenStyle.NoPen)
            painter.drawRoundedRect(QRectF(1, y + (fm.height() - 8) / 2, 8, 8), 2, 2)
            painter.setPen(_text_color(self))
            share = f"{100 * value / total:.0f}%" if total > 0 else ""
            painter.drawText(QRectF(14, y, width - 14, fm.height()), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, label)
            painter.setPen(_text_color(self, dim=True))
            painter.drawText(QRectF(14, y, width - 14, fm.height()), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, f"{caption}  {share}")
            y += fm.height() + 2
        if not self._parts:
            painter.setPen(_text_color(self, dim=True))
            painter.drawText(QRectF(1, y, width, fm.height()), Qt.AlignmentFlag.AlignLeft, "No usage yet")


class StackedBars(QWidget):
    """Bars per day stacked by group, with a y axis, day labels, a legend and hover details."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._days: list[date] = []
        self._groups: list[str] = []
        self._value: Callable[[date, str], float] = lambda d, g: 0.0
        self._fmt: Callable[[float], str] = lambda v: f"{v:.0f}"
        self._plot = QRectF()
        self.setMouseTracking(True)
        self.setMinimumHeight(220)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def sizeHint(self) -> QSize:
        return QSize(640, 260)

    def set_data(self, days, groups, value, fmt) -> None:
        self._days, self._groups, self._value, self._fmt = list(days), list(groups), value, fmt
        self.update()

    def day_totals(self) -> list[float]:
        return [sum(self._value(d, g) for g in self._groups) for d in self._days]

    def _legend_groups(self) -> list[tuple[str, QColor]]:
        shown = self._groups[: len(SERIES_COLORS)]
        items = [(g, series_color(i)) for i, g in enumerate(shown)]
        if len(self._groups) > len(shown):
            items.append(("other", QColor(OTHER_COLOR)))
        return items

    def _color_of(self, index: int) -> QColor:
        return series_color(index) if index < len(SERIES_COLORS) else QColor(OTHER_COLOR)

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        font = _small_font(self)
        painter.setFont(font)
        fm = QFontMetrics(font)
        text, dim = _text_color(self), _text_color(self, dim=True)

        # legend row
        x, legend_y = 4.0, 2.0
        for label, color in self._legend_groups():
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(color)
            painter.drawRoundedRect(QRectF(x, legend_y + (fm.height() - 9) / 2, 9, 9), 2, 2)
            painter.setPen(text)
            painter.drawText(QPointF(x + 13, legend_y + fm.ascent()), label)
            x += 13 + fm.horizontalAdvance(label) + 14

        totals = self.day_totals()
        top = nice_ceiling(max(totals, default=0.0))
        axis_w = max(fm.horizontalAdvance(self._fmt(top)), fm.horizontalAdvance("0")) + 8
        plot = QRectF(axis_w, legend_y + fm.height() + 8, self.width() - axis_w - 6, 0)
        plot.setBottom(self.height() - fm.height() - 6)
        self._plot = plot

        grid = QColor(dim)
        grid.setAlphaF(0.18)
        for i in range(5):
            value = top * i / 4
            y = plot.bottom() - plot.height() * i / 4
            painter.setPen(QPen(grid, 1))
            painter.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
            painter.setPen(dim)
            painter.drawText(QRectF(0, y - fm.height() / 2, axis_w - 5, fm.height()), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, self._fmt(value))

        n = len(self._days)
        if not n:
            return
        slot = plot.width() / n
        gap = max(1.0, slot * 0.2)
        painter.setPen(Qt.PenStyle.NoPen)
        for i, day in enumerate(self._days):
            y = plot.bottom()
            for gi, group in enumerate(self._groups):
                value = self._value(day, group)
                if value <= 0:
                    continue
                h = plot.height() * value / top
                painter.setBrush(self._color_of(gi))
                painter.drawRect(QRectF(plot.left() + i * slot + gap / 2, y - h, slot - gap, h))
                y -= h

        # day labels: as many as fit, always including the last day
        label_w = fm.horizontalAdvance("30 Mar") + 10
        every = max(1, int(label_w // slot) + 1)
        painter.setPen(dim)
        for i, day in enumerate(self._days):
            if (n - 1 - i) % every:
                continue
            label = day.strftime("%d %b").lstrip("0")
            cx = plot.left() + (i + 0.5) * slot
            painter.drawText(QRectF(cx - label_w / 2, plot.bottom() + 3, label_w, fm.height()), Qt.AlignmentFlag.AlignHCenter, label)

    def mouseMoveEvent(self, event) -> None:
        index = self.day_at(event.position().x())
        if index is None:
            QToolTip.hideText()
            return
        day = self._days[index]
        lines = [f"<b>{day.strftime('%a %d %b %Y')}</b>: {self._fmt(self.day_totals()[index])}"]
        for group in self._groups:
            value = self._value(day, group)
            if value > 0:
                lines.append(f"{group}: {self._fmt(value)}")
        QToolTip.showText(event.globalPosition().toPoint(), "<br>".join(lines), self)

    def day_at(self, x: float) -> int | None:
        if not self._days or self._plot.width() <= 0 or not (self._plot.left() <= x < self._plot.right()):
            return None
        return int((x - self._plot.left()) / (self._plot.width() / len(self._days)))


class Heatmap(QWidget):
    """Tokens per weekday (rows, Monday first) and local hour (columns)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._grid = [[0] * 24 for _ in range(7)]
        self._fmt: Callable[[float], str] = lambda v: f"{v:.0f}"
        self._cells = QRectF()
        self.setMouseTracking(True)
        self.setMinimumHeight(150)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def sizeHint(self) -> QSize:
        return QSize(560, 170)

    def set_grid(self, grid: list[list[int]], fmt: Callable[[float], str]) -> None:
        self._grid, self._fmt = grid, fmt
        self.update()

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        font = _small_font(self)
        painter.setFont(font)
        fm = QFontMetrics(font)
        left = max(fm.horizontalAdvance(d) for d in WEEKDAYS) + 8
        cells = QRectF(left, 2, self.width() - left - 4, self.height() - fm.height() - 8)
        self._cells = cells
        cw, ch = cells.width() / 24, cells.height() / 7
        top = max((v for row in self._grid for v in row), default=0) or 1
        empty = _text_color(self, dim=True)
        empty.setAlphaF(0.08)
        dim = _text_color(self, dim=True)
        for d in range(7):
            painter.setPen(dim)
            painter.drawText(QRectF(0, cells.top() + d * ch, left - 6, ch), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, WEEKDAYS[d])
            painter.setPen(Qt.PenStyle.NoPen)
            for h in range(24):
                value = self._grid[d][h]
                if value > 0:
                    color = QColor(ACCENT)
                    color.setAlphaF(0.15 + 0.85 * (value / top) ** 0.6)
                else:
                    color = empty
                painter.setBrush(color)
                painter.drawRoundedRect(QRectF(cells.left() + h * cw + 1, cells.top() + d * ch + 1, cw - 2, ch - 2), 2, 2)
        painter.setPen(dim)
        for h in (0, 6, 12, 18, 23):
            painter.drawText(QRectF(cells.left() + h * cw - 10, cells.bottom() + 3, cw + 20, fm.height()), Qt.AlignmentFlag.AlignHCenter, f"{h:02d}h")

    def mouseMoveEvent(self, event) -> None:
        pos = event.position()
        cells = self._cells
        if cells.width() <= 0 or not cells.contains(pos):
            QToolTip.hideText()
            return
        h = min(23, int((pos.x() - cells.left()) / (cells.width() / 24)))
        d = min(6, int((pos.y() - cells.top()) / (cells.height() / 7)))
        QToolTip.showText(event.globalPosition().toPoint(), f"{WEEKDAYS[d]} {h:02d}:00–{h:02d}:59: {self._fmt(self._grid[d][h])}", self)
