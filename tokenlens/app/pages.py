"""Layout shared by the window's tabs."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QFrame, QLabel, QScrollArea, QStackedWidget, QVBoxLayout, QWidget


def show_scrolling(owner: QWidget, inner: QWidget) -> None:
    """Fill `owner` with `inner`, which scrolls when the window is smaller than it."""
    scroll = QScrollArea()
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QFrame.Shape.NoFrame)
    scroll.setWidget(inner)
    outer = QVBoxLayout(owner)
    outer.setContentsMargins(0, 0, 0, 0)
    outer.addWidget(scroll)


class ViewOrMessage(QStackedWidget):
    """A list, or in its place a sentence saying why it is empty (nothing yet, or nothing
    that matches the filters): an empty grid alone leaves the person guessing."""

    def __init__(self, view: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view = view
        self.message = QLabel()
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        self.message.setMargin(24)
        # Looks like the list it stands in for (a framed, base-coloured area), in placeholder grey.
        self.message.setFrameShape(QFrame.Shape.StyledPanel)
        self.message.setAutoFillBackground(True)
        self.message.setBackgroundRole(QPalette.ColorRole.Base)
        palette = self.message.palette()
        palette.setColor(QPalette.ColorRole.Text, palette.color(QPalette.ColorRole.PlaceholderText))
        self.message.setPalette(palette)
        self.addWidget(view)
        self.addWidget(self.message)

    def show_view(self) -> None:
        self.setCurrentWidget(self.view)

    def show_message(self, text: str) -> None:
        self.message.setText(text)
        self.setCurrentWidget(self.message)

    def showing_message(self) -> bool:
        return self.currentWidget() is self.message
