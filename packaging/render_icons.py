"""Render the app icon's PNG sizes from its SVG with Qt's own SVG renderer.

Run from the repository root after editing an SVG, then commit the PNGs:

    QT_QPA_PLATFORM=offscreen .venv/bin/python packaging/render_icons.py

Build-time only: the app itself loads the committed files, so no renderer is needed at run time.
"""

from __future__ import annotations

import sys
from pathlib import Path

RESOURCES = Path(__file__).resolve().parent.parent / "tokenlens" / "resources"
APP_ICON_SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)
# Below 32 px the full drawing blurs; a variant drawn on a 16-unit pixel grid stays sharp.
SMALL_SOURCE_BELOW = 32
# Tray icons as PNG too, for Qt builds without the SVG icon engine (e.g. a trimmed bundle).
TRAY_SIZES = (16, 22, 24, 32, 48)
TRAY_ICONS = ("tokenlens-symbolic", "tokenlens-symbolic-light")


def render(svg: Path, size: int, out: Path) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        sys.exit(f"render_icons: {svg} is not a valid SVG")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    if not image.save(str(out), "PNG"):
        sys.exit(f"render_icons: cannot write {out}")


def main() -> None:
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # noqa: F841 (fonts, platform)
    for size in APP_ICON_SIZES:
        small = size < SMALL_SOURCE_BELOW
        source = RESOURCES / ("tokenlens-small.svg" if small else "tokenlens.svg")
        render(source, size, RESOURCES / f"tokenlens-{size}.png")
    for name in TRAY_ICONS:
        for size in TRAY_SIZES:
            render(RESOURCES / f"{name}.svg", size, RESOURCES / f"{name}-{size}.png")
    print(f"render_icons: wrote {len(APP_ICON_SIZES) + len(TRAY_ICONS) * len(TRAY_SIZES)} PNGs to {RESOURCES}")


if __name__ == "__main__":
    main()
