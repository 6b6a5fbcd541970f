"""Process-wide settings for bulk work (imports of tens of thousands of cards)."""

import contextlib
import gc
import sys
import threading

SWITCH_INTERVAL = 0.0005


class _CountedSetting:
    """A process-wide setting changed while any block that needs it runs: counted, so that blocks running
    at the same time (threaded server) restore it only when the last one ends.

    :param change: changes the setting and returns what :param restore: is given to put it back.
    """

    def __init__(self, change, restore):
        self._change, self._restore = change, restore
        self._lock = threading.Lock()
        self._count = 0
        self._saved = None

    def enter(self):
        with self._lock:
            if not self._count:
                self._saved = self._change()
            self._count += 1

    def exit(self):
        with self._lock:
            self._count -= 1
            if not self._count:
                self._restore(self._saved)

    @contextlib.contextmanager
    def __call__(self):
        self.enter()
        try:
            yield
        finally:
            self.exit()


def _disable_gc():
    enabled = gc.isenabled()
    gc.disable()
    return enabled


def _shorten_switch_interval():
    interval = sys.getswitchinterval()
    sys.setswitchinterval(SWITCH_INTERVAL)
    return interval


#: Pause Python's cyclic garbage collector while the block runs. A bulk import allocates millions of
#: short-lived objects (rows, cells, tuples): the collector would run thousands of times, each time walking
#: every live object (about 1.5 s for 100,000 cards). Memory is still freed by reference counting; what
#: cycles are left are collected once the last paused block ends.
gc_paused = _CountedSetting(_disable_gc, lambda enabled: gc.enable() if enabled else None)

#: Switch threads more often while the block runs: a pipeline's helper thread needs the GIL back after each
#: statement, from a thread that keeps it busy (see pgcopy.Pipeline).
short_switch_interval = _CountedSetting(_shorten_switch_interval, sys.setswitchinterval)
