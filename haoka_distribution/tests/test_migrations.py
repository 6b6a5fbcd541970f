"""The schema of a fresh install and of an update: indexes of earlier versions are replaced by the
update's migration script (``migrations/``), not by ``init()``."""

from pathlib import Path

from odoo.exceptions import UserError
from odoo.modules.migration import load_script
from odoo.tests import TransactionCase, tagged

from .common import make_sim_plan

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
        """What init() and the fields give: ICCID and number unique across companies, a partial grade index,
        no index of the flag or the carrier."""
        indexes = self._indexes()
        self.assertIn("UNIQUE INDEX", indexes["stock_lot_haoka_iccid_global_uniq"])
        self.assertIn("(name) WHERE is_sim_card", indexes["stock_lot_haoka_iccid_global_uniq"])
        self.assertIn("UNIQUE INDEX", indexes["stock_lot_haoka_msisdn_global_uniq"])
        self.assertIn("(msisdn) WHERE", indexes["stock_lot_haoka_msisdn_global_uniq"])
        self.assertEqual({"stock_lot_haoka_iccid_company_uniq", "stock_lot_haoka_msisdn_company_uniq"} & set(indexes),
                         set())
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

    def _migrate_18_0_1_2_0(self):
        script = load_script(str(MIGRATIONS / "18.0.1.2.0" / "pre-migrate.py"), "haoka_pre_migrate_18_0_1_2_0")
        script.migrate(self.env.cr, "18.0.1.1.0")
        self.env["stock.lot"].init()

    def test_update_makes_cards_unique_across_companies(self):
        """A database of 18.0.1.1.0 with the per-company unique indexes: after the update the ICCID and the
        number are unique across companies."""
        cr = self.env.cr
        cr.execute(
            """
            DROP INDEX stock_lot_haoka_iccid_global_uniq;
            DROP INDEX stock_lot_haoka_msisdn_global_uniq;
            CREATE UNIQUE INDEX stock_lot_haoka_iccid_company_uniq
                ON stock_lot (name, COALESCE(company_id, 0)) WHERE is_sim_card;
            CREATE UNIQUE INDEX stock_lot_haoka_msisdn_company_uniq
                ON stock_lot (msisdn, COALESCE(company_id, 0)) WHERE is_sim_card AND msisdn IS NOT NULL;
            """
        )
        self._migrate_18_0_1_2_0()
        indexes = self._indexes()
        self.assertEqual({"stock_lot_haoka_iccid_company_uniq", "stock_lot_haoka_msisdn_company_uniq"} & set(indexes),
                         set())
        self.assertIn("(name) WHERE is_sim_card", indexes["stock_lot_haoka_iccid_global_uniq"])
        self.assertIn("(msisdn) WHERE", indexes["stock_lot_haoka_msisdn_global_uniq"])

    def test_update_names_cards_held_in_two_companies(self):
        """One ICCID in two companies (allowed by the per-company indexes): the update stops and names both
        cards, before dropping anything."""
        cr = self.env.cr
        cr.execute("DROP INDEX stock_lot_haoka_iccid_global_uniq")
        product = make_sim_plan(self.env, "Migration Plan").product_variant_id
        other = self.env["res.company"].create({"name": "Migration Other Company"})
        iccid = "89860000000000000017"
        cr.execute(
            """INSERT INTO stock_lot (name, product_id, company_id, is_sim_card, card_state)
               VALUES (%(iccid)s, %(product)s, %(main)s, true, 'available'),
                      (%(iccid)s, %(product)s, %(other)s, true, 'available') RETURNING id""",
            {"iccid": iccid, "product": product.id, "main": self.env.company.id, "other": other.id},
        )
        ids = [row[0] for row in cr.fetchall()]
        with self.assertRaises(UserError) as error:
            self._migrate_18_0_1_2_0()
        message = str(error.exception)
        self.assertIn(iccid, message)
        self.assertIn("%s (company %s)" % (ids[0], self.env.company.id), message)
        self.assertIn("%s (company %s)" % (ids[1], other.id), message)

    def _migrate_18_0_1_3_0(self):
        script = load_script(str(MIGRATIONS / "18.0.1.3.0" / "pre-migrate.py"), "haoka_pre_migrate_18_0_1_3_0")
        script.migrate(self.env.cr, "18.0.1.2.0")
        self.registry.check_indexes(self.env.cr, ["stock.lot"])

    def _lot_search_plan(self, domain):
        """The plan of the cards' search of ``domain``, sequential scans off (the test's table is small)."""
        sql = self.env["stock.lot"]._search(domain).select()
        self.env.cr.execute("SET LOCAL enable_seqscan = off")
        self.env.cr.execute(self.env.cr.mogrify("EXPLAIN %s" % sql.code, sql.params).decode())
        return "\n".join(row[0] for row in self.env.cr.fetchall())

    def test_swap_flag_index_is_partial(self):
        """The index of the swap flag holds the flagged cards only (an import, whose cards are never flagged,
        writes no entry in it), and the search of the flagged cards still uses it."""
        self.assertIn("WHERE (haoka_swap_suspected IS NOT NULL)",
                      self._indexes()["stock_lot__haoka_swap_suspected_index"])
        plan = self._lot_search_plan([("haoka_swap_suspected", "=", True)])
        self.assertIn("stock_lot__haoka_swap_suspected_index", plan)

    def test_update_makes_swap_flag_index_partial(self):
        """A database of 18.0.1.2.0 with the full index of the swap flag: after the update it has the partial
        index of a fresh install."""
        self.env.cr.execute(
            """
            DROP INDEX stock_lot__haoka_swap_suspected_index;
            CREATE INDEX stock_lot__haoka_swap_suspected_index ON stock_lot (haoka_swap_suspected);
            """
        )
        self.assertNotIn("WHERE", self._indexes()["stock_lot__haoka_swap_suspected_index"])
        self._migrate_18_0_1_3_0()
        self.assertIn("WHERE (haoka_swap_suspected IS NOT NULL)",
                      self._indexes()["stock_lot__haoka_swap_suspected_index"])

    def test_puk_search_uses_hash_index(self):
        """The PUK search hashes have a hash index (no b-tree), which the search by PUK uses."""
        indexes = self._indexes()
        self.assertNotIn("stock_lot__puk_hash_index", indexes)
        self.assertIn("USING hash (puk_hash) WHERE (puk_hash IS NOT NULL)", indexes["stock_lot_haoka_puk_hash"])
        self.assertIn("stock_lot_haoka_puk_hash", self._lot_search_plan([("puk", "=", "83726154")]))

    def test_update_replaces_puk_hash_btree(self):
        """A database of 18.0.1.2.0 with the b-tree of the PUK search hashes: after the update (migration, then
        Odoo's index check and ``init()``) it has the hash index only."""
        self.env.cr.execute(
            """
            DROP INDEX stock_lot_haoka_puk_hash;
            CREATE INDEX stock_lot__puk_hash_index ON stock_lot (puk_hash) WHERE puk_hash IS NOT NULL;
            """
        )
        self._migrate_18_0_1_3_0()
        self.env["stock.lot"].init()
        indexes = self._indexes()
        self.assertNotIn("stock_lot__puk_hash_index", indexes)
        self.assertIn("USING hash (puk_hash)", indexes["stock_lot_haoka_puk_hash"])

    def test_update_replaces_upstream_event_indexes(self):
        """A database of 18.0.1.2.0 with the indexes of the event's source alone and signature alone: after the
        update (migration, then ``init()``) the replay check's (source, signature) index only."""
        self.env.cr.execute(
            """
            DROP INDEX haoka_upstream_event_signature_idx;
            CREATE INDEX haoka_upstream_event__source_id_index ON haoka_upstream_event (source_id);
            CREATE INDEX haoka_upstream_event__signature_digest_index ON haoka_upstream_event (signature_digest)
                WHERE signature_digest IS NOT NULL;
            """
        )
        self._migrate_18_0_1_3_0()
        self.env["haoka.upstream.event"].init()
        self.env.cr.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'haoka_upstream_event'")
        indexes = dict(self.env.cr.fetchall())
        self.assertNotIn("haoka_upstream_event__source_id_index", indexes)
        self.assertNotIn("haoka_upstream_event__signature_digest_index", indexes)
        self.assertIn("(source_id, signature_digest)", indexes["haoka_upstream_event_signature_idx"])
