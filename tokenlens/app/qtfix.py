"""Work around PySide6 6.12.0 on Python 3.11: its bindings stopped taking a reference when
they return None or a bool, as if those were immortal (they are only since Python 3.12).

Measured here (PySide6-Essentials 6.12.0, CPython 3.11.7): 300 calls of any void method
(`QTimer.stop`, `processEvents`, `setObjectName`...) lower `sys.getrefcount(None)` by 300,
and every `SignalInstance.emit()` lowers `True`'s by one; after some thousands of calls the
interpreter aborts with "none_dealloc: deallocating None" or "bool_dealloc". Small ints and
other objects are not affected.

The fix does what Python 3.12 does: give None, True and False a reference count so large it
can never reach zero. It runs only when a probe shows the leak, so a fixed PySide6 (or
Python >= 3.12) gets no change at all.
"""

from __future__ import annotations

import ctypes
import sys

_PROBE_CALLS = 64
_IMMORTAL = 1 << 60


def _void_call_leaks_none() -> bool:
    from PySide6.QtCore import QObject

    probe = QObject()
    before = sys.getrefcount(None)
    for _ in range(_PROBE_CALLS):
        probe.setObjectName("probe")
    # A real leak loses one reference per call; other threads may add a little noise.
    return before - sys.getrefcount(None) >= _PROBE_CALLS // 2


def apply() -> bool:
    """Make None/True/False immortal when the running PySide6 needs it; True if applied."""
    if sys.version_info >= (3, 12) or not _void_call_leaks_none():
        return False
    for singleton in (None, True, False):
        # ob_refcnt is the first field of every object in CPython release builds.
        ctypes.c_ssize_t.from_address(id(singleton)).value += _IMMORTAL
    return True


APPLIED = apply()
