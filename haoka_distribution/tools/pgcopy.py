"""Bulk writes with PostgreSQL's COPY (no ORM): one round-trip per table and batch."""

import csv
import io
import itertools
import logging
import queue
import threading
from concurrent.futures import Future, ThreadPoolExecutor

import psycopg2
from psycopg2 import sql

from odoo import sql_db

_logger = logging.getLogger(__name__)


def _copy_query(cr, table, columns):
    query = sql.SQL("COPY {} ({}) FROM STDIN WITH (FORMAT csv)").format(
        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    return query.as_string(cr._obj)


def _csv(rows, tail=()):
    """CSV of ``rows``, each followed by the values of ``tail`` (the columns every row shares: rendered once
    and put at the end of each line, instead of once per row; rows holding a line break are written whole)."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    text = buffer.getvalue()
    if not tail:
        return text
    if text.count("\n") != len(rows):  # a line break inside a field: lines are not rows
        return _csv([(*row, *tail) for row in rows])
    return text.replace("\n", _tail_csv(tail) + "\n")


def _tail_csv(tail):
    """``tail`` as the end of a CSV line (``,a,b``; a first column is written and cut so that a lone NULL is
    an empty field, not the quoted empty string csv writes for a row of one empty value)."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow(("-", *tail))
    return buffer.getvalue()[1:]


NEXT_IDS = "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)"


def next_ids(cr, table, count):
    """``count`` ids drawn from ``table``'s sequence, so that rows can be written (and referenced) with no
    look-up after the COPY."""
    cr.execute(NEXT_IDS, (table, count))
    return [row[0] for row in cr.fetchall()]


def copy_rows(cr, table, columns, rows, tail=()):
    """Write ``rows`` (tuples, ``None`` for NULL; no empty strings) into ``table`` with COPY ... CSV; each row
    followed by the values of ``tail`` (``columns`` names both, the rows' columns first).

    :param cr: an Odoo cursor; call ``env.flush_all()`` before and invalidate the ORM cache after.
    """
    cr._obj.copy_expert(_copy_query(cr, table, columns), io.StringIO(_csv(rows, tail)))


_END = object()
_ABORT = object()


class Pipeline:
    """Statements run in order, by a helper thread while the calling thread prepares the next ones::

        with pgcopy.Pipeline(cr) as pipe:
            for chunk in chunks:
                pipe.copy("stock_lot", columns, rows_of(chunk))
                pipe.execute("INSERT ... SELECT ... WHERE id = ANY(%s)", (ids,))

    Each statement is a whole statement for PostgreSQL: the foreign-key checks of a chunk (which
    PostgreSQL runs when the statement ends) overlap with the preparation of the next chunk (psycopg2
    releases the GIL while it waits for the server). The first error, in either thread, stops the
    pipeline and is raised by the ``with`` block; the transaction is the caller's (a savepoint around
    the block leaves nothing written). The calling thread must not use the cursor inside the block.

    Why a thread, and which cursor: the rows must be written in the caller's transaction, so the writer
    cannot have a connection of its own; writing without a thread would give up the overlap (PostgreSQL
    writing a chunk while Python produces the next one). So the helper thread writes on a psycopg2 cursor
    of its own, opened on the caller's connection: psycopg2 connections are thread-safe (each call holds the
    connection's lock), its cursors and Odoo's cursor are not, and no cursor is shared between threads.
    Nothing process-wide is changed (no garbage-collector pause, no switch interval): other requests of a
    threaded server run as before. With ``threaded=False`` (small writes: a thread costs more than it saves)
    each statement runs at once, in the calling thread, on that same cursor of its own.
    """

    def __init__(self, cr, depth=16, threaded=True):
        self._cr = cr
        self._cursor = None
        self._queue = queue.Queue(maxsize=depth)
        self._failure = None
        self._id_sources = []
        self._worker = threading.Thread(target=self._run, name="haoka-pipeline", daemon=True) if threaded else None

    def __enter__(self):
        self._cursor = self._cr._cnx.cursor()
        if self._worker:
            self._worker.start()
        return self

    def __exit__(self, exc_type, exc, tb):
        if self._worker:
            self._queue.put(_ABORT if exc_type else _END)
            self._worker.join()
        for ids in self._id_sources:
            ids.close()
        self._cursor.close()
        if exc_type is None and self._failure is not None:
            raise self._failure
        return False

    @property
    def threaded(self):
        return self._worker is not None

    def copy(self, table, columns, rows, tail=()):
        """COPY ``rows`` (tuples, ``None`` for NULL), each followed by ``tail`` (see :func:`copy_rows`), into
        ``table``; the CSV is built in the calling thread."""
        self._put(("copy", _copy_query(self._cr, table, columns), _csv(rows, tail)))

    def execute(self, query, params=None, check=None):
        """Run ``query``; ``check(cursor)``, if given, runs right after it in the helper thread (to fetch
        and verify a result: an exception it raises stops the pipeline)."""
        self._put(("execute", query, params, check))

    def fetch(self, query, params=None):
        """Queue ``query``; returns a :class:`~concurrent.futures.Future` of its rows (or of the error that
        stopped the pipeline before or while running it)."""
        future = Future()
        self._put(("execute", query, params, lambda cursor: future.set_result(cursor.fetchall()), future))
        return future

    def ids(self, table, block, total=None):
        """Ids of ``table``'s sequence, ``total`` of them (None: as many as taken), drawn ``block`` at a time
        (see :class:`_Ids`)."""
        ids = _Ids(self, table, block, total)
        self._id_sources.append(ids)
        return ids

    def _put(self, item):
        if self._failure is not None:
            raise self._failure
        if self._worker:
            self._queue.put(item)
            return
        self._run_item(item)
        if self._failure is not None:
            raise self._failure

    def _run(self):
        while True:
            item = self._queue.get()
            if item is _END or item is _ABORT:
                return
            if self._failure is not None:  # failed: take what is queued until the end marker, run nothing more
                future = item[4] if len(item) > 4 else None
                if future:
                    future.set_exception(self._failure)
                continue
            self._run_item(item)

    def _run_item(self, item):
        cursor = self._cursor
        future = item[4] if len(item) > 4 else None
        try:
            if item[0] == "copy":
                # read in one call: each read needs the GIL, which the producing thread holds
                cursor.copy_expert(item[1], io.StringIO(item[2]), size=len(item[2]) + 1)
            else:
                cursor.execute(item[1], item[2])
                if item[3]:
                    item[3](cursor)
        except BaseException as error:  # noqa: BLE001 - handed over to the calling thread
            self._failure = error
            if future and not future.done():
                future.set_exception(error)


class _Ids:
    """See :meth:`Pipeline.ids`. Exactly ``total`` ids are drawn (when given), ``block`` at a time.

    When more than one block is needed (and the pipeline is threaded), the ids are drawn one block ahead on
    a connection of their own by a thread of their own: sequences are not transactional, and PostgreSQL
    draws them on another core while the pipeline's connection writes (0.7 s of its time per 100,000 cards
    and a move line each). Otherwise (a small receipt), or when no connection can be had (the pool is full),
    they are drawn on the pipeline, when taken. Ids left unused at the end (fewer taken than announced) are
    lost: a gap in the sequence, as after any rolled-back insert."""

    def __init__(self, pipe, table, block, total=None):
        self._pipe, self._table, self._block = pipe, table, block
        self._remaining = total
        self._available = []
        self._cursor = self._executor = None
        if pipe.threaded and (total is None or total > block):
            try:
                self._cursor = sql_db.db_connect(pipe._cr.dbname).cursor()
                self._executor = ThreadPoolExecutor(1, thread_name_prefix="haoka-ids")
            except psycopg2.Error:
                _logger.info("No connection of its own to draw ids: drawn on the pipeline's", exc_info=True)
        self._pending = self._request() if self._executor else None

    def _next_count(self, wanted=0):
        count = max(self._block, wanted)
        if self._remaining is not None:
            count = min(count, self._remaining)
        return count

    def _request(self, wanted=0):
        count = self._next_count(wanted)
        if not count:
            return None
        if self._remaining is not None:
            self._remaining -= count
        params = (self._table, count)
        if self._executor is None:
            return self._pipe.fetch(NEXT_IDS, params)
        return self._executor.submit(self._draw, params)

    def _draw(self, params):
        self._cursor.execute(NEXT_IDS, params)
        return self._cursor.fetchall()

    def take(self, count):
        while len(self._available) < count:
            if self._pending is None:
                self._pending = self._request(count - len(self._available))
                if self._pending is None:
                    raise ValueError("More ids taken than announced (%s)" % self._table)
            self._available += [row[0] for row in self._pending.result()]
            self._pending = self._request() if self._executor else None
        taken, self._available = self._available[:count], self._available[count:]
        return taken

    def close(self):
        """Release the connection (the drawn ids stay drawn: nothing to commit)."""
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._cursor.rollback()
            self._cursor.close()
            self._executor = None


def copy_rows_streamed(cr, table, columns, rows, tail=(), chunk_size=5000):
    """Like :func:`copy_rows`, for an iterable of rows that is costly to produce (encryption, checks):
    one COPY per chunk, each written (and its foreign keys checked) by PostgreSQL while this thread
    produces the next chunk. Either every row is written or an error is raised here; the transaction is
    the caller's, as with :func:`copy_rows`. Rows that fit in one chunk are written with no thread.
    """
    rows = iter(rows)
    batch = list(itertools.islice(rows, chunk_size))
    if len(batch) < chunk_size:
        if batch:
            copy_rows(cr, table, columns, batch, tail)
        return
    with Pipeline(cr) as pipe:
        while batch:
            pipe.copy(table, columns, batch, tail)
            batch = list(itertools.islice(rows, chunk_size))
