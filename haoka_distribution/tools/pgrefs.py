"""Foreign keys of a bulk write checked once per referenced row instead of once per written row.

PostgreSQL checks a foreign key with a trigger per inserted row: a query and a row lock (``SELECT 1 FROM
product_product WHERE id = $1 FOR KEY SHARE``) for each non-null reference. A SIM card received in bulk writes a
lot, a move line and two quants with 29 references between them: for 100,000 cards, 2.9 million checks, 14 of the
21 seconds PostgreSQL spent on the import (measured: the same rows inserted with and without the triggers), while
the rows of an import reference a few dozen rows (plans, locations, the user, the receipts' moves) and the
import's own lots. ``make bench`` prints the import both ways.

:func:`checked_once` writes the rows with the per-row triggers off (``session_replication_role = replica``, set
for the transaction only) and then does what the triggers would have done, set-based: for every foreign key of
the written tables (read from ``pg_constraint``: a column another module adds is checked too), the values the new
rows hold are gathered and the referenced rows locked ``FOR KEY SHARE``, as the triggers lock them, so that none
can be deleted until the transaction ends; a value whose row does not exist raises the error PostgreSQL raises
(``ForeignKeyViolation``, same message) and nothing is left written. It is used only where it is safe and allowed:

- the database role may set ``session_replication_role`` (a superuser, or PostgreSQL 15's ``GRANT SET ON
  PARAMETER session_replication_role``): otherwise the triggers check each row, as before (slower, the same
  result);
- the written tables have no trigger or rule of their own (those would not fire under ``replica``), and their
  foreign keys are on one column each;
- the session is in the ``origin`` role (nothing else changed it).

The setting is restored before the checks run, and the whole is inside a savepoint: an error anywhere rolls the
rows and the setting back.
"""

import contextlib
import logging

import psycopg2.errors
from psycopg2 import sql

_logger = logging.getLogger(__name__)

#: the role of a session whose per-row triggers (foreign-key checks included) do not fire
REPLICA = "replica"


@contextlib.contextmanager
def checked_once(cr, tables):
    """Context of a bulk write into ``tables`` (names) on ``cr``'s transaction: yields True when the rows
    written inside are checked set-based on exit (see the module's docstring), False when the per-row
    triggers check them as usual. No other statement than the bulk writes may run inside."""
    if not allowed(cr, tables):
        yield False
        return
    with cr.savepoint(flush=False):
        before = _sequence_positions(cr, tables)
        cr.execute("SELECT set_config('session_replication_role', %s, true)", (REPLICA,))
        yield True
        cr.execute("SELECT set_config('session_replication_role', 'origin', true)")
        check(cr, tables, before, _sequence_positions(cr, tables))


def allowed(cr, tables):
    """Whether rows written into ``tables`` on ``cr`` may be checked set-based (see the module's docstring)."""
    if cr._cnx.server_version >= 150000:
        privilege = "has_parameter_privilege('session_replication_role', 'SET')"
    else:
        privilege = "(SELECT rolsuper FROM pg_roles WHERE rolname = current_user)"
    cr.execute(sql.SQL("""
        SELECT {privilege}
           AND current_setting('session_replication_role') = 'origin'
           AND NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = ANY(%(tables)s::regclass[]) AND NOT tgisinternal)
           AND NOT EXISTS (SELECT 1 FROM pg_rewrite WHERE ev_class = ANY(%(tables)s::regclass[]))
           AND NOT EXISTS (SELECT 1 FROM pg_constraint
                            WHERE contype = 'f' AND conrelid = ANY(%(tables)s::regclass[])
                              AND cardinality(conkey) <> 1)
    """).format(privilege=sql.SQL(privilege)), {"tables": list(tables)})
    return bool(cr.fetchone()[0])


def foreign_keys(cr, tables):
    """``[(table, column, referenced table, referenced column, constraint)]`` of ``tables``."""
    cr.execute("""
        SELECT t.relname, a.attname, r.relname, ra.attname, c.conname
          FROM pg_constraint c
          JOIN pg_class t ON t.oid = c.conrelid
          JOIN pg_class r ON r.oid = c.confrelid
          JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
          JOIN pg_attribute ra ON ra.attrelid = c.confrelid AND ra.attnum = c.confkey[1]
         WHERE c.contype = 'f' AND c.conrelid = ANY(%s::regclass[])
         ORDER BY t.relname, a.attname
    """, (list(tables),))
    return cr.fetchall()


def check(cr, tables, before, after):
    """Check and lock what the rows of ``tables`` with ids in ``(before[table], after[table]]`` reference.

    The range holds the rows written since ``before`` was read (their ids come from the tables' sequences) and
    maybe rows other transactions committed meanwhile: those passed their own checks, checking them again
    locks a few more rows, changes nothing else."""
    keys = foreign_keys(cr, tables)
    wanted = {}  # (referenced table, column) -> {value: (table, column, constraint) of a row holding it}
    for table in tables:
        table_keys = [key for key in keys if key[0] == table]
        if not table_keys or after[table] <= before[table]:
            continue
        cr.execute(sql.SQL("SELECT {} FROM {} WHERE id > %s AND id <= %s").format(
            sql.SQL(", ").join(
                sql.SQL("array_agg(DISTINCT {column}) FILTER (WHERE {column} IS NOT NULL)").format(
                    column=sql.Identifier(key[1]))
                for key in table_keys),
            sql.Identifier(table),
        ), (before[table], after[table]))
        for key, values in zip(table_keys, cr.fetchone(), strict=True):
            holders = wanted.setdefault((key[2], key[3]), {})
            for value in values or ():
                holders.setdefault(value, key)
    for (referenced, column), holders in wanted.items():
        cr.execute(sql.SQL("SELECT {column} FROM {table} WHERE {column} = ANY(%s) FOR KEY SHARE").format(
            column=sql.Identifier(column), table=sql.Identifier(referenced),
        ), (list(holders),))
        missing = set(holders).difference(row[0] for row in cr.fetchall())
        if missing:
            value = min(missing)
            table, key_column, _referenced, _column, constraint = holders[value]
            raise psycopg2.errors.ForeignKeyViolation(
                'insert or update on table "%s" violates foreign key constraint "%s"\n'
                'DETAIL:  Key (%s)=(%s) is not present in table "%s".'
                % (table, constraint, key_column, value, referenced)
            )


def _sequence_positions(cr, tables):
    """``{table: the last id drawn from its id sequence (0 if none)}``."""
    cr.execute("""
        SELECT t, coalesce(pg_sequence_last_value(pg_get_serial_sequence(t, 'id')::regclass), 0)
          FROM unnest(%s::text[]) AS t
    """, (list(tables),))
    return dict(cr.fetchall())
