"""Cards on stock.lot: normalisation, validation under the carrier's policy, database uniqueness,
receipt on manual entry, search helpers, and no effect on other lots."""

import datetime
import io

import openpyxl
import psycopg2
from lxml import etree

from odoo.exceptions import UserError, ValidationError
from odoo.tests import Form
from odoo.tools import SQL, mute_logger

from .common import HaokaCase, make_iccid


class TestCard(HaokaCase):
    def test_card_entered_by_hand_is_received_into_stock(self):
        cards = self.env["stock.lot"].with_context(haoka_manual_entry=True).create([
            {"name": make_iccid("898600", 4100 + i), "product_id": self.product.id, "msisdn": "1380000410%s" % i}
            for i in range(3)
        ])
        stock = self.env["stock.warehouse"].search([("company_id", "=", self.env.company.id)], limit=1).lot_stock_id
        self.assertEqual(cards.mapped("product_qty"), [1, 1, 1])
        self.assertEqual(cards.location_id, stock)
        lines = self.env["stock.move.line"].search([("lot_id", "in", cards.ids)])
        self.assertEqual(len(lines), 3)
        self.assertEqual(lines.picking_id.state, "done")
        self.assertEqual(lines.picking_id.picking_type_id.code, "incoming")
        quants = self.env["stock.quant"].search([("lot_id", "in", cards.ids)])
        self.assertEqual(sorted(quants.mapped("quantity")), [-1, -1, -1, 1, 1, 1])
        with self.assertRaisesRegex(UserError, "not in stock yet"):
            self.env["haoka.stock.bulk"]._receive({self.product: cards[:1].ids}, stock, "again")

    def test_normalised_on_create_and_write(self):
        iccid = make_iccid("898600", 11)
        full_width = "".join(chr(ord(c) + 0xFEE0) for c in iccid)
        card = self.env["stock.lot"].create(
            {
                "name": " '" + full_width[:10] + " " + full_width[10:] + "f",
                "product_id": self.product.id,
                "msisdn": "+86 138-0013-8000",
            }
        )
        self.assertEqual(card.name, iccid)
        self.assertEqual(card.msisdn, "13800138000")
        self.assertEqual(card.card_state, "available")
        card.msisdn = "８６１３９００１３９０００"
        self.assertEqual(card.msisdn, "13900139000")

    def test_hex_iccid_accepted(self):
        card = self.env["stock.lot"].create({"name": "898600b5123456789012", "product_id": self.product.id})
        self.assertEqual(card.name, "898600B5123456789012")
        self.assertFalse(card.iccid_warning)

    def test_bad_lengths_rejected(self):
        for bad in ("898600123456789012", "89860012345678901234567", "12345678901234567890", "898600XY23456789012"):
            with self.subTest(iccid=bad), self.assertRaisesRegex(ValidationError, bad):
                with self.env.cr.savepoint():
                    self.env["stock.lot"].create({"name": bad, "product_id": self.product.id})
        for bad in ("1380013800", "12800138000", "138001380001"):
            with self.subTest(msisdn=bad), self.assertRaisesRegex(ValidationError, bad):
                with self.env.cr.savepoint():
                    self.create_card(20, bad)

    def test_luhn_policy_warn(self):
        self.assertEqual(self.cmcc.iccid_check_policy, "warn")
        bad = make_iccid("898600", 30, valid=False)
        card = self.env["stock.lot"].create({"name": bad, "product_id": self.product.id})
        self.assertTrue(card.iccid_warning)
        self.assertIn("Luhn", card.haoka_warning)
        good = self.create_card(31)
        self.assertFalse(good.iccid_warning)
        self.assertFalse(good.haoka_warning)

    def test_luhn_policy_strict(self):
        self.cmcc.iccid_check_policy = "strict"
        bad = make_iccid("898600", 32, valid=False)
        with self.assertRaisesRegex(ValidationError, bad):
            self.env["stock.lot"].create({"name": bad, "product_id": self.product.id})
        good = self.create_card(33)
        self.assertEqual(good.name, make_iccid("898600", 33))
        self.assertFalse(good.iccid_warning)

    def test_luhn_policy_off(self):
        self.cmcc.iccid_check_policy = "off"
        card = self.env["stock.lot"].create(
            {"name": make_iccid("898600", 34, valid=False), "product_id": self.product.id}
        )
        self.assertFalse(card.iccid_warning)

    def test_prefix_and_segment_warnings(self):
        card = self.env["stock.lot"].create(
            {"name": make_iccid("898601", 35), "product_id": self.product.id, "msisdn": "13000001111"}
        )
        self.assertTrue(card.iccid_warning)
        self.assertTrue(card.msisdn_warning)
        self.assertIn("130", card.haoka_warning)
        found = self.env["stock.lot"].search([("id", "=", card.id), ("msisdn_warning", "=", True)])
        self.assertEqual(found, card)

    def test_iccid_unique_across_plans(self):
        card = self.create_card(40, "13800000040")
        with self.assertRaisesRegex(ValidationError, card.name):
            self.env["stock.lot"].create({"name": card.name, "product_id": self.product_b.id})
        with self.assertRaisesRegex(ValidationError, "twice"):
            self.env["stock.lot"].create(
                [
                    {"name": make_iccid("898600", 41), "product_id": self.product.id},
                    {"name": make_iccid("898600", 41), "product_id": self.product_b.id},
                ]
            )

    def test_database_enforces_iccid_and_number_uniqueness(self):
        first = self.create_card(50, "13800000050")
        second = self.create_card(51, "13800000051", product=self.product_b)
        self.env.flush_all()
        with mute_logger("odoo.sql_db"), self.assertRaises(psycopg2.IntegrityError):
            with self.env.cr.savepoint():
                self.env.cr.execute("UPDATE stock_lot SET name = %s WHERE id = %s", (first.name, second.id))
        with mute_logger("odoo.sql_db"), self.assertRaises(psycopg2.IntegrityError):
            with self.env.cr.savepoint():
                self.env.cr.execute("UPDATE stock_lot SET msisdn = %s WHERE id = %s", (first.msisdn, second.id))

    def test_number_unique(self):
        self.create_card(60, "13800000060")
        with self.assertRaisesRegex(ValidationError, "13800000060"):
            self.create_card(61, "+86 138 0000 0060", product=self.product_b)

    def test_other_lots_unchanged(self):
        Lot = self.env["stock.lot"]
        lot = Lot.create({"name": " abc-001 ", "product_id": self.other_product.id})
        self.assertEqual(lot.name, " abc-001 ")  # no SIM normalisation
        self.assertFalse(lot.card_state)
        self.assertFalse(lot.is_sim_card)
        # the same serial on another ordinary product stays allowed, as in standard Odoo
        other = self.env["product.product"].create(
            {"name": "Cable", "type": "consu", "is_storable": True, "tracking": "serial"}
        )
        twin = Lot.create({"name": " abc-001 ", "product_id": other.id})
        self.assertEqual((twin.name, twin.product_id), (" abc-001 ", other))
        # an ordinary lot may carry an ICCID-looking name without SIM checks
        iccid_like = Lot.create({"name": "89bad", "product_id": self.other_product.id})
        self.assertEqual((iccid_like.name, iccid_like.is_sim_card, iccid_like.card_state), ("89bad", False, False))

    def test_manual_entry_is_received_into_stock(self):
        action = self.env.ref("haoka_distribution.action_haoka_card")
        context = eval(action.context)  # noqa: S307
        form = Form(
            self.env["stock.lot"].with_user(self.staff).with_context(**context),
            view="haoka_distribution.stock_lot_view_form_haoka",
        )
        form.name = make_iccid("898600", 70)
        form.product_id = self.product
        form.msisdn = "13800000070"
        form.puk = "12345678"
        card = form.save()
        self.assertEqual(card.product_qty, 1)
        quant = self.env["stock.quant"].search([("lot_id", "=", card.id), ("location_id.usage", "=", "internal")])
        self.assertEqual(quant.quantity, 1)
        move_line = self.env["stock.move.line"].search([("lot_id", "=", card.id)])
        self.assertEqual(move_line.picking_id.state, "done")
        self.assertEqual(move_line.picking_id.picking_type_id.code, "incoming")
        self.assertEqual(self.product.qty_available, 1)
        self.assertEqual(card.location_id, quant.location_id)

    def test_lots_made_elsewhere_are_not_received_twice(self):
        card = self.create_card(71)
        self.assertFalse(self.env["stock.move.line"].search([("lot_id", "=", card.id)]))
        self.assertEqual(card.product_qty, 0)

    def test_search_by_tail_substring_prefix(self):
        a = self.create_card(80, "13800128888")
        b = self.create_card(81, "13912348888")
        c = self.create_card(82, "13988881234")
        Lot = self.env["stock.lot"]
        self.assertEqual(Lot.search([("msisdn_tail", "ilike", "8888")]), a | b)
        self.assertEqual(Lot.search([("msisdn", "ilike", "8888")]), a | b | c)
        self.assertEqual(Lot.search([("name", "=like", "898600%"), ("id", "in", (a | b | c).ids)]), a | b | c)

    def test_void(self):
        card = self.create_card(90)
        card.action_void()
        self.assertEqual(card.card_state, "void")
        with self.assertRaisesRegex(UserError, "voided"):
            card.action_void()

    def test_display_name_and_name_search_by_number(self):
        card = self.create_card(95, "13800009595")
        self.assertEqual(card.display_name, "13800009595 · %s" % card.name)
        found = self.env["stock.lot"].name_search("9595", [("is_sim_card", "=", True)])
        self.assertIn(card.id, [row[0] for row in found])
        other = self.env["stock.lot"].create({"name": "X-1", "product_id": self.other_product.id})
        self.assertEqual(other.display_name, "X-1")


