"""Issue 20, the window and the popup readable at a glance (pytest-qt, offscreen): the
Overview fits its default size, charts say when they are empty, a year is drawn in weeks,
colours and names follow the tool, the popup's bars name their days, the ring is explained,
permissions say what a high grant allows, the welcome hides its paths, the nudge waits for
the typing to end, and a session opens in detail."""

from __future__ import annotations

import subprocess
import sys
import threading
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import QEvent, QPoint, QPointF, QSize, Qt  # noqa: E402
from PySide6.QtGui import QFontMetrics, QMouseEvent  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from tests.logs import append, claude_assistant  # noqa: E402
from tests.test_app import add_usage, app_env, hand_glance, local_noon, make_app  # noqa: E402, F401
from tests.test_permissions import write  # noqa: E402
from tokenlens import insights  # noqa: E402
from tokenlens.config import load_settings  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def hover(widget, x: float, y: float) -> None:
    """A real mouse-move event at (x, y), as Qt delivers it while the pointer crosses a widget."""
    local = QPointF(x, y)
    event = QMouseEvent(QEvent.Type.MouseMove, local, widget.mapToGlobal(local), Qt.MouseButton.NoButton,
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, event)


def bars_with(qtbot, days, groups, value, width=900, height=260):
    from tokenlens.app.charts import StackedBars

    bars = StackedBars()
    qtbot.addWidget(bars)
    bars.resize(width, height)
    bars.set_data(days, groups, value, insights.format_tokens)
    bars.grab()  # paints it, as showing would
    return bars


# ---- Overview at the default size ----------------------------------------------------------


def test_the_default_size_fits_a_1366x768_laptop_and_the_overview_needs_no_scrolling(qtbot, make_app, home):  # noqa: F811
    from tokenlens.app.main_window import DEFAULT_SIZE, default_size

    # A panel (~32 px), the title bar (~30) and the frame leave about 680 of 768 px.
    assert DEFAULT_SIZE.width() <= 1366 - 16 and DEFAULT_SIZE.height() <= 768 - 88
    assert default_size(QSize(1920, 1080)) == DEFAULT_SIZE
    assert default_size(QSize(1024, 600)).height() <= 600 - 48  # a netbook: smaller, still on screen

    add_usage(home, local_noon(0), "f1", inp=100, out=100, cost=0.1)
    app = make_app()
    window = app.window
    window.resize(DEFAULT_SIZE)
    window.show()  # (without a tray the app may have shown it already)
    qtbot.waitExposed(window)
    with qtbot.waitSignal(window.overview.loaded, timeout=15_000):
        window.overview.refresh()
    from PySide6.QtWidgets import QScrollArea

    scroll = window.overview.findChild(QScrollArea)
    QApplication.processEvents()
    assert scroll.verticalScrollBar().maximum() == 0, "the Overview scrolls at the default size"
    assert scroll.horizontalScrollBar().maximum() == 0


# ---- the day chart -------------------------------------------------------------------------


def test_an_empty_range_says_so_instead_of_an_axis_of_zeros(qtbot):
    from tokenlens.app.charts import NO_USAGE

    days = [date(2026, 3, 1) + timedelta(days=i) for i in range(30)]
    empty = bars_with(qtbot, days, [], lambda d, g: 0.0)
    assert empty.message == NO_USAGE and empty.axis_labels == []
    zeros = bars_with(qtbot, days, ["claude-code"], lambda d, g: 0.0)  # a group, but nothing in range
    assert zeros.message == NO_USAGE and zeros.axis_labels == []
    some = bars_with(qtbot, days, ["claude-code"], lambda d, g: 1000.0 if d.day == 3 else 0.0)
    assert some.message == "" and some.axis_labels == ["0", "250", "500", "750", "1.00k"]


def test_a_year_of_days_is_drawn_as_weeks_and_a_narrow_chart_as_months(qtbot):
    from tokenlens.app.charts import MIN_BAR_PX, nice_ceiling

    last = date(2026, 12, 1)
    days = [last - timedelta(days=364 - i) for i in range(365)]

    def value(d, g):
        return 100.0 + d.toordinal() % 7

    bars = bars_with(qtbot, days, ["claude-code"], value, width=900)
    buckets = bars.buckets()
    assert {b.kind for b in buckets} == {"week"} and 52 <= len(buckets) <= 54
    assert all(b.first.weekday() == 0 for b in buckets[1:])  # weeks start on Monday
    assert bars._plot.width() / len(buckets) >= MIN_BAR_PX
    # Nothing lost or counted twice in the summing.
    assert sum(bars.bucket_value(b, "claude-code") for b in buckets) == sum(value(d, "") for d in days)
    assert [d for b in buckets for d in b.days()] == days
    # The axis is scaled to the weeks' sums, not to a single day's.
    top_week = max(bars.bucket_value(b, "claude-code") for b in buckets)
    assert bars.axis_labels[-1] == insights.format_tokens(nice_ceiling(top_week)) == "1.00k"  # a day: 106
    assert "Week" not in bars.bar_text(1) and "–" in bars.bar_text(1)  # "1 – 7 Dec 2025"

    narrow = bars_with(qtbot, days, ["claude-code"], value, width=120)
    assert {b.kind for b in narrow.buckets()} == {"month"} and len(narrow.buckets()) == 13

    month = bars_with(qtbot, days[-30:], ["claude-code"], value, width=900)
    assert {b.kind for b in month.buckets()} == {"day"} and len(month.buckets()) == 30


