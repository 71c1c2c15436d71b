"""The window a damaged ledger opens instead of the app: what is wrong, and the rebuild.

Started from a menu or at login there is no terminal to read a line on stderr, so the app
says it here. The rebuild is `tokenlens doctor --rebuild` (tokenlens.status.rebuild): the
old file is kept aside, its readable history carried over, the logs read again; it runs in
the background and reports its numbers before the app starts on the new ledger.
"""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from tokenlens.app.tasks import Latest
from tokenlens.config import Env

EXPLAINED = (
    "tokenlens can keep the damaged file aside (it is never deleted), carry over everything "
    "in it that can still be read — including usage from logs your AI tools have since "
    "deleted, permission history and the export log — and read the logs again."
)


class DamagedLedgerDialog(QDialog):
    """Offers the rebuild; `accepted` once the new ledger is ready, `rejected` on Quit."""

    rebuilt = Signal(object)  # the outcome dict (kept, re-read, lost...)

    def __init__(self, data_dir: Path, problem: str, env: Env | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("tokenlens: the ledger is damaged")
        self.data_dir, self.env = Path(data_dir), env or Env()
        self._jobs = Latest(self)
        self.outcome: dict | None = None
        self.text = QLabel(wordWrap=True)
        self.text.setTextFormat(Qt.TextFormat.RichText)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.text.setText(f"<p><b>Your usage ledger cannot be read.</b></p><p>{html.escape(problem)}</p>"
                          f"<p>{html.escape(EXPLAINED)}</p>")
        self.rebuild_button = QPushButton("Rebuild the ledger")
        self.start_button = QPushButton("Start tokenlens")
        self.quit_button = QPushButton("Quit")
        self.start_button.hide()
        self.rebuild_button.setDefault(True)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        for button in (self.quit_button, self.rebuild_button, self.start_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addLayout(buttons)
        self.rebuild_button.clicked.connect(self.start_rebuild)
        self.start_button.clicked.connect(self.accept)
        self.quit_button.clicked.connect(self.reject)
        self.resize(560, 300)

    @Slot()
    def start_rebuild(self) -> None:
        self.rebuild_button.setEnabled(False)
        self.text.setText(self.text.text() + "<p><i>Rebuilding… (this reads every log once)</i></p>")
        data_dir, env = self.data_dir, self.env
        self._jobs.run(lambda: _rebuild(data_dir, env), self._done, self._failed)

    def _done(self, outcome: dict) -> None:
        self.outcome = outcome
        items = "".join(f"<li>{html.escape(line)}</li>" for line in outcome["lines"])
        self.text.setText(f"<p><b>The ledger was rebuilt.</b></p><ul>{items}</ul>")
        self.rebuild_button.hide()
        self.start_button.show()
        self.start_button.setDefault(True)
        self.rebuilt.emit(outcome)

    def _failed(self, message: str) -> None:
        self.text.setText(f"<p><b>The rebuild did not work:</b> {html.escape(message)}</p>"
                          "<p>Nothing was deleted. From a terminal, <code>tokenlens doctor</code> says more.</p>")
        self.rebuild_button.setEnabled(True)
        self.rebuilt.emit(None)


def _rebuild(data_dir: Path, env: Env) -> dict:
    from tokenlens.status import rebuild

    db, outcome = rebuild(data_dir, env)
    db.conn.close()
    return outcome
