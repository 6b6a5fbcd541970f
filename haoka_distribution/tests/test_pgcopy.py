"""Streamed COPY: rows produced while PostgreSQL writes them, all or nothing, errors raised to the caller."""

import psycopg2

from odoo.tests.common import TransactionCase
from odoo.tools import mute_logger

from ..tools import pgcopy


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
