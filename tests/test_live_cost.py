"""What the app does about once a second while a tool writes (issue 19's live cost): a
watcher's scan of one written file looks up only that file, counts no events, and the plan
windows are re-read only when the scan brought readings; the tray icon is repainted only
when it would look different."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.logs import append, claude_assistant, codex_meta, codex_tokens, codex_turn
from tests.test_app import add_usage, app_env, make_app, minutes_ago_today  # noqa: F401 - fixtures
from tokenlens.ingest import scan
from tokenlens.store import open_ledger


def statements_during(db, work) -> list[str]:
    seen: list[str] = []
    db.conn.set_trace_callback(seen.append)
    try:
        work()
    finally:
        db.conn.set_trace_callback(None)
    return seen


def test_a_focused_scan_reads_its_file_without_the_whole_files_table_or_event_counts(tmp_path, home, env):
    written = home / ".claude/projects/-p/a.jsonl"
    for name in "abcdefgh":  # files the ledger knows besides the written one
        append(home / f".claude/projects/-p/{name}.jsonl",
               claude_assistant("2026-11-01T10:00:00.000Z", name, f"m{name}", f"r{name}", inp=1, out=10))
    db = open_ledger(tmp_path / "l")
    scan(db, env)
    append(written, claude_assistant("2026-11-01T10:01:00.000Z", "a", "ma2", "ra2", inp=1, out=100))
    sql = statements_during(db, lambda: scan(db, env, only=[written]))
    assert not [s for s in sql if "FROM files" in s and "WHERE" not in s], "the whole files table was read"
    assert not [s for s in sql if "COUNT(*) FROM events" in s]
    assert db.execute("SELECT SUM(output_tokens) FROM events").fetchone()[0] == 8 * 10 + 100
    db.conn.close()


def test_a_scan_counts_the_plan_window_readings_it_read(tmp_path, home, env):
    sid = "0197a0c0-1111-7000-8000-000000000009"
    rollout = home / f".codex/sessions/2026/11/01/rollout-2026-11-01T10-00-00-{sid}.jsonl"
    append(rollout, codex_meta("2026-11-01T10:00:00.000Z", sid), codex_turn("2026-11-01T10:00:01.000Z"),
           codex_tokens("2026-11-01T10:00:02.000Z", (100, 0, 10, 0), (100, 0, 10, 0)))
    claude = home / ".claude/projects/-p/s.jsonl"
    append(claude, claude_assistant("2026-11-01T10:00:00.000Z", "s", "m1", "r1", inp=1, out=2))
    db = open_ledger(tmp_path / "l")
    assert scan(db, env).limit_readings == 1
    append(claude, claude_assistant("2026-11-01T10:05:00.000Z", "s", "m2", "r2", inp=1, out=2))
    assert scan(db, env, only=[claude]).limit_readings == 0
    db.conn.close()


@pytest.mark.usefixtures("app_env")
def test_the_windows_are_read_again_only_after_a_scan_that_brought_readings(qtbot, make_app, home):  # noqa: F811
    add_usage(home, minutes_ago_today(5), "first", inp=1000, out=1000, cost=0.5)
    app = make_app()
    qtbot.waitUntil(lambda: app.limits.looks >= 1, timeout=15_000)
    looks = app.limits.looks
    outcomes = []
    app.live.updated.connect(outcomes.append)
    add_usage(home, datetime.now(UTC), "second", inp=10, out=10, cost=0.01)
    qtbot.waitUntil(lambda: any(o.focused for o in outcomes), timeout=10_000)
    qtbot.wait(300)
    assert app.limits.looks == looks  # Claude Code's transcript holds no window readings
    now = datetime.now(UTC)
    stamp = (now - timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    sid = "0197a0c0-1111-7000-8000-00000000000a"
    rollout = home / now.strftime(".codex/sessions/%Y/%m/%d/") / f"rollout-{now:%Y-%m-%dT%H-%M-%S}-{sid}.jsonl"
    append(rollout, codex_meta(stamp, sid), codex_turn(stamp), codex_tokens(stamp, (100, 0, 10, 0), (100, 0, 10, 0)))
    qtbot.waitUntil(lambda: app.limits.looks > looks, timeout=15_000)
    app.shutdown()


@pytest.mark.usefixtures("app_env")
def test_the_tray_icon_is_painted_again_only_when_it_would_look_different(qtbot, make_app, home,  # noqa: F811
                                                                          monkeypatch):
    add_usage(home, minutes_ago_today(5), "first", inp=1000, out=1000, cost=0.5)
    app = make_app()
    painted = []
    real = app.tray.setIcon
    monkeypatch.setattr(app.tray, "setIcon", lambda icon: (painted.append(icon), real(icon)))
    app._render_glance()
    app._render_glance()
    assert painted == []  # the same glance as the first scan painted
    app.live.set_paused(True)  # the ring looks paused: painted once
    app._render_glance()
    app._render_glance()
    assert len(painted) == 1
    app.shutdown()


def test_a_tabs_device_filter_lists_the_devices_without_reading_the_events(tmp_path, monkeypatch):
    """The Overview and Sessions tabs reload their device filter with every refresh: it asks
    the devices table, never the events (devices_overview counts them for the Devices page)."""
    import tokenlens.app.devices as devices

    db = open_ledger(tmp_path / "l")
    with db.conn:
        db.execute("INSERT INTO devices (id, name, first_seen_ms) VALUES ('abcdefghijklmnop', 'laptop', 0)")
    db.conn.close()
    seen: list[str] = []
    real = devices.open_read_ledger

    def traced(data_dir, *args):
        ledger = real(data_dir, *args)
        ledger.conn.set_trace_callback(seen.append)
        return ledger

    monkeypatch.setattr(devices, "open_read_ledger", traced)
    data = devices.device_choices_job(tmp_path / "l")
    assert [d["name"] for d in data["devices"]] == ["laptop"]
    assert seen and not [s for s in seen if "FROM events" in s]


def test_the_overview_works_out_its_hour_of_week_grid_once(tmp_path, home, env, monkeypatch):
    """The Overview is re-read about every 2 s while a tool writes: its signals reuse the grid
    it paints instead of asking the ledger for it again."""
    from datetime import date

    from tokenlens import insights
    from tokenlens.app import main_window
    from tokenlens.reports import get_zone

    append(home / ".claude/projects/-p/a.jsonl",
           claude_assistant("2026-11-01T10:00:00.000Z", "a", "m1", "r1", inp=1, out=10))
    db = open_ledger(tmp_path / "l")
    scan(db, env)
    db.conn.close()
    calls = []
    real = insights.hour_of_week
    monkeypatch.setattr(insights, "hour_of_week", lambda *a, **k: calls.append(a) or real(*a, **k))
    data = main_window.overview_data(tmp_path / "l", get_zone("UTC"), date(2026, 10, 20), date(2026, 11, 2), "tool")
    assert len(calls) == 1
    assert data["signals"].busiest_hours and data["hours"][6][10] == 11  # 2026-11-01 is a Sunday, 10:00 UTC
