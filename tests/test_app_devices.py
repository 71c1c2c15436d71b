"""The app with several devices: Settings' Devices section starts syncing with a folder and a
passphrase, lists the devices, and the app then syncs after each scan (and on a timer) with the
key it kept; the overview splits by device. Syncs and reads run off the GUI thread."""

from __future__ import annotations

import os
import threading
from datetime import date
from pathlib import Path

import pytest

from tests.sync_support import PASSPHRASE, Device
from tokenlens.config import Env


@pytest.fixture(autouse=True)
def _file_keys(file_keys):
    pass


def test_devices_section_starts_syncing_lists_devices_and_the_app_syncs_after_scans(qtbot, tmp_path, monkeypatch):
    from tokenlens.app.application import TokenlensApp
    from tokenlens.app.devices import AFTER_SCAN_GAP_MS, SYNC_EVERY_MS
    from tokenlens.store.ledger import Ledger

    folder = tmp_path / "Sync"
    folder.mkdir()
    other = Device(tmp_path / "other", "other")
    other.claude("2026-11-20", inp=300, out=30)
    other.sync(folder, name="home desktop")
    me = Device(tmp_path / "me", "me")
    me.claude("2026-11-21", inp=40, out=4)
    me.close()
    env = Env(environ={"HOME": str(me.home), "XDG_CONFIG_HOME": str(tmp_path / "xdg"), "PATH": os.environ["PATH"]})
    app = TokenlensApp(me.data_dir, env)
    on_gui_thread: list[str] = []
    real_execute = Ledger.execute
    test_itself = threading.local()  # the test's own queries (the other device) are not the app's

    def execute(self, sql, parameters=None):
        if threading.current_thread() is threading.main_thread() and not getattr(test_itself, "on", False):
            on_gui_thread.append(sql.split(None, 3)[:3].__str__())
        return real_execute(self, sql, parameters)

    monkeypatch.setattr(Ledger, "execute", execute)
    try:
        app.start()
        qtbot.waitUntil(lambda: app.scans_completed >= 1, timeout=15_000)
        section = app.settings_tab.devices
        assert app.autosync._timer.interval() == SYNC_EVERY_MS and app.autosync._timer.isActive()
        qtbot.waitUntil(lambda: section.setup.isVisibleTo(section), timeout=10_000)  # no folder yet
        section.folder.setText(str(folder))
        section.name.setText("work laptop")
        section.passphrase.setText("not the passphrase")
        with qtbot.waitSignal(app.autosync.synced, timeout=20_000) as wrong:
            section.start_syncing()
        assert "wrong passphrase" in wrong.args[0]["error"] and "wrong passphrase" in section.status.text()
        section.passphrase.setText(PASSPHRASE)
        with qtbot.waitSignal(app.autosync.synced, timeout=20_000) as started:
            section.start_syncing()
        assert started.args[0]["events_added"] == 1 and started.args[0]["events_sent"] == 1
        assert section.passphrase.text() == ""
        qtbot.waitUntil(lambda: section.table.topLevelItemCount() == 2, timeout=10_000)
        names = sorted(section.table.topLevelItem(i).text(0) for i in range(2))
        assert names == ["home desktop", "work laptop (this device)"]
        assert not section.setup.isVisibleTo(section) and section.sync_button.isVisibleTo(section)
        # The other device's events count in the app's numbers, split by device on request.
        window = app.window
        window.overview.split_by.setCurrentIndex(window.overview.split_by.findData("device"))
        # New usage on the other device arrives with the sync that follows this device's next scan.
        other.claude("2026-11-22", inp=5, out=5)
        test_itself.on = True
        other.sync(folder)
        test_itself.on = False
        qtbot.waitUntil(lambda: not app.live.busy and not app.autosync._busy, timeout=20_000)
        # Scans come seconds apart while a tool writes; syncs at most every gap after the last.
        assert app.autosync.after_scan_gap_ms == AFTER_SCAN_GAP_MS
        app.autosync.after_scan()
        assert app.autosync._deferred.isActive() and not app.autosync._busy
        app.autosync.after_scan_gap_ms = 0
        results: list[dict] = []
        app.autosync.synced.connect(results.append)
        app.live.scan_now()
        qtbot.waitUntil(lambda: any(r.get("events_added") == 1 for r in results), timeout=20_000)
        # The device filter: hidden until there are two devices, then every query of the tab
        # sees only the chosen one's events.
        overview, sessions = window.overview, window.sessions
        qtbot.waitUntil(lambda: overview.device.count() == 3, timeout=10_000)
        assert overview.device.isVisibleTo(window)
        with qtbot.waitSignal(overview.loaded, timeout=20_000):
            overview.device.setCurrentIndex(overview.device.findText("home desktop"))
        assert overview.summary.text().startswith("340 tokens")
        with qtbot.waitSignal(overview.loaded, timeout=20_000):
            overview.device.setCurrentIndex(overview.device.findData(""))
        assert overview.summary.text().startswith("44 tokens")
        with qtbot.waitSignal(sessions.loaded, timeout=20_000):
            sessions.refresh()
        assert sessions.model.rowCount() == 2
        qtbot.waitUntil(lambda: sessions.device.count() == 3, timeout=10_000)
        with qtbot.waitSignal(sessions.loaded, timeout=20_000):
            sessions.device.setCurrentIndex(sessions.device.findText("home desktop"))
        assert sessions.model.rowCount() == 1
        from tokenlens import insights
        from tokenlens.app.tasks import open_read_ledger

        test_itself.on = True
        db = open_read_ledger(me.data_dir)
        series = insights.daily_series(db, app.zone(), date(2026, 11, 19), date(2026, 11, 23), by="device")
        db.conn.close()
        assert sorted(series.groups) == ["home desktop", "work laptop"]
        assert sum(series.value(d, "home desktop", "tokens") for d in series.days) == 340
        assert sum(series.value(d, "work laptop", "tokens") for d in series.days) == 44
    finally:
        monkeypatch.setattr(Ledger, "execute", real_execute)
        app.shutdown()
        other.close()
    assert on_gui_thread == []


def test_without_a_folder_the_autosync_does_nothing(qtbot, tmp_path: Path):
    from tokenlens.app.devices import sync_job
    from tokenlens.store.queries import restrict_to_devices

    me = Device(tmp_path / "me", "me")
    assert sync_job(me.data_dir) is None
    with pytest.raises(ValueError):
        restrict_to_devices(me.db, ["x') OR 1=1 --"])  # only device ids are ever inlined
    me.close()
