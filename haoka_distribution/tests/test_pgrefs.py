"""A bulk import's foreign keys checked once per referenced row (tools/pgrefs.py): the same refusals and row locks
as PostgreSQL's per-row triggers, the triggers back on afterwards, and per-row checks kept wherever the
set-based check is not allowed or not safe."""

import datetime

import psycopg2.errors

from ..models import stock_bulk
from ..tools import pgrefs
from .common import HaokaCase, make_iccid
from .test_card_import import FUTURE
from .test_stock_bulk import counting

TABLES = stock_bulk.WRITTEN_TABLES


class TestReferencesCheckedOnce(HaokaCase):
    def stock(self):
        return self.env["stock.warehouse"].search([("company_id", "=", self.env.company.id)], limit=1).lot_stock_id

    def import_cards(self, start, count):
        expiry = datetime.datetime.combine(FUTURE, datetime.time())
        cards = [{"iccid": make_iccid("898600", start + i), "product": self.product,
                  "msisdn": "1390000%04d" % (start + i), "puk": "12345678", "pin": "1234", "expiration_date": expiry}
                 for i in range(count)]
        return self.env["haoka.stock.bulk"]._import_cards([cards], {self.product: count}, self.stock(), "refs")

    def role(self):
        self.env.cr.execute("SELECT current_setting('session_replication_role')")
        return self.env.cr.fetchone()[0]

    def insert_lot(self, name, carrier_id):
        self.env.cr.execute(
            "INSERT INTO stock_lot (name, product_id, company_id, haoka_carrier_id) VALUES (%s, %s, %s, %s)",
            (name, self.product.id, self.env.company.id, carrier_id),
        )

    def test_import_checks_each_referenced_row_once_then_triggers_are_back(self):
        self.assertTrue(pgrefs.allowed(self.env.cr, TABLES))  # the suite's role is a superuser
        calls = []
        with counting(pgrefs, "check", calls):
            receipt = self.import_cards(7600, 6)
        self.assertEqual(calls, ["check"])
        self.assertEqual(receipt.state, "done")
        self.assertEqual(len(receipt.move_line_ids), 6)
        self.assertEqual(sorted(receipt.move_line_ids.lot_id.mapped("product_qty")), [1.0] * 6)
        self.assertEqual(self.role(), "origin")
        with self.assertRaises(psycopg2.errors.ForeignKeyViolation), self.env.cr.savepoint():
            self.insert_lot("NOT-A-CARD", 2**31 - 1)  # the row's own trigger refuses it again

    def test_missing_referenced_row_is_refused_and_nothing_is_left(self):
        self.env.cr.execute("SELECT max(id) + 1000 FROM haoka_carrier")
        missing = self.env.cr.fetchone()[0]
        with self.assertRaises(psycopg2.errors.ForeignKeyViolation) as refusal, \
                pgrefs.checked_once(self.env.cr, TABLES) as set_based:
            self.assertTrue(set_based)
            self.insert_lot("REF-GOOD", self.cmcc.id)
            self.insert_lot("REF-BAD", missing)  # no trigger refuses it here: the check at the end does
        self.assertEqual(
            str(refusal.exception),
            'insert or update on table "stock_lot" violates foreign key constraint "stock_lot_haoka_carrier_id_fkey"'
            '\nDETAIL:  Key (haoka_carrier_id)=(%s) is not present in table "haoka_carrier".' % missing,
        )
        self.env.cr.execute("SELECT count(*) FROM stock_lot WHERE name IN ('REF-GOOD', 'REF-BAD')")
        self.assertEqual(self.env.cr.fetchone()[0], 0)
        self.assertEqual(self.role(), "origin")

    def test_referenced_rows_are_locked_as_the_triggers_lock_them(self):
        """A row the import references cannot be deleted by another transaction before the import commits: it
        holds the key-share lock PostgreSQL's own check takes. The number grades are referenced by the cards
        alone (the receipt's moves, written by the ORM, lock what they reference themselves)."""
        free = "SELECT id FROM haoka_number_grade FOR UPDATE SKIP LOCKED"
        with self.registry._db.cursor() as other:
            other.execute(free)
            free_before = {row[0] for row in other.fetchall()}
            other.rollback()
            receipt = self.import_cards(7620, 3)
            other.execute(free)
            free_after = {row[0] for row in other.fetchall()}
            other.rollback()
        graded = set(receipt.move_line_ids.lot_id.grade_id.ids)
        self.assertTrue(graded)
        self.assertLessEqual(graded, free_before)
        self.assertEqual(graded & free_after, set())
        self.assertEqual(free_before - free_after, graded)

    def test_table_with_a_trigger_of_its_own_keeps_per_row_checks(self):
        """Under the replica role a table's own triggers would not fire: such a table is written as before."""
        self.env.cr.execute("""
            CREATE TEMP TABLE quant_audit (lot_id int);
            CREATE FUNCTION pg_temp.audit_quant() RETURNS trigger LANGUAGE plpgsql AS
                $$ BEGIN INSERT INTO quant_audit VALUES (NEW.lot_id); RETURN NEW; END $$;
            CREATE TRIGGER haoka_test_quant_audit AFTER INSERT ON stock_quant
                FOR EACH ROW EXECUTE FUNCTION pg_temp.audit_quant();
        """)
        self.assertFalse(pgrefs.allowed(self.env.cr, TABLES))
        calls = []
        with counting(pgrefs, "check", calls):
            receipt = self.import_cards(7640, 4)
        self.assertEqual(calls, [])
        self.env.cr.execute("SELECT count(*), count(DISTINCT lot_id) FROM quant_audit")
        self.assertEqual(self.env.cr.fetchone(), (8, 4))  # -1 at the supplier and +1 in stock, per card
        self.assertEqual(len(receipt.move_line_ids), 4)

    def test_role_that_may_not_set_the_replica_role_keeps_per_row_checks(self):
        """Odoo's role is often no superuser: it checks set-based once granted the setting (PostgreSQL 15)."""
        self.env.cr.execute("CREATE ROLE haoka_test_no_replica NOLOGIN")
        self.env.cr.execute("SET LOCAL ROLE haoka_test_no_replica")
        try:
            self.assertFalse(pgrefs.allowed(self.env.cr, TABLES))
        finally:
            self.env.cr.execute("RESET ROLE")
        if self.env.cr._cnx.server_version >= 150000:
            self.env.cr.execute("GRANT SET ON PARAMETER session_replication_role TO haoka_test_no_replica")
            self.env.cr.execute("SET LOCAL ROLE haoka_test_no_replica")
            try:
                self.assertTrue(pgrefs.allowed(self.env.cr, TABLES))
            finally:
                self.env.cr.execute("RESET ROLE")
        self.assertTrue(pgrefs.allowed(self.env.cr, TABLES))
