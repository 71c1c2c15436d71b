"""One session in full, opened by a double-click in the Sessions tab: tool, project, start,
length, models, tokens by kind, cost and what the agent did (action categories, never the
commands). The numbers come from `insights.session_detail`, read off the GUI thread by the
tab (tokenlens.app.tasks); this dialog only lays them out."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from tokenlens.app.models import project_label
from tokenlens.insights import SessionDetail, format_cost, format_duration, format_tokens
from tokenlens.tools import tool_name

TOKEN_LABELS = (
    ("input", "Input (fresh)"),
    ("cache_read", "Cache read"),
    ("cache_write_5m", "Cache write, 5 min"),
    ("cache_write_1h", "Cache write, 1 hour"),
    ("output", "Output"),
    ("reasoning", "of which reasoning"),
)


class SessionDetailDialog(QDialog):
    def __init__(self, detail: SessionDetail, zone: ZoneInfo, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.detail = detail
        self.setWindowTitle(f"{tool_name(detail.tool)} session · {project_label(detail.project)}")
        self.setModal(False)

        self.facts = QFormLayout()
        cost = format_cost(detail.cost_usd) + ("" if detail.cost_complete else " + requests without a known price")
        for label, value in (
            ("Tool", tool_name(detail.tool)),
            ("Project", detail.project or "(no project)"),
            ("Started", _local(detail.start_ms, zone)),
            ("Length", f"{format_duration(detail.length_ms)} (last request {_local(detail.end_ms, zone, time_only=True)})"),
            ("Requests", f"{detail.requests:,}"),
            ("Tokens", f"{format_tokens(detail.total_tokens)} ({detail.total_tokens:,})"),
            ("Cost", cost),
            ("Session id", detail.session_id),
        ):
            value_label = QLabel(value)
            value_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            value_label.setWordWrap(True)
            self.facts.addRow(f"{label}:", value_label)

        self.models = _table(("Model", "Requests", "Tokens", "Cost"), [
            (m["model"], f"{m['requests']:,}", format_tokens(m["total_tokens"]),
             format_cost(m["cost_usd"]) + ("" if m["cost_complete"] else "+"))
            for m in detail.models
        ])
        self.tokens = _table(("Kind", "Tokens"), [
            (label, f"{detail.tokens[kind]:,}") for kind, label in TOKEN_LABELS
            if detail.tokens[kind] or kind not in ("cache_write_1h", "reasoning")
        ])
        self.actions = _table(("Agent action", "Calls", "Risky", "Risky, without approval"), [
            (a["category"], str(a["count"]), str(a["risky"]), str(a["risky_unattended"]))
            for a in detail.actions
        ])
        self.no_actions = QLabel("No tool calls by the agent are recorded for this session.")
        self.no_actions.setVisible(not detail.actions)
        self.actions.setVisible(bool(detail.actions))

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addLayout(self.facts)
        layout.addWidget(_heading("Models"))
        layout.addWidget(self.models)
        layout.addWidget(_heading("Tokens by kind"))
        layout.addWidget(self.tokens)
        layout.addWidget(_heading("What the agent did"))
        layout.addWidget(self.actions)
        layout.addWidget(self.no_actions)
        layout.addWidget(buttons)
        self.setMinimumWidth(520)

    def text(self) -> str:
        """Everything the dialog shows, as plain text (for tests and copying)."""
        lines = []
        for row in range(self.facts.rowCount()):
            label = self.facts.itemAt(row, QFormLayout.ItemRole.LabelRole).widget().text()
            value = self.facts.itemAt(row, QFormLayout.ItemRole.FieldRole).widget().text()
            lines.append(f"{label} {value}")
        for table in (self.models, self.tokens, self.actions):
            for row in range(table.rowCount()):
                lines.append(" | ".join(table.item(row, c).text() for c in range(table.columnCount())))
        if self.no_actions.isVisibleTo(self):
            lines.append(self.no_actions.text())
        return "\n".join(lines)


def _local(ms: int, zone: ZoneInfo, time_only: bool = False) -> str:
    moment = datetime.fromtimestamp(ms / 1000, tz=UTC).astimezone(zone)
    return moment.strftime("%H:%M" if time_only else "%a %d %b %Y, %H:%M")


def _table(headers: tuple[str, ...], rows: list[tuple[str, ...]]) -> QTableWidget:
    table = QTableWidget(len(rows), len(headers))
    table.setHorizontalHeaderLabels(list(headers))
    table.verticalHeader().hide()
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    table.setSelectionMode(QTableWidget.SelectionMode.NoSelection)
    table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + 8)
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            item = QTableWidgetItem(text)
            if c:
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            table.setItem(r, c, item)
    table.resizeColumnsToContents()
    table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
    # As tall as its rows: the dialog, not each table, scrolls when there is much to show.
    height = table.horizontalHeader().sizeHint().height() + sum(table.rowHeight(r) for r in range(len(rows))) + 4
    table.setFixedHeight(min(height, 240))
    return table


def _heading(text: str) -> QLabel:
    label = QLabel(text)
    font = label.font()
    font.setBold(True)
    label.setFont(font)
    return label
