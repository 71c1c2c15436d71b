"""A damaged ledger opens a window that says what is wrong and offers the rebuild (started
from a menu there is no terminal for a line on stderr); with no display at all, one line."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import pytest

from tests.test_app_quit import QUIT_WITHIN_S, entry_point, start, wait_for_line
from tests.test_robust_damaged import not_a_database
from tests.test_robust_support import build_corpus, run_cli

pytest.importorskip("PySide6")


@pytest.fixture
def damaged(tmp_path) -> tuple[Path, Path]:
    home = tmp_path / "home"
    build_corpus(home, claude_files=3, messages=10, codex_files=2, turns=8)
    data_dir = tmp_path / "data"
    assert run_cli(home, data_dir, "scan").returncode == 0
    not_a_database(data_dir / "ledger.db")
    return home, data_dir


def test_the_damaged_ledger_window_rebuilds_and_says_what_it_kept(qtbot, damaged):
    from tokenlens.app.damaged import DamagedLedgerDialog
    from tokenlens.config import Env
    from tokenlens.store import open_ledger

    home, data_dir = damaged
    dialog = DamagedLedgerDialog(data_dir, "ledger is damaged (file is not a database)",
                                 env=Env(environ={"HOME": str(home), "TZ": "UTC"}))
    qtbot.addWidget(dialog)
    dialog.show()
    assert "cannot be read" in dialog.text.text() and dialog.rebuild_button.isVisible()
    with qtbot.waitSignal(dialog.rebuilt, timeout=60_000) as blocker:
        dialog.rebuild_button.click()
    outcome = blocker.args[0]
    assert outcome is not None and outcome["events"] > 0
    assert f"the ledger now holds {outcome['events']}" in dialog.text.text()
    assert dialog.start_button.isVisible() and not dialog.rebuild_button.isVisible()
    assert any(p.name.startswith("ledger.db.damaged-") for p in data_dir.iterdir())
    db = open_ledger(data_dir)
    assert db.execute("SELECT COUNT(*) FROM events").fetchone()[0] == outcome["events"]
    db.conn.close()


def test_the_app_on_a_damaged_ledger_shows_that_window_instead_of_exiting(damaged, tmp_path):
    home, data_dir = damaged
    proc, log = start([entry_point("tokenlens-gui"), "--data-dir", str(data_dir)], home, tmp_path, {})
    try:
        wait_for_line(log, "damaged ledger window shown", proc)
        assert proc.poll() is None  # it waits for the person, it did not exit with status 2
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(QUIT_WITHIN_S)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert code == 0, log.read_text()
    assert "Traceback" not in log.read_text()


def test_no_display_is_one_line(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env["HOME"] = str(tmp_path)
    result = subprocess.run([entry_point("tokenlens-gui"), "--data-dir", str(tmp_path / "data")],
                            env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "tokenlens: no display: set DISPLAY (or WAYLAND_DISPLAY), or use the command line (tokenlens --help)"]
