"""The tray icon drawn from today's numbers, and the application icon.

The tray icon is a ring gauge: a full ring is the person's own 7-day daily average, the arc
is today so far (a second, amber lap past the average). It sits on a dark disc with a light
rim so it reads on light and dark panels alike, and every size is painted natively (no
scaling), which keeps it crisp at HiDPI.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPen, QPixmap

SIZES = (16, 22, 24, 32, 48, 64, 128, 256)
DISC = QColor("#1E293B")
RIM = QColor("#E2E8F0")
TRACK = QColor("#475569")
UNDER = QColor("#2DD4BF")  # teal: at or under the average
OVER = QColor("#FBBF24")  # amber: past the average
PAUSED = QColor("#94A3B8")
WARNING = QColor("#F97316")  # orange badge: some log folders could not be read
WARNING_MARK = QColor("#111827")

log = logging.getLogger(__name__)


def gauge_fraction(ratio: float | None, today_tokens: int) -> float:
    """0..2: how much of the ring(s) to fill. No history yet: a full ring once anything is used."""
    if ratio is None:
        return 1.0 if today_tokens > 0 else 0.0
    return max(0.0, min(2.0, ratio))


def paint_gauge(size: int, fraction: float, paused: bool = False, warning: bool = False) -> QPixmap:
    """The ring gauge; `warning` adds a small "!" badge (bottom right): the totals are
    incomplete because some log folders or files could not be read."""
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    rim = max(1.0, size / 22)
    disc = QRectF(rim / 2, rim / 2, size - rim, size - rim)
    painter.setPen(QPen(RIM, rim))
    painter.setBrush(DISC)
    painter.drawEllipse(disc)

    ring_w = max(2.0, size * 0.16)
    inset = rim + ring_w / 2 + max(0.5, size / 32)
    ring = QRectF(inset, inset, size - 2 * inset, size - 2 * inset)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.setPen(QPen(TRACK, ring_w, Qt.PenStyle.SolidLine, Qt.PenCapStyle.FlatCap))
    painter.drawEllipse(ring)

    first = min(fraction, 1.0)
    if first > 0:
        color = PAUSED if paused else UNDER
        painter.setPen(QPen(color, ring_w, Qt.PenStyle.SolidLine, Qt.PenCapStyle.FlatCap))
        # Qt angles: 1/16 degree, counter-clockwise; start at 12 o'clock, run clockwise.
        painter.drawArc(ring, 90 * 16, -int(first * 360 * 16))
    if fraction > 1.0 and not paused:
        painter.setPen(QPen(OVER, ring_w, Qt.PenStyle.SolidLine, Qt.PenCapStyle.FlatCap))
        painter.drawArc(ring, 90 * 16, -int((fraction - 1.0) * 360 * 16))

    if paused:
        bar_w, bar_h = max(1.5, size * 0.09), size * 0.3
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(RIM)
        for dx in (-bar_w * 1.1, bar_w * 0.1):
            painter.drawRect(QRectF(size / 2 + dx, size / 2 - bar_h / 2, bar_w, bar_h))
    elif fraction > 0:
        dot = size * 0.14
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(OVER if fraction > 1.0 else UNDER)
        painter.drawEllipse(QRectF(size / 2 - dot / 2, size / 2 - dot / 2, dot, dot))
    if warning:
        _paint_warning_badge(painter, size)
    painter.end()
    return pixmap


def badge_rect(size: int) -> QRectF:
    """Where the warning badge sits: the bottom-right corner, 45 % of the icon."""
    side = max(7.0, size * 0.45)
    return QRectF(size - side, size - side, side, side)


def _paint_warning_badge(painter: QPainter, size: int) -> None:
    rect = badge_rect(size)
    painter.setPen(QPen(DISC, max(1.0, size / 32)))
    painter.setBrush(WARNING)
    painter.drawEllipse(rect)
    # The "!": a bar and a dot, drawn (no font: crisp at 16 px, same on every desktop).
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(WARNING_MARK)
    bar_w = max(1.0, rect.width() * 0.16)
    cx = rect.center().x()
    painter.drawRect(QRectF(cx - bar_w / 2, rect.top() + rect.height() * 0.2, bar_w, rect.height() * 0.38))
    painter.drawRect(QRectF(cx - bar_w / 2, rect.top() + rect.height() * 0.66, bar_w, bar_w))


def glance_icon(fraction: float, paused: bool = False, warning: bool = False) -> QIcon:
    icon = QIcon()
    for size in SIZES:
        icon.addPixmap(paint_gauge(size, fraction, paused, warning))
    return icon


def app_icon() -> QIcon:
    """The application icon (windows, task switcher): the shipped SVG, and each pre-rendered
    PNG for its exact size. Only those files: the resources folder also holds the small-size
    and symbolic variants, which are drawn differently on purpose.

    The SVG goes in first so Qt picks its SVG icon engine: sizes without a PNG (HiDPI,
    e.g. 1024 px) are drawn from the vector, not scaled up from the 512 px PNG.
    The painted gauge stands in if the package lacks its icons (a packaging bug, logged)."""
    from tokenlens import resources as shipped

    icon = QIcon()
    try:
        icon.addFile(str(shipped.icon_path(shipped.APP_ICON_SVG)))
        for path in shipped.app_icon_pngs().values():
            icon.addFile(str(path))
    except (FileNotFoundError, OSError) as exc:
        log.warning("app icon missing from the package: %s", exc)
        icon = QIcon()
    if icon.isNull():
        icon = glance_icon(0.7)
    return icon
