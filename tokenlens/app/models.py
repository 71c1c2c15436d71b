"""The Sessions table: a QAbstractTableModel over `insights.sessions` rows, and a proxy that
sorts by raw values and filters by free text and tool."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QSortFilterProxyModel, Qt

from tokenlens.insights import format_cost, format_tokens
from tokenlens.tools import tool_name

SORT_ROLE = Qt.ItemDataRole.UserRole + 1
COLUMNS = ("Last active", "Tool", "Project", "Models", "Requests", "Tokens", "Cache hit", "Cost")
NUMERIC = {"Requests", "Tokens", "Cache hit", "Cost"}


def project_label(path: str) -> str:
    """The project's folder name; the full path is in the tooltip."""
    if not path:
        return "(no project)"
    return path.rstrip("/").rsplit("/", 1)[-1] or path


class SessionsModel(QAbstractTableModel):
    def __init__(self, zone: ZoneInfo, parent=None) -> None:
        super().__init__(parent)
        self._rows: list[dict] = []
        self._zone = zone

    def set_rows(self, rows: list[dict], zone: ZoneInfo | None = None) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        if zone is not None:
            self._zone = zone
        self.endResetModel()

    def row_at(self, row: int) -> dict:
        return self._rows[row]

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: B008 (Qt's signature)
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: QModelIndex, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        column = COLUMNS[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(row, column)
        if role == SORT_ROLE:
            return self._sort_key(row, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == "Project":
                return row["project"] or None
            if column == "Cost" and not row["cost_complete"]:
                return "Some requests used a model without a known price; their cost is not included."
            if column == "Tokens":
                return (
                    f"input {row['input_tokens']:,} · cache read {row['cache_read_tokens']:,} · "
                    f"cache write {row['cache_write_tokens']:,} · output {row['output_tokens']:,}"
                )
            if column == "Last active":
                return f"session {row['session_id']}"
        if role == Qt.ItemDataRole.TextAlignmentRole and column in NUMERIC:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def _display(self, row: dict, column: str) -> str:
        if column == "Last active":
            local = datetime.fromtimestamp(row["end_ms"] / 1000, tz=UTC).astimezone(self._zone)
            return local.strftime("%Y-%m-%d %H:%M")
        if column == "Tool":
            return tool_name(row["tool"])
        if column == "Project":
            return project_label(row["project"])
        if column == "Models":
            return ", ".join(row["models"])
        if column == "Requests":
            return f"{row['requests']:,}"
        if column == "Tokens":
            return format_tokens(row["total_tokens"])
        if column == "Cache hit":
            return "–" if row["cache_hit"] is None else f"{100 * row['cache_hit']:.0f}%"
        if column == "Cost":
            return format_cost(row["cost_usd"]) + ("" if row["cost_complete"] else "+")
        return ""

    def _sort_key(self, row: dict, column: str):
        return {
            "Last active": row["end_ms"],
            "Tool": tool_name(row["tool"]).lower(),
            "Project": project_label(row["project"]).lower(),
            "Models": ", ".join(row["models"]),
            "Requests": row["requests"],
            "Tokens": row["total_tokens"],
            "Cache hit": -1.0 if row["cache_hit"] is None else row["cache_hit"],
            "Cost": row["cost_usd"],
        }[column]


class SessionsFilter(QSortFilterProxyModel):
    """Free text matches tool, project path, models or session id; optionally one tool."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._text = ""
        self._tool = ""
        self.setSortRole(SORT_ROLE)
        self.setDynamicSortFilter(True)

    def set_text(self, text: str) -> None:
        self.beginFilterChange()
        self._text = text.strip().lower()
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def set_tool(self, tool: str) -> None:
        self.beginFilterChange()
        self._tool = tool
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int, source_parent: QModelIndex) -> bool:
        row = self.sourceModel().row_at(source_row)
        if self._tool and row["tool"] != self._tool:
            return False
        if not self._text:
            return True
        haystack = " ".join([row["tool"], tool_name(row["tool"]), row["project"], row["session_id"], *row["models"]]).lower()
        return all(word in haystack for word in self._text.split())
