"""Update from 18.0.1.0.0: the schema left by earlier versions, brought to what a fresh install creates.

A fresh install never has these (see ``stock.lot.init()`` and the fields' ``index=``); Odoo keeps an index
or a column that its fields no longer declare, and does not rebuild an index whose definition changed, so an
update replaces them here, before the models are loaded:

- the unique ICCID and number indexes over all companies, replaced by per-company ones (``init()`` creates
  ``stock_lot_haoka_iccid_company_uniq`` / ``stock_lot_haoka_msisdn_company_uniq``);
- the indexes of ``is_sim_card`` (a boolean) and ``haoka_carrier_id`` (a few carriers), which no search needs
  and every import pays for;
- the full index of ``grade_id`` (most cards have no grade): dropped, Odoo then creates the partial index
  the field declares (``index="btree_not_null"``);
- the ICCID prefix index in a database with the C collation, where the unique ICCID index serves prefix
  searches (``init()`` creates it in other collations);
- the column in which the card import kept the uploaded file in clear.
"""


def migrate(cr, version):
    if not version:
        return
    cr.execute(
        """
        DROP INDEX IF EXISTS stock_lot_haoka_iccid_uniq;
        DROP INDEX IF EXISTS stock_lot_haoka_msisdn_uniq;
        DROP INDEX IF EXISTS stock_lot__is_sim_card_index;
        DROP INDEX IF EXISTS stock_lot__haoka_carrier_id_index;
        ALTER TABLE IF EXISTS haoka_card_import DROP COLUMN IF EXISTS file;
        """
    )
    cr.execute(
        """SELECT 1 FROM pg_indexes WHERE indexname = 'stock_lot__grade_id_index'
                                        AND indexdef NOT LIKE '%%WHERE%%'"""
    )
    if cr.fetchone():
        cr.execute("DROP INDEX stock_lot__grade_id_index")
    cr.execute("SELECT datcollate IN ('C', 'POSIX') FROM pg_database WHERE datname = current_database()")
    if cr.fetchone()[0]:
        cr.execute("DROP INDEX IF EXISTS stock_lot_haoka_iccid_prefix")