def test_a_tool_or_model_keeps_its_colour_whatever_else_is_in_range(qtbot):
    from tokenlens.app.charts import series_color

    assert series_color("claude-code") != series_color("codex")
    a = bars_with(qtbot, [date(2026, 3, 1)], ["claude-code", "codex"], lambda d, g: 1.0)
    b = bars_with(qtbot, [date(2026, 3, 1)], ["codex", "gemini-cli", "claude-code"], lambda d, g: 1.0)
    colours_a = {g: c.name() for g, c in zip(a._groups, [c for _, c in a._legend()], strict=True)}
    colours_b = {g: c.name() for g, c in zip(b._groups, [c for _, c in b._legend()], strict=True)}
    assert colours_a["codex"] == colours_b["codex"] and colours_a["claude-code"] == colours_b["claude-code"]
    # A model's colour comes from its name, the same in another process (no salted hash()).
    here = series_color("claude-sonnet-4-5-20250929").name()
    there = subprocess.run(
        [sys.executable, "-c", "from tokenlens.app.charts import series_color;"
         "print(series_color('claude-sonnet-4-5-20250929').name())"],
        capture_output=True, text=True, check=True, cwd=REPO, env={"PYTHONHASHSEED": "12345", "PATH": ""},
    ).stdout.strip()
    assert here == there


def test_charts_and_popup_show_tool_names_not_ids(qtbot, make_app, home):  # noqa: F811
    from tokenlens.app.popup import GlancePopup

    popup = GlancePopup()
    qtbot.addWidget(popup)
    popup.set_glance(hand_glance())
    assert popup.split.labels() == ["Claude Code", "Codex"]

    add_usage(home, local_noon(0), "n1", inp=100, out=100, cost=0.1)
    app = make_app()
    window = app.window
    window.show()
    with qtbot.waitSignal(window.overview.loaded, timeout=15_000):
        window.overview.refresh()
    bars = window.overview.bars
    bars.grab()  # painted now, not at the next event-loop turn
    assert [label for label, _ in bars._legend()] == ["Claude Code"]
    assert "Claude Code: 200" in bars.bar_text(len(bars.buckets()) - 1)
    with qtbot.waitSignal(window.sessions.loaded, timeout=15_000):
        window.show_tab("Sessions")
    from tokenlens.app.models import COLUMNS

    assert window.sessions.proxy.index(0, COLUMNS.index("Tool")).data() == "Claude Code"
    assert window.sessions.tool.itemText(1) == "Claude Code" and window.sessions.tool.itemData(1) == "claude-code"


# ---- the popup -----------------------------------------------------------------------------


def test_the_popup_bars_mark_today_and_name_the_day_under_the_pointer(qtbot):
    from tokenlens.app.popup import GlancePopup

    popup = GlancePopup()
    qtbot.addWidget(popup)
    popup.set_glance(hand_glance())  # 1 to 14 March 2026, 1000 tokens more each day
    popup.show()
    qtbot.waitExposed(popup)
    spark = popup.sparkline
    spark.grab()
    assert spark.caption == "1 Mar … today"  # at rest: the first day and today, under their bars
    slot = spark.width() / 14
    hover(spark, slot * 3.5, spark.height() / 2)
    assert spark.hovered() == 3
    spark.grab()
    assert spark.caption == "Wed 04 Mar: 4.00k"
    hover(spark, slot * 13.5, spark.height() / 2)
    spark.grab()
    assert spark.caption == "today: 14.0k"
    QApplication.sendEvent(spark, QEvent(QEvent.Type.Leave))
    spark.grab()
    assert spark.hovered() is None and spark.caption == "1 Mar … today"


def test_the_tooltip_and_the_popup_say_what_the_ring_and_the_arc_mean(qtbot):
    from tokenlens.app.popup import GlancePopup, tooltip_text

    text = tooltip_text(hand_glance())
    assert "ring is your 7-day daily average" in text and "arc is today" in text
    popup = GlancePopup()
    qtbot.addWidget(popup)
    popup.set_glance(hand_glance())  # today 14k against an average of 10k
    note = popup.gauge_note.text()
    assert "7-day daily average (10.0k)" in note and "140% of it" in note and "amber" in note


