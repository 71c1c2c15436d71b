"""The app's first start over a long history: today's numbers are painted from a first pass
over today's files, then the rest is read newest first with its progress in the window, the
popup and the tooltip, relayed from the worker and painted on the GUI thread only."""

from __future__ import annotations

import os

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import QThread  # noqa: E402

from tests.test_app import add_usage, app_env, local_noon, make_app, minutes_ago_today  # noqa: E402, F401
from tokenlens.app import live  # noqa: E402
from tokenlens.insights import format_tokens  # noqa: E402

OLD_FILES = 30
EVENTS_PER_OLD_FILE = 3


def old_history(home) -> None:
    """OLD_FILES transcripts of weeks ago, each last written on its day."""
    for f in range(OLD_FILES):
        day = local_noon(21 + f)
        for e in range(EVENTS_PER_OLD_FILE):
            add_usage(home, day.replace(minute=e), f"old{f}-{e}", inp=500, out=500, cost=0.01,
                      session=f"old{f}", log=f"old{f}")
        stamp = day.replace(minute=30).timestamp()
        os.utime(home / ".claude/projects/-home-me-proj" / f"old{f}.jsonl", (stamp, stamp))


@pytest.fixture
def two_passes(monkeypatch):
    """Any history left over after today's files makes a second pass (the real threshold is
    32 MiB), and every file's progress reaches the GUI (no 8 MiB floor, no throttle)."""
    monkeypatch.setattr(live, "TWO_PASS_MIN_BYTES", 1)
    monkeypatch.setattr(live, "PROGRESS_MIN_BYTES", 0)
    monkeypatch.setattr(live, "PROGRESS_EVERY_S", 0)


def test_today_is_painted_from_the_first_pass_before_the_history_is_read(qtbot, two_passes, make_app, home):  # noqa: F811
    old_history(home)
    add_usage(home, minutes_ago_today(5), "today1", inp=1000, out=234, cost=0.5)
    app = make_app(start=False)
    seen = []  # after the app painted each delivery (its slot was connected first)
    app.live.updated.connect(lambda o: seen.append(
        (o.filling, o.first_scan, o.glance.events_total, app.tray.toolTip(), app.scans_completed, app.welcome)))
    app.start()
    qtbot.waitUntil(lambda: app.scans_completed >= 1, timeout=15_000)

    assert [(filling, first) for filling, first, *_ in seen] == [(True, False), (False, True)]
    _, _, events, tooltip, completed, welcome = seen[0]
    assert events == 1  # only today's file was read: the old ones wait for pass two
    assert f"Today: {format_tokens(1234)} tokens" in tooltip
    assert "7-day average: reading history…" in tooltip  # not a too-low average
    assert completed == 0 and welcome is None  # the welcome waits for the whole first scan
    _, _, events, tooltip, completed, welcome = seen[1]
    assert events == 1 + OLD_FILES * EVENTS_PER_OLD_FILE
    assert "reading history" not in tooltip and "7-day average: " in tooltip
    assert completed == 1 and welcome is not None
    assert app.popup.today_value.text() == f"{format_tokens(1234)} tokens"


def test_the_history_pass_shows_its_progress_in_the_window_then_hides_it(qtbot, two_passes, make_app, home):  # noqa: F811
    old_history(home)
    add_usage(home, minutes_ago_today(5), "today1", inp=1000, out=234, cost=0.5)
    app = make_app(start=False)
    app.open_window()
    gui = QThread.currentThread()
    progress = app.window.progress
    painted = []
    progress.bar.valueChanged.connect(lambda value: painted.append(
        (value, progress.label.text(), QThread.currentThread() is gui, app.filling, app.tray.toolTip(),
         app.popup.progress.text())))
    app.start()
    qtbot.waitUntil(lambda: app.scans_completed >= 1, timeout=15_000)

    during = [p for p in painted if p[3]]  # painted while pass two read the old files
    assert any(0 < value < progress.STEPS for value, *_ in during)
    assert during[-1][0] == progress.STEPS
    assert all(on_gui for _, _, on_gui, *_ in painted)
    assert "newest first" in during[-1][1] and "% (" in during[-1][1]
    assert any("reading history… " in tooltip and " %" in tooltip for *_, tooltip, _ in during)
    assert all(text.startswith("Reading your history: ") for *_, text in during)
    assert progress.isHidden() and app.popup.progress.isHidden()
    assert "reading history" not in app.tray.toolTip()


def test_a_short_history_is_read_in_one_delivery(qtbot, make_app, home):  # noqa: F811
    """Under the real threshold the first scan is one job, one outcome, as before."""
    old_history(home)
    add_usage(home, minutes_ago_today(5), "today1", inp=1000, out=234, cost=0.5)
    app = make_app(start=False)
    seen = []
    app.live.updated.connect(lambda o: seen.append((o.filling, o.first_scan, o.glance.events_total)))
    app.start()
    qtbot.waitUntil(lambda: app.scans_completed >= 1, timeout=15_000)
    assert seen == [(False, True, 1 + OLD_FILES * EVENTS_PER_OLD_FILE)]
    assert app.window.progress.isHidden()


def test_progress_is_passed_on_at_most_ten_times_a_second_start_and_end_always():
    clock = [0.0]
    sent = []
    advanced = live.throttled(lambda done, total: sent.append((clock[0], done)), min_bytes=100, every_s=0.1,
                              clock=lambda: clock[0])
    advanced(0, 50)  # a small scan: nothing to show
    for done in range(0, 1001, 10):  # 101 calls over half a second of (fake) time
        advanced(done, 1000)
        clock[0] += 0.005
    assert sent[0] == (0.0, 0) and sent[-1][1] == 1000
    between = sent[:-1]  # the end is passed on however soon it comes
    assert all(later - earlier >= 0.1 for (earlier, _), (later, _) in zip(between, between[1:], strict=False))
    assert 5 <= len(sent) <= 7
