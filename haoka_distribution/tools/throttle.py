"""A per-process throttle (no ORM): at most one go per interval, the calls refused in between made up by one
go later. Used to wake the cron workers for webhook events without one notice per event."""

import math
import threading


class Throttle:
    """At most one go per ``interval`` seconds. :meth:`ask` says whether to go now, or after how many seconds
    (once for all the calls refused until then: a call refused must never be forgotten), or not at all (a later
    go is already planned and covers this call)."""

    def __init__(self, interval):
        self.interval = interval
        self.last = -math.inf
        self.pending = False
        self._lock = threading.Lock()

    def ask(self, now):
        """0 to go now, a delay in seconds to go later, None when a go already planned covers this call."""
        with self._lock:
            if now - self.last >= self.interval:
                self.last = now
                return 0
            if self.pending:
                return None
            self.pending = True
            return self.last + self.interval - now

    def went_later(self, now):
        """The planned go happened at ``now``."""
        with self._lock:
            self.pending = False
            self.last = max(self.last, now)
