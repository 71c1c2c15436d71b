"""Live ledger: file-system hints -> debounced incremental scan in the background -> UI.

- watchdog observes each source's directories recursively. Its callbacks run on the
  observer's thread, so they only emit a Qt signal (queued to the main thread); events are
  hints, never data.
- Hints are coalesced: the first starts a single-shot timer that later ones do not restart,
  so a tool writing many lines a second costs at most one scan a second, and the tray is
  at most that late. Then `scan_job` runs through tokenlens.app.tasks (the app's one way
  off the GUI thread) on a ledger connection of its own, runs `tokenlens.ingest.scan` and
  computes today's glance from the same connection. One scan at a time: hints during a
  scan ask for one more after it.
- A scan prompted only by files being written reads just those files (`scan(only=...)`, no
  walk of every log folder); a file or folder created, moved or deleted, the periodic
  rescan, "Scan now" and the first scan look at everything. The price table is loaded
  once for the app's life (one `Pricer`), not once per scan.
- The first scan comes in two passes when the history is long: pass one reads only the files
  changed since the start of the local day (less a margin for clock skew: a file last written
  before today cannot hold today's events) and its glance is painted at once, marked
  `filling`; pass two reads everything else, newest first (tokenlens.ingest.plan). A history
  with little left over after pass one is read whole in one job, as one outcome.
- A scan with much to read reports its progress: `scan(advanced=...)` on the worker thread,
  throttled there, relayed to the GUI thread by a queued signal (`progressed`); the GUI
  thread only paints it.
- A slow periodic rescan catches what the kernel dropped (inotify overflow, suspend, roots
  created later), and re-reads the agents' permission configs (also read once at start,
  after the first usage scan, whose projects it looks in): `permissions_job`, the same job
  the Permissions tab runs.
  At rest nothing runs: no timers tick faster than that.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot

from tokenlens.app.tasks import Latest
from tokenlens.config import Env

log = logging.getLogger(__name__)

COALESCE_MS = 1000
RESCAN_MS = 5 * 60 * 1000
# Events that mean a file's content or presence changed. Reading a file (as our own scan
# does) raises opened/closed_no_write events: reacting to those would loop forever.
CHANGE_EVENTS = frozenset({"modified", "created", "moved", "deleted", "closed"})
WRITE_EVENTS = frozenset({"modified", "closed"})  # an existing file written: read just that file
# The first scan's pass one reads files changed since local midnight less this (clock skew,
# a file closed just before midnight with its last lines after it).
TODAY_MARGIN_NS = 3600 * 10**9
# Below this much left for pass two, the first scan reads everything in one job: a second
# delivery would only flicker.
TWO_PASS_MIN_BYTES = 32 << 20
# A scan shows its progress only with this much to read, at most every PROGRESS_EVERY_S.
PROGRESS_MIN_BYTES = 8 << 20
PROGRESS_EVERY_S = 0.1


@dataclass
class ScanOutcome:
    """What one background scan produced, handed to the main thread."""

    glance: object  # tokenlens.insights.Glance
    events_added: int = 0
    risky_grants: int | None = None
    sources: list[dict] = field(default_factory=list)
    retention: list[dict] = field(default_factory=list)  # how long the tools keep their logs
    errors: list[str] = field(default_factory=list)
    # {source id: [{"path", "reason", ...}]}: log folders/files the scan could not read, as
    # the scan found them (the GUI thread never walks the file system to learn this).
    unreadable: dict[str, list[dict]] = field(default_factory=dict)
    first_scan: bool = False
    focused: bool = False  # read only files a watcher named: `unreadable` covers only their sources
    changed: bool = False  # some file had new data (events added, or updated: a streamed response)
    # The first scan's pass one: today's files only, the rest of the history still to read
    # (`deferred_bytes` of it). Its glance has today right; earlier days fill in after.
    filling: bool = False
    deferred_bytes: int = 0
    limit_readings: int = 0  # plan-window readings among what was read


@dataclass
class PermissionsOutcome:
    """One permissions scan (by the worker or the Permissions tab), for the main thread."""

    scan_id: int | None  # the snapshot it confirmed or created
    risky: int | None
    new_high: list[dict] = field(default_factory=list)  # grant_json of grants new (or newly high) in it


def risky_grants(db) -> int | None:
    """How many risky agent grants the latest permissions snapshot holds; None if unknown."""
    from tokenlens.permissions.snapshots import latest_summary
    from tokenlens.store.queries import has_perm_scan

    try:
        if not has_perm_scan(db):
            return None  # permissions never scanned: "no risky grants" would be a guess
        summary = latest_summary(db)
    except Exception:  # a ledger that cannot answer must not take the usage numbers down: logged
        log.exception("permissions summary failed")
        return None
    return count_risky(summary)


def count_risky(summary: dict[str, int] | None) -> int | None:
    """The risky count of a permissions summary (`Snapshot.summary` / `latest_summary`:
    grants per risk level); "risky" means high. None stays None (never scanned)."""
    if summary is None:
        return None
    return summary["high"]


def scan_job(data_dir: Path, env: Env, disabled_sources, tz_name: str, first_scan: bool,
             only: set[Path] | None = None, pricer=None, today_first: bool = False,
             advanced: Callable[[int, int], None] | None = None) -> ScanOutcome:
    """One background scan and the glance after it (tasks.Latest runs it off the GUI thread).

    `only`: read just these changed files (see tokenlens.ingest.scan). `today_first`: the
    first scan's pass one; when much is left for later its outcome is `filling` (not yet the
    first scan's), else the rest is read here too. `advanced(done, total)`: progress, called
    on this thread (see tokenlens.ingest.scan)."""
    from tokenlens import insights
    from tokenlens.app.tasks import open_read_ledger
    from tokenlens.ingest import scan
    from tokenlens.reports import ReportError, get_zone
    from tokenlens.status import log_retention, sources_status
    from tokenlens.tools import all_sources

    try:
        zone = get_zone(tz_name or None)
    except ReportError:
        zone = get_zone(None)
    db = open_read_ledger(data_dir)
    try:
        off = set(disabled_sources or ())
        chosen = [s for s in all_sources() if s.id not in off]
        since = today_cutoff_ns(zone, insights.now_ms()) if today_first else None
        result = scan(db, env, chosen, pricer=pricer, only=only, advanced=advanced, modified_since_ns=since)
        added, read, readings = result.events_added, _files_read(result), result.limit_readings
        filling = result.deferred_bytes >= TWO_PASS_MIN_BYTES
        if result.deferred_files and not filling:
            result = scan(db, env, chosen, pricer=pricer, advanced=advanced)
            added, read = added + result.events_added, read + _files_read(result)
            readings += result.limit_readings
        first_scan = first_scan and not filling
        if first_scan and pricer is not None:
            pricer.preload()  # now, at rest, rather than in the first scan while a tool writes
        outcome = ScanOutcome(
            glance=insights.glance(db, zone),
            events_added=added,
            risky_grants=risky_grants(db),
            errors=[e for s in result.sources.values() for e in s.errors],
            unreadable=result.unreadable,
            first_scan=first_scan,
            focused=only is not None,
            changed=read > 0,
            filling=filling,
            deferred_bytes=result.deferred_bytes if filling else 0,
            limit_readings=readings,
        )
        if first_scan:
            outcome.sources = sources_status(db, env, disabled=off, unreadable=result.unreadable)
            outcome.retention = log_retention(env, off)
        return outcome
    finally:
        db.conn.close()


def _files_read(result) -> int:
    return sum(s.files_read for s in result.sources.values())


def today_cutoff_ns(zone, at_ms: int) -> int:
    """Pass one's `modified_since_ns`: the start of the local day at `at_ms`, less the margin."""
    from tokenlens import insights

    today = insights.local_day(zone, at_ms)
    return insights.day_range_ms(zone, today, today)[0] * 1_000_000 - TODAY_MARGIN_NS


