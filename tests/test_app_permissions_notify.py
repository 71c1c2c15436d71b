"""A high-risk grant that appears between two permissions scans is told once: by the tray, or
by the window's banner where there is no tray (offscreen). The scans run on the worker thread
(start-up and the slow periodic rescan), and the popup's risky count follows each scan at once."""

from __future__ import annotations

import json
import threading

import pytest

from tests.test_app import app_env, make_app  # noqa: F401 (fixtures)

pytest.importorskip("PySide6")
snapshots = pytest.importorskip("tokenlens.permissions.snapshots")

BYPASS = {"permissions": {"defaultMode": "bypassPermissions"}}
# Worked out from the rules: a Claude Code defaultMode of bypassPermissions is MODE-1, high.
TOLD = "New high-risk agent permission: Claude Code permissions.defaultMode = bypassPermissions. See Permissions."


def write_claude_settings(home, content: dict) -> None:
    path = home / ".claude" / "settings.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(content))


@pytest.fixture
def fast_rescan(monkeypatch):
    from tokenlens.app import live

    monkeypatch.setattr(live, "RESCAN_MS", 300)  # the real periodic timer, just not 5 minutes


@pytest.fixture
def scan_threads(monkeypatch):
    threads = []
    real = snapshots.run_scan

    def spy(*args, **kwargs):
        threads.append(threading.current_thread())
        return real(*args, **kwargs)

    monkeypatch.setattr(snapshots, "run_scan", spy)
    return threads


def test_new_high_risk_grant_is_told_once_not_on_every_rescan(qtbot, fast_rescan, scan_threads, make_app, home, data_dir):  # noqa: F811
    write_claude_settings(home, {"permissions": {"allow": ["Bash(npm test)"]}})
    app = make_app()
    qtbot.waitUntil(lambda: app.permission_scans_completed >= 2, timeout=15_000)
    assert app.notifications == []  # the first scan is an inventory, and nothing changed since
    assert app.popup.risky.text() == "No risky agent grants found"

    write_claude_settings(home, {"permissions": {"allow": ["Bash(npm test)"], **BYPASS["permissions"]}})
    qtbot.waitUntil(lambda: bool(app.notifications), timeout=15_000)
    assert app.notifications == [TOLD]
    assert app.window.banner.text() == TOLD and app.window.isVisible()  # no tray offscreen
    assert app.popup.risky.text().startswith("⚠ 1 risky agent grant")

    seen = app.permission_scans_completed
    qtbot.waitUntil(lambda: app.permission_scans_completed >= seen + 3, timeout=15_000)
    assert app.notifications == [TOLD]  # rescans that change nothing stay quiet
    assert scan_threads and all(t is not threading.main_thread() for t in scan_threads)

    # Nor again after a restart: the snapshot it told about is remembered.
    app.shutdown()
    again = make_app()
    qtbot.waitUntil(lambda: again.permission_scans_completed >= 1, timeout=15_000)
    assert again.notifications == []


def test_a_grant_that_turns_high_later_is_told_again(qtbot, make_app, home):  # noqa: F811
    write_claude_settings(home, BYPASS)
    app = make_app()
    qtbot.waitUntil(lambda: app.permission_scans_completed >= 1, timeout=15_000)
    assert app.notifications == []  # present from the first scan: inventory, not news

    write_claude_settings(home, {"permissions": {"defaultMode": "default"}})
    app.live.scan_permissions()
    qtbot.waitUntil(lambda: app.permission_scans_completed >= 2, timeout=15_000)
    assert app.notifications == [] and app.popup.risky.text() == "No risky agent grants found"

    write_claude_settings(home, BYPASS)
    app.live.scan_permissions()
    qtbot.waitUntil(lambda: bool(app.notifications), timeout=15_000)
    assert app.notifications == [TOLD]


def test_popup_count_follows_a_permissions_scan_without_a_usage_scan(qtbot, make_app, home):  # noqa: F811
    app = make_app()
    qtbot.waitUntil(lambda: app.permission_scans_completed >= 1, timeout=15_000)
    app.act_pause.trigger()  # no watcher, no periodic scans: only the scans started below
    usage_scans = app.scans_completed

    write_claude_settings(home, BYPASS)
    app.live.scan_permissions()
    qtbot.waitUntil(lambda: app.permission_scans_completed >= 2, timeout=15_000)
    assert app.popup.risky.text().startswith("⚠ 1 risky agent grant")

    # The Permissions tab's own "Scan now" updates the popup too (and tells about the new grant once).
    codex = home / ".codex" / "config.toml"
    codex.parent.mkdir(parents=True)
    codex.write_text('approval_policy = "never"\nsandbox_mode = "danger-full-access"\n')
    tab = app.window.permissions
    with qtbot.waitSignal(tab.loaded, timeout=30_000):
        tab.refresh()
    assert app.popup.risky.text().startswith("⚠ 3 risky agent grants")
    assert app.scans_completed == usage_scans
    assert len(app.notifications) == 2 and app.notifications[1].startswith("2 new high-risk agent permissions: Codex")
