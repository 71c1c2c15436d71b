"""First run: what was found, what is stored (counts, never content), where, and that
nothing leaves the device."""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget


def welcome_html(sources: list[dict], ledger: Path, retention: list[dict] = ()) -> str:
    found = [s for s in sources if s.get("found")]
    if found:
        items = "".join(
            f"<li><b>{html.escape(s['name'])}</b>: {s['files']:,} log files, {s['events']:,} usage records</li>"
            for s in found
        )
        found_html = f"<p>tokenlens found these AI coding tools on this computer:</p><ul>{items}</ul>"
    else:
        looked = ", ".join(html.escape(p) for s in sources for p in s.get("paths", [])[:1])
        found_html = (
            "<p>No AI coding tool logs were found yet"
            + (f" (looked in {looked})" if looked else "")
            + ". tokenlens keeps watching and picks them up as soon as a tool writes some.</p>"
        )
    return (
        "<h3>Welcome to tokenlens</h3>"
        f"{found_html}"
        f"{_history_html(retention)}"
        "<p><b>What is stored:</b> counts only — tokens per request, model, time, tool, session "
        "and project folder, with an estimated cost. Prompts, answers, commands and file "
        "contents stay in the tools' own logs and are never copied.</p>"
        # The path on a line of its own: Qt breaks lines after any slash.
        "<p><b>Where</b> (readable by you only; the settings sit beside it):<br>"
        f"<code>{html.escape(str(ledger))}</code></p>"
        "<p><b>Nothing leaves this device.</b> tokenlens opens no network connection. An "
        "anonymized summary is written only if you ask for one in Export, and you see it first.</p>"
    )


def _history_html(retention: list[dict]) -> str:
    """Why the ledger matters: the tools delete their own logs ("" when none here does)."""
    deleting = [r for r in retention if r["days"] is not None and not r["writes_nothing"]]
    if not deleting:
        return ""
    if len(deleting) == 1:
        who = f"{html.escape(deleting[0]['name'])} deletes its logs after {deleting[0]['days']:g} days"
    else:
        each = [f"{html.escape(r['name'])} after {r['days']:g} days" for r in deleting]
        who = "Your tools delete their logs: " + ", ".join(each[:-1]) + " and " + each[-1]
    return (f"<p><b>Your history stays.</b> {who}; tokenlens keeps what it has read from them, so"
            " leave it running (Settings can start it at login).</p>")


class WelcomeDialog(QDialog):
    def __init__(self, sources: list[dict], ledger: Path, retention: list[dict] = (),
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Welcome to tokenlens")
        self.setModal(False)
        self.text = QLabel(welcome_html(sources, ledger, retention))
        self.text.setObjectName("welcomeText")
        self.text.setWordWrap(True)
        self.text.setTextFormat(Qt.TextFormat.RichText)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Got it")
        buttons.accepted.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addWidget(buttons)
        self.setMinimumWidth(480)
