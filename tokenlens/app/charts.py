"""Small charts painted with QPainter: day bars (stacked), a sparkline, an hour-of-week heatmap
and a split bar.

Why QPainter and not a chart library: Qt Charts is deprecated since Qt 6.10 and is not in
PySide6-Essentials; its successor Qt Graphs draws through Qt Quick/RHI (GPU), which is
fragile offscreen and under Xvfb; pyqtgraph would add numpy for four static charts. These
widgets are a few dozen lines each, follow the palette (light and dark themes), and render
identically offscreen, so screenshots and tests see exactly what the person sees.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPalette, QPen
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

# Colour-blind-friendly series colours (Paul Tol's bright and muted sets, deepened a little
# for light backgrounds), enough that the tools and models of one chart rarely share one.
SERIES_COLORS = (
    "#0077BB", "#EE7733", "#009988", "#CC3311", "#33BBEE", "#EE3377",
    "#AA8800", "#666699", "#117733", "#882255", "#44AA99", "#997700",
)
LEGEND_MAX = 8  # series named in a legend; the rest are summed as "other"
OTHER_COLOR = "#9E9E9E"
ACCENT = "#0F9D8A"
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MIN_BAR_PX = 4.0  # thinner than this, day bars are summed into weeks (then months)
NO_USAGE = "No usage in this range"


def series_color(key: str) -> QColor:
    """One colour per tool or model, the same in every range and chart: a known tool by its
    place in the registry (Claude Code and Codex never share one), anything else (models,
    tools no longer registered) by a hash of its id. A hash, not the series' rank: the rank
    changes with the range, and the person's colour memory should not."""
    from tokenlens.tools import TOOLS

    for index, tool in enumerate(TOOLS):
        if key in (tool.id, tool.grant_id):
            return QColor(SERIES_COLORS[index % len(SERIES_COLORS)])
    digest = hashlib.blake2b(key.encode(), digest_size=4).digest()  # not hash(): salted per process
    return QColor(SERIES_COLORS[int.from_bytes(digest, "big") % len(SERIES_COLORS)])


@dataclass(frozen=True)
class Bucket:
    """One bar: a day, a week (Monday first) or a calendar month of the range."""

    first: date
    last: date
    kind: str  # "day" | "week" | "month"

    def days(self) -> list[date]:
        return [self.first + timedelta(days=i) for i in range((self.last - self.first).days + 1)]

    def label(self) -> str:
        if self.kind == "month":
            return self.first.strftime("%b %Y")
        return self.first.strftime("%d %b").lstrip("0")

    def title(self) -> str:
        if self.kind == "day":
            return self.first.strftime("%a %d %b %Y")
        if self.kind == "month":
            return self.first.strftime("%B %Y")
        return f"{_short(self.first)} – {_short(self.last)} {self.last.year}"


def _short(day: date) -> str:
    return day.strftime("%d %b").lstrip("0")


def buckets_for(days: Sequence[date], width: float) -> list[Bucket]:
    """Days when each day gets MIN_BAR_PX, else weeks, else months (the range's ends cut
    the first and last week or month short)."""
    days = list(days)
    if not days:
        return []
    if width / len(days) >= MIN_BAR_PX:
        return [Bucket(d, d, "day") for d in days]
    weeks = _group(days, lambda d: d - timedelta(days=d.weekday()), "week")
    if width / len(weeks) >= MIN_BAR_PX:
        return weeks
    return _group(days, lambda d: d.replace(day=1), "month")


