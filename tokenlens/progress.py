"""A scan's progress bar on the terminal: rich, on stderr, only when stderr is a terminal.

The bar is redrawn from the scan's own calls (`advanced(done, total)`, bytes of log), at
most ten times a second, never by a thread of its own: a scan that sees another thread
running does not fork its workers (tokenlens.ingest.plan). It appears only for a scan with
at least BAR_MIN_BYTES to read, so a warm `report` neither flashes one nor imports rich.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

REDRAW_SECONDS = 0.1
BAR_MIN_BYTES = 8 << 20


@contextmanager
def scan_bar(stream=None, min_bytes: int = BAR_MIN_BYTES) -> Iterator[Callable[[int, int], None] | None]:
    """The `advanced` callback for `ingest.scan` that draws the bar, or None off a terminal.

    The bar is removed when the scan ends: what the scan printed is all that stays."""
    stream = stream if stream is not None else sys.stderr
    if not (hasattr(stream, "isatty") and stream.isatty()):
        yield None
        return
    lock = threading.Lock()
    drawn: list = []  # [Progress, task id, last redraw], once there is enough to read
    last = [0.0]

    def advanced(done: int, total: int) -> None:
        with lock:  # the workers' files are reported from another thread
            if not drawn:
                if total < min_bytes:
                    return
                drawn.extend(_start_bar(stream))
            bar, task = drawn
            bar.update(task, completed=done, total=total)
            now = time.monotonic()
            if done >= total or now - last[0] >= REDRAW_SECONDS:
                last[0] = now
                bar.refresh()

    try:
        yield advanced
    finally:
        if drawn:
            drawn[0].stop()


def _start_bar(stream):
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

    bar = Progress(TextColumn("reading logs"), BarColumn(), DownloadColumn(), TimeRemainingColumn(),
                   console=Console(file=stream), auto_refresh=False, transient=True)
    task = bar.add_task("scan", total=None)
    bar.start()
    return bar, task