# ---- permissions ---------------------------------------------------------------------------


def test_every_high_rule_says_what_it_lets_the_agent_do():
    from tokenlens.permissions.rules import LETS_THE_AGENT, RULES, grant_explanation

    high = {rule_id for rule_id, rule in RULES.items() if rule.risk == "high"}
    assert high == set(LETS_THE_AGENT)
    text = grant_explanation("SHELL-1", "Replace `Bash(*)` in permissions.allow (~/.claude/settings.json) with"
                             " the exact commands you need", "~/.claude/settings.json")
    assert text.splitlines()[0] == "Lets the agent run any shell command at all without asking."
    assert text.splitlines()[1].startswith("To narrow it: replace `Bash(*)` in permissions.allow")


def test_a_high_grants_tooltip_says_what_it_allows_and_how_to_narrow_it_and_since_is_in_view(qtbot, data_dir, home):
    from tokenlens.app.main_window import DEFAULT_SIZE
    from tokenlens.app.permissions_tab import GRANT_COLUMNS, PermissionsTab
    from tokenlens.config import Env

    long_path = "Read(" + "/".join(["~/src/a-very-long-folder-name"] * 6) + "/**)"
    write(home, ".claude/settings.json", {"permissions": {"allow": [
        "Bash(curl:*)", long_path, "Bash(npm run test:unit -- --coverage --reporter=verbose --runInBand)"]}})
    tab = PermissionsTab(data_dir, env=Env(environ={"HOME": str(home)}))
    qtbot.addWidget(tab)
    tab.resize(DEFAULT_SIZE - QSize(40, 120))  # the tab inside the window at its default size
    tab.show()
    qtbot.waitExposed(tab)
    with qtbot.waitSignal(tab.loaded, timeout=30_000):
        tab.refresh()
    parent = tab.grants.topLevelItem(0)
    curl = next(parent.child(j) for j in range(parent.childCount()) if parent.child(j).text(2) == "Bash(curl:*)")
    tip = curl.toolTip(3)
    assert tip.startswith("Lets the agent run a shell, interpreter, runner, sudo or network tool without asking")
    assert "To narrow it: remove `Bash(curl:*)` from permissions.allow" in tip
    assert "settings.json" in tip

    tree, since = tab.grants, GRANT_COLUMNS.index("Since")
    rect = tree.visualRect(tree.indexFromItem(curl, since))
    assert rect.right() <= tree.viewport().width(), "Since is pushed off the right edge"
    assert QFontMetrics(tree.font()).horizontalAdvance(curl.text(since)) <= rect.width()
    rule = tree.visualRect(tree.indexFromItem(curl, GRANT_COLUMNS.index("Rule")))
    assert rule.left() < tree.viewport().width()


# ---- welcome, settings ---------------------------------------------------------------------


def test_welcome_with_nothing_found_says_so_and_keeps_the_paths_behind_a_disclosure(qtbot, home):
    from tokenlens.app.welcome import NOTHING_FOUND, WHERE_IT_LOOKS, WelcomeDialog

    sources = [
        {"name": "Claude Code", "found": False, "reads_usage": True,
         "paths": [str(home / ".config/claude/projects"), str(home / ".claude/projects")]},
        {"name": "Cline", "found": False, "reads_usage": True, "paths": [str(home / f"p{i}") for i in range(5)]},
        {"name": "Cursor", "found": False, "reads_usage": False, "paths": []},
    ]
    dialog = WelcomeDialog(sources, Path("/x/ledger.db"), home=home)
    qtbot.addWidget(dialog)
    dialog.show()
    assert NOTHING_FOUND in dialog.text.text() and ".claude" not in dialog.text.text()
    assert dialog.where.text() == WHERE_IT_LOOKS and dialog.where.isVisible()
    assert not dialog.paths_box.isVisible()
    qtbot.mouseClick(dialog.where, Qt.MouseButton.LeftButton)
    assert dialog.paths_box.isVisible()
    paths = dialog.paths.text()
    assert "~/.claude/projects" in paths and "Claude Code" in paths and "Cursor" not in paths
    assert "and 2 more" in paths  # five Cline paths: three named

    found = WelcomeDialog([{**sources[0], "found": True, "files": 2, "events": 9}], Path("/x/ledger.db"))
    qtbot.addWidget(found)
    found.show()
    assert not found.where.isVisible() and NOTHING_FOUND not in found.text.text()


