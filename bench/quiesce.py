"""The database as autovacuum keeps a live one, before a measured operation: the tables vacuumed (their trigram
indexes' pending lists merged, the visibility map set) and analysed, and the dirty buffers of what came before
written (CHECKPOINT), so that the operation pays for none of the previous one's leftovers. On a connection of its
own in autocommit (VACUUM runs outside a transaction); the scripts run as a PostgreSQL superuser, which CHECKPOINT
needs."""

import time

import psycopg2

from odoo import sql_db


def quiesce(env, tables=()):
    """Commit ``env``'s transaction, vacuum and analyse ``tables`` (all of the database's by default), checkpoint;
    the seconds it took."""
    began = time.time()
    env.cr.commit()
    connection = psycopg2.connect(**sql_db.connection_info_for(env.cr.dbname)[1])
    try:
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE) %s" % ", ".join(tables))
            cursor.execute("CHECKPOINT")
    finally:
        connection.close()
    return time.time() - began
