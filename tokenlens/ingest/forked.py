"""Forked scan workers that never outlive the process that forked them.

A worker left behind by a kill -9 of its parent keeps the ledger and its WAL open, and every
later scan then fails. So a worker is tied to its parent three ways:

- on Linux the kernel kills it when the parent dies (`PR_SET_PDEATHSIG`);
- everywhere fork exists, a lifeline: a pipe whose write end only the parent holds. A thread
  in each worker blocks reading it; end of file means the parent is gone, and the worker
  exits at once. (Checked once more after the fork, for a parent that died in between.)
- right after the fork a worker closes every pipe end that is not its own, so no read of
  its can wait for a write end it holds itself.

Work is handed out by the parent: a worker asks for its next task over its own channel, and
the parent's serving thread answers (or says there is none left). The same channel carries
the worker's other questions (`answer` decides what they mean) and, last, its result. A
worker that dies without a result is reported by `WorkerDied`, naming the task it held.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, Pipe, wait
from typing import Any

PR_SET_PDEATHSIG = 1


class WorkerDied(Exception):
    """A forked worker ended without handing back its result."""


@dataclass
class _Worker:
    pid: int
    channel: Connection
    result: Any = None
    done: bool = False
    holding: list = field(default_factory=list)  # the tasks it took last (one read, one ahead)
    error: str | None = None


@dataclass
class Tasks:
    """Task numbers 0..count-1, taken in order by the parent and every worker alike."""

    count: int
    _next: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self) -> int | None:
        with self._lock:
            if self._next >= self.count:
                return None
            taken, self._next = self._next, self._next + 1
            return taken


class WorkerChannel:
    """A worker's end: take tasks, ask the parent questions.

    The next task is asked for while the current one is worked on: the parent's serving
    thread needs the GIL to answer, which its main thread holds while it parses, so a
    question asked only when needed would wait for a GIL switch at every file."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._handed: deque[int | None] = deque()  # task numbers that arrived ahead
        self._asked_ahead = False

    def next_task(self) -> int | None:
        if not self._asked_ahead:
            self._connection.send(("next", None))
        taken = self._handed.popleft() if self._handed else self._receive("next")
        self._asked_ahead = taken is not None
        if self._asked_ahead:
            self._connection.send(("next", None))
        return taken

    def ask(self, question: Any) -> Any:
        self._connection.send(("ask", question))
        return self._receive("answer")

    def _receive(self, wanted: str) -> Any:
        while True:
            kind, value = self._connection.recv()
            if kind == wanted:
                return value
            self._handed.append(value)  # a task asked for ahead, arriving before an answer


