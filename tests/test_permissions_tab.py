"""The Permissions tab, offscreen: grants grouped by tool with risk badges, filters, the change
history after a config edit, the actions panel, and no secret in any widget."""

from __future__ import annotations

import json
import time

import pytest

from tests.test_permissions import ALL_SECRETS, dangerous_home, write

pytest.importorskip("PySide6")


@pytest.fixture
def tab(qtbot, env, data_dir, monkeypatch):
    from tokenlens.app.permissions_tab import PermissionsTab

    # The tab reads the Env it is given; a process HOME pointing elsewhere must not matter.
    monkeypatch.setenv("HOME", str(data_dir.parent / "not-this-home"))
    widget = PermissionsTab(data_dir, env=env)
    qtbot.addWidget(widget)
    yield widget
    widget.wait()


def refresh(qtbot, tab):
    with qtbot.waitSignal(tab.loaded, timeout=30_000):
        tab.refresh()


def tree_rows(tab) -> dict[str, list[list[str]]]:
    from PySide6.QtCore import Qt

    out = {}
    for i in range(tab.grants.topLevelItemCount()):
        parent = tab.grants.topLevelItem(i)
        out[parent.data(0, Qt.ItemDataRole.UserRole)] = [[parent.child(j).text(c) for c in range(7)] for j in range(parent.childCount())]
    return out


def all_widget_text(tab) -> str:
    from PySide6.QtWidgets import QLabel, QTableWidget

    texts = [tab.summary.text(), tab.problems.text()]
    for i in range(tab.grants.topLevelItemCount()):
        parent = tab.grants.topLevelItem(i)
        for j in range(parent.childCount()):
            child = parent.child(j)
            texts += [child.text(c) for c in range(7)] + [child.toolTip(0)]
    for table in tab.findChildren(QTableWidget):
        for r in range(table.rowCount()):
            texts += [table.item(r, c).text() for c in range(table.columnCount()) if table.item(r, c)]
    texts += [label.text() for label in tab.findChildren(QLabel)]
    return "\n".join(texts)


def test_grants_grouped_by_tool_with_badges_and_filters(qtbot, tab, home, data_dir):
    dangerous_home(home)
    refresh(qtbot, tab)
    rows = tree_rows(tab)
    assert {"claude-code", "codex", "gemini-cli", "openclaw"} <= set(rows)
    codex = {r[2]: r for r in rows["codex"]}
    assert codex["approval_policy"][0] == "high" and codex["approval_policy"][6] == "MODE-1"
    # The badge colour follows the risk.
    from PySide6.QtCore import Qt

    parent = tab.grants.findItems("Codex", Qt.MatchFlag.MatchExactly)[0]  # the tool's name, not its id
    badge = next(parent.child(j) for j in range(parent.childCount()) if parent.child(j).text(2) == "approval_policy")
    assert badge.background(0).color().name() == "#c62828"
    assert "high" in tab.summary.text()

    tab.risk_filter.setCurrentIndex(tab.risk_filter.findText("High only"))
    assert {r[0] for rows_ in tree_rows(tab).values() for r in rows_} == {"high"}
    tab.tool_filter.setCurrentIndex(tab.tool_filter.findData("gemini-cli"))
    assert set(tree_rows(tab)) == {"gemini-cli"}
    tab.risk_filter.setCurrentIndex(0)
    tab.search.setText("yolo")
    assert [r[2] for r in tree_rows(tab)["gemini-cli"]] == ["defaultApprovalMode"]

    tab.search.clear()
    tab.tool_filter.setCurrentIndex(0)
    text = all_widget_text(tab)
    assert "<secret>" in text
    assert not any(secret in text for secret in ALL_SECRETS)


def test_an_empty_list_says_why_it_is_empty(qtbot, tab, home):
    box = tab.grants_box
    assert box.showing_message() and box.message.text() == "Not scanned yet."
    refresh(qtbot, tab)
    assert box.showing_message()
    assert "No permissions granted to AI agents were found" in box.message.text()
    assert tab.history_box.showing_message() and "No changes yet" in tab.history_box.message.text()
    assert tab.actions_box.showing_message()

    dangerous_home(home)
    refresh(qtbot, tab)
    assert not box.showing_message()
    assert not tab.history_box.showing_message()  # the grants just found are changes
    tab.search.setText("no grant has this text")
    assert box.showing_message() and box.message.text() == "No grant matches these filters."
    tab.search.clear()
    assert not box.showing_message()


