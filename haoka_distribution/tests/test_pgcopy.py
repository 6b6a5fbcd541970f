"""Streamed COPY: rows produced while PostgreSQL writes them, all or nothing, errors raised to the caller."""

import datetime
import threading

import psycopg2

from odoo.tests.common import TransactionCase, tagged
from odoo.tools import mute_logger

from ..tools import pgcopy


@tagged("post_install", "-at_install")
class TestStreamedCopy(TransactionCase):
    def setUp(self):
        super().setUp()
        self.env.cr.execute("CREATE TEMP TABLE haoka_copy_test (id int PRIMARY KEY, name varchar NOT NULL)")

    def count(self):
        self.env.cr.execute("SELECT count(*), count(DISTINCT name) FROM haoka_copy_test")
        return self.env.cr.fetchone()

    def test_rows_written_in_chunks(self):
        rows = ((i, "card,%s\n\"quoted\"" % i) for i in range(12345))
        pgcopy.copy_rows_streamed(self.env.cr, "haoka_copy_test", ["id", "name"], rows, chunk_size=1000)
        self.assertEqual(self.count(), (12345, 12345))
        self.env.cr.execute("SELECT name FROM haoka_copy_test WHERE id = 7")
        self.assertEqual(self.env.cr.fetchone()[0], "card,7\n\"quoted\"")

    def test_rows_with_a_shared_tail_are_the_whole_rows(self):
        """The columns every row shares rendered once, at the end of each line: the same rows as written whole,
        NULLs, commas, quotes, newlines and timestamps included (a lone NULL in the tail too)."""
        columns = ["id", "note", "flag", "at", "shared", "n", "last"]
        at = datetime.datetime(2026, 12, 2, 3, 4, 5, 678)
        rows = [(1, None, True, at), (2, 'a,"b"\nc', False, None), (3, "12,3", None, at)]
        cases = [(rows, ("x,\"y\"\nz", 7, None)), (rows, (None, None, None)),
                 (rows[:1] + rows[2:], ("x,\"y\"\nz", 7, None))]  # the last with no line break in a row
        for case_rows, tail in cases:
            written = {}
            for name, (table_rows, table_tail) in (("whole", ([(*row, *tail) for row in case_rows], ())),
                                                   ("tail", (case_rows, tail))):
                table = "haoka_tail_%s" % name
                self.env.cr.execute("DROP TABLE IF EXISTS %s; CREATE TEMP TABLE %s (id int, note varchar, "
                                    "flag boolean, at timestamp, shared varchar, n int, last int)" % (table, table))
                pgcopy.copy_rows(self.env.cr, table, columns, table_rows, table_tail)
                self.env.cr.execute("SELECT * FROM %s ORDER BY id" % table)
                written[name] = self.env.cr.fetchall()
            self.assertEqual(written["tail"], written["whole"])
            self.assertEqual(written["tail"][-1], (3, "12,3", None, at, *tail))

    def test_failing_producer_writes_nothing(self):
        def rows():
            for i in range(5000):
                if i == 3500:
                    raise ValueError("row 3500 is broken")
                yield (i, "x%s" % i)

        with self.assertRaisesRegex(ValueError, "row 3500"), mute_logger("odoo.sql_db"), \
                self.env.cr.savepoint():
            pgcopy.copy_rows_streamed(self.env.cr, "haoka_copy_test", ["id", "name"], rows(), chunk_size=1000)
        self.assertEqual(self.count(), (0, 0))

    def test_database_error_reaches_the_caller(self):
        rows = [(i % 3000, "y%s" % i) for i in range(9000)]  # duplicate ids after the first chunks
        with self.assertRaises(psycopg2.IntegrityError), mute_logger("odoo.sql_db"), self.env.cr.savepoint():
            pgcopy.copy_rows_streamed(self.env.cr, "haoka_copy_test", ["id", "name"], iter(rows), chunk_size=1000)
        self.assertEqual(self.count(), (0, 0))

    def test_pipeline_runs_statements_in_order(self):
        with pgcopy.Pipeline(self.env.cr) as pipe:
            pipe.copy("haoka_copy_test", ["id", "name"], [(1, "a"), (2, "b")])
            pipe.execute("UPDATE haoka_copy_test SET name = name || '!' WHERE id = ANY(%s)", ([1, 2],))
            pipe.copy("haoka_copy_test", ["id", "name"], [(3, "c")])
            seen = []
            pipe.execute("SELECT string_agg(name, ',' ORDER BY id) FROM haoka_copy_test", check=lambda cur: seen.append(
                cur.fetchone()[0]))
        self.assertEqual(seen, ["a!,b!,c"])

    def test_pipeline_check_stops_it(self):
        def refuse(cursor):
            raise LookupError("found %s" % cursor.fetchone()[0])

        with self.assertRaisesRegex(LookupError, "found 1"), self.env.cr.savepoint():
            with pgcopy.Pipeline(self.env.cr) as pipe:
                pipe.copy("haoka_copy_test", ["id", "name"], [(1, "a")])
                pipe.execute("SELECT count(*) FROM haoka_copy_test", check=refuse)
                for i in range(2, 50):  # queued after the failure: taken, never run (or refused on queuing)
                    pipe.copy("haoka_copy_test", ["id", "name"], [(i, "z")])
        self.assertEqual(self.count(), (0, 0))

    def test_pipeline_fetch_and_ids(self):
        with pgcopy.Pipeline(self.env.cr) as pipe:
            ids = pipe.ids("stock_lot", 3)
            drawn = ids.take(2) + ids.take(5)
            rows = pipe.fetch("SELECT 40 + 2").result()
        self.assertEqual(rows, [(42,)])
        self.assertEqual(len(set(drawn)), 7)
        self.assertEqual(drawn, sorted(drawn))

    def test_pipeline_ids_drawn_on_a_connection_of_their_own(self):
        with pgcopy.Pipeline(self.env.cr) as pipe:
            ids = pipe.ids("stock_lot", 4)
            drawn = ids.take(6)
            pipeline_pid = pipe.fetch("SELECT pg_backend_pid()").result()[0][0]
            ids._pending.result()  # the next block is drawn on that cursor by the ids' own thread: let it finish
            ids._cursor.execute("SELECT pg_backend_pid()")
            self.assertNotEqual(ids._cursor.fetchone()[0], pipeline_pid)
        self.assertTrue(ids._cursor.closed)
        # drawn for good: the next id of the sequence, in this transaction, comes after them
        self.env.cr.execute("SELECT nextval(pg_get_serial_sequence('stock_lot', 'id'))")
        self.assertGreater(self.env.cr.fetchone()[0], max(drawn))

    def test_pipeline_fetch_after_a_failure_gets_the_error(self):
        with self.assertRaises(psycopg2.IntegrityError), mute_logger("odoo.sql_db"), self.env.cr.savepoint():
            with pgcopy.Pipeline(self.env.cr) as pipe:
                pipe.copy("haoka_copy_test", ["id", "name"], [(1, "a"), (1, "b")])
                pipe.fetch("SELECT 1").result()  # raises the COPY's error instead of waiting forever
        self.assertEqual(self.count(), (0, 0))

    def test_pipeline_leaves_the_callers_cursor_alone(self):
        """The helper thread writes on a cursor of its own: a result pending on the caller's is still there."""
        self.env.cr.execute("SELECT 'kept'")
        for threaded in (True, False):
            with pgcopy.Pipeline(self.env.cr, threaded=threaded) as pipe:
                pipe.copy("haoka_copy_test", ["id", "name"], [(int(threaded), "a")])
                pipe.execute("SELECT count(*) FROM haoka_copy_test")
        self.assertEqual(self.env.cr.fetchone(), ("kept",))
        self.assertEqual(self.count(), (2, 1))

    def test_unthreaded_pipeline_and_exact_ids(self):
        """A small write: no thread, no second connection; exactly the ids announced are drawn."""
        before = threading.active_count()
        with pgcopy.Pipeline(self.env.cr, threaded=False) as pipe:
            ids = pipe.ids("stock_lot", 4, total=3)
            drawn = ids.take(2) + ids.take(1)
            self.assertEqual(threading.active_count(), before)
            self.assertIsNone(ids._cursor)
            pipe.copy("haoka_copy_test", ["id", "name"], [(1, "a")])
            with self.assertRaisesRegex(ValueError, "More ids taken than announced"):
                ids.take(1)
        self.assertEqual(drawn, list(range(drawn[0], drawn[0] + 3)))
        self.env.cr.execute("SELECT nextval(pg_get_serial_sequence('stock_lot', 'id'))")
        self.assertEqual(self.env.cr.fetchone()[0], drawn[-1] + 1)
        self.assertEqual(self.count(), (1, 1))