class Workers:
    """`count` forked processes each running `work(channel)`; use as a context manager.

    Leaving the block normally waits for them; leaving it by an exception (Ctrl-C, SIGTERM
    turned into an exception, a failure in the parent) kills them first, so none lingers.
    """

    def __init__(self, count: int, work: Callable[[WorkerChannel], Any], tasks: Tasks,
                 answer: Callable[[Any], Any]) -> None:
        self.count, self.work, self.tasks, self.answer = count, work, tasks, answer
        self._workers: list[_Worker] = []
        self._lifeline_w: int | None = None
        self._server: threading.Thread | None = None

    def __enter__(self) -> Workers:
        parent = os.getpid()
        lifeline_r, self._lifeline_w = os.pipe()
        pairs = [Pipe(duplex=True) for _ in range(self.count)]
        for k in range(self.count):
            pid = os.fork()
            if pid == 0:  # pragma: no cover - runs in the child, which never returns
                mine = pairs[k][1]
                for j, (ours, theirs) in enumerate(pairs):
                    ours.close()
                    if j != k:
                        theirs.close()
                os.close(self._lifeline_w)
                _run_worker(parent, lifeline_r, mine, self.work)
            self._workers.append(_Worker(pid, pairs[k][0]))
        os.close(lifeline_r)
        for _, theirs in pairs:
            theirs.close()
        self._server = threading.Thread(target=self._serve, name="tokenlens-workers", daemon=True)
        self._server.start()
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            self.kill()
        if self._server is not None:
            self._server.join()  # ends when every worker has closed its channel, i.e. exited
        self._close_lifeline()
        self._reap()

    def results(self) -> list[Any]:
        """Each worker's result, after the block; raises WorkerDied for one that left none."""
        died = [w for w in self._workers if not w.done]
        if died:
            raise WorkerDied("; ".join(_death_note(w) for w in died))
        return [w.result for w in self._workers]

    def kill(self) -> None:
        for worker in self._workers:
            try:
                os.kill(worker.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def _serve(self) -> None:
        live = {w.channel: w for w in self._workers}
        while live:
            for channel in wait(list(live)):
                worker = live[channel]
                try:
                    kind, payload = channel.recv()
                except (EOFError, OSError):
                    channel.close()
                    del live[channel]
                    continue
                try:
                    self._handle(worker, kind, payload)
                except OSError:  # the worker is gone; _reap tells how
                    channel.close()
                    del live[channel]

    def _handle(self, worker: _Worker, kind: str, payload: Any) -> None:
        if kind == "next":
            taken = self.tasks.take()
            worker.holding.append(taken)
            del worker.holding[:-2]  # the one it reads and the one asked for ahead
            worker.channel.send(("next", taken))
        elif kind == "ask":
            try:
                answer = self.answer(payload)
            except Exception as exc:  # noqa: BLE001 - the worker must hear back, or it waits forever
                answer = exc
            worker.channel.send(("answer", answer))
        elif kind == "done":
            worker.result, worker.done, worker.holding = payload, True, []
        elif kind == "failed":
            worker.error = payload

    def _close_lifeline(self) -> None:
        if self._lifeline_w is not None:
            os.close(self._lifeline_w)
            self._lifeline_w = None

    def _reap(self) -> None:
        for worker in self._workers:
            try:
                _, status = os.waitpid(worker.pid, 0)
            except ChildProcessError:
                continue
            if not worker.done and worker.error is None:
                worker.error = _status_text(status)


def _death_note(worker: _Worker) -> str:
    held = [t for t in worker.holding if t is not None]
    held = f" holding task {', '.join(map(str, held))}" if held else ""
    return f"scan worker {worker.pid} {worker.error or 'ended without a result'}{held}"


def _status_text(status: int) -> str:
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = str(number)
        return f"was killed by {name}"
    return f"exited with code {os.WEXITSTATUS(status)}"


def _run_worker(parent: int, lifeline_r: int, connection: Connection, work) -> None:  # pragma: no cover
    """The child's whole life; always ends in os._exit (never unwinds into the parent's code)."""
    code = 1
    try:
        # Ctrl-C reaches the whole process group: the parent decides, and kills us if need be.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        _die_with_parent(parent, lifeline_r)
        result = work(WorkerChannel(connection))
        connection.send(("done", result))
        code = 0
    except BaseException as exc:  # noqa: BLE001 - reported to the parent, then exit
        with contextlib.suppress(Exception):  # the parent may be gone already
            connection.send(("failed", f"failed: {type(exc).__name__}: {exc}"))
    finally:
        os._exit(code)


def _die_with_parent(parent: int, lifeline_r: int) -> None:  # pragma: no cover - in the child
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        except (OSError, AttributeError):
            pass  # the lifeline below still holds
    threading.Thread(target=_watch_lifeline, args=(lifeline_r,), daemon=True).start()
    if os.getppid() != parent:  # died before we were tied to it
        os._exit(1)


def _watch_lifeline(lifeline_r: int) -> None:  # pragma: no cover - in the child
    while True:
        try:
            if os.read(lifeline_r, 1) == b"":
                break
        except InterruptedError:
            continue
        except OSError:
            break
    os._exit(1)
