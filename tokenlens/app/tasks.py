"""The app's one way off the GUI thread.

`Latest(owner).run(work, on_done, on_failed)` runs `work()` on a pool thread and hands its
result (or a one-line error) to `on_done` (or `on_failed`) on the GUI thread, which then only
paints. Ledger queries, keyring and D-Bus calls, scans: all go this way, so a slow disk, a
keyring prompt or a big history never freezes the window.

- `work` opens what it needs itself (its own ledger connection: `open_read_ledger`), since a
  SQLite connection must not be shared between threads at once.
- Only the newest run of a `Latest` is painted: changing a range three times quickly paints
  the third result, never a stale one after it.
- A result whose owner widget is gone is dropped, not delivered to a deleted object.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

log = logging.getLogger(__name__)

# Enough for a keyring prompt to wait in one thread while the ledger is read in another.
POOL_THREADS = 3
_pool: QThreadPool | None = None
_relay: _Relay | None = None


class _Relay(QObject):
    """Lives on the GUI thread; signals emitted to it from pool threads arrive queued there."""

    deliver = Signal(object, object)

    def __init__(self) -> None:
        super().__init__()
        self.deliver.connect(self._call)

    @Slot(object, object)
    def _call(self, callback: Callable[[Any], None], value: Any) -> None:
        callback(value)


def _shared() -> tuple[QThreadPool, _Relay]:
    global _pool, _relay
    if _pool is None:
        _pool = QThreadPool()
        _pool.setMaxThreadCount(POOL_THREADS)
        _relay = _Relay()
    return _pool, _relay


class _Job(QRunnable):
    def __init__(self, work: Callable[[], Any], done: Callable[[Any], None], failed: Callable[[str], None]) -> None:
        super().__init__()
        self.work, self.done, self.failed = work, done, failed

    def run(self) -> None:
        _, relay = _shared()
        try:
            result = self.work()
        except Exception as exc:  # noqa: BLE001 - shown as one line by the owner, never a crash
            log.exception("background job failed")
            relay.deliver.emit(self.failed, one_line(exc))
            return
        relay.deliver.emit(self.done, result)


def one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


class Latest:
    """Background runs for one owner (a tab, the popup) of which only the newest is painted."""

    def __init__(self, owner: QObject) -> None:
        self._owner = owner
        self._generation = 0
        self.running = 0

    def run(self, work: Callable[[], Any], on_done: Callable[[Any], None],
            on_failed: Callable[[str], None] | None = None) -> None:
        self._generation += 1
        generation = self._generation
        self.running += 1

        def finish(callback, value) -> None:
            self.running -= 1
            if generation != self._generation or not _alive(self._owner):
                return
            if callback is not None:
                callback(value)

        pool, _ = _shared()
        pool.start(_Job(work, lambda result: finish(on_done, result), lambda text: finish(on_failed, text)))


def _alive(obj: QObject) -> bool:
    from shiboken6 import isValid

    return isValid(obj)


def wait_for_all(timeout_ms: int = 5000) -> bool:
    """At quit: let running jobs end (their results are dropped). False if one is still stuck."""
    if _pool is None:
        return True
    return _pool.waitForDone(timeout_ms)


def open_read_ledger(data_dir: Path, devices=()):
    """A connection of the job's own. Migrations are checked as on every open (one query when
    there is nothing to do): a tab may be the first to open a new data dir. `devices`: only
    these devices' events are seen on it (the device filter; store.queries.restrict_to_devices)."""
    from tokenlens.store import open_ledger

    db = open_ledger(data_dir)
    if devices:
        from tokenlens.store.queries import restrict_to_devices

        restrict_to_devices(db, devices)
    return db
