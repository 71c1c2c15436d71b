"""The only Qt code in tokenlens: tray icon, popup, main window and the live-ingest thread.

`run_app` is what `tokenlens` with no command runs. Everything heavy is imported inside it,
so importing this package (e.g. for the CLI's help) costs nothing.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys
from pathlib import Path

# Must run before any other Qt use: see qtfix (PySide6 6.12.0 on Python 3.11 drops references).
from tokenlens.app import qtfix as _qtfix  # noqa: E402, F401

LOG_ENV = "TOKENLENS_LOG"


def run_app(data_dir: Path) -> int:
    """Start the tray app on `data_dir`; returns the process exit status."""
    level = os.environ.get(LOG_ENV, "WARNING").upper()
    logging.basicConfig(level=getattr(logging, level, logging.WARNING), format="tokenlens: %(message)s")

    from PySide6.QtWidgets import QApplication

    from tokenlens.app.single_instance import InstanceServer, ask_running_to_show, server_name
    from tokenlens.store import LedgerError

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

    from tokenlens.app.application import TokenlensApp
    from tokenlens.app.icons import app_icon

    app.setWindowIcon(app_icon())
    try:
        controller = TokenlensApp(Path(data_dir))
    except LedgerError as exc:
        print(f"tokenlens: {exc}", file=sys.stderr)
        return 2
    server = InstanceServer(name)
    server.show_requested.connect(controller.open_window)
    if not server.listen():
        logging.getLogger(__name__).warning("single-instance server could not listen on %s", name)
    app.aboutToQuit.connect(controller.shutdown)
    app.aboutToQuit.connect(server.close)
    notifier = _quit_on_signals(app)  # noqa: F841 (kept alive for the app's lifetime)
    controller.start()
    return app.exec()


def _quit_on_signals(app):
    """SIGINT/SIGTERM quit cleanly. Python runs signal handlers only when it regains control,
    so the signal's wakeup byte is fed to a socket notifier (no polling timer needed)."""
    from PySide6.QtCore import QSocketNotifier

    reader, writer = socket.socketpair()
    reader.setblocking(False)
    writer.setblocking(False)
    signal.set_wakeup_fd(writer.fileno())
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: app.quit())
    notifier = QSocketNotifier(reader.fileno(), QSocketNotifier.Type.Read)

    def drain() -> None:
        try:
            reader.recv(64)
        except OSError:
            pass

    notifier.activated.connect(drain)
    notifier._sockets = (reader, writer)  # keep both ends open as long as the notifier lives
    return notifier
