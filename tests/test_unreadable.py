"""Issue 14: a log folder or file that exists but cannot be read is counted and named, by
`scan`, `sources` and `doctor` (text and --json) and in the tray, never skipped in silence.

Root ignores file modes, so where a mode must bite the CLI runs in a subprocess without
CAP_DAC_OVERRIDE / CAP_DAC_READ_SEARCH (setpriv), as an ordinary user would. A symlink loop
is unreadable even to root (ELOOP): it lets the in-process scan and the app's real
background scan meet a real unreadable folder.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.logs import append, claude_assistant

DROP = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", "--inh-caps=-dac_override,-dac_read_search"]


def run_as_user(home: Path, data_dir: Path, *args: str) -> subprocess.CompletedProcess:
    prefix = DROP if os.geteuid() == 0 else []
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(home), "TOKENLENS_DATA_DIR": str(data_dir),
           "LANG": "C.UTF-8", "COLUMNS": "250"}
    return subprocess.run([*prefix, sys.executable, "-m", "tokenlens", *args], capture_output=True, text=True,
                          env=env, timeout=120)


@pytest.fixture(scope="module")
def modes_bite(tmp_path_factory):
    if os.geteuid() == 0 and shutil.which("setpriv") is None:
        pytest.skip("setpriv is missing: as root, file modes cannot be made to apply")
    probe = tmp_path_factory.mktemp("probe") / "secret"
    probe.write_text("x")
    probe.chmod(0)
    prefix = DROP if os.geteuid() == 0 else []
    proc = subprocess.run([*prefix, sys.executable, "-c", f"open({str(probe)!r}).read()"], capture_output=True)
    probe.chmod(0o600)
    if proc.returncode == 0:
        pytest.skip("cannot make file modes apply to a subprocess here")


def claude_file(home: Path, project: str, name: str, events: int) -> Path:
    path = home / ".claude/projects" / project / f"{name}.jsonl"
    append(path, *[claude_assistant(f"2026-10-0{1 + i % 9}T10:00:00Z", name, f"{project}-{name}-{i}", f"r{i}",
                                    inp=100, out=10) for i in range(events)])
    return path


@pytest.fixture
def history(home: Path):
    """Three readable project folders (8 events) and one of 4 files / 20 events chmod 000."""
    claude_file(home, "-home-me-a", "s1", 3)
    claude_file(home, "-home-me-a", "s2", 3)
    claude_file(home, "-home-me-c", "s3", 2)
    locked = home / ".claude/projects/-home-me-locked"
    for n in range(4):
        claude_file(home, "-home-me-locked", f"l{n}", 5)
    locked.chmod(0)
    yield locked
    locked.chmod(0o755)


def test_scan_sources_and_doctor_name_and_count_a_mode_000_project_folder(tmp_path, home, history, modes_bite):
    locked, data_dir = history, tmp_path / "data"

    proc = run_as_user(home, data_dir, "scan", "--json")
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    claude = json.loads(proc.stdout)["sources"]["claude-code"]
    assert claude["unreadable"] == [{"path": str(locked), "reason": "permission denied", "kind": "folder"}]
    assert claude["unreadable_count"] == 1
    # Every event of the readable folders is still read; keys that existed before stay.
    assert claude["events_total"] == 8 and claude["files"] == 3
    assert {"files", "files_read", "files_missing", "events_added", "lines_skipped", "errors"} <= set(claude)
    # A root that does not exist is "not found", not unreadable.
    assert json.loads(proc.stdout)["sources"]["codex"]["unreadable"] == []

    text = run_as_user(home, data_dir, "scan")
    assert text.returncode == 0, text.stderr
    assert str(locked) in text.stdout and "permission denied" in text.stdout
    assert "1 log folder could not be read" in text.stdout
    assert "Unreadable" in text.stdout  # the table's column

    proc = run_as_user(home, data_dir, "sources", "--json")
    assert proc.returncode == 0, proc.stderr
    rows = {r["id"]: r for r in json.loads(proc.stdout)["sources"]}
    assert rows["claude-code"]["unreadable"] == [{"path": str(locked), "reason": "permission denied", "kind": "folder"}]
    assert rows["claude-code"]["unreadable_count"] == 1
    assert "could not be read" in rows["claude-code"]["note"]
    assert rows["codex"]["unreadable"] == []
    text = run_as_user(home, data_dir, "sources")
    assert text.returncode == 0, text.stderr
    assert str(locked) in text.stdout and "permission denied" in text.stdout

    proc = run_as_user(home, data_dir, "doctor", "--json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["unreadable_count"] == 1
    assert report["unreadable"] == [{"tool": "claude-code", "path": str(locked), "reason": "permission denied",
                                     "kind": "folder"}]
    text = run_as_user(home, data_dir, "doctor")
    assert text.returncode == 0, text.stderr
    assert "Unreadable log folders and files  1" in text.stdout
    assert str(locked) in text.stdout and "permission denied" in text.stdout


def test_a_mode_000_file_and_an_unsearchable_root_are_named_too(tmp_path, home, modes_bite):
    claude_file(home, "-home-me-a", "s1", 3)
    secret = claude_file(home, "-home-me-a", "secret", 4)
    codex_home = home / ".codex"
    (codex_home / "sessions/2026").mkdir(parents=True)
    secret.chmod(0)
    codex_home.chmod(0)  # the roots themselves (~/.codex/sessions...) cannot even be stat'ed
    try:
        scan = run_as_user(home, tmp_path / "data", "scan", "--json")
        sources = run_as_user(home, tmp_path / "data", "sources", "--json")
        doctor = run_as_user(home, tmp_path / "data", "doctor", "--json")
    finally:
        secret.chmod(0o644)
        codex_home.chmod(0o755)
    for proc in (scan, sources, doctor):
        assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    payload = json.loads(scan.stdout)["sources"]
    assert payload["claude-code"]["unreadable"] == [{"path": str(secret), "reason": "permission denied", "kind": "file"}]
    assert payload["claude-code"]["events_total"] == 3
    codex_paths = {u["path"] for u in payload["codex"]["unreadable"]}
    assert str(codex_home / "sessions") in codex_paths and payload["codex"]["unreadable_count"] == len(codex_paths)
    rows = {r["id"]: r for r in json.loads(sources.stdout)["sources"]}
    assert [u["path"] for u in rows["claude-code"]["unreadable"]] == [str(secret)]
    assert str(codex_home / "sessions") in {u["path"] for u in rows["codex"]["unreadable"]}
    assert rows["codex"]["found"]  # there, only unreadable: not "none of the paths exists"
    named = {(u["tool"], u["path"]) for u in json.loads(doctor.stdout)["unreadable"]}
    assert ("claude-code", str(secret)) in named and ("codex", str(codex_home / "sessions")) in named


# ---- in-process: a symlink loop is unreadable to root as well ----------------------------


def test_the_scan_records_a_folder_it_cannot_list_and_reads_the_rest(home, env, db):
    from tokenlens.ingest import find_unreadable, scan
    from tokenlens.tools.claude_code.usage import ClaudeCode

    claude_file(home, "-home-me-a", "s1", 3)
    loop = home / ".claude/projects/-home-me-loop"
    loop.symlink_to(loop)  # ELOOP on every access
    result = scan(db, env, [ClaudeCode()])
    stats = result.sources["claude-code"]
    assert stats.unreadable == [{"path": str(loop), "reason": "too many levels of symbolic links", "kind": "path"}]
    assert result.unreadable == {"claude-code": stats.unreadable}
    assert stats.events_added == 3 and stats.errors == []
    assert find_unreadable(env, [ClaudeCode()]) == {"claude-code": stats.unreadable}


def test_a_file_gone_between_listing_and_reading_is_not_unreadable(home, env, db):
    from tokenlens.ingest import scan
    from tokenlens.tools.claude_code.usage import ClaudeCode

    claude_file(home, "-home-me-a", "s1", 3)
    doomed = claude_file(home, "-home-me-a", "s2", 3)

    def vanish(source_id, path):
        if path == doomed:
            doomed.unlink()

    stats = scan(db, env, [ClaudeCode()], progress=vanish).sources["claude-code"]
    assert stats.unreadable == []
    assert len(stats.errors) == 1 and str(doomed) in stats.errors[0]  # said as before, as gone
    assert stats.events_added == 3


def test_a_missing_root_is_not_found_not_unreadable(home, env, db):
    from tokenlens.ingest import find_unreadable, scan
    from tokenlens.tools import all_sources

    result = scan(db, env, list(all_sources()))
    assert result.unreadable == {}
    assert find_unreadable(env, list(all_sources())) == {}


def test_unreadable_text_names_the_paths_under_home():
    from tokenlens.status import unreadable_text

    home = Path("/home/me")
    two = {"claude-code": [{"path": "/home/me/.claude/projects/x", "reason": "permission denied", "kind": "folder"},
                           {"path": "/home/me/.claude/projects/y", "reason": "permission denied", "kind": "folder"}],
           "codex": [{"path": "/srv/logs/z", "reason": "permission denied", "kind": "folder"}]}
    assert unreadable_text(two, home) == ("3 log folders could not be read (permission denied):"
                                          " ~/.claude/projects/x, ~/.claude/projects/y …")
    assert unreadable_text({}, home) is None


# ---- the tray app ------------------------------------------------------------------------


@pytest.fixture
def make_app(qtbot, data_dir, home, tmp_path):
    pytest.importorskip("PySide6")
    from tokenlens.app.application import TokenlensApp
    from tokenlens.config import Env

    made = []

    def make():
        env = Env(environ={"HOME": str(home), "XDG_CONFIG_HOME": str(tmp_path / "xdg-config"),
                           "PATH": os.environ.get("PATH", "")})
        app = TokenlensApp(data_dir, env)
        made.append(app)
        app.start()
        qtbot.waitUntil(lambda: app.scans_completed >= 1, timeout=15_000)
        return app

    yield make
    for app in made:
        app.shutdown()


def badge_pixel(icon_or_pixmap, size: int = 64):
    """A point inside the warning badge, off its "!" mark."""
    from tokenlens.app.icons import badge_rect

    pixmap = icon_or_pixmap.pixmap(size, size) if hasattr(icon_or_pixmap, "availableSizes") else icon_or_pixmap
    rect = badge_rect(size)
    return pixmap.toImage().pixelColor(int(rect.left() + rect.width() * 0.22), int(rect.center().y()))


def test_warning_badge_variant_of_the_gauge(qapp):
    from tokenlens.app import icons

    assert badge_pixel(icons.paint_gauge(64, 0.5, warning=True)).name() == icons.WARNING.name().lower()
    assert badge_pixel(icons.paint_gauge(64, 0.5)).name() != icons.WARNING.name().lower()
    assert {16, 22, 64} <= {s.width() for s in icons.glance_icon(0.5, warning=True).availableSizes()}


def test_tray_warns_when_its_background_scan_meets_an_unreadable_folder(qtbot, make_app, home):
    """A real scan on the app's worker thread: the folder is a symlink loop, which even root
    cannot read (a mode-000 folder would be read by root in-process, see the next test)."""
    from tokenlens.app import icons

    claude_file(home, "-home-me-a", "s1", 3)
    loop = home / ".claude/projects/-home-me-loop"
    loop.symlink_to(loop)
    app = make_app()
    warning = "1 log folder or file could not be read (too many levels of symbolic links): ~/.claude/projects/-home-me-loop"
    assert app.unreadable == {"claude-code": [{"path": str(loop), "reason": "too many levels of symbolic links",
                                               "kind": "path"}]}
    assert warning in app.tray.toolTip()
    assert warning in app.popup.status.text() and not app.popup.status.isHidden()
    assert badge_pixel(app.tray.icon()).name() == icons.WARNING.name().lower()
    # Readable again: the next scan clears the warning and the badge.
    loop.unlink()
    app.live.scan_now()
    qtbot.waitUntil(lambda: app.unreadable == {}, timeout=15_000)
    assert "could not be read" not in app.tray.toolTip()
    assert app.popup.status.text() == ""
    assert badge_pixel(app.tray.icon()).name() != icons.WARNING.name().lower()


def test_tray_says_permission_denied_from_the_scan_result(qtbot, make_app, home, monkeypatch):
    """The pytest process runs as root and cannot drop its capabilities for the app's worker
    thread alone, so a mode-000 folder would be read here. Instead the scan result is built
    the way `ingest.scan` builds it: the walker's `note_unreadable` records the EACCES inside
    `recording_unreadable`, into a SourceScan of a ScanResult, and that ScanOutcome is what
    the background scan job returns, through the same tasks runner a real scan uses."""
    import errno

    from tokenlens.app.live import ScanOutcome
    from tokenlens.ingest import ScanResult, SourceScan
    from tokenlens.insights import glance
    from tokenlens.tools.source import note_unreadable, recording_unreadable

    app = make_app()
    projects = home / ".claude/projects"
    result = ScanResult()
    stats = result.sources["claude-code"] = SourceScan("claude-code")
    with recording_unreadable() as found:
        for name in ("x", "y"):
            note_unreadable(projects / name, PermissionError(errno.EACCES, "Permission denied"), "folder")
        note_unreadable(projects / "gone", FileNotFoundError(errno.ENOENT, "No such file"), "folder")
    stats.unreadable = list(found.values())
    outcome = ScanOutcome(glance=glance(app.read_db, app.zone()), unreadable=result.unreadable,
                          errors=[e for s in result.sources.values() for e in s.errors])
    import tokenlens.app.live as live

    monkeypatch.setattr(live, "scan_job", lambda *args: outcome)
    with qtbot.waitSignal(app.live.updated, timeout=5_000):
        app.live.scan_now()
    expected = "2 log folders could not be read (permission denied): ~/.claude/projects/x, ~/.claude/projects/y"
    assert expected in app.tray.toolTip()
    assert expected in app.popup.status.text()
    assert "gone" not in app.tray.toolTip()
