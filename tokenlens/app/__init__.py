"""The only Qt code in tokenlens: tray icon, popup, main window and the live-ingest thread.

`run_app` is what `tokenlens` with no command runs. Everything heavy is imported inside it,
so importing this package (e.g. for the CLI's help) costs nothing.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
from pathlib import Path

# Must run before any other Qt use: see qtfix (PySide6 6.12.0 on Python 3.11 drops references).
from tokenlens.app import qtfix as _qtfix  # noqa: E402, F401

LOG_ENV = "TOKENLENS_LOG"


def run_app(data_dir: Path) -> int:
    """Start the tray app on `data_dir`; returns the process exit status."""
    stop = _StopOnSignals()  # first thing: a SIGTERM during start-up must not be lost
    level = os.environ.get(LOG_ENV, "WARNING").upper()
    logging.basicConfig(level=getattr(logging, level, logging.WARNING), format="tokenlens: %(message)s")
    _never_autolaunch_a_bus()
    missing = _no_display()
    if missing:
        print(f"tokenlens: {missing}", file=sys.stderr)
        return 2

    from PySide6.QtWidgets import QApplication

    from tokenlens.app.single_instance import InstanceServer, ask_running_to_show, server_name

    # argv[0] names the X11 window class; "tokenlens", not "__main__.py".
    app = QApplication.instance() or QApplication(["tokenlens"])
    app.setApplicationName("tokenlens")
    app.setApplicationDisplayName("tokenlens")
    app.setDesktopFileName("tokenlens")
    # The tray keeps running when its windows close (Qt's systray example).
    app.setQuitOnLastWindowClosed(False)

    name = server_name(data_dir)
    if ask_running_to_show(name):
        print("tokenlens is already running; its window was brought to the front.", file=sys.stderr)
        return 0
    if stop.requested:
        return 0

    from tokenlens.app.application import TokenlensApp
    from tokenlens.app.icons import app_icon

    app.setWindowIcon(app_icon())
    stop.attach(app)
    controller = _open(TokenlensApp, Path(data_dir), stop)
    if controller is None:
        return 0 if stop.requested else 2
    server = InstanceServer(name)
    server.show_requested.connect(controller.open_window)
    if not server.listen():
        logging.getLogger(__name__).warning("single-instance server could not listen on %s", name)
    app.aboutToQuit.connect(controller.shutdown)
    app.aboutToQuit.connect(server.close)
    controller.start()
    return app.exec()


def _open(controller_class, data_dir: Path, stop):
    """The app's controller; for a damaged ledger first the window that offers the rebuild,
    for any other ledger problem a window that says it (no terminal may be there to read
    stderr). None when the person quits there, or the problem stays."""
    from PySide6.QtWidgets import QMessageBox

    from tokenlens.store import LedgerError
    from tokenlens.store.ledger import LedgerDamaged

    try:
        return controller_class(data_dir)
    except LedgerDamaged as exc:
        from tokenlens.app.damaged import DamagedLedgerDialog

        print(f"tokenlens: {exc}", file=sys.stderr)
        dialog = DamagedLedgerDialog(data_dir, str(exc))
        dialog.show()
        logging.getLogger(__name__).info("damaged ledger window shown")
        if dialog.exec() != dialog.DialogCode.Accepted or stop.requested:
            return None
    except LedgerError as exc:
        print(f"tokenlens: {exc}", file=sys.stderr)
        if not stop.requested:
            QMessageBox.critical(None, "tokenlens cannot start", str(exc))
        return None
    try:
        return controller_class(data_dir)
    except LedgerError as exc:
        print(f"tokenlens: {exc}", file=sys.stderr)
        return None


def _no_display() -> str | None:
    """Where Qt would abort ("could not connect to display ... reinstalling the application
    may fix this"), one line instead. Linux and the BSDs only: macOS and Windows always have one."""
    if sys.platform.startswith(("darwin", "win")) or os.environ.get("QT_QPA_PLATFORM"):
        return None
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return None
    return "no display: set DISPLAY (or WAYLAND_DISPLAY), or use the command line (tokenlens --help)"


def _never_autolaunch_a_bus() -> None:
    """Where no session bus runs, libdbus (Qt's tray, theme and accessibility code use it)
    starts one with `dbus-launch --autolaunch`, and that bus outlives the app. Say there is
    none instead: the tray falls back to XEmbed, the keyring to the key file."""
    if sys.platform.startswith("linux") and not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        os.environ["DBUS_SESSION_BUS_ADDRESS"] = "disabled:"


class _StopOnSignals:
    """SIGINT/SIGTERM end the app with status 0, through aboutToQuit (watcher stopped cleanly).

    Python runs signal handlers only when it regains control, so once Qt's loop runs the
    signal's wakeup byte is fed to a socket notifier (no polling timer needed). The handler
    calls `exit()`, not `quit()`: Qt's quit() first asks every window to close, the main window
    declines (closing it only hides it), Qt then stops asking, and any other window still open
    (the first-run welcome, the popup) makes it ignore the quit altogether."""

    def __init__(self) -> None:
        self.requested = False
        self._app = None
        self._notifier = None
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, self._handle)

    def _handle(self, *_args) -> None:
        self.requested = True
        if self._app is not None:
            from PySide6.QtCore import QTimer

            # Runs as soon as the loop does, even if the signal came before app.exec().
            QTimer.singleShot(0, self._app, _exit_app)

    def attach(self, app) -> None:
        self._app = app
        channel = _wakeup_channel()
        if channel is not None:
            self._watch_wakeups(app, *channel)
        if self.requested:
            self._handle()

    def _watch_wakeups(self, app, reader: int, writer: int, drain_bytes) -> None:
        from PySide6.QtCore import QSocketNotifier

        signal.set_wakeup_fd(writer)
        notifier = QSocketNotifier(reader, QSocketNotifier.Type.Read, app)

        def drain() -> None:
            try:
                drain_bytes()
            except OSError:
                pass

        notifier.activated.connect(drain)
        self._notifier, self._channel = notifier, (reader, writer)  # both ends live with the app


def _wakeup_channel():
    """(read fd, non-blocking write fd, drain) for signal.set_wakeup_fd, or None where the
    platform has no such pipe (Windows delivers no SIGTERM to a GUI app anyway)."""
    if os.name != "posix":
        return None
    reader, writer = os.pipe()
    os.set_blocking(reader, False)
    os.set_blocking(writer, False)
    return reader, writer, lambda: os.read(reader, 64)


def _exit_app() -> None:
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is not None:
        app.exit(0)