def throttled(emit: Callable[[int, int], None], min_bytes: int, every_s: float,
              clock: Callable[[], float] = time.monotonic) -> Callable[[int, int], None]:
    """`scan(advanced=...)` that passes (done, total) on at most once per `every_s` (the
    start and the end always), and nothing for a scan with under `min_bytes` to read: a GUI
    repainting for every small file would cost more than the reading."""
    last: list[float | None] = [None]

    def advanced(done: int, total: int) -> None:
        if total < min_bytes:
            return
        now = clock()
        if 0 < done < total and last[0] is not None and now - last[0] < every_s:
            return
        last[0] = now
        emit(done, total)

    return advanced


class _ProgressRelay(QObject):
    """Lives on the GUI thread; a scan's worker emits `moved`, which arrives queued here."""

    # (bytes read, bytes to read); objects, as a 5 GB history overflows Qt's 32-bit int
    moved = Signal(object, object)


def permissions_job(data_dir: Path, env: Env) -> PermissionsOutcome:
    """Snapshot the agents' permission configs (read-only) into the ledger."""
    from tokenlens.app.tasks import open_read_ledger
    from tokenlens.permissions import snapshots

    db = open_read_ledger(data_dir)
    try:
        snap = snapshots.run_scan(db, env, data_dir)
        return PermissionsOutcome(
            scan_id=snap.scan_id,
            risky=count_risky(snap.summary),
            new_high=[snapshots.grant_json(g) for g in snapshots.new_high_risk_grants(db)],
        )
    finally:
        db.conn.close()


