"""The Permissions tab: every grant the person's AI tools hold, grouped by tool with risk
badges and filters; the history of changes between scans; and what the agents actually did
(tool calls per category over the last 30 days).

Scanning configs and reading the ledger happen on a worker thread with its own connection;
the GUI thread only fills widgets from the plain data it gets back.
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QBrush, QColor, QPalette
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from tokenlens.app.pages import ViewOrMessage
from tokenlens.app.tasks import Latest, open_read_ledger
from tokenlens.config import Env
from tokenlens.permissions.rules import RISK_LEVELS as RISKS
from tokenlens.permissions.rules import at_least, grant_explanation
from tokenlens.tools import tool_name

log = logging.getLogger(__name__)

# A badge colour per level, in RISK_LEVELS' order (most risky first).
BADGE = dict(zip(RISKS, ("#c62828", "#ef6c00", "#1565c0", "#757575"), strict=True))
# The same levels as text on a dark background (the badges' deep colours are unreadable there).
TEXT_ON_DARK = dict(zip(RISKS, ("#ef5350", "#ffa726", "#64b5f6", "#bdbdbd"), strict=True))
RISK_FILTERS = (
    ("All risks", RISKS),
    ("High only", at_least("high")),
    ("Medium and up", at_least("medium")),
    ("Low and up", at_least("low")),
)
GRANT_COLUMNS = ("Risk", "Kind", "Subject", "Value", "Scope", "Since", "Rule")
ACTION_DAYS = 30
# Columns sized to their contents, but a long pattern or path must not push the rest away:
# it is elided and its tooltip holds the whole grant.
WIDEST = {"Subject": 320, "Value": 280, "Scope": 220}
MIN_WIDE = 90  # what a squeezed Subject, Value or Scope keeps: enough to recognise it


def load_permissions(data_dir: Path, rescan: bool, env: Env | None = None) -> dict:
    """Everything the tab shows, as plain data (in the background: tokenlens.app.tasks)."""
    from tokenlens.permissions import actions, snapshots

    db = open_read_ledger(Path(data_dir))
    try:
        if rescan:
            snapshots.run_scan(db, env or Env(), Path(data_dir))
        snap = snapshots.latest(db)
        # The person is looking at these grants now: what changed since their last look, then
        # the mark moves (the same mark `tokenlens permissions --diff` compares with).
        unseen = snapshots.diff_since(db, snap.scan_id).count
        snapshots.mark_seen(db, snap.scan_id, "app")
        return {
            "scan_id": snap.scan_id,
            "unseen": unseen,
            "new_high": [snapshots.grant_json(g) for g in snapshots.new_high_risk_grants(db)],
            "scanned_at": snapshots.iso(snap.scanned_ms),
            "grants": [snapshots.grant_json(g) for g in snap.grants],
            "summary": snap.summary,
            "problems": snap.problems,
            "history": snapshots.history(db, limit=300),
            "actions": actions.totals(db, days=ACTION_DAYS),
            "actions_by_tool": _actions_by_tool(actions.daily_counts(db, days=ACTION_DAYS)),
        }
    finally:
        db.conn.close()


def _actions_by_tool(rows: list[dict]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for row in rows:
        per_tool = out.setdefault(row["tool"], {})
        per_tool[row["category"]] = per_tool.get(row["category"], 0) + row["count"]
    return out


class PermissionsTab(QWidget):
    loaded = Signal()  # after each refresh has been shown (tests and the window wait on it)
    scanned = Signal(object)  # the loaded data (scan_id, summary, new_high...), for the tray

    def __init__(self, data_dir: Path, parent: QWidget | None = None, env: Env | None = None) -> None:
        super().__init__(parent)
        self.data_dir = Path(data_dir)
        self.env = env or Env()  # whose configs are scanned: the app's, or a test's home
        self._data: dict = {}
        self._busy = False
        self._pending = False
        self._jobs = Latest(self)

        self.summary = QLabel("Not scanned yet.")
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.rescan_button = QPushButton("Scan now")
        self.rescan_button.clicked.connect(self.refresh)
        top = QHBoxLayout()
        top.addWidget(self.summary, 1)
        top.addWidget(self.rescan_button)

        self.tool_filter = QComboBox()
        self.tool_filter.addItem("All tools", None)
        self.risk_filter = QComboBox()
        for label, risks in RISK_FILTERS:
            self.risk_filter.addItem(label, risks)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Filter by subject, value or project…")
        self.search.setClearButtonEnabled(True)
        for signal in (self.tool_filter.currentIndexChanged, self.risk_filter.currentIndexChanged, self.search.textChanged):
            signal.connect(self._fill_grants)
        filters = QHBoxLayout()
        filters.addWidget(self.tool_filter)
        filters.addWidget(self.risk_filter)
        filters.addWidget(self.search, 1)

        self.grants = QTreeWidget()
        self.grants.setHeaderLabels(list(GRANT_COLUMNS))
        self.grants.setRootIsDecorated(True)
        self.grants.setAlternatingRowColors(True)
        self.grants.header().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.grants.header().setStretchLastSection(True)
        self.grants_box = ViewOrMessage(self.grants)
        self._show_grants_or_why_not(False)

        self.history = _table(("When", "Change", "Tool", "Kind", "Subject", "Before", "After", "Risk"))
        self.actions = _table(("Category", f"Calls ({ACTION_DAYS} days)", "Risky", "Risky, run without approval"))
        # Numbers sit next to their labels; the spare width goes to the category column.
        header = self.actions.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.actions_note = QLabel(
            "Counted from the usage logs: categories only, never the commands themselves. "
            "“Without approval” means the agent was in a no-prompt mode (bypass / never ask) at the time."
        )
        self.actions_note.setWordWrap(True)
        actions_page = QWidget()
        actions_layout = QVBoxLayout(actions_page)
        actions_layout.addWidget(self.actions_note)
        self.actions_box = ViewOrMessage(self.actions)
        actions_layout.addWidget(self.actions_box, 1)
        self.lower = QTabWidget()
        self.history_box = ViewOrMessage(self.history)
        self.lower.addTab(self.history_box, "Changes")
        self.lower.addTab(actions_page, "What agents did")

        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.grants_box)
        splitter.addWidget(self.lower)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([300, 200])  # 3:2 from the start, whichever page the stack shows

        self.problems = QLabel("")
        self.problems.setWordWrap(True)
        self.problems.hide()

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(filters)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.problems)

    # ---- loading -----------------------------------------------------------------------------

    @Slot()
    def refresh(self) -> None:
        """Scan the tools' configs again and reload, off the GUI thread."""
        if self._busy:
            self._pending = True
            return
        self._busy = True
        self.rescan_button.setEnabled(False)
        self.summary.setText(self.summary.text() if self._data else "Scanning agent configs…")
        data_dir, env = self.data_dir, self.env
        self._jobs.run(lambda: load_permissions(data_dir, True, env), self._show,
                       lambda message: self._fail(f"Scan failed: {message}"))

    def wait(self, msecs: int = 30_000) -> bool:
        from tokenlens.app.tasks import wait_for_all

        return wait_for_all(msecs)

    @Slot(object)
    def _show(self, data: dict) -> None:
        self._data = data
        self._finish()
        counts = data["summary"]
        parts = [f'<b style="color:{self.risk_text_color(r)}">{counts[r]} {r}</b>' for r in RISKS]
        when = local_time(data["scanned_at"]) or "never"
        unseen = data.get("unseen") or 0
        news = f" · {unseen} change{'s' if unseen != 1 else ''} since you last looked" if unseen else ""
        self.summary.setText(f"{' · '.join(parts)} &nbsp; <span>last scan {when}{news}</span>")
        self._fill_tool_filter(sorted({g["tool"] for g in data["grants"]}))
        self._fill_grants()
        self._fill_history(data["history"])
        self._fill_actions(data["actions"])
        problems = data.get("problems") or []
        self.problems.setText("Could not read: " + "; ".join(problems) if problems else "")
        self.problems.setVisible(bool(problems))
        self.loaded.emit()
        self.scanned.emit(data)

    @Slot(str)
    def _fail(self, message: str) -> None:
        self._finish()
        self.summary.setText(message)
        self.loaded.emit()

    def _finish(self) -> None:
        self._busy = False
        self.rescan_button.setEnabled(True)
        if self._pending:
            self._pending = False
            self.refresh()

    # ---- filling widgets ----------------------------------------------------------------------

    def risk_text_color(self, risk: str) -> str:
        """A risk level's colour for text: the badge's, or a lighter one on a dark theme."""
        dark = self.palette().color(QPalette.ColorRole.Base).lightness() < 128
        return (TEXT_ON_DARK if dark else BADGE)[risk]

    def _fill_tool_filter(self, tools: list[str]) -> None:
        current = self.tool_filter.currentData()
        self.tool_filter.blockSignals(True)
        self.tool_filter.clear()
        self.tool_filter.addItem("All tools", None)
        for tool in tools:
            self.tool_filter.addItem(tool_name(tool), tool)
        index = self.tool_filter.findData(current)
        self.tool_filter.setCurrentIndex(max(index, 0))
        self.tool_filter.blockSignals(False)

    def visible_grants(self) -> list[dict]:
        tool = self.tool_filter.currentData()
        risks = self.risk_filter.currentData() or RISKS
        needle = self.search.text().strip().lower()
        out = []
        for grant in self._data.get("grants", []):
            if tool and grant["tool"] != tool or grant["risk"] not in risks:
                continue
            if needle and not any(needle in str(grant[k]).lower() for k in ("subject", "value", "scope", "kind", "source_file")):
                continue
            out.append(grant)
        return out

    @Slot()
    def _fill_grants(self) -> None:
        self.grants.clear()
        by_tool: dict[str, list[dict]] = {}
        for grant in self.visible_grants():
            by_tool.setdefault(grant["tool"], []).append(grant)
        self._show_grants_or_why_not(bool(by_tool))
        for tool, grants in sorted(by_tool.items()):
            counts = {r: sum(1 for g in grants if g["risk"] == r) for r in RISKS}
            label = ", ".join(f"{n} {r}" for r, n in counts.items() if n)
            parent = QTreeWidgetItem([tool_name(tool), "", label])
            parent.setData(0, Qt.ItemDataRole.UserRole, tool)  # the id, for filters and tests
            font = parent.font(0)
            font.setBold(True)
            parent.setFont(0, font)
            parent.setFirstColumnSpanned(False)
            self.grants.addTopLevelItem(parent)
            for grant in grants:
                item = QTreeWidgetItem([grant["risk"], grant["kind"], grant["subject"], grant["value"], grant["scope"],
                                        (grant["since"] or "")[:10], grant["rule"]])
                item.setForeground(0, QBrush(QColor("white")))
                item.setBackground(0, QBrush(QColor(BADGE[grant["risk"]])))
                item.setTextAlignment(0, Qt.AlignmentFlag.AlignCenter)
                tip = grant_explanation(grant["rule"], grant["hint"], grant["source_file"])
                for column in range(len(GRANT_COLUMNS)):
                    item.setToolTip(column, tip)
                parent.addChild(item)
            parent.setExpanded(counts["high"] > 0 or len(by_tool) == 1)
        self._size_grant_columns()

    def _show_grants_or_why_not(self, any_shown: bool) -> None:
        if any_shown:
            self.grants_box.show_view()
        elif not self._data:
            self.grants_box.show_message("Not scanned yet.")
        elif self._data.get("grants"):
            self.grants_box.show_message("No grant matches these filters.")
        else:
            self.grants_box.show_message(
                "No permissions granted to AI agents were found in the settings of the tools on this"
                " computer. tokenlens checks again on every scan.")

    def _size_grant_columns(self) -> None:
        """Fit each column to what it holds (tool names and risk badges in the first one)."""
        gap = self.grants.fontMetrics().horizontalAdvance("  ")  # air between neighbouring columns
        header = self.grants.header()
        # Size hints, not resizeColumnToContents: the stretched last column would report the
        # width it was stretched to and starve the others.
        self._natural_widths = [max(self.grants.sizeHintForColumn(c), header.sectionSizeHint(c)) + gap
                                for c in range(len(GRANT_COLUMNS))]
        self._fit_grant_columns()

    def _fit_grant_columns(self) -> None:
        """Every column in view: when the grants are wider than the list, the long patterns
        and paths (Subject, Value, Scope) give up width, elided with their whole text in the
        tooltip, so Since and Rule are never pushed off the right edge."""
        natural = getattr(self, "_natural_widths", None)
        if not natural:
            return
        widths = [min(w, WIDEST.get(name, w)) for w, name in zip(natural, GRANT_COLUMNS, strict=True)]
        room = self.grants.viewport().width()
        wide = [i for i, name in enumerate(GRANT_COLUMNS) if name in WIDEST]
        fixed = sum(w for i, w in enumerate(widths) if i not in wide)
        wanted = sum(widths[i] for i in wide)
        if room > 0 and fixed + wanted > room:
            share = max(0, room - fixed) / wanted if wanted else 0
            for i in wide:
                widths[i] = max(MIN_WIDE, int(widths[i] * share))
        for column, width in enumerate(widths[:-1]):  # the last one stretches
            self.grants.setColumnWidth(column, width)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._fit_grant_columns()

    def _fill_history(self, history: list[dict]) -> None:
        if history:
            self.history_box.show_view()
        else:
            self.history_box.show_message(
                "No changes yet. When an agent's permissions change (a new allowed command, a"
                " mode, an MCP server), the next scan lists it here.")
        self.history.setRowCount(len(history))
        for row, change in enumerate(history):
            risk = change["new_risk"] or change["old_risk"] or ""
            after = change["new_value"] or ""
            if change["secret_changed"]:
                after = f"{after} (secret changed)"
            cells = (local_time(change["at"]), change["change"], tool_name(change["tool"]), change["kind"], change["subject"],
                     change["old_value"] or "", after, risk)
            for column, text in enumerate(cells):
                self.history.setItem(row, column, QTableWidgetItem(str(text)))
            if risk in BADGE:
                self.history.item(row, 7).setForeground(QBrush(QColor(self.risk_text_color(risk))))
        self.history.resizeColumnsToContents()  # whole timestamps and patterns, not "2026-11-26T…"

    def _fill_actions(self, totals: dict[str, dict[str, int]]) -> None:
        from tokenlens.actions import CATEGORIES

        rows = [c for c in CATEGORIES if c in totals]
        if rows:
            self.actions_box.show_view()
        else:
            self.actions_box.show_message(f"No tool calls by agents in the usage logs of the last {ACTION_DAYS} days.")
        self.actions.setRowCount(len(rows))
        for row, category in enumerate(rows):
            values = totals[category]
            cells = (category, values["count"], values["risky"], values["risky_unattended"])
            for column, value in enumerate(cells):
                item = QTableWidgetItem(str(value))
                if column:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.actions.setItem(row, column, item)
            if values["risky_unattended"]:
                self.actions.item(row, 3).setForeground(QBrush(QColor(self.risk_text_color("high"))))


def local_time(iso_utc: str | None) -> str:
    """A stored UTC time ("2026-11-26T11:29:04Z") as the person's local date and minute."""
    if not iso_utc:
        return ""
    try:
        return datetime.fromisoformat(iso_utc).astimezone().strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return iso_utc


def _table(headers: tuple[str, ...]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(list(headers))
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
    table.verticalHeader().setVisible(False)
    table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + 8)
    table.setWordWrap(False)
    table.horizontalHeader().setStretchLastSection(True)
    return table
