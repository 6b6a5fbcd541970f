"""Update to 18.0.1.2.0: a SIM card exists once, in every company.

The unique ICCID and number indexes per company (``stock_lot_haoka_iccid_company_uniq``,
``stock_lot_haoka_msisdn_company_uniq``) are dropped; ``stock.lot.init()`` then creates the indexes unique
across companies (``stock_lot_haoka_iccid_global_uniq``, ``stock_lot_haoka_msisdn_global_uniq``). A database
holding one ICCID or number in two companies cannot take them: the update stops and names the cards to
merge or correct first.
"""

from odoo.exceptions import UserError

DUPLICATES = """
    SELECT %(column)s, string_agg(id::text || ' (company ' || COALESCE(company_id::text, '-') || ')', ', ')
      FROM stock_lot
     WHERE is_sim_card AND %(column)s IS NOT NULL
  GROUP BY %(column)s HAVING count(*) > 1
  ORDER BY %(column)s LIMIT 20
"""


def duplicates(cr):
    """``(value, cards)`` of each ICCID or number held by more than one card (at most 20 of each)."""
    found = []
    for column in ("name", "msisdn"):
        cr.execute(DUPLICATES % {"column": column})
        found += cr.fetchall()
    return found


def migrate(cr, version):
    if not version:
        return
    found = duplicates(cr)
    if found:
        raise UserError(
            "SIM cards are now unique across companies, but these ICCIDs or numbers are held by several cards "
            "(stock.lot ids): %s. Merge or correct them, then update again."
            % "; ".join("%s: %s" % row for row in found)
        )
    cr.execute(
        """
        DROP INDEX IF EXISTS stock_lot_haoka_iccid_company_uniq;
        DROP INDEX IF EXISTS stock_lot_haoka_msisdn_company_uniq;
        """
    )
