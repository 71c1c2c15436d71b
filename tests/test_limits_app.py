"""Plan windows in the tray app: alerts once per window and threshold (also across restarts,
and told at start when crossed while the app was not running), the popup's bars, the tooltip's
tightest window, the Limits tab."""

from __future__ import annotations

import time

import pytest

from tests.test_app import app_env, make_app  # noqa: F401 - fixtures
from tokenlens import limits as core
from tokenlens.limits import LimitReading

MIN = 60_000
HOUR = 60 * MIN


def reading(window, minutes, at, percent, reset, account="~/.claude"):
    return LimitReading("claude-code", window, minutes, at, percent, reset, f"{reset // 1000}:{percent:g}",
                        "claude-statusline", account, None, last_seen_ms=at)


def put(data_dir, *items):
    from tokenlens.store import open_ledger
    from tokenlens.store.writer import write_transaction
    from tokenlens.store.writes import upsert_limit_readings

    db = open_ledger(data_dir)
    try:
        with write_transaction(db):
            upsert_limit_readings(db, list(items))
    finally:
        db.conn.close()


def status(percent, reset_ms, observed_ms, window="5h"):
    return core.WindowStatus("claude-code", "~/.claude", window, 300, percent, reset_ms, observed_ms, observed_ms,
                             "claude-statusline", None, "current")


def test_due_alerts_once_per_window_instance_and_threshold():
    now = 1_795_000_000_000
    reset = now + 2 * HOUR
    told: set[str] = set()
    due = core.due_alerts([status(86.0, reset, now)], (80, 95), told)
    assert [text for _, text in due] == [f"Claude Code 5h window at 86% (past 80%); resets {core.time_of_day(reset)}"]
    told.update(due[0][0].split(";"))
    assert core.due_alerts([status(90.0, reset, now + MIN)], (80, 95), told) == []
    due = core.due_alerts([status(97.0, reset, now + 2 * MIN)], (80, 95), told)
    assert [text.split(";")[0] for _, text in due] == ["Claude Code 5h window at 97% (past 95%)"]
    told.update(due[0][0].split(";"))
    # the next window instance (a new reset) is told again
    assert len(core.due_alerts([status(81.0, reset + 5 * HOUR, now + 3 * HOUR)], (80, 95), told)) == 1
    # 96 % straight away: one alert, for 95 (80 is marked told with it)
    fresh: set[str] = set()
    ((keys, text),) = core.due_alerts([status(96.0, reset, now)], (80, 95), fresh)
    assert "past 95%" in text and len(keys.split(";")) == 2
    # a reset window or an unknown one is never an alert
    assert core.due_alerts([status(None, reset, now)], (80, 95), set()) == []


def test_a_crossing_while_the_app_was_not_running_is_told_at_start():
    now = 1_795_000_000_000
    due = core.due_alerts([status(85.0, now + HOUR, now - 10 * MIN)], (80, 95), set(), at_start=True,
                          started_ms=now)
    assert due[0][1].startswith("While tokenlens was not running: Claude Code 5h window at 85%")
    later = core.due_alerts([status(85.0, now + HOUR, now + 10 * MIN)], (80, 95), set(), at_start=False,
                            started_ms=now)
    assert not later[0][1].startswith("While")


@pytest.mark.usefixtures("app_env")
def test_app_popup_bars_tooltip_tab_and_alerts_once(qtbot, make_app, data_dir):  # noqa: F811
    now = int(time.time() * 1000)
    put(data_dir, reading("5h", 300, now - 30 * MIN, 70.0, now + 2 * HOUR),
        reading("5h", 300, now - 2 * MIN, 86.0, now + 2 * HOUR),
        reading("7d", 10080, now - 2 * MIN, 40.0, now + 3 * 24 * HOUR))
    app = make_app()
    qtbot.waitUntil(lambda: app.limits.looks >= 1, timeout=15_000)
    bars = [b for b in app.limits.bars.bars if b.isVisibleTo(app.limits.bars)]
    assert [(b.status.window, b.status.used_percent) for b in bars] == [("5h", 86.0), ("7d", 40.0)]
    assert "Limits tab" in bars[0].toolTip()  # the popup's windows are not calibrated: the tab is
    assert "Tightest limit: Claude Code 5h 86%" in app.tray.toolTip()
    alerts = [n for n in app.notifications if "Claude Code 5h window" in n]
    assert len(alerts) == 1 and alerts[0].startswith("While tokenlens was not running: Claude Code 5h window at 86%")
    # another scan: not told again
    app.limits.refresh()
    qtbot.waitUntil(lambda: app.limits.looks >= 2, timeout=15_000)
    assert len([n for n in app.notifications if "Claude Code 5h window" in n]) == 1
    # the Limits tab: both windows and the 5h history
    app.window.show()
    tab = app.limits_tab
    with qtbot.waitSignal(tab.loaded, timeout=15_000):
        app.window.show_tab("Limits")
    assert [tab.choice.itemText(i) for i in range(tab.choice.count())] == ["Claude Code 5h · ~/.claude",
                                                                           "Claude Code 7d · ~/.claude"]
    assert [r["used_percent"] for r in tab.chart.readings] == [70.0, 86.0]
    app.shutdown()
    # a restart: remembered, not told again
    again = make_app()
    qtbot.waitUntil(lambda: again.limits.looks >= 1, timeout=15_000)
    assert [n for n in again.notifications if "Claude Code 5h window" in n] == []