def test_the_nudge_threshold_is_saved_when_typing_ends_not_at_each_keystroke(qtbot, make_app, data_dir):  # noqa: F811
    app = make_app()
    tab = app.settings_tab
    app.window.show_tab("Settings")
    app.window.show()
    qtbot.waitExposed(app.window)
    box = tab.threshold
    box.setFocus()
    box.selectAll()
    qtbot.keyClicks(box, "1")
    assert load_settings(data_dir).get("daily_threshold_tokens") is None  # 1k: passed through, not meant
    qtbot.keyClicks(box, "50")
    assert load_settings(data_dir).get("daily_threshold_tokens") is None
    qtbot.keyClick(box, Qt.Key.Key_Return)
    assert load_settings(data_dir)["daily_threshold_tokens"] == 150_000


# ---- session detail ------------------------------------------------------------------------


def tool_use_line(ts: str, session: str, msg: str, blocks, **usage) -> dict:
    line = claude_assistant(ts, session, msg, f"r-{msg}", **usage, cwd="/home/me/src/shop")
    line["message"]["content"] = [{"type": "tool_use", "id": f"toolu_{msg}_{i}", "name": name, "input": tool_input}
                                  for i, (name, tool_input) in enumerate(blocks)]
    return line


def test_double_clicking_a_session_opens_its_detail_read_off_the_gui_thread(qtbot, make_app, home, monkeypatch):  # noqa: F811
    from tokenlens.app import main_window
    from tokenlens.app.models import COLUMNS

    start = local_noon(0) - timedelta(hours=2)
    path = home / ".claude/projects/-home-me-src-shop/detail.jsonl"

    def at(minutes: int) -> str:
        return (start + timedelta(minutes=minutes)).astimezone().strftime("%Y-%m-%dT%H:%M:%S%z")

    append(path, tool_use_line(at(0), "s-detail", "m1", [("Bash", {"command": "npm test"}), ("Edit", {"file_path": "/x"})],
                               inp=100, out=50, cr=1000, cw=200))
    append(path, tool_use_line(at(95), "s-detail", "m2", [("Bash", {"command": "rm -rf build"})],
                               model="claude-opus-4-1-20250805", inp=10, out=5))
    threads = []
    real = main_window.session_detail_data

    def spy(*args):
        threads.append(threading.current_thread())
        return real(*args)

    monkeypatch.setattr(main_window, "session_detail_data", spy)
    app = make_app()
    window = app.window
    window.show()
    with qtbot.waitSignal(window.sessions.loaded, timeout=15_000):
        window.show_tab("Sessions")
    sessions = window.sessions
    table = sessions.table
    rect = table.visualRect(sessions.proxy.index(0, COLUMNS.index("Project")))
    # Qt 6 item views take a double-click as a press, then the double-click event.
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(rect.center()))
    qtbot.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(rect.center()))
    qtbot.waitUntil(lambda: sessions.detail is not None and sessions.detail.isVisible(), timeout=15_000)
    assert threads and all(t is not threading.main_thread() for t in threads)

    text = sessions.detail.text()
    started = datetime.fromisoformat(at(0)).astimezone(app.zone()).strftime("%a %d %b %Y, %H:%M")
    for expected in ("Tool: Claude Code", "Project: /home/me/src/shop", f"Started: {started}",
                     "Length: 1 h 35 min", "Requests: 2",
                     "claude-sonnet-4-5-20250929 | 1 | 1.35k", "claude-opus-4-1-20250805 | 1 | 15",
                     "Input (fresh) | 110", "Cache read | 1,000", "Cache write, 5 min | 200", "Output | 55",
                     "shell | 1 | 0 | 0", "edit | 1 | 0 | 0", "destructive | 1 | 1 | 0"):
        assert expected in text, f"{expected!r} not in:\n{text}"
    assert "Cost: $" in text



def test_settings_does_not_scroll_sideways_at_the_default_size(qtbot, make_app, home):  # noqa: F811
    """33 sources in three columns of "Name  (id, status)" made Settings wider than the window;
    each label is now the name and its status, with the id (for `--tool`) in the tooltip."""
    from PySide6.QtWidgets import QScrollArea

    from tokenlens.app.main_window import DEFAULT_SIZE

    app = make_app()
    window = app.window
    window.resize(DEFAULT_SIZE)
    window.show()
    qtbot.waitExposed(window)
    tab = app.settings_tab
    window.tabs.setCurrentWidget(tab)
    QApplication.processEvents()
    assert tab.findChild(QScrollArea).horizontalScrollBar().maximum() == 0, "Settings scrolls sideways"
    assert tab.source_boxes["cursor"].text() == "Cursor  (partial)"
    assert tab.source_boxes["cursor"].toolTip().startswith("--tool cursor")