class TestCardQuickSearch(HaokaCase):
    """The card list's quick search and the card pickers: digits are a phone number (or part of one), an
    ICCID-looking input an ICCID; the day of expiry shown as a date."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Lot = cls.env["stock.lot"]
        # the first card's ICCID holds 8888, not its number; the second card's number does
        cls.iccid_8888 = Lot.create({"name": make_iccid("898600", 88881), "product_id": cls.product.id,
                                     "msisdn": "13900001234"})
        cls.number_8888 = Lot.create({"name": make_iccid("898600", 40001), "product_id": cls.product.id,
                                      "msisdn": "13512348888"})
        cls.other_lot = Lot.create({"name": "88881234", "product_id": cls.other_product.id})
        cls.all_lots = cls.iccid_8888 | cls.number_8888 | cls.other_lot

    def quick_search(self, text):
        return self.env["stock.lot"].search([("display_name", "ilike", text), ("id", "in", self.all_lots.ids)])

    def picked(self, text):
        return {row[0] for row in self.env["stock.lot"].name_search(text, [("id", "in", self.all_lots.ids)])}

    def test_digits_search_numbers_not_iccids(self):
        self.assertIn("8888", self.iccid_8888.name)
        self.assertEqual(self.quick_search("8888"), self.number_8888 | self.other_lot)  # an ordinary lot by name
        self.assertEqual(self.picked("8888"), {self.number_8888.id, self.other_lot.id})
        self.assertEqual(self.quick_search("1234"), self.iccid_8888 | self.number_8888 | self.other_lot)
        self.assertEqual(self.quick_search("+86 139 0000 1234"), self.iccid_8888)
        self.assertEqual(self.quick_search("１３５１２３"), self.number_8888)  # full-width digits

    def test_an_iccid_looking_input_searches_iccids(self):
        iccid = self.iccid_8888.name
        self.assertEqual(self.quick_search(iccid), self.iccid_8888)
        self.assertEqual(self.quick_search(iccid + "F"), self.iccid_8888)  # as a modem reports it
        self.assertEqual(self.quick_search(iccid[:14]), self.iccid_8888 | self.number_8888)  # ICCIDs starting so
        self.assertEqual(self.quick_search(iccid[1:15]), self.env["stock.lot"])  # not a number, not a start
        self.assertEqual(self.picked(iccid[-13:]), set())  # a long tail is digits of a number: none that long
        self.assertEqual(self.picked(iccid), {self.iccid_8888.id})
        hex_card = self.env["stock.lot"].create({"name": "898600B5123456789012", "product_id": self.product.id})
        self.assertEqual(self.env["stock.lot"].search([("display_name", "ilike", "898600b5")]), hex_card)

    def test_other_text_keeps_the_standard_search(self):
        lot = self.env["stock.lot"].create({"name": "SN-A-77", "product_id": self.other_product.id})
        self.assertEqual(self.env["stock.lot"].search([("display_name", "ilike", "sn-a")]), lot)

    def test_quick_search_can_use_the_indexes(self):
        """No sequential scan of the cards: with sequential and plain index scans priced out, each quick search
        is still answered by bitmap scans, which need an index condition (the trigram indexes of number and
        ICCID, the product index for other lots)."""
        Lot = self.env["stock.lot"]
        self.env.flush_all()
        self.env.cr.execute("SET LOCAL enable_seqscan = off; SET LOCAL enable_indexscan = off")
        try:
            for text in ("8888", "13512348888", self.iccid_8888.name, "898600B5"):
                with self.subTest(text=text):
                    # (the card list adds is_sim_card, which only the tables' statistics can weigh: a partial
                    # index on it is as cheap as any other on a table of a few cards)
                    query = Lot._search([("display_name", "ilike", text)])
                    self.env.cr.execute(SQL("EXPLAIN %s", query.select()))
                    plan = "\n".join(row[0] for row in self.env.cr.fetchall())
                    self.assertNotIn("Seq Scan on stock_lot", plan)
                    self.assertIn("Bitmap Index Scan on stock_lot_", plan)
                    # each index scan has a condition of the search, not just the partial index's predicate
                    self.assertEqual(plan.count("Bitmap Index Scan"), plan.count("Index Cond:"), plan)
        finally:
            self.env.cr.execute("SET LOCAL enable_seqscan = on; SET LOCAL enable_indexscan = on")

    def test_expiry_shown_as_a_day(self):
        for xmlid in ("stock_lot_view_list_haoka", "stock_lot_view_form_haoka", "stock_lot_view_list_haoka_picker"):
            with self.subTest(view=xmlid):
                view = self.env.ref("haoka_distribution.%s" % xmlid)
                arch = etree.fromstring(self.env["stock.lot"].get_view(view.id)["arch"])
                nodes = arch.xpath("//field[@name='expiration_date']")
                self.assertEqual(len(nodes), 1)
                self.assertIn("'show_time': false", nodes[0].get("options", ""))
        search = self.env.ref("haoka_distribution.stock_lot_view_search_haoka")
        arch = etree.fromstring(self.env["stock.lot"].get_view(search.id, "search")["arch"])
        self.assertEqual(len(arch.xpath("//filter[@date='expiration_date']")), 1)

    def test_export_writes_the_day_the_user_sees(self):
        """A user in Shanghai who picks 2027-12-31 stores 2027-12-30 16:00 UTC: the export says 2027-12-31."""
        self.number_8888.expiration_date = datetime.datetime(2027, 12, 30, 16, 0)
        self.manager.tz = "Asia/Shanghai"
        action = self.number_8888.with_user(self.manager).action_haoka_export_xlsx()
        export = self.env["haoka.card.export"].with_user(self.manager).browse(int(action["url"].rsplit("/", 1)[1]))
        sheet = openpyxl.load_workbook(io.BytesIO(export._haoka_workbook()[0])).active
        header, row = ([cell.value for cell in line] for line in sheet.iter_rows(max_row=2))
        self.assertEqual(row[header.index("Expiry Date")], datetime.datetime(2027, 12, 31))