class _HintBridge(QObject):
    """watchdog handler whose callbacks (observer thread) only emit a queued signal."""

    hint = Signal(str, bool)  # path, and whether it only says "this file was written"

    def dispatch(self, event) -> None:
        if event.event_type in CHANGE_EVENTS:
            # A folder "modified" (watchdog's note after a file in it changed) adds nothing: a
            # file created, moved or deleted in it has an event of its own.
            self.hint.emit(str(event.src_path), event.event_type in WRITE_EVENTS)


def watch_plan(roots: list[Path]) -> list[tuple[Path, bool]]:
    """(path, recursive) to observe: each existing root recursively; for a missing root its
    nearest existing parent, non-recursively, so its creation is noticed."""
    plan: dict[Path, bool] = {}
    for root in roots:
        if _is_dir(root):
            plan[root] = True
            continue
        parent = root.parent
        while not _is_dir(parent) and parent != parent.parent:
            parent = parent.parent
        if _is_dir(parent):
            plan.setdefault(parent, False)
    # drop paths already covered by a recursive parent
    covered = [p for p, rec in plan.items() if rec]
    return sorted(
        (p, rec) for p, rec in plan.items()
        if not any(c != p and c in p.parents for c in covered)
    )


def _is_dir(path: Path) -> bool:
    """Path.is_dir() that is False, not an exception, under a folder this user cannot search
    (the scan reports that folder as unreadable)."""
    try:
        return path.is_dir()
    except OSError:
        return False