def _group(days: list[date], start_of: Callable[[date], date], kind: str) -> list[Bucket]:
    out: list[Bucket] = []
    for day in days:
        if out and start_of(out[-1].first) == start_of(day):
            out[-1] = Bucket(out[-1].first, day, kind)
        else:
            out.append(Bucket(day, day, kind))
    return out


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
    """Day bars without axes: today (the last bar) in the accent colour and named under it,
    and the day under the pointer named in its place while the pointer is over a bar."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._values: list[float] = []
        self._days: list[date] = []
        self._fmt: Callable[[float], str] = lambda v: f"{v:.0f}"
        self._hover: int | None = None
        self._bars = QRectF()
        self.caption = ""  # what the label row under the bars says now (tests read it)
        self.setMouseTracking(True)
        self.setMinimumHeight(36 + self._label_height())
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def _label_height(self) -> int:
        return QFontMetrics(_small_font(self)).height() + 2

    def sizeHint(self) -> QSize:
        return QSize(220, 40 + self._label_height())

    def set_values(self, values: Sequence[float], days: Sequence[date] = (),
                   fmt: Callable[[float], str] | None = None) -> None:
        self._values = [max(0.0, float(v)) for v in values]
        self._days = list(days)
        if fmt is not None:
            self._fmt = fmt
        self._hover = None
        self.update()

    def values(self) -> list[float]:
        return list(self._values)

    def hovered(self) -> int | None:
        return self._hover

    def day_text(self, index: int) -> str:
        """"Tue 24 Nov: 1.20M" (or "today: ...") for bar `index`."""
        value = self._fmt(self._values[index])
        if index == len(self._values) - 1:
            return f"today: {value}"
        if index < len(self._days):
            return f"{self._days[index].strftime('%a %d %b')}: {value}"
        return value

    def _rest_caption(self) -> tuple[str, str]:
        first = self._days[0].strftime("%d %b").lstrip("0") if self._days else ""
        return first, "today" if self._values else ""

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        font = _small_font(self)
        painter.setFont(font)
        fm = QFontMetrics(font)
        rect = QRectF(self.rect()).adjusted(1, 2, -1, -1 - self._label_height())
        self._bars = rect
        n = len(self._values)
        baseline = _text_color(self, dim=True)
        baseline.setAlphaF(0.25)
        painter.setPen(QPen(baseline, 1))
        painter.drawLine(QPointF(rect.left(), rect.bottom()), QPointF(rect.right(), rect.bottom()))
        labels = QRectF(rect.left(), rect.bottom() + 2, rect.width(), fm.height())
        if not n:
            self.caption = ""
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
            painter.setBrush(QColor(ACCENT) if i in (n - 1, self._hover) else muted)
            painter.drawRoundedRect(bar, 1.5, 1.5)
        if self._hover is not None:
            # the hovered bar also gets a tick under it, so the label is tied to one bar
            painter.setBrush(_text_color(self, dim=True))
            painter.drawRect(QRectF(rect.left() + self._hover * slot + gap / 2, rect.bottom() + 1, slot - gap, 1.5))
        painter.setPen(_text_color(self, dim=True))
        if self._hover is not None:
            self.caption = self.day_text(self._hover)
            painter.drawText(labels, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignVCenter, self.caption)
        else:
            first, last = self._rest_caption()
            self.caption = f"{first} … {last}" if first else last
            painter.drawText(labels, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, first)
            painter.drawText(labels, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, last)

    def bar_at(self, x: float) -> int | None:
        n = len(self._values)
        if not n or self._bars.width() <= 0 or not (self._bars.left() <= x < self._bars.right()):
            return None
        return min(n - 1, int((x - self._bars.left()) / (self._bars.width() / n)))

    def mouseMoveEvent(self, event) -> None:
        index = self.bar_at(event.position().x())
        if index != self._hover:
            self._hover = index
            self.update()
        if index is None:
            QToolTip.hideText()
        else:
            QToolTip.showText(event.globalPosition().toPoint(), self.day_text(index), self)

    def leaveEvent(self, event) -> None:
        self._hover = None
        self.update()
        super().leaveEvent(event)


class SplitBar(QWidget):
    """One horizontal bar split by share, with a legend line under it. Each part is
    (key, label, value, caption): the key (a tool id) picks its colour, the label is shown."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._parts: list[tuple[str, str, float, str]] = []
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def sizeHint(self) -> QSize:
        lines = max(1, len(self._parts))
        return QSize(220, 16 + lines * (QFontMetrics(_small_font(self)).height() + 2))

    def minimumSizeHint(self) -> QSize:
        return self.sizeHint()

    def set_parts(self, parts: Sequence[tuple[str, str, float, str]]) -> None:
        self._parts = list(parts)
        self.updateGeometry()
        self.update()

    def labels(self) -> list[str]:
        return [label for _, label, _, _ in self._parts]

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        width = self.width() - 2
        total = sum(v for _, _, v, _ in self._parts)
        bar = QRectF(1, 1, width, 9)
        track = _text_color(self, dim=True)
        track.setAlphaF(0.15)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(track)
        painter.drawRoundedRect(bar, 4, 4)
        x = bar.left()
        for key, _, value, _ in self._parts:
            if total <= 0 or value <= 0:
                continue
            w = width * value / total
            painter.setBrush(series_color(key))
            painter.drawRect(QRectF(x, bar.top(), w, bar.height()))
            x += w
        font = _small_font(self)
        painter.setFont(font)
        fm = QFontMetrics(font)
        y = bar.bottom() + 5
        for key, label, value, caption in self._parts:
            painter.setBrush(series_color(key))
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
    """Bars per day (or per week or month when days would be hair-thin) stacked by group,
    with a y axis, date labels, a legend and hover details. An empty range shows one
    sentence instead of an axis of zeros."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._days: list[date] = []
        self._groups: list[str] = []
        self._names: dict[str, str] = {}
        self._value: Callable[[date, str], float] = lambda d, g: 0.0
        self._fmt: Callable[[float], str] = lambda v: f"{v:.0f}"
        self._plot = QRectF()
        self._buckets: list[Bucket] = []
        # What the last paint drew, for the hover text and for tests (no OCR needed).
        self.axis_labels: list[str] = []
        self.message = ""
        self.setMouseTracking(True)
        self.setMinimumHeight(180)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def sizeHint(self) -> QSize:
        return QSize(640, 240)

    def set_data(self, days, groups, value, fmt, names: dict[str, str] | None = None) -> None:
        """`names` says how to show a group (a tool's name for its id); by default, as it is."""
        self._days, self._groups, self._value, self._fmt = list(days), list(groups), value, fmt
        self._names = dict(names or {})
        self.update()

    def name_of(self, group: str) -> str:
        return self._names.get(group, group)

    def buckets(self) -> list[Bucket]:
        """The bars as last painted (days, weeks or months)."""
        return list(self._buckets)

    def bucket_value(self, bucket: Bucket, group: str) -> float:
        return sum(self._value(d, group) for d in bucket.days())

    def day_totals(self) -> list[float]:
        return [sum(self._value(d, g) for g in self._groups) for d in self._days]

    def _shown_groups(self) -> list[str]:
        return self._groups[:LEGEND_MAX]

    def _legend(self) -> list[tuple[str, QColor]]:
        items = [(self.name_of(g), series_color(g)) for g in self._shown_groups()]
        if len(self._groups) > LEGEND_MAX:
            items.append(("other", QColor(OTHER_COLOR)))
        return items

    def _stack(self, bucket: Bucket) -> list[tuple[float, QColor]]:
        """The bar's segments, bottom up: the named groups, then everything else as "other"."""
        shown = self._shown_groups()
        out = [(self.bucket_value(bucket, g), series_color(g)) for g in shown]
        rest = sum(self.bucket_value(bucket, g) for g in self._groups[LEGEND_MAX:])
        if rest > 0:
            out.append((rest, QColor(OTHER_COLOR)))
        return out

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        font = _small_font(self)
        painter.setFont(font)
        fm = QFontMetrics(font)
        text, dim = _text_color(self), _text_color(self, dim=True)

        x, legend_y = 4.0, 2.0
        legend = self._legend()
        for n, (label, color) in enumerate(legend):
            advance = 13 + fm.horizontalAdvance(label) + 14
            reserve = 0 if n == len(legend) - 1 else fm.horizontalAdvance(" +99 more")
            if x + advance > self.width() - reserve:
                painter.setPen(dim)  # the rest are named in each bar's tooltip
                painter.drawText(QPointF(x, legend_y + fm.ascent()), f"+{len(legend) - n} more")
                break
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(color)
            painter.drawRoundedRect(QRectF(x, legend_y + (fm.height() - 9) / 2, 9, 9), 2, 2)
            painter.setPen(text)
            painter.drawText(QPointF(x + 13, legend_y + fm.ascent()), label)
            x += advance

        totals = self.day_totals()
        if not any(t > 0 for t in totals):
            self._paint_empty(painter, fm, dim)
            return
        self.message = ""
        # Bars first (their width decides days, weeks or months), then the axis their sums need.
        rough_axis = fm.horizontalAdvance(self._fmt(nice_ceiling(sum(totals)))) + 8
        self._buckets = buckets_for(self._days, self.width() - rough_axis - 6)
        top = nice_ceiling(max(sum(self.bucket_value(b, g) for g in self._groups) for b in self._buckets))
        axis_w = max(fm.horizontalAdvance(self._fmt(top)), fm.horizontalAdvance("0")) + 8
        plot = QRectF(axis_w, legend_y + fm.height() + 8, self.width() - axis_w - 6, 0)
        plot.setBottom(self.height() - fm.height() - 6)
        self._plot = plot

        grid = QColor(dim)
        grid.setAlphaF(0.18)
        self.axis_labels = []
        for i in range(5):
            value = top * i / 4
            y = plot.bottom() - plot.height() * i / 4
            painter.setPen(QPen(grid, 1))
            painter.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
            painter.setPen(dim)
            label = self._fmt(value)
            self.axis_labels.append(label)
            painter.drawText(QRectF(0, y - fm.height() / 2, axis_w - 5, fm.height()), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, label)

        n = len(self._buckets)
        slot = plot.width() / n
        gap = max(1.0, slot * 0.2)
        painter.setPen(Qt.PenStyle.NoPen)
        for i, bucket in enumerate(self._buckets):
            y = plot.bottom()
            for value, color in self._stack(bucket):
                if value <= 0:
                    continue
                h = plot.height() * value / top
                painter.setBrush(color)
                painter.drawRect(QRectF(plot.left() + i * slot + gap / 2, y - h, slot - gap, h))
                y -= h

        # date labels: as many as fit, always including the last bar
        label_w = fm.horizontalAdvance("30 Mar 2026" if self._buckets[0].kind == "month" else "30 Mar") + 10
        every = max(1, int(label_w // slot) + 1)
        painter.setPen(dim)
        for i, bucket in enumerate(self._buckets):
            if (n - 1 - i) % every:
                continue
            cx = plot.left() + (i + 0.5) * slot
            left = min(cx - label_w / 2, self.width() - label_w)  # the last label whole, not "30 No"
            painter.drawText(QRectF(left, plot.bottom() + 3, label_w, fm.height()), Qt.AlignmentFlag.AlignHCenter, bucket.label())

    def _paint_empty(self, painter: QPainter, fm: QFontMetrics, dim: QColor) -> None:
        self.axis_labels, self._buckets, self._plot = [], [], QRectF()
        self.message = NO_USAGE if self._days else ""
        body = QRectF(0, fm.height() + 10, self.width(), self.height() - fm.height() - 10)
        line = QColor(dim)
        line.setAlphaF(0.25)
        painter.setPen(QPen(line, 1))
        painter.drawLine(QPointF(8, body.bottom() - 4), QPointF(self.width() - 8, body.bottom() - 4))
        painter.setPen(dim)
        painter.drawText(body, Qt.AlignmentFlag.AlignCenter, self.message)

    def mouseMoveEvent(self, event) -> None:
        index = self.bar_at(event.position().x())
        if index is None:
            QToolTip.hideText()
            return
        QToolTip.showText(event.globalPosition().toPoint(), self.bar_text(index), self)

    def bar_text(self, index: int) -> str:
        bucket = self._buckets[index]
        total = sum(self.bucket_value(bucket, g) for g in self._groups)
        lines = [f"<b>{bucket.title()}</b>: {self._fmt(total)}"]
        for group in self._groups:
            value = self.bucket_value(bucket, group)
            if value > 0:
                lines.append(f"{self.name_of(group)}: {self._fmt(value)}")
        return "<br>".join(lines)

    def bar_at(self, x: float) -> int | None:
        if not self._buckets or self._plot.width() <= 0 or not (self._plot.left() <= x < self._plot.right()):
            return None
        return int((x - self._plot.left()) / (self._plot.width() / len(self._buckets)))


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
