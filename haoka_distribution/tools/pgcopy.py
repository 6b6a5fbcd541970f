"""Bulk inserts with PostgreSQL's COPY (no ORM): one round-trip per table and batch."""

import csv
import io

from psycopg2 import sql


def copy_rows(cr, table, columns, rows):
    """Write ``rows`` (tuples, ``None`` for NULL; no empty strings) into ``table`` with COPY ... CSV.

    :param cr: an Odoo cursor; call ``env.flush_all()`` before and invalidate the ORM cache after.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerows(rows)
    buffer.seek(0)
    query = sql.SQL("COPY {} ({}) FROM STDIN WITH (FORMAT csv)").format(
        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    cr._obj.copy_expert(query.as_string(cr._obj), buffer)
