"""The application icon is the shipped one (tokenlens/resources): each rendered PNG at its
own size, the main SVG everywhere else; the small-size and symbolic variants stay out."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtGui import QImage, QPainter  # noqa: E402

from tokenlens import resources  # noqa: E402


def argb(image: QImage) -> QImage:
    return image.convertToFormat(QImage.Format.Format_ARGB32_Premultiplied)


def render_svg(name: str, size: int) -> QImage:
    """QtSvg's renderer straight from the file: an independent path from QIcon."""
    from PySide6.QtSvg import QSvgRenderer

    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    QSvgRenderer(str(resources.icon_path(name))).render(painter)
    painter.end()
    return image


def mean_difference(a: QImage, b: QImage, step: int = 1) -> float:
    assert a.size() == b.size()
    total = count = 0
    for y in range(0, a.height(), step):
        for x in range(0, a.width(), step):
            count += 1
            p, q = a.pixelColor(x, y), b.pixelColor(x, y)
            total += abs(p.red() - q.red()) + abs(p.green() - q.green()) + abs(p.blue() - q.blue()) + abs(p.alpha() - q.alpha())
    return total / (4 * count)


def test_each_shipped_png_is_used_at_its_own_size(qapp):
    from tokenlens.app.icons import app_icon

    icon = app_icon()
    for size in resources.APP_ICON_SIZES:
        shown = argb(icon.pixmap(size, size).toImage())
        shipped = argb(QImage(str(resources.icon_path(f"tokenlens-{size}.png"))))
        assert shown == shipped, f"{size} px is not tokenlens-{size}.png"


def test_other_sizes_come_from_the_main_svg_not_the_small_variant(qapp):
    from tokenlens.app.icons import app_icon

    icon = app_icon()
    # HiDPI: bigger than the largest PNG, drawn from the vector instead of stopping at 512.
    big = argb(icon.pixmap(1024, 1024).toImage())
    assert big.width() == 1024
    assert mean_difference(big, render_svg("tokenlens.svg", 1024), step=7) < 2
    # A size with no PNG looks like the main design, not like tokenlens-small.svg.
    odd = argb(icon.pixmap(40, 40).toImage())
    main, small = render_svg("tokenlens.svg", 40), render_svg("tokenlens-small.svg", 40)
    assert mean_difference(main, small) > 5  # the two designs really differ at this size
    assert mean_difference(odd, main) < 2
