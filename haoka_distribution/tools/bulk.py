"""Process-wide settings for bulk work (imports of tens of thousands of cards)."""

import contextlib
import gc
import threading

_lock = threading.Lock()
_paused = {"count": 0, "was_enabled": False}


@contextlib.contextmanager
def gc_paused():
    """Pause Python's cyclic garbage collector while the block runs.

    A bulk import allocates millions of short-lived objects (rows, cells, tuples): the collector would run
    thousands of times, each time walking every live object (about 1.5 s for 100,000 cards). Memory is
    still freed by reference counting; what cycles are left are collected when the last paused block ends
    (blocks running at the same time in a threaded server are counted)."""
    with _lock:
        if not _paused["count"]:
            _paused["was_enabled"] = gc.isenabled()
            gc.disable()
        _paused["count"] += 1
    try:
        yield
    finally:
        with _lock:
            _paused["count"] -= 1
            if not _paused["count"] and _paused["was_enabled"]:
                gc.enable()