class LiveLedger(QObject):
    """Main-thread owner of the watcher, the debounce, the periodic rescan and the worker."""

    updated = Signal(object)  # ScanOutcome, on the main thread
    failed = Signal(str)
    busy_changed = Signal(bool)
    permissions_scanned = Signal(object)  # PermissionsOutcome, on the main thread
    # (bytes read, bytes to read) of the scan under way, on the main thread; only for a scan
    # with much to read (PROGRESS_MIN_BYTES), at most ten a second
    progressed = Signal(object, object)

    def __init__(self, data_dir: Path, env: Env, settings, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._env = env
        self._settings = settings
        self._paused = False
        self._busy = False
        self._again = False
        self._observer = None
        self._plan: list[tuple[Path, bool]] = []
        self._missing_roots: list[Path] = []
        self._observer_lock = threading.Lock()
        self._data_dir = data_dir
        self._scans = Latest(self)
        self._permission_scans = Latest(self)
        self._scans_done = 0
        self._permissions_wanted = False
        self._stopped = False
        # Files written since the last scan began; None: something else changed, look at all.
        self._written: set[Path] | None = None
        self._scanning_all = True
        self._pricer = None  # made by the first scan's job, then kept: the price table loads once

        self._bridge = _HintBridge()
        self._bridge.hint.connect(self._on_hint)
        self._progress = _ProgressRelay(self)
        self._progress.moved.connect(self._on_progress, Qt.ConnectionType.QueuedConnection)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(COALESCE_MS)
        self._debounce.timeout.connect(self._scan_written)
        self._periodic = QTimer(self)
        self._periodic.setInterval(RESCAN_MS)
        self._periodic.timeout.connect(self._periodic_rescan)

    # ---- lifecycle ----------------------------------------------------------------

    def start(self) -> None:
        self._arm_watches()
        self._periodic.start()
        self.scan_now()
        self.scan_permissions()  # queued behind the usage scan: its projects are known by then

    def stop(self) -> None:
        """Stop watching and wait for the worker: called from aboutToQuit."""
        self._debounce.stop()
        self._periodic.stop()
        self._stop_observer()
        self._stopped = True  # a scan still running finishes (tasks.wait_for_all); none starts

    @property
    def paused(self) -> bool:
        return self._paused

    @property
    def busy(self) -> bool:
        return self._busy

    @property
    def running(self) -> bool:
        """Watching and scanning (until stop(), at quit)."""
        return not self._stopped

    def rearm(self) -> None:
        """Re-plan the watches (sources turned on or off, roots created or removed)."""
        self._arm_watches()

    def watched(self) -> list[tuple[Path, bool]]:
        return list(self._plan)

    def set_paused(self, paused: bool) -> None:
        if paused == self._paused:
            return
        self._paused = paused
        if paused:
            self._debounce.stop()
            self._periodic.stop()
            self._stop_observer()
        else:
            self._arm_watches()
            self._periodic.start()
            self.scan_now()

    # ---- scanning -----------------------------------------------------------------

    @Slot()
    def scan_now(self) -> None:
        """A full scan: every source's folders looked at."""
        self._written = None
        self._scan()

    @Slot()
    def _scan_written(self) -> None:
        self._scan()

    def _scan(self) -> None:
        if self._stopped:
            return
        if self._busy:
            self._again = True
            return
        self._busy = True
        self.busy_changed.emit(True)
        first = self._scans_done == 0
        only = None if first else self._written
        self._written = set()
        self._scanning_all = only is None
        self._run_job(first, only, today_first=first)

    def _run_job(self, first: bool, only: set[Path] | None, today_first: bool = False) -> None:
        data_dir, env = self._data_dir, self._env
        disabled, tz = self._settings.disabled_sources(), self._settings.tz() or ""
        if self._pricer is None:
            from tokenlens.pricing import Pricer

            self._pricer = Pricer()
        pricer = self._pricer
        # A focused scan reads a few written files: nothing worth a progress bar.
        advanced = None if only is not None else throttled(self._progress.moved.emit, PROGRESS_MIN_BYTES,
                                                           PROGRESS_EVERY_S)
        self._scans.run(lambda: scan_job(data_dir, env, disabled, tz, first, only, pricer, today_first, advanced),
                        self._on_finished, self._on_failed)

    @Slot()
    def scan_permissions(self) -> None:
        """A permissions scan in the background, after the usage scan under way (if any)."""
        if self._stopped:
            return
        if self._busy:
            self._permissions_wanted = True
            return
        data_dir, env = self._data_dir, self._env
        self._permission_scans.run(lambda: permissions_job(data_dir, env), self._on_permissions,
                                   lambda message: log.warning("permissions scan failed: %s", message))

    @Slot()
    def _periodic_rescan(self) -> None:
        self._arm_watches()  # roots created since (e.g. a first Codex session) get watched
        self.scan_now()
        self.scan_permissions()

    @Slot(object)
    def _on_permissions(self, outcome: PermissionsOutcome) -> None:
        self.permissions_scanned.emit(outcome)

    @Slot(str, bool)
    def _on_hint(self, path: str, written: bool = False) -> None:
        hinted = Path(path)
        if self._paused or not self._relevant(hinted):
            return
        if not written:
            self._written = None
        elif self._written is not None:
            self._written.add(hinted)
        if not self._debounce.isActive():  # never restarted: a steady writer still gets scans
            self._debounce.start()

    def _relevant(self, path: Path) -> bool:
        """Inside a watched root, or on the way to a root that does not exist yet (a parent
        like HOME is watched non-recursively only for that; its other traffic is noise)."""
        for watched, recursive in self._plan:
            if recursive and (path == watched or watched in path.parents):
                return True
        return any(path == root or path in root.parents for root in self._missing_roots)

    @Slot(object, object)
    def _on_progress(self, done: int, total: int) -> None:
        if self._busy:  # a late note of a scan already delivered is not painted
            self.progressed.emit(done, total)

    @Slot(object)
    def _on_finished(self, outcome: ScanOutcome) -> None:
        if outcome.filling and not self._stopped:
            # Pass two starts before pass one is painted: reading goes on while the tray paints.
            self._run_job(True, None)
            self.updated.emit(outcome)
            return
        self._finish_cycle()
        self.updated.emit(outcome)

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self._finish_cycle()
        self.failed.emit(message)

    def _finish_cycle(self) -> None:
        self._scans_done += 1
        if self._scanning_all:
            self._arm_watches()  # a root created since the last scan gets its recursive watch
        self._busy = False
        self.busy_changed.emit(False)
        if self._permissions_wanted:
            self._permissions_wanted = False
            self.scan_permissions()
        if self._again:
            self._again = False
            self._scan()

    # ---- watching -----------------------------------------------------------------

    def _roots(self) -> list[Path]:
        from tokenlens.tools import all_sources

        disabled = set(self._settings.disabled_sources())
        return [r for s in all_sources() if s.id not in disabled for r in s.roots(self._env)]

    def _arm_watches(self) -> None:
        if self._paused:
            return
        roots = self._roots()
        self._missing_roots = [r for r in roots if not _is_dir(r)]
        plan = watch_plan(roots)
        if plan == self._plan and self._observer is not None:
            return
        self._stop_observer()
        from watchdog.observers import Observer

        observer = Observer()
        for path, recursive in plan:
            try:
                observer.schedule(self._bridge, str(path), recursive=recursive)
            except OSError as exc:  # e.g. ENOSPC: out of inotify watches; the rescan still runs
                log.warning("cannot watch %s: %s", path, exc)
        observer.daemon = True
        observer.start()
        with self._observer_lock:
            self._observer, self._plan = observer, plan

    def _stop_observer(self) -> None:
        with self._observer_lock:
            observer, self._observer = self._observer, None
            self._plan = []
        if observer is not None:
            observer.stop()
            observer.join(5)