def test_times_are_shown_in_local_time(monkeypatch):
    import time as time_module

    from tokenlens.app.permissions_tab import local_time

    monkeypatch.setenv("TZ", "Asia/Kolkata")
    time_module.tzset()
    try:
        assert local_time("2026-11-26T11:29:04Z") == "2026-11-26 16:59"
        assert local_time("2026-11-26T20:00:00Z") == "2026-11-27 01:30"  # the local day may differ
        assert local_time(None) == ""
        assert local_time("not a time") == "not a time"
    finally:
        monkeypatch.undo()
        time_module.tzset()


def test_history_shows_a_config_edit_and_actions_panel_counts(qtbot, tab, home, db):
    write(home, ".claude/settings.json", {"permissions": {"allow": ["Bash(npm test)"]}})
    refresh(qtbot, tab)
    assert tab.history.rowCount() == 0
    write(home, ".claude/settings.json", {"permissions": {"allow": ["Bash(npm test)", "Bash(*)"]}})
    db.conn.executemany(
        "INSERT INTO actions (tool, action_key, ts_ms, category, risky, unattended) VALUES (?, ?, ?, ?, ?, ?)",
        [("claude-code", f"a{i}", time.time_ns() // 1_000_000, cat, risky, un)
         for i, (cat, risky, un) in enumerate([("shell", 0, 0), ("shell", 0, 1), ("destructive", 1, 1), ("edit", 0, 0)])],
    )
    db.conn.commit()
    refresh(qtbot, tab)
    history = [[tab.history.item(r, c).text() for c in range(8)] for r in range(tab.history.rowCount())]
    assert [(h[1], h[2], h[3], h[4], h[7]) for h in history] == [("added", "Claude Code", "allowed_tool", "Bash(*)", "high")]
    actions = {tab.actions.item(r, 0).text(): [tab.actions.item(r, c).text() for c in range(1, 4)]
               for r in range(tab.actions.rowCount())}
    assert actions == {"shell": ["2", "0", "0"], "edit": ["1", "0", "0"], "destructive": ["1", "1", "1"]}


def test_refresh_runs_off_the_gui_thread(qtbot, tab, home, monkeypatch):
    import threading

    from tokenlens.app import permissions_tab

    threads = []
    real = permissions_tab.load_permissions

    def spy(data_dir, rescan, env=None):
        threads.append(threading.current_thread())
        return real(data_dir, rescan, env)

    monkeypatch.setattr(permissions_tab, "load_permissions", spy)
    write(home, ".codex/config.toml", json.dumps({}).replace("{}", 'approval_policy = "never"'))
    refresh(qtbot, tab)
    assert threads and threads[0] is not threading.main_thread()
    assert tree_rows(tab)["codex"][0][2] == "approval_policy"


def test_risk_badges_and_tool_names_are_not_cut_off(qtbot, tab, home):
    """Each risk word and tool name fits its cell (the first column used to show "hi…", "clau…")."""
    from PySide6.QtGui import QFontMetrics
    from PySide6.QtWidgets import QStyle

    dangerous_home(home)
    tab.resize(1100, 700)
    tab.show()
    qtbot.waitExposed(tab)
    refresh(qtbot, tab)
    tree = tab.grants
    tree.expandAll()
    # Item views draw text inside the cell minus the focus-frame margin (+1 px) on each side.
    margin = tree.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, tree) + 1

    def fits(item, column: int) -> bool:
        rect = tree.visualRect(tree.indexFromItem(item, column))
        metrics = QFontMetrics(item.font(column))
        return metrics.horizontalAdvance(item.text(column)) + 2 * margin <= rect.width()

    checked = set()
    for i in range(tree.topLevelItemCount()):
        parent = tree.topLevelItem(i)
        assert fits(parent, 0), f"tool name {parent.text(0)!r} is cut off"
        for j in range(parent.childCount()):
            child = parent.child(j)
            for column in (0, 1, 6):  # risk, kind, rule: short words that must show whole
                assert fits(child, column), f"{child.text(column)!r} is cut off"
                checked.add(child.text(0))
    assert {"high", "medium", "low"} <= checked and "Claude Code" in {tree.topLevelItem(i).text(0) for i in range(tree.topLevelItemCount())}


def test_the_tab_scans_the_home_of_the_env_it_is_given(qtbot, data_dir, tmp_path, monkeypatch):
    from tokenlens.app.permissions_tab import PermissionsTab
    from tokenlens.config import Env

    mine, other = tmp_path / "mine", tmp_path / "other"
    write(mine, ".codex/config.toml", 'approval_policy = "never"\n')
    write(other, ".gemini/settings.json", {"tools": {"autoAccept": True}})
    monkeypatch.setenv("HOME", str(other))
    widget = PermissionsTab(data_dir, env=Env(environ={"HOME": str(mine)}))
    qtbot.addWidget(widget)
    refresh(qtbot, widget)
    widget.wait()
    assert set(tree_rows(widget)) == {"codex"}
