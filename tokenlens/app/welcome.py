"""First run: what was found, what is stored (counts, never content), where, and that
nothing leaves the device."""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFrame,
    QLabel,
    QScrollArea,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

NOTHING_FOUND = "No AI tool's logs found yet."
WHERE_IT_LOOKS = "Where tokenlens looks"


SHOWN_PER_TOOL = 3  # paths named per tool; `tokenlens sources --verbose` lists every one


def looked_in(sources: list[dict]) -> list[tuple[str, list[str]]]:
    """(tool name, folders) for each tool with usage to read, in the registry's order."""
    return [(s["name"], list(s["paths"])) for s in sources
            if s.get("reads_usage") is not False and s.get("paths")]


def _tilde(path: str, home: Path | None) -> str:
    if home is not None:
        try:
            return "~/" + Path(path).relative_to(home).as_posix()
        except ValueError:
            pass
    return path


def looked_in_html(sources: list[dict], home: Path | None = None) -> str:
    rows = []
    for name, paths in looked_in(sources):
        shown = [html.escape(_tilde(p, home)) for p in paths[:SHOWN_PER_TOOL]]
        if len(paths) > SHOWN_PER_TOOL:
            shown.append(f"<i>and {len(paths) - SHOWN_PER_TOOL} more</i>")
        rows.append(f"<tr><td style='padding-right:10px'>{html.escape(name)}</td><td>{'<br>'.join(shown)}</td></tr>")
    return (f"<table>{''.join(rows)}</table>"
            "<p><code>tokenlens sources --verbose</code> lists every path, and which exist.</p>")


def welcome_html(sources: list[dict], ledger: Path, retention: list[dict] = ()) -> str:
    found = [s for s in sources if s.get("found")]
    if found:
        items = "".join(
            f"<li><b>{html.escape(s['name'])}</b>: {s['files']:,} log files, {s['events']:,} usage records</li>"
            for s in found
        )
        found_html = f"<p>tokenlens found these AI coding tools on this computer:</p><ul>{items}</ul>"
    else:
        # The folders themselves are behind the dialog's "Where tokenlens looks" disclosure:
        # a paragraph of seventeen paths buries the one sentence that matters.
        found_html = (
            f"<p><b>{NOTHING_FOUND}</b> tokenlens keeps watching and picks them up as soon as a"
            " tool writes some.</p>"
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
                 parent: QWidget | None = None, home: Path | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Welcome to tokenlens")
        self.setModal(False)
        self.text = QLabel(welcome_html(sources, ledger, retention))
        self.text.setObjectName("welcomeText")
        self.text.setWordWrap(True)
        self.text.setTextFormat(Qt.TextFormat.RichText)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.where = QToolButton()
        self.where.setText(WHERE_IT_LOOKS)
        self.where.setCheckable(True)
        self.where.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.where.setArrowType(Qt.ArrowType.RightArrow)
        self.where.setAutoRaise(True)
        self.where.toggled.connect(self._disclose)
        self.paths = QLabel(looked_in_html(sources, home))
        self.paths.setObjectName("welcomePaths")
        self.paths.setTextFormat(Qt.TextFormat.RichText)
        self.paths.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.paths_box = QScrollArea()  # twenty-odd tools: the list scrolls, the dialog stays on screen
        self.paths_box.setWidget(self.paths)
        self.paths_box.setWidgetResizable(True)
        self.paths_box.setFrameShape(QFrame.Shape.NoFrame)
        self.paths_box.setMinimumHeight(min(260, self.paths.sizeHint().height()))
        self.paths_box.setMaximumHeight(260)
        self.paths_box.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # Wide enough for the longest path beside the vertical scroll bar (no sideways scrolling).
        self.paths_box.setMinimumWidth(min(760, self.paths.sizeHint().width() + 24))
        self.paths_box.hide()
        nothing_found = not any(s.get("found") for s in sources)
        self.where.setVisible(nothing_found and bool(looked_in(sources)))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Got it")
        buttons.accepted.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addWidget(self.where)
        layout.addWidget(self.paths_box)
        layout.addWidget(buttons)
        self.setMinimumWidth(480)

    def _disclose(self, shown: bool) -> None:
        self.where.setArrowType(Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow)
        self.paths_box.setVisible(shown)
        self.adjustSize()
