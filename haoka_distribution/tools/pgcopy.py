"""Bulk inserts with PostgreSQL's COPY (no ORM): one round-trip per table and batch."""

import csv
import io
import queue
import threading

from psycopg2 import sql


def _copy_query(cr, table, columns):
    query = sql.SQL("COPY {} ({}) FROM STDIN WITH (FORMAT csv)").format(
        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    return query.as_string(cr._obj)


def _csv(rows):
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


def copy_rows(cr, table, columns, rows):
    """Write ``rows`` (tuples, ``None`` for NULL; no empty strings) into ``table`` with COPY ... CSV.

    :param cr: an Odoo cursor; call ``env.flush_all()`` before and invalidate the ORM cache after.
    """
    cr._obj.copy_expert(_copy_query(cr, table, columns), io.StringIO(_csv(rows)))


class _Abort(Exception):
    """The producer of a streamed COPY failed: the COPY is aborted (and the transaction with it)."""


class _QueueReader:
    """File-like object for ``copy_expert``: returns the CSV chunks put in ``chunks``, '' at the end."""

    def __init__(self, chunks):
        self.chunks = chunks
        self.finished = False  # the end (or abort) marker has been taken from the queue

    def read(self, size=-1):
        chunk = self.chunks.get()
        if chunk is None:
            self.finished = True
            return ""
        if chunk is _Abort:
            self.finished = True
            raise _Abort()
        return chunk

    readline = read


def copy_rows_streamed(cr, table, columns, rows, chunk_size=5000):
    """Like :func:`copy_rows`, for an iterable of rows that is costly to produce (encryption, checks):
    the COPY runs in a helper thread on the same connection while this thread produces the next chunk,
    so that PostgreSQL writes, indexes and checks one chunk while Python builds the next (psycopg2
    releases the GIL while it talks to the server). Either every row is written or the COPY fails and
    the error is raised here; the transaction is the caller's, as with :func:`copy_rows`.
    """
    chunks = queue.Queue(maxsize=4)
    failure = []
    query = _copy_query(cr, table, columns)

    reader = _QueueReader(chunks)

    def run_copy():
        try:
            cr._obj.copy_expert(query, reader)
        except BaseException as error:  # noqa: BLE001 - handed over to the producing thread
            failure.append(error)
            while not reader.finished:  # unblock the producer: take its chunks until it stops
                reader.finished = chunks.get() in (None, _Abort)

    worker = threading.Thread(target=run_copy, name="haoka-copy", daemon=True)
    worker.start()
    try:
        batch = []
        for row in rows:
            batch.append(row)
            if len(batch) >= chunk_size:
                chunks.put(_csv(batch))
                batch = []
        if batch:
            chunks.put(_csv(batch))
    except BaseException:
        chunks.put(_Abort)
        worker.join()
        raise
    chunks.put(None)
    worker.join()
    if failure and not isinstance(failure[0], _Abort):
        raise failure[0]
