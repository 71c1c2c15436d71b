"""Scan workers that never outlive the process that started them: forked, or spawned.

A worker left behind by a kill -9 of its parent keeps the ledger and its WAL open, and every
later scan then fails. So a worker is tied to its parent three ways:

- on Linux the kernel kills it when the parent dies (`PR_SET_PDEATHSIG`);
- everywhere, a lifeline: a pipe whose write end only the parent holds. A thread in each
  worker blocks reading it; end of file means the parent is gone, and the worker exits at
  once. (Checked once more after the start, for a parent that died in between.)
- a forked worker closes every pipe end that is not its own right after the fork, so no read
  of its can wait for a write end it holds itself; a spawned one (multiprocessing's "spawn"
  or "forkserver": Windows, macOS, any threaded process) is a fresh interpreter that was
  handed only its own ends, its `work` function and that function's arguments (the plan).

`method`: "fork" (os.fork: instant, shares the parent's memory; Linux, single-threaded
callers) or a multiprocessing start method, "spawn" or "forkserver". A spawned worker's
`work` must be a module-level function and its `args` picklable.

Work is handed out by the parent: a worker asks for its next task over its own channel, and
the parent's serving thread answers (or says there is none left). The same channel carries
the worker's other questions (`answer` decides what they mean), its notes (`notify`: e.g.
a file read, for a progress bar) and, last, its result. A worker that dies without a result
is reported by `WorkerDied`, naming the task it held.
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
    process: Any = None  # the multiprocessing.Process of a spawned worker; None for a fork
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

    def note(self, payload: Any) -> None:
        """Tell the parent something that needs no answer (its `notify` hears it)."""
        self._connection.send(("note", payload))

    def _receive(self, wanted: str) -> Any:
        while True:
            kind, value = self._connection.recv()
            if kind == wanted:
                return value
            self._handed.append(value)  # a task asked for ahead, arriving before an answer


class Workers:
    """`count` worker processes each running `work(channel, *args)`; use as a context manager.

    Leaving the block normally waits for them; leaving it by an exception (Ctrl-C, SIGTERM
    turned into an exception, a failure in the parent) kills them first, so none lingers.
    Starting them raises OSError (or what multiprocessing raised) with none left running.
    """

    def __init__(self, count: int, work: Callable[..., Any], tasks: Tasks,
                 answer: Callable[[Any], Any], *, method: str = "fork", args: tuple = (),
                 notify: Callable[[Any], None] | None = None) -> None:
        self.count, self.work, self.tasks, self.answer = count, work, tasks, answer
        self.method, self.args, self.notify = method, args, notify
        self._workers: list[_Worker] = []
        self._lifeline_w: int | None = None
        self._lifeline_conn: Connection | None = None
        self._server: threading.Thread | None = None

    def __enter__(self) -> Workers:
        try:
            if self.method == "fork":
                self._fork()
            else:
                self._spawn()
        except BaseException:
            self.kill()
            self._close_lifeline()
            self._reap()
            raise
        self._server = threading.Thread(target=self._serve, name="tokenlens-workers", daemon=True)
        self._server.start()
        return self

    def _fork(self) -> None:
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
                _run_worker(parent, lifeline_r, mine, self.work, self.args)
            self._workers.append(_Worker(pid, pairs[k][0]))
        os.close(lifeline_r)
        for _, theirs in pairs:
            theirs.close()

    def _spawn(self) -> None:
        import multiprocessing

        context = multiprocessing.get_context(self.method)
        lifeline_r, self._lifeline_conn = context.Pipe(duplex=False)
        try:
            for _ in range(self.count):
                ours, theirs = context.Pipe(duplex=True)
                process = context.Process(
                    target=_spawned_worker, name="tokenlens-scan-worker", daemon=True,
                    args=(os.getpid(), self.method, PR_SET_PDEATHSIG, lifeline_r, theirs, self.work, self.args))
                try:
                    process.start()
                finally:
                    theirs.close()  # the child has its own copy now (or never started)
                self._workers.append(_Worker(process.pid, ours, process=process))
        finally:
            lifeline_r.close()

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
            if worker.process is not None:
                worker.process.kill()  # SIGKILL, or TerminateProcess on Windows
                continue
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
        elif kind == "note":
            if self.notify is not None:
                self.notify(payload)
        elif kind == "done":
            worker.result, worker.done, worker.holding = payload, True, []
        elif kind == "failed":
            worker.error = payload

    def _close_lifeline(self) -> None:
        if self._lifeline_w is not None:
            os.close(self._lifeline_w)
            self._lifeline_w = None
        if self._lifeline_conn is not None:
            self._lifeline_conn.close()
            self._lifeline_conn = None

    def _reap(self) -> None:
        for worker in self._workers:
            if worker.process is not None:
                worker.process.join()
                if not worker.done and worker.error is None:
                    worker.error = _exitcode_text(worker.process.exitcode)
                continue
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


def _status_text(status: int, signalled: bool = False) -> str:
    if signalled or os.WIFSIGNALED(status):
        number = status if signalled else os.WTERMSIG(status)
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = str(number)
        return f"was killed by {name}"
    return f"exited with code {os.WEXITSTATUS(status)}"


def _exitcode_text(code: int | None) -> str:
    if code is not None and code < 0:  # multiprocessing's way of saying "killed by a signal"
        return _status_text(-code, signalled=True)
    return f"exited with code {code}"


def _spawned_worker(parent: int, method: str, pdeathsig: int, lifeline: Connection, connection: Connection,
                    work, args: tuple) -> None:  # pragma: no cover - in the child
    """A spawned worker's entry point (module-level, so multiprocessing can name it)."""
    global PR_SET_PDEATHSIG
    PR_SET_PDEATHSIG = pdeathsig  # as the parent has it (a test turns it off there)
    # A forkserver's children are the server's, not the scan's: the lifeline alone tells.
    _run_worker(parent if method == "spawn" else None, lifeline, connection, work, args)


def _run_worker(parent: int | None, lifeline, connection: Connection, work, args: tuple = ()) -> None:  # pragma: no cover
    """The child's whole life; always ends in os._exit (never unwinds into the parent's code)."""
    code = 1
    try:
        # Ctrl-C reaches the whole process group: the parent decides, and kills us if need be.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        _die_with_parent(parent, lifeline)
        result = work(WorkerChannel(connection), *args)
        connection.send(("done", result))
        code = 0
    except BaseException as exc:  # noqa: BLE001 - reported to the parent, then exit
        with contextlib.suppress(Exception):  # the parent may be gone already
            connection.send(("failed", f"failed: {type(exc).__name__}: {exc}"))
    finally:
        os._exit(code)


def _die_with_parent(parent: int | None, lifeline) -> None:  # pragma: no cover - in the child
    if sys.platform.startswith("linux") and parent is not None and PR_SET_PDEATHSIG:
        try:
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        except (OSError, AttributeError):
            pass  # the lifeline below still holds
    threading.Thread(target=_watch_lifeline, args=(lifeline,), daemon=True).start()
    if parent is not None and os.getppid() != parent:  # died before we were tied to it
        os._exit(1)


def _watch_lifeline(lifeline) -> None:  # pragma: no cover - in the child
    """`lifeline`: a pipe's read end, as an fd (forked) or a Connection (spawned)."""
    while True:
        try:
            if isinstance(lifeline, int):
                if os.read(lifeline, 1) == b"":
                    break
            else:
                lifeline.recv_bytes()
        except InterruptedError:
            continue
        except (OSError, EOFError):
            break
    os._exit(1)
