"""The schema of a fresh install and of an update: indexes of earlier versions are replaced by the
update's migration script (``migrations/``), not by ``init()``."""

from pathlib import Path

from odoo.modules.migration import load_script
from odoo.tests import TransactionCase, tagged

MIGRATIONS = Path(__file__).parents[1] / "migrations"


@tagged("post_install", "-at_install")
class TestIndexMigration(TransactionCase):
    def _indexes(self):
        self.env.cr.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'stock_lot'")
        return dict(self.env.cr.fetchall())

    def _c_collation(self):
        self.env.cr.execute("SELECT datcollate IN ('C', 'POSIX') FROM pg_database WHERE datname = current_database()")
        return self.env.cr.fetchone()[0]

    def test_installed_schema(self):
        """What init() and the fields give: per-company unique ICCID and number, a partial grade index,
        no index of the flag or the carrier."""
        indexes = self._indexes()
        self.assertIn("UNIQUE INDEX", indexes["stock_lot_haoka_iccid_company_uniq"])
        self.assertIn("WHERE is_sim_card", indexes["stock_lot_haoka_iccid_company_uniq"])
        self.assertIn("UNIQUE INDEX", indexes["stock_lot_haoka_msisdn_company_uniq"])
        self.assertIn("WHERE (grade_id IS NOT NULL)", indexes["stock_lot__grade_id_index"])
        self.assertEqual(
            {"stock_lot__is_sim_card_index", "stock_lot__haoka_carrier_id_index", "stock_lot_haoka_iccid_uniq",
             "stock_lot_haoka_msisdn_uniq"} & set(indexes), set())
        self.assertEqual("stock_lot_haoka_iccid_prefix" in indexes, not self._c_collation())

    def test_update_replaces_earlier_indexes(self):
        """A database of 18.0.1.0.0 with the indexes of earlier versions: after the migration script and
        Odoo's index check (both run by ``-u``), it has the indexes of a fresh install."""
        cr = self.env.cr
        cr.execute(
            """
            DROP INDEX stock_lot__grade_id_index;
            CREATE INDEX stock_lot__grade_id_index ON stock_lot (grade_id);
            CREATE INDEX stock_lot_haoka_iccid_uniq ON stock_lot (name) WHERE is_sim_card;
            CREATE INDEX stock_lot__is_sim_card_index ON stock_lot (is_sim_card);
            CREATE INDEX stock_lot__haoka_carrier_id_index ON stock_lot (haoka_carrier_id);
            CREATE INDEX IF NOT EXISTS stock_lot_haoka_iccid_prefix ON stock_lot (name text_pattern_ops);
            ALTER TABLE haoka_card_import ADD COLUMN file bytea;
            """
        )
        self.assertNotIn("WHERE", self._indexes()["stock_lot__grade_id_index"])
        script = load_script(str(MIGRATIONS / "18.0.1.0.1" / "pre-migrate.py"), "haoka_pre_migrate_18_0_1_0_1")
        script.migrate(cr, "18.0.1.0.0")
        self.registry.check_indexes(cr, ["stock.lot"])
        indexes = self._indexes()
        self.assertIn("WHERE (grade_id IS NOT NULL)", indexes["stock_lot__grade_id_index"])
        self.assertEqual(
            {"stock_lot__is_sim_card_index", "stock_lot__haoka_carrier_id_index", "stock_lot_haoka_iccid_uniq"}
            & set(indexes), set())
        self.assertEqual("stock_lot_haoka_iccid_prefix" in indexes, not self._c_collation())
        cr.execute("SELECT 1 FROM information_schema.columns WHERE table_name = 'haoka_card_import' "
                   "AND column_name = 'file'")
        self.assertEqual(cr.fetchall(), [])
