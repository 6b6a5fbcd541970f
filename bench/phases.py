"""Where the time of a benchmarked operation goes: chosen methods are wrapped for the length of a ``with`` block,
and each one's inclusive wall time, number of calls and SQL statements are printed under the operation's figure.

Nested phases are printed indented under the phase that calls them (their time is part of it); "other" is
the operation's time outside every top-level phase. A method returning a generator is timed while it is
consumed (e.g. the rows of a file checked chunk by chunk). Phases run by another thread (the import's COPY
writer) overlap the caller's and are printed apart."""

import contextlib
import inspect
import threading
import time
import types

from odoo import sql_db


class Phases:
    def __init__(self):
        self.figures = {}  # label -> [seconds, calls, statements]
        self.depth = {}
        self.order = []
        self.parts = set()
        self._active = threading.local()

    def _add(self, label, seconds, statements):
        figure = self.figures.setdefault(label, [0.0, 0, 0])
        figure[0] += seconds
        figure[1] += 1
        figure[2] += statements

    def _timed(self, label, original, split=None):
        phases = self

        def wrapper(*args, **kwargs):
            if getattr(phases._active, label, False):  # a recursive call: counted once, by the outer one
                return original(*args, **kwargs)
            setattr(phases._active, label, True)
            start, statements = time.perf_counter(), sql_db.sql_counter
            try:
                result = original(*args, **kwargs)
            finally:
                setattr(phases._active, label, False)
                phases._add(label, time.perf_counter() - start, sql_db.sql_counter - statements)
                if split:
                    part = "%s: %s" % (label, split(*args, **kwargs))
                    phases._add(part, time.perf_counter() - start, 0)
                    if part not in phases.depth:
                        phases.depth[part] = phases.depth[label]
                        phases.parts.add(part)
                        phases.order.insert(phases.order.index(label) + 1, part)
            if isinstance(result, types.GeneratorType):
                return phases._timed_generator(label, result)
            return result

        return wrapper

    def _timed_generator(self, label, generator):
        while True:
            start, statements = time.perf_counter(), sql_db.sql_counter
            try:
                item = next(generator)
            except StopIteration:
                return
            finally:
                self._add(label, time.perf_counter() - start, sql_db.sql_counter - statements)
                self.figures[label][1] -= 1
            yield item

    @contextlib.contextmanager
    def watch(self, spec):
        """``spec``: ``(label, class, method name, depth[, split])`` tuples, a depth of 1 or more marking a
        phase run inside the one above it; ``thread`` as depth marks a phase of another thread. ``split``, a
        function of the call's arguments, names a part of the phase to time apart (e.g. the table written)."""
        originals = []
        for label, cls, name, depth, *split in spec:
            original = cls.__dict__.get(name)
            originals.append((cls, name, original))
            timed = self._timed(label, getattr(cls, name), *split)
            static = isinstance(inspect.getattr_static(cls, name), staticmethod)
            setattr(cls, name, staticmethod(timed) if static else timed)
            self.order.append(label)
            self.depth[label] = depth
        try:
            yield self
        finally:
            for cls, name, original in reversed(originals):
                if original is None:
                    delattr(cls, name)
                else:
                    setattr(cls, name, original)

    def report(self, total, statements=None):
        """Lines under the operation's figure: each phase's seconds, share of ``total``, calls, statements."""
        lines = []
        top = 0.0
        for label in self.order:
            if label not in self.figures:
                continue
            seconds, calls, sql = self.figures[label]
            depth = self.depth[label]
            if depth == 0:
                top += seconds
            indent = "    " + "  " * (depth if depth != "thread" else 0) + ("  " if label in self.parts else "")
            lines.append("%s%-44s %6.2f s %4.0f %%  %6d calls %7d SQL%s" % (
                indent, label, seconds, 100 * seconds / total if total else 0, calls, sql,
                "  (helper thread, overlaps)" if depth == "thread" else ""))
        lines.append("    %-44s %6.2f s %4.0f %%%s" % (
            "other (outside the phases above)", total - top, 100 * (total - top) / total if total else 0,
            "  [%d SQL in all]" % statements if statements is not None else ""))
        return "\n".join(lines)


def measure(label, spec, function, target=None):
    """Run ``function`` (its own commit included) with the phases of ``spec`` watched; print its figure and
    the phases under ``label`` (None: print nothing). Returns ``(seconds, result, report of the phases)``."""
    phases = Phases()
    with phases.watch(spec):
        statements = sql_db.sql_counter
        start = time.perf_counter()
        result = function()
        seconds = time.perf_counter() - start
    report = phases.report(seconds, sql_db.sql_counter - statements)
    if label:
        print("%s: %6.1f s%s" % (label, seconds, "  (target <= %s s)" % target if target else ""))
        print(report)
    return seconds, result, report