def fake_xprop(tmp_path, monkeypatch, state: str):
    import os

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "xprop"
    script.write_text("#!/bin/sh\n"
                      'if [ "$1" = "-root" ]; then echo "_NET_ACTIVE_WINDOW(WINDOW): window id # 0x3a00007"; exit 0; fi\n'
                      '[ "$2" = "0x3a00007" ] || exit 1\n'
                      f'echo "_NET_WM_STATE(ATOM) = {state}"\n')
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")


def test_fullscreen_focused_asks_the_window_manager_on_x11(tmp_path, monkeypatch):
    from tokenlens.app.limits_view import fullscreen_focused

    fake_xprop(tmp_path, monkeypatch, "_NET_WM_STATE_FULLSCREEN, _NET_WM_STATE_FOCUSED")
    assert fullscreen_focused("xcb") is True
    assert fullscreen_focused("wayland") is None  # the platform does not say


def test_fullscreen_focused_false_for_an_ordinary_window(tmp_path, monkeypatch):
    from tokenlens.app.limits_view import fullscreen_focused

    fake_xprop(tmp_path, monkeypatch, "_NET_WM_STATE_MAXIMIZED_VERT, _NET_WM_STATE_FOCUSED")
    assert fullscreen_focused("xcb") is False


@pytest.mark.usefixtures("app_env")
def test_alerts_wait_while_a_fullscreen_window_has_the_focus(qtbot, make_app, data_dir, monkeypatch):  # noqa: F811
    from tokenlens.app import limits_view

    now = int(time.time() * 1000)
    put(data_dir, reading("5h", 300, now - 2 * MIN, 96.0, now + HOUR))
    monkeypatch.setattr(limits_view, "fullscreen_focused", lambda platform: True)
    app = make_app()
    qtbot.waitUntil(lambda: app.limits.looks >= 1, timeout=15_000)
    assert [n for n in app.notifications if "Claude Code 5h" in n] == []
    monkeypatch.setattr(limits_view, "fullscreen_focused", lambda platform: False)
    app.limits.refresh()
    qtbot.waitUntil(lambda: app.limits.looks >= 2, timeout=15_000)
    told = [n for n in app.notifications if "Claude Code 5h" in n]
    assert len(told) == 1 and told[0].startswith("While tokenlens was not running: Claude Code 5h window at 96% (past 95%)")


def put_other_device(data_dir, device: str, name: str, *items):
    """Readings as a synced folder brings them (tokenlens/sync/engine.py): kept apart, per device."""
    import sqlite3

    conn = sqlite3.connect(data_dir / "ledger.db")
    with conn:
        conn.execute("INSERT INTO devices (id, name, first_seen_ms) VALUES (?, ?, 0)", [device, name])
        conn.executemany(
            "INSERT INTO device_limit_readings (device, tool, account, window, window_minutes, reading_key,"
            " observed_at_ms, last_seen_ms, used_percent, resets_at_ms, plan, source)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(device, r.tool, r.account, r.window, r.window_minutes, r.reading_key, r.observed_at_ms,
              r.last_seen_ms, r.used_percent, r.resets_at_ms, r.plan, r.source) for r in items])
    conn.close()


@pytest.mark.usefixtures("app_env")
def test_the_limits_tab_lists_another_devices_windows_by_its_name_with_their_history(qtbot, make_app,  # noqa: F811
                                                                                     data_dir):
    now = int(time.time() * 1000)
    put(data_dir, reading("5h", 300, now - 2 * MIN, 30.0, now + 2 * HOUR))
    put_other_device(data_dir, "abcdefghijklmnop", "laptop",
                     reading("7d", 10080, now - 3 * HOUR, 50.0, now + 2 * 24 * HOUR),
                     reading("7d", 10080, now - HOUR, 61.0, now + 2 * 24 * HOUR))
    app = make_app()
    app.window.show()
    tab = app.limits_tab
    with qtbot.waitSignal(tab.loaded, timeout=15_000):
        app.window.show_tab("Limits")
    assert [tab.choice.itemText(i) for i in range(tab.choice.count())] == [
        "Claude Code 5h · ~/.claude", "[laptop] Claude Code 7d · ~/.claude"]
    tab.choice.setCurrentIndex(1)
    assert [r["used_percent"] for r in tab.chart.readings] == [50.0, 61.0]
    assert "laptop's own usage" in tab.calibration.text()
    bars = [b for b in tab.bars.bars if b.isVisibleTo(tab.bars)]
    assert [(b.status.device, b.status.used_percent) for b in bars] == [("", 30.0), ("laptop", 61.0)]
    # the popup and the alerts are this device's windows only
    qtbot.waitUntil(lambda: app.limits.looks >= 1, timeout=15_000)
    assert [b.status.window for b in app.limits.bars.bars if b.isVisibleTo(app.limits.bars)] == ["5h"]
    app.shutdown()


@pytest.mark.usefixtures("app_env")
def test_a_shut_down_app_reads_no_more_windows_and_tells_no_alerts(qtbot, make_app, data_dir):  # noqa: F811
    """The minute's re-read stops with the app: a test suite (or a restart in one process)
    must not have a closed app's timer painting bars and raising alerts later."""
    now = int(time.time() * 1000)
    put(data_dir, reading("5h", 300, now - 2 * MIN, 97.0, now + 2 * HOUR))
    app = make_app()
    qtbot.waitUntil(lambda: app.limits.looks >= 1, timeout=15_000)
    app.shutdown()
    looks, told = app.limits.looks, len(app.notifications)
    assert not app.limits._timer.isActive()
    app.limits.refresh()
    app.limits._paint([status(99.0, now + HOUR, now)], now, fullscreen=False)
    qtbot.wait(300)
    assert (app.limits.looks, len(app.notifications)) == (looks, told)
