"""One running app per user and ledger: a second launch asks the first to show itself.

QLocalServer in Linux's abstract namespace leaves no stale socket file after a crash; the
name carries the uid and a hash of the data dir, so a test (or a second ledger) is separate.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtNetwork import QLocalServer, QLocalSocket

from tokenlens.config import app_instance_name

SHOW = b"show\n"


def server_name(data_dir: Path) -> str:
    return app_instance_name(data_dir)


def ask_running_to_show(name: str, timeout_ms: int = 1000) -> bool:
    """True when an instance answered on `name` and was asked to show its window."""
    socket = QLocalSocket()
    socket.setServerName(name)
    socket.setSocketOptions(QLocalSocket.SocketOption.AbstractNamespaceOption)
    socket.connectToServer()
    if not socket.waitForConnected(timeout_ms):
        return False
    socket.write(SHOW)
    socket.flush()
    socket.waitForBytesWritten(timeout_ms)
    socket.disconnectFromServer()
    return True


class InstanceServer(QObject):
    """Listens for later launches; emits `show_requested` when one asks."""

    show_requested = Signal()

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._server = QLocalServer(self)
        self._server.setSocketOptions(
            QLocalServer.SocketOption.UserAccessOption | QLocalServer.SocketOption.AbstractNamespaceOption
        )
        self._server.newConnection.connect(self._on_connection)
        self.name = name

    def listen(self) -> bool:
        if self._server.listen(self.name):
            return True
        QLocalServer.removeServer(self.name)
        return self._server.listen(self.name)

    def close(self) -> None:
        self._server.close()

    @Slot()
    def _on_connection(self) -> None:
        while self._server.hasPendingConnections():
            socket = self._server.nextPendingConnection()
            # A later launch writes one line and disconnects: wait for it here, briefly,
            # rather than keeping per-socket callbacks alive.
            if socket.bytesAvailable() or socket.waitForReadyRead(1000):
                if SHOW.strip() in bytes(socket.readAll().data()):
                    self.show_requested.emit()
            socket.disconnectFromServer()
            socket.deleteLater()
