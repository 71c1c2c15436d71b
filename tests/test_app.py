"""The tray app under pytest-qt (offscreen): models, popup, window, fallback, single
instance, settings, and live updates from real log files with real file-system events."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtGui import QColor  # noqa: E402
from PySide6.QtWidgets import QSystemTrayIcon  # noqa: E402

from tests.logs import append, claude_assistant  # noqa: E402
from tests.test_export import memory_keyring  # noqa: E402, F401
from tokenlens import insights  # noqa: E402
from tokenlens.config import Env, load_settings  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def iso(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def claude_log(home: Path, name: str = "today") -> Path:
    return home / ".claude" / "projects" / "-home-me-proj" / f"{name}.jsonl"


def add_usage(home: Path, when: datetime, msg: str, *, inp: int, out: int, cost: float, session: str = "s-live",
              cwd: str = "/home/me/proj", log: str = "today") -> None:
    append(claude_log(home, log), claude_assistant(iso(when), session, msg, f"req-{msg}", inp=inp, out=out, cwd=cwd, costUSD=cost))


def minutes_ago_today(minutes: int) -> datetime:
    """A moment `minutes` ago but never before local midnight, so a test run just after
    midnight still has its 'earlier' usage counted as today (CI once ran at 00:03)."""
    now = datetime.now().astimezone()
    if (now.replace(hour=23, minute=59, second=59) - now).total_seconds() < 30:
        time.sleep(31)  # so the test's later appends are not tomorrow's
        now = datetime.now().astimezone()
    return max(now - timedelta(minutes=minutes), now.replace(hour=0, minute=0, second=1, microsecond=0))


@pytest.fixture
def app_env(home: Path, tmp_path: Path) -> Env:
    return Env(environ={"HOME": str(home), "XDG_CONFIG_HOME": str(tmp_path / "xdg-config"), "PATH": os.environ.get("PATH", "")})


@pytest.fixture
def make_app(qtbot, data_dir, app_env):
    from tokenlens.app.application import TokenlensApp

    made = []

    def make(start: bool = True, wait_first_scan: bool = True):
        app = TokenlensApp(data_dir, app_env)
        made.append(app)
        if start:
            app.start()
            if wait_first_scan:
                qtbot.waitUntil(lambda: app.scans_completed >= 1, timeout=15_000)
        return app

    yield make
    for app in made:
        app.shutdown()


def local_noon(days_ago: int) -> datetime:
    today = datetime.now().astimezone().replace(hour=12, minute=0, second=0, microsecond=0)
    return today - timedelta(days=days_ago)


# ---- models ---------------------------------------------------------------------------


def test_sessions_model_sorts_and_filters(qtbot, home, env, db):
    from tokenlens.app.models import COLUMNS, SORT_ROLE, SessionsFilter, SessionsModel
    from tokenlens.ingest import scan

    base = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    add_usage(home, base, "a1", inp=100, out=900, cost=0.5, session="alpha", cwd="/src/alpha", log="a")
    add_usage(home, base + timedelta(hours=1), "b1", inp=10, out=4990, cost=2.0, session="beta", cwd="/src/beta", log="b")
    add_usage(home, base + timedelta(hours=2), "b2", inp=0, out=1000, cost=1.0, session="beta", cwd="/src/beta", log="b")
    add_usage(home, base + timedelta(hours=3), "c1", inp=1, out=99, cost=0.01, session="gamma", cwd="/src/gamma", log="c")
    scan(db, env)
    rows = insights.sessions(db, 0, 2**62)
    model = SessionsModel(insights.ZoneInfo("UTC"))
    proxy = SessionsFilter()
    proxy.setSourceModel(model)
    model.set_rows(rows)
    assert model.rowCount() == 3 and model.columnCount() == len(COLUMNS)

    tokens_col = COLUMNS.index("Tokens")
    project_col = COLUMNS.index("Project")
    proxy.sort(tokens_col, Qt.SortOrder.DescendingOrder)
    shown = [proxy.index(r, project_col).data() for r in range(proxy.rowCount())]
    assert shown == ["beta", "alpha", "gamma"]  # 6000, 1000, 100 tokens
    assert proxy.index(0, tokens_col).data() == "6.00k"
    assert proxy.index(0, tokens_col).data(SORT_ROLE) == 6000
    assert proxy.index(0, COLUMNS.index("Cost")).data() == "$3.00"
    assert proxy.index(0, COLUMNS.index("Requests")).data() == "2"
    assert proxy.index(0, project_col).data(Qt.ItemDataRole.ToolTipRole) == "/src/beta"
    assert proxy.index(0, COLUMNS.index("Last active")).data() == "2026-03-02 11:00"

    proxy.sort(COLUMNS.index("Last active"), Qt.SortOrder.AscendingOrder)
    assert [proxy.index(r, project_col).data() for r in range(3)] == ["alpha", "beta", "gamma"]

    proxy.set_text("GAM")
    assert proxy.rowCount() == 1 and proxy.index(0, project_col).data() == "gamma"
    proxy.set_text("sonnet alpha")  # every word must match somewhere (model, project...)
    assert proxy.rowCount() == 1
    proxy.set_text("")
    proxy.set_tool("codex")
    assert proxy.rowCount() == 0
    proxy.set_tool("claude-code")
    assert proxy.rowCount() == 3


# ---- popup and tray icon -------------------------------------------------------------


def hand_glance() -> insights.Glance:
    days = [date(2026, 3, 1) + timedelta(days=i) for i in range(14)]
    series = [insights.DayTotal(d, 1000 * (i + 1), 0.1 * (i + 1)) for i, d in enumerate(days)]
    return insights.Glance(
        day=days[-1], today_tokens=14_000, today_cost=1.4, avg7_tokens=10_000, avg7_cost=1.0,
        week_tokens=27_000, week_cost=2.7, series14=series,
        by_tool_today=[("claude-code", 10_500, 1.0), ("codex", 3_500, 0.4)],
    )


def test_popup_shows_today_week_series_split_and_risky(qtbot):
    from tokenlens.app.popup import GlancePopup, tooltip_text

    popup = GlancePopup()
    qtbot.addWidget(popup)
    popup.set_glance(hand_glance(), risky=3)
    assert popup.today_value.text() == "14.0k tokens"
    assert "$1.40" in popup.today_cost.text()
    assert popup.week_value.text() == "27.0k · $2.70"
    assert popup.compare.text().startswith("1.4× your 7-day average")
    assert popup.sparkline.values() == [1000.0 * (i + 1) for i in range(14)]
    assert "3 risky agent grants" in popup.risky.text() and not popup.risky.isHidden()
    popup.set_glance(hand_glance(), risky=None)
    assert popup.risky.isHidden()
    text = tooltip_text(hand_glance())
    assert "Today: 14.0k tokens · $1.40" in text and "7-day average: 10.0k tokens · $1.00" in text

    # No tray geometry (or not X11): an ordinary, titled window rather than an anchored popup.
    popup.show_near(None)
    qtbot.waitUntil(popup.isVisible)
    assert not popup.anchored
    assert popup.windowFlags() & Qt.WindowType.Window
    assert not (popup.windowFlags() & Qt.WindowType.Popup) == Qt.WindowType.Popup

    clicked = []
    popup.open_window.connect(lambda: clicked.append(True))
    qtbot.mouseClick(popup.open_button, Qt.MouseButton.LeftButton)
    assert clicked == [True]


def test_risky_grant_count_from_the_permissions_summary(db):
    from tokenlens.app.live import count_risky, risky_grants

    assert count_risky({"high": 2, "medium": 5, "low": 1, "info": 0}) == 2
    assert count_risky(None) is None
    # Whether or not the permissions feature is installed: before its first scan, no count.
    assert risky_grants(db) is None


def test_popup_counts_risky_grants_after_the_start_up_permissions_scan(qtbot, make_app, home):
    snapshots = pytest.importorskip("tokenlens.permissions.snapshots")
    codex = home / ".codex" / "config.toml"
    codex.parent.mkdir(parents=True)
    codex.write_text('approval_policy = "never"\nsandbox_mode = "danger-full-access"\n')
    app = make_app()
    qtbot.waitUntil(lambda: app.permission_scans_completed >= 1, timeout=15_000)
    high = snapshots.latest_summary(app.read_db)["high"]
    assert high >= 2  # "never" approval and full access are both high
    assert app.popup.risky.text().startswith(f"⚠ {high} risky agent grants")


def test_popup_position_stays_on_screen():
    from PySide6.QtCore import QRect, QSize

    from tokenlens.app.popup import popup_position

    screen = QRect(0, 0, 1280, 800)
    top_right = popup_position(QRect(1250, 2, 24, 24), QSize(300, 280), screen)
    assert top_right.y() == 2 + 24 + 6 - 1 and top_right.x() == 1280 - 300 - 4 - 1
    bottom_left = popup_position(QRect(4, 776, 24, 24), QSize(300, 280), screen)
    assert bottom_left.y() == 776 - 280 - 6 and bottom_left.x() == 4


def test_tray_gauge_draws_today_against_the_average(qapp):
    from tokenlens.app import icons

    def pixel(pm, x, y) -> QColor:
        return pm.toImage().pixelColor(x, y)

    half = icons.paint_gauge(64, 0.5)
    # ring centre radius: inset + ... the ring passes x = 32, y ~ 8 at 12 o'clock
    ring_y = round(64 / 22 + 64 * 0.16 / 2 + 64 / 32 + 0.5)
    right = pixel(half, 64 - ring_y, 32)  # 3 o'clock: filled (clockwise from 12)
    left = pixel(half, ring_y, 32)  # 9 o'clock: track only
    assert right.name() == icons.UNDER.name().lower()
    assert left.name() == icons.TRACK.name().lower()
    over = icons.paint_gauge(64, 1.5)
    assert pixel(over, 64 - ring_y, 32).name() == icons.OVER.name().lower()  # second lap
    assert pixel(over, ring_y, 32).name() == icons.UNDER.name().lower()
    assert pixel(half, 1, 1).alpha() == 0  # transparent corners: no square on the panel
    assert icons.gauge_fraction(None, 0) == 0.0 and icons.gauge_fraction(None, 5) == 1.0
    assert icons.gauge_fraction(3.0, 5) == 2.0
    sizes = {s.width() for s in icons.glance_icon(0.5).availableSizes()}
    assert {16, 22, 32, 64, 128} <= sizes


# ---- window, fallback, welcome, settings ------------------------------------------------


def test_no_tray_opens_the_window_with_an_explanation_and_keeps_running(qtbot, make_app, home, qapp):
    assert not QSystemTrayIcon.isSystemTrayAvailable()  # offscreen has no tray host
    app = make_app()
    assert app.window.isVisible()
    assert "No system tray was found" in app.window.banner.text() and app.window.banner.isVisible()
    app.window.close()  # closing the window only hides it
    assert not app.window.isVisible() and app.live.running
    assert not qapp.quitOnLastWindowClosed() or True  # run_app sets it; the controller keeps going
    # every tray action is in the context menu
    texts = [a.text() for a in app.menu.actions() if not a.isSeparator()]
    assert texts == ["Today at a glance…", "Open tokenlens", "Scan now", "Pause watching", "Settings…", "Quit tokenlens"]
    app.act_settings.trigger()
    assert app.window.isVisible() and app.window.tabs.tabText(app.window.tabs.currentIndex()) == "Settings"


def test_window_overview_sessions_and_feature_tabs(qtbot, make_app, home):
    add_usage(home, local_noon(2), "old", inp=1000, out=1000, cost=0.2, session="s-old", cwd="/home/me/alpha")
    add_usage(home, local_noon(0), "new", inp=500, out=2500, cost=0.3, session="s-new", cwd="/home/me/beta")
    app = make_app()
    window = app.window
    tabs = [window.tabs.tabText(i) for i in range(window.tabs.count())]
    assert tabs == ["Overview", "Sessions", "Limits", "Permissions", "Export", "Settings"]
    window.show_tab("Overview")
    overview = window.overview
    with qtbot.waitSignal(overview.loaded, timeout=20_000):
        overview.range.setCurrentIndex(0)  # last 7 days
    totals = overview.bars.day_totals()
    assert len(totals) == 7 and totals[-1] == 3000 and totals[-3] == 2000 and sum(totals) == 5000
    assert overview.summary.text().startswith("5.00k tokens · $0.50")
    with qtbot.waitSignal(overview.loaded, timeout=20_000):
        overview.metric.setCurrentIndex(1)  # cost
    assert overview.bars.day_totals()[-1] == pytest.approx(0.3)
    assert overview.projects.rowCount() == 2 and overview.projects.item(0, 0).text() == "beta"
    assert sum(map(sum, overview.heatmap._grid)) == 5000
    assert "Cache hits" in overview.signals.text() and "Busiest hours" in overview.signals.text()
    for word in ("rank", "leaderboard", "score"):
        assert word not in overview.signals.text().lower()

    with qtbot.waitSignal(window.sessions.loaded, timeout=20_000):
        window.show_tab("Sessions")
    assert window.sessions.model.rowCount() == 2
    assert window.sessions.count.text() == "2 sessions"
    window.sessions.search.setText("alpha")
    assert window.sessions.proxy.rowCount() == 1 and window.sessions.count.text() == "1 of 2 sessions"
    assert not window.sessions.table_box.showing_message()
    window.sessions.search.setText("gamma")  # an empty grid says why it is empty
    assert window.sessions.table_box.message.text() == "No session matches this filter."
    assert window.sessions.table_box.showing_message()
    window.sessions.search.clear()
    assert not window.sessions.table_box.showing_message()


def test_no_sessions_says_so_for_the_period(qtbot, make_app):
    app = make_app()
    sessions = app.window.sessions
    with qtbot.waitSignal(sessions.loaded, timeout=20_000):
        app.window.show_tab("Sessions")
    assert sessions.model.rowCount() == 0
    assert sessions.table_box.message.text() == "No sessions in the last 30 days."
    with qtbot.waitSignal(sessions.loaded, timeout=20_000):
        sessions.range.setCurrentIndex(sessions.range.findData(0))
    assert sessions.table_box.message.text().startswith("No sessions yet")


def test_first_run_welcome_counts_found_logs_once(qtbot, make_app, home, data_dir, app_env):
    add_usage(home, local_noon(1), "w1", inp=10, out=10, cost=0.01)
    add_usage(home, local_noon(0), "w2", inp=10, out=10, cost=0.01, log="second")
    app = make_app()
    qtbot.waitUntil(lambda: app.welcome is not None and app.welcome.isVisible())
    text = app.welcome.text.text()
    assert "Claude Code</b>: 2 log files, 2 usage records" in text
    assert str(data_dir) in text and "Nothing leaves this device" in text
    assert "Claude Code deletes its logs after 30 days" in text  # why the ledger matters
    assert "CANARY" not in text  # counts, never content
    app.welcome.accept()
    assert load_settings(data_dir)["welcomed"] is True
    app.shutdown()
    again = make_app()
    assert again.welcome is None


def test_welcome_names_every_tool_that_deletes_its_logs():
    from tokenlens.app.welcome import welcome_html

    def item(name, days, nothing=False):
        return {"name": name, "days": days, "writes_nothing": nothing}

    both = welcome_html([], Path("/x/ledger.db"), [item("Claude Code", 30), item("Gemini CLI", 14),
                                                   item("Aider", None)])
    assert "Your tools delete their logs: Claude Code after 30 days and Gemini CLI after 14 days;" in both
    assert "Aider" not in both  # keeps its logs: nothing to say
    none = welcome_html([], Path("/x/ledger.db"), [item("Claude Code", 0, nothing=True)])
    assert "Your history stays" not in none


def test_settings_persist_and_autostart_entry(qtbot, make_app, data_dir, app_env, tmp_path):
    app = make_app()
    tab = app.settings_tab
    tab.threshold.setValue(250)
    tab.threshold.editingFinished.emit()  # as when the person presses Enter or leaves the box
    tab.source_boxes["codex"].setChecked(False)
    tab.zone.setCurrentIndex(tab.zone.findData("Asia/Kolkata"))
    saved = load_settings(data_dir)
    assert saved["daily_threshold_tokens"] == 250_000
    assert saved["disabled_sources"] == ["codex"]
    assert saved["tz"] == "Asia/Kolkata" and app.zone().key == "Asia/Kolkata"
    # Start at login: tests/test_app_autostart.py


def test_settings_say_how_long_the_tools_keep_their_logs(qtbot, make_app, home):
    (home / ".claude" / "projects").mkdir(parents=True, exist_ok=True)
    (home / ".claude" / "settings.json").write_text('{"cleanupPeriodDays": 9}')
    app = make_app()
    tab = app.settings_tab
    tab.refresh_retention()
    assert "Claude Code deletes its logs after 9 days" in tab.retention_lines.text()
    assert not tab.retention_box.isHidden()
    (home / ".claude" / "settings.json").write_text('{"cleanupPeriodDays": 0}')
    app.window.show_tab("Settings")  # shown again: read again
    qtbot.waitUntil(lambda: "writes no usage for tokenlens to read" in tab.retention_lines.text())
    tab.source_boxes["claude-code"].setChecked(False)  # a source turned off is not read: not told either
    assert "Claude Code" not in tab.retention_lines.text()


def test_private_nudge_past_the_daily_threshold(qtbot, make_app, home, data_dir):
    from tokenlens.config import ensure_data_dir, save_settings

    save_settings(ensure_data_dir(data_dir), {"daily_threshold_tokens": 1000, "welcomed": True})
    add_usage(home, local_noon(0), "n1", inp=600, out=600, cost=0.1)
    app = make_app()
    qtbot.waitUntil(lambda: "past the 1.00k you set for yourself" in app.window.banner.text())


# ---- live updates ----------------------------------------------------------------------


def test_appended_usage_reaches_the_tray_within_two_seconds(qtbot, make_app, home):
    add_usage(home, minutes_ago_today(5), "first", inp=1000, out=1000, cost=0.5)
    app = make_app()
    assert "Today: 2.00k tokens · $0.50" in app.tray.toolTip()
    assert app.popup.today_value.text() == "2.00k tokens"
    assert any(rec for _, rec in app.live.watched())

    add_usage(home, datetime.now(UTC), "second", inp=3000, out=5000, cost=1.25)
    qtbot.waitUntil(lambda: "Today: 10.0k tokens · $1.75" in app.tray.toolTip(), timeout=2000)
    assert app.popup.today_value.text() == "10.0k tokens"
    assert app.popup.split.sizeHint().height() > 0


def test_a_log_dir_created_after_start_is_picked_up(qtbot, make_app, home):
    app = make_app()
    assert not (home / ".claude").exists()
    # Nothing to watch recursively yet: HOME only, non-recursively, to see ~/.claude appear.
    assert (home, False) in app.live.watched() and not any(rec for _, rec in app.live.watched())
    add_usage(home, datetime.now(UTC), "late", inp=700, out=300, cost=0.1)
    qtbot.waitUntil(lambda: "Today: 1.00k tokens" in app.tray.toolTip(), timeout=5000)
    qtbot.waitUntil(lambda: (home / ".claude" / "projects", True) in app.live.watched(), timeout=5000)
    add_usage(home, datetime.now(UTC), "later", inp=1000, out=0, cost=0.1)
    qtbot.waitUntil(lambda: "Today: 2.00k tokens" in app.tray.toolTip(), timeout=2000)


def test_pause_stops_watching_and_resume_catches_up(qtbot, make_app, home):
    add_usage(home, datetime.now(UTC), "p1", inp=500, out=500, cost=0.1)
    app = make_app()
    app.act_pause.trigger()
    assert app.live.paused and app.live.watched() == [] and "Watching paused" in app.tray.toolTip()
    add_usage(home, datetime.now(UTC), "p2", inp=500, out=500, cost=0.1)
    scans = app.scans_completed
    app.act_pause.trigger()
    assert not app.live.paused and app.live.watched()
    qtbot.waitUntil(lambda: app.scans_completed > scans and "Today: 2.00k tokens" in app.tray.toolTip(), timeout=5000)


def test_scan_now_from_the_menu_and_quit_stops_the_watcher(qtbot, make_app, home):
    app = make_app()
    scans = app.scans_completed
    app.act_scan.trigger()
    qtbot.waitUntil(lambda: app.scans_completed > scans)
    from tokenlens.app import tasks

    app.shutdown()
    # Nothing left running: no watcher, no background job (each closed its own connection).
    assert not app.live.running and app.live._observer is None and tasks.wait_for_all(0)


# ---- single instance ---------------------------------------------------------------------


def test_second_launch_raises_the_running_instance(qtbot, data_dir, tmp_path):
    from tokenlens.app.single_instance import InstanceServer, ask_running_to_show, server_name

    name = server_name(data_dir)
    assert name != server_name(tmp_path / "other")
    assert not ask_running_to_show(name, timeout_ms=200)
    server = InstanceServer(name)
    assert server.listen()
    try:
        # A real second launch: `tokenlens --data-dir DIR` in a new process.
        environ = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp_path / "home2")}
        with qtbot.waitSignal(server.show_requested, timeout=20_000):
            proc = subprocess.Popen(
                [sys.executable, "-m", "tokenlens", "--data-dir", str(data_dir)],
                cwd=REPO, env=environ, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            )
        out, err = proc.communicate(timeout=20)
        assert proc.returncode == 0, err
        assert "already running" in err
        assert not (data_dir / "ledger.db").exists()  # the second copy opened nothing
    finally:
        server.close()


def test_window_tabs_query_the_ledger_and_keyring_only_off_the_gui_thread(qtbot, make_app, home, memory_keyring, monkeypatch):  # noqa: F811
    """The GUI thread only paints: from the app's start on (its scans), through opening the
    window and each tab, no ledger query, keyring call or permission scan runs on it (they
    go through tokenlens.app.tasks). The one connection opened while the app is constructed,
    before Qt's loop runs, to apply migrations first, is the exception."""
    import threading

    import keyring

    from tokenlens.store.ledger import Ledger

    add_usage(home, local_noon(1), "m1", inp=1000, out=500, cost=0.1, session="s1", cwd="/home/me/alpha")
    app = make_app(start=False)  # constructing it opens the ledger once, before Qt's loop runs
    on_gui_thread: list[str] = []
    real_execute = Ledger.execute

    def execute(self, sql, parameters=None):
        if threading.current_thread() is threading.main_thread():
            on_gui_thread.append(sql.split(None, 3)[:3].__str__())
        return real_execute(self, sql, parameters)

    monkeypatch.setattr(Ledger, "execute", execute)
    real_get = keyring.get_password

    def get_password(*args):
        if threading.current_thread() is threading.main_thread():
            on_gui_thread.append("keyring.get_password")
        return real_get(*args)

    monkeypatch.setattr(keyring, "get_password", get_password)
    import tokenlens.permissions.scan as permission_scan

    real_scan_all = permission_scan.scan_all

    def scan_all(*args, **kwargs):
        if threading.current_thread() is threading.main_thread():
            on_gui_thread.append("permissions scan")
        return real_scan_all(*args, **kwargs)

    monkeypatch.setattr(permission_scan, "scan_all", scan_all)
    app.start()  # the first usage scan and the first permissions scan
    qtbot.waitUntil(lambda: app.scans_completed >= 1 and app.permission_scans_completed >= 1, timeout=20_000)

    window = app.window
    app.open_window()  # (offscreen has no tray: start() opened it already)
    with qtbot.waitSignal(window.overview.loaded, timeout=20_000):
        window.refresh()
    for name, tab in (("Sessions", window.sessions), ("Export", window.export), ("Permissions", window.permissions)):
        with qtbot.waitSignal(tab.loaded, timeout=20_000):
            window.show_tab(name)
    with qtbot.waitSignal(window.overview.loaded, timeout=20_000):
        window.show_tab("Overview")
    assert window.export.preview.toPlainText().startswith("{")  # the work really ran
    assert window.sessions.model.rowCount() == 1
    assert on_gui_thread == []


def test_a_file_being_written_is_read_alone_and_a_new_one_makes_a_full_scan(qtbot, make_app, home):
    """While a tool writes, the app's scans read the written file only (no walk of every
    log folder), at most about one a second; a file created is a full scan."""
    add_usage(home, minutes_ago_today(5), "w0", inp=500, out=500, cost=0.1)
    app = make_app()
    outcomes = []
    app.live.updated.connect(outcomes.append)
    for i in range(1, 6):  # five appends within about half a second: one scan, maybe two
        add_usage(home, datetime.now(UTC), f"w{i}", inp=500, out=500, cost=0.1)
        qtbot.wait(100)
    qtbot.waitUntil(lambda: "Today: 6.00k tokens" in app.tray.toolTip(), timeout=3000)
    assert outcomes and all(o.focused for o in outcomes)
    assert len(outcomes) <= 2
    add_usage(home, datetime.now(UTC), "n1", inp=1000, out=1000, cost=0.1, session="s-new", log="other")
    qtbot.waitUntil(lambda: "Today: 8.00k tokens" in app.tray.toolTip(), timeout=3000)
    assert not outcomes[-1].focused
