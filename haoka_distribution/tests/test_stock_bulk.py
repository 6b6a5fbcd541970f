"""The fast path (``haoka.stock.bulk``) in a real server: exactly the ids a receipt needs, no thread nor second
connection for a small receipt, nothing process-wide changed by an import, Odoo's standard path when installed code
or a lot-valuated plan asks for what the fast path does not reproduce."""

import base64
import contextlib
import datetime
import gc
import sys
import threading
from unittest.mock import patch

from odoo import sql_db
from odoo.exceptions import UserError
from odoo.fields import Command

from ..models import stock_bulk
from .common import HaokaCase, adult_id, make_iccid
from .test_card_import import FUTURE, HEADER, xlsx_bytes
from .test_sale_cards import SaleCardsCase


def counting(cls, method, calls):
    """A patch running ``cls.method`` as usual, appending its name to ``calls`` at each call."""
    original = getattr(cls, method)

    def wrapper(*args, **kwargs):
        calls.append(method)
        return original(*args, **kwargs)

    return patch.object(cls, method, wrapper)


class TestBulkIds(HaokaCase):
    def next_id(self, table):
        self.env.cr.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id'))", (table,))
        return self.env.cr.fetchone()[0]

    def cards(self, start, count):
        expiry = datetime.datetime.combine(FUTURE, datetime.time())
        return [{"iccid": make_iccid("898600", start + i), "product": self.product,
                 "msisdn": "1390000%04d" % (start + i), "puk": "12345678", "pin": "1234", "expiration_date": expiry}
                for i in range(count)]

    def test_card_entered_by_hand_draws_one_line_id_with_no_thread_nor_connection(self):
        line_before = self.next_id("stock_move_line")
        calls = []
        with counting(sql_db.ConnectionPool, "borrow", calls), counting(threading.Thread, "start", calls):
            card = self.env["stock.lot"].with_context(haoka_manual_entry=True).create(
                {"name": make_iccid("898600", 7100), "product_id": self.product.id, "msisdn": "13800071000"}
            )
        self.assertEqual(calls, [])
        self.assertEqual(card.product_qty, 1)
        line = self.env["stock.move.line"].search([("lot_id", "=", card.id)])
        self.assertEqual(line.id, line_before + 1)
        self.assertEqual(self.next_id("stock_move_line"), line_before + 2)

    def test_import_of_several_blocks_draws_exactly_its_ids(self):
        """Ids drawn a block at a time, ahead, on a connection of their own: never more than the cards."""
        cards = self.cards(7200, 11)
        lot_before, line_before = self.next_id("stock_lot"), self.next_id("stock_move_line")
        stock = self.env["stock.warehouse"].search([("company_id", "=", self.env.company.id)], limit=1).lot_stock_id
        with patch.object(stock_bulk, "BULK_ID_BLOCK", 4), patch.object(stock_bulk, "THREADED_FROM", 0):
            pickings = self.env["haoka.stock.bulk"]._import_cards(
                [cards[:3], cards[3:9], cards[9:]], {self.product: 11}, stock, "blocks"
            )
        self.assertEqual(pickings.state, "done")
        self.assertEqual(sorted(pickings.move_line_ids.ids), list(range(line_before + 1, line_before + 12)))
        self.assertEqual(sorted(pickings.move_line_ids.lot_id.ids), list(range(lot_before + 1, lot_before + 12)))
        self.assertEqual((self.next_id("stock_lot"), self.next_id("stock_move_line")),
                         (lot_before + 12, line_before + 12))



    def test_receipt_valuation_layer_is_stock_accounts(self):
        """The valuation of a bulk receipt's move (its lines' quantity summed at once) is what stock_account's
        own _get_in_svl_vals gives for it, for a plan at standard price and one at average cost."""
        from odoo.addons.stock_account.models.stock_move import StockMove as AccountStockMove

        stock = self.env["stock.warehouse"].search([("company_id", "=", self.env.company.id)], limit=1).lot_stock_id
        for start, cost_method in ((7300, "standard"), (7320, "average")):
            self.product.categ_id = self.env["product.category"].create(
                {"name": "Cards %s" % cost_method, "property_cost_method": cost_method}
            )
            self.product.standard_price = 4.25
            pickings = self.env["haoka.stock.bulk"]._import_cards(
                [self.cards(start, 7)], {self.product: 7}, stock, "valued %s" % cost_method
            )
            move = pickings.move_ids.with_context(**{stock_bulk.RECEIPT: tuple(pickings.move_ids.ids)})
            ours = move._get_in_svl_vals(False)
            self.assertEqual(ours, AccountStockMove._get_in_svl_vals(move, False))
            self.assertEqual((ours[0]["quantity"], ours[0]["unit_cost"], ours[0]["value"]), (7.0, 4.25, 29.75))
class TestBulkLeavesTheProcessAlone(HaokaCase):
    def test_import_changes_no_process_wide_state(self):
        """A threaded server's other requests see the garbage collector and the switch interval as they were."""
        gc_enabled, interval = gc.isenabled(), sys.getswitchinterval()
        seen = set()
        Bulk = type(self.env["haoka.stock.bulk"])
        original = Bulk._lot_row_maker

        def watching_maker(bulk_self, products):
            make_row = original(bulk_self, products)

            def make(card, lot_id):
                seen.add((gc.isenabled(), sys.getswitchinterval(), threading.active_count() > 1))
                return make_row(card, lot_id)

            return make

        rows = [HEADER] + [[make_iccid("898600", 7300 + i), "", "", "", "Test Plan 29", FUTURE] for i in range(12)]
        wizard = self.env["haoka.card.import"].create({"file": base64.b64encode(xlsx_bytes(rows)),
                                                       "filename": "c.xlsx"})
        with patch.object(Bulk, "_lot_row_maker", watching_maker), patch.object(stock_bulk, "THREADED_FROM", 0):
            result = wizard.action_import()
        self.assertEqual(result["imported"], 12, result["error_lines"])
        self.assertEqual(seen, {(gc_enabled, interval, True)})  # while the pipeline's thread writes
        self.assertEqual((gc.isenabled(), sys.getswitchinterval()), (gc_enabled, interval))


class TestBulkReceiptValidation(HaokaCase):
    """Validating a bulk receipt takes from its writer what it wrote (the lines' order, the lots of its lines,
    new SIM cards) instead of searching tens of thousands of ids again, with the same result, and still refuses
    a receipt whose move has a line its writer did not write."""

    def receipt(self, start, count):
        expiry = datetime.datetime.combine(FUTURE, datetime.time())
        cards = [{"iccid": make_iccid("898600", start + i), "product": self.product, "msisdn": False, "puk": False,
                  "pin": False, "expiration_date": expiry} for i in range(count)]
        stock = self.env["stock.warehouse"].search([("company_id", "=", self.env.company.id)], limit=1).lot_stock_id
        with patch.object(stock_bulk, "THREADED_FROM", 0):
            return self.env["haoka.stock.bulk"]._import_cards([cards[:4], cards[4:]], {self.product: count}, stock,
                                                              "validation")

    def test_lines_sorted_as_odoo_sorts_them_without_a_search(self):
        picking = self.receipt(7400, 9)
        line_ids = picking.move_line_ids.ids
        shuffled = line_ids[4:] + line_ids[:4]
        written = {"line_ids": frozenset(line_ids), "samples": line_ids[:1], "new_lots": True,
                   "lots": {picking.move_ids.id: picking.move_line_ids.lot_id.ids}}
        MoveLine = self.env["stock.move.line"].with_context(**{stock_bulk.RECEIPT: tuple(picking.move_ids.ids)})
        admin = MoveLine.with_user(self.env.ref("base.user_admin"))
        odoo_order = list(self.env["stock.move.line"].browse(shuffled).sorted()._ids)  # Odoo's search
        self.assertEqual(odoo_order, sorted(line_ids))
        other = self.receipt(7420, 2).move_line_ids
        self.env.cr.cache[stock_bulk.BULK_WRITTEN] = written
        try:
            for lines in (MoveLine.browse(shuffled), admin.browse(shuffled)):
                with self.subTest(su=lines.env.su), self.recording() as queries:
                    self.assertEqual(list(lines.sorted()._ids), odoo_order)
                    self.assertEqual(list(lines.sorted(reverse=True)._ids), odoo_order[::-1])
                # the superuser reads nothing; a user has one line checked against the record rules
                self.assertEqual(self.line_searches(queries), [])
                if lines.env.su:
                    self.assertEqual(queries, [])
            doubled = MoveLine.browse(shuffled + shuffled[:2])  # each line once, as a search gives it
            self.assertEqual(list(doubled.sorted()._ids), odoo_order)
            with self.recording() as queries:  # a line the writer did not write: Odoo's search
                mixed = MoveLine.browse(shuffled + other.ids).sorted()
            self.assertEqual(list(mixed._ids), sorted(line_ids + other.ids))
            self.assertEqual(len(self.line_searches(queries)), 1)
        finally:
            self.env.cr.cache.pop(stock_bulk.BULK_WRITTEN)

    @staticmethod
    def line_searches(queries):
        """The searches of move lines in Odoo's order among ``queries``."""
        return [q for q in queries if 'FROM "stock_move_line"' in q and "ORDER BY" in q]

    @contextlib.contextmanager
    def recording(self):
        """The statements run on the test's cursor inside the block (whitespace collapsed)."""
        queries = []
        original = type(self.env.cr).execute

        def recording(cr, query, params=None, log_exceptions=True):
            queries.append(" ".join(str(query).split()))
            return original(cr, query, params, log_exceptions)

        with patch.object(type(self.env.cr), "execute", recording):
            yield queries

    def test_receipt_validated_without_searching_its_lines_and_lots_again(self):
        with self.recording() as queries:
            picking = self.receipt(7440, 9)
        self.assertEqual((picking.state, len(picking.move_line_ids), self.product.qty_available), ("done", 9, 9))
        self.assertEqual([q for q in queries if "FROM stock_lot WHERE id = ANY" in q], [])
        self.assertEqual([q for q in queries if q.startswith("SELECT lot_id FROM stock_move_line")], [])
        self.assertEqual(self.line_searches(queries), [])

    def test_a_line_the_writer_did_not_write_is_refused(self):
        """A line added to the receipt's move behind its writer's back (here: another card's) fails the
        validation: nothing of the receipt is validated."""
        other = self.receipt(7460, 1).move_line_ids
        original = stock_bulk._BulkReceipt.validate

        def validate_with_an_extra_line(receipt):
            move = next(iter(receipt.lines))
            self.env.cr.execute(
                """INSERT INTO stock_move_line (move_id, picking_id, company_id, product_id, product_uom_id,
                                                location_id, location_dest_id, lot_id, quantity,
                                                quantity_product_uom, picked, state, date)
                   SELECT %s, %s, company_id, product_id, product_uom_id, location_id, location_dest_id, lot_id,
                          1, 1, true, 'done', date FROM stock_move_line WHERE id = %s""",
                (move.id, move.picking_id.id, other.id),
            )
            return original(receipt)

        with patch.object(stock_bulk._BulkReceipt, "validate", validate_with_an_extra_line), \
                self.assertRaisesRegex(UserError, "only takes new SIM cards"):
            self.receipt(7470, 5)


class TestStandardPath(HaokaCase):
    """What the fast path does not reproduce goes through Odoo's standard path, with the same result."""

    def stock(self):
        return self.env["stock.warehouse"].search([("company_id", "=", self.env.company.id)], limit=1).lot_stock_id

    def test_lot_valuated_plan_gets_its_cost_per_card(self):
        """stock_account gives each new lot of a lot-valuated product the product's cost: the fast path does not
        write that column, so such a plan is received the standard way."""
        self.plan.standard_price = 7.5
        self.product.lot_valuated = True
        expiry = datetime.datetime.combine(FUTURE, datetime.time())
        cards = [{"iccid": make_iccid("898600", 7600 + i), "product": self.product, "msisdn": False, "puk": False,
                  "pin": False, "expiration_date": expiry} for i in range(3)]
        pickings = self.env["haoka.stock.bulk"]._import_cards([cards], {self.product: 3}, self.stock(), "valuated")
        lots = pickings.move_line_ids.lot_id
        self.assertEqual((pickings.state, len(lots), self.product.qty_available), ("done", 3, 3))
        self.assertEqual(lots.mapped("standard_price"), [7.5] * 3)
        self.assertEqual(lots.mapped("product_qty"), [1] * 3)
        self.assertEqual(sum(self.env["stock.valuation.layer"].search([("lot_id", "in", lots.ids)]).mapped("value")),
                         22.5)

    def test_transfer_the_standard_way(self):
        shelf = self.env["stock.location"].create(
            {"name": "Standard shelf", "usage": "internal", "location_id": self.stock().id}
        )
        cards = self.env["stock.lot"].with_context(haoka_manual_entry=True).create([
            {"name": make_iccid("898600", 7700 + i), "product_id": self.product.id} for i in range(4)
        ])
        Bulk = self.env["haoka.stock.bulk"]
        with patch.object(stock_bulk, "KNOWN_MODULES", stock_bulk.KNOWN_MODULES - {"stock_account"}):
            self.assertFalse(Bulk._use_fast_path(self.product))
            standard = Bulk._transfer(cards[:2], shelf)
        fast = Bulk._transfer(cards[2:], shelf)
        self.env.invalidate_all()
        for picking in (standard, fast):
            with self.subTest(fast=picking == fast):
                self.assertEqual(picking.state, "done")
                self.assertEqual(len(picking.move_line_ids), 2)
                lots = picking.move_line_ids.lot_id
                self.assertEqual(lots.location_id, shelf)
                quants = self.env["stock.quant"].search([("lot_id", "in", lots.ids), ("quantity", "!=", 0)])
                self.assertEqual(sorted((q.location_id.id, q.quantity, q.reserved_quantity) for q in quants),
                                 sorted((q.location_id.id, q.quantity, q.reserved_quantity) for q in quants
                                        if q.location_id.usage != "internal") + [(shelf.id, 1.0, 0.0)] * 2)


class ChosenCardsCase(SaleCardsCase):
    """Orders of chosen cards, and what their delivery holds."""

    def chosen_order(self, count, serial, before_quotation=None):
        Lot = self.env["stock.lot"].with_context(haoka_manual_entry=True)
        cards = Lot.create([{"name": make_iccid("898600", serial + i), "product_id": self.product.id,
                             "expiration_date": self.days(200)} for i in range(count)])
        if before_quotation:
            before_quotation(cards)
        order = self.quotation([{"product_id": self.product.id, "product_uom_qty": count,
                                 "haoka_lot_ids": [Command.set(cards.ids)]}])
        order.haoka_id_number = adult_id(sequence="%03d" % (serial % 997))  # a holder per order (一证五户)
        return order, cards

    def picture(self, order):
        """Every stored column of the delivery's move lines, its quants' reservation, the moves' and delivery's
        state. Left out: the references to the order's own records and cards (compared by rank), the dates of
        the orders and their cards (created seconds apart; a line's expiry is compared to its card's), and who
        wrote the lines (Odoo's standard path reserves twice: cards of its choice as superuser, in the
        procurement, then the chosen ones, as the user, through ``lot_ids``)."""
        self.env.flush_all()
        self.env.invalidate_all()
        delivery = order.picking_ids
        skipped = {"id", "create_date", "write_date", "create_uid", "write_uid", "date", "expiration_date",
                   "move_id", "picking_id", "reference", "lot_id", "lot_name"}
        MoveLine = self.env["stock.move.line"]
        columns = [name for name, field in MoveLine._fields.items()
                   if field.store and field.column_type and name not in skipped]
        rank = {lot: index for index, lot in enumerate(delivery.move_ids.lot_ids.sorted("name"))}
        lines = sorted((rank[line.lot_id], line.expiration_date == line.lot_id.expiration_date,
                        *(line[name] for name in columns)) for line in delivery.move_line_ids)
        quants = self.env["stock.quant"].search([("lot_id", "in", delivery.move_line_ids.lot_id.ids)])
        return {
            "lines": [tuple(value.ids if hasattr(value, "ids") else value for value in line) for line in lines],
            "quants": sorted((rank[q.lot_id], q.location_id.id, q.quantity, q.reserved_quantity) for q in quants),
            "states": (delivery.state, delivery.move_ids.mapped("state"), delivery.move_ids.quantity),
            "cards": len(rank),
        }



class TestChosenCardsReservation(ChosenCardsCase):
    """Confirming an order reserves its chosen cards on the delivery at once (haoka.stock.bulk
    ``_reserve_chosen_cards``), with the move lines and quants Odoo's own reservation gives them."""

    def test_chosen_cards_reserved_without_a_quant_search_per_card(self):
        order, cards = self.chosen_order(5, 8100)
        calls = []
        with counting(type(self.env["stock.quant"]), "_gather", calls):
            order.action_confirm()
        self.assertEqual(calls, [])
        self.assertEqual(order.picking_ids.move_line_ids.lot_id, cards)
        self.assertEqual(order.picking_ids.state, "assigned")

    def test_same_reservation_as_odoo_gives_the_chosen_cards(self):
        standard, _cards = self.chosen_order(4, 8200)
        fast, _cards = self.chosen_order(4, 9200)
        with patch.object(stock_bulk, "KNOWN_MODULES", stock_bulk.KNOWN_MODULES - {"product_expiry"}):
            self.assertFalse(self.env["haoka.stock.bulk"]._use_fast_path(
                self.product, replaced=stock_bulk.RESERVATION_METHODS))
            standard.action_confirm()
        fast.action_confirm()
        self.maxDiff = None
        self.assertEqual(self.picture(fast), self.picture(standard))
        self.assertEqual(self.picture(fast)["states"], ("assigned", ["assigned"], 4.0))

    def test_card_not_in_stock_is_reserved_the_standard_way(self):
        """A chosen card with no free quant in the warehouse: nothing is reserved in bulk, Odoo's reservation
        and ``lot_ids`` decide, as before."""
        elsewhere = self.env["stock.location"].create({"name": "Elsewhere", "usage": "internal"})
        order, cards = self.chosen_order(
            3, 8300, before_quotation=lambda cards: self.env["haoka.stock.bulk"]._transfer(cards[:1], elsewhere)
        )
        calls = []
        with counting(type(self.env["haoka.stock.bulk"]), "_create_reserved_lines", calls):
            order.action_confirm()
        self.assertEqual(calls, [])
        self.assertEqual(order.picking_ids.move_ids.lot_ids, cards)


class TestBulkDelivery(ChosenCardsCase):
    """Shipping validates the delivery with the cards' quants moved to the customer at once (haoka.stock.bulk
    ``_deliver``), leaving what Odoo's own validation leaves."""

    def shipped_picture(self, order):
        """Every stored column of the delivered cards' quants and move lines (references to the order's own
        records and cards compared by rank; ids, dates and authors left out, as in :meth:`picture`), the
        moves, the delivery, the valuation layers and where the cards are."""
        self.env.flush_all()
        self.env.invalidate_all()
        delivery = order.picking_ids
        lots = delivery.move_ids.lot_ids.sorted("name")
        rank = {lot: index for index, lot in enumerate(lots)}
        skipped = {"id", "create_date", "write_date", "create_uid", "write_uid", "date", "expiration_date",
                   "move_id", "picking_id", "reference", "lot_id", "lot_name", "in_date", "inventory_date",
                   "removal_date"}

        def rows(records):
            columns = [name for name, field in records._fields.items()
                       if field.store and field.column_type and name not in skipped]
            return sorted(
                (rank[record.lot_id], *(value.ids if hasattr(value, "ids") else value
                                        for value in (record[name] for name in columns)))
                for record in records
            )

        quants = self.env["stock.quant"].search([("lot_id", "in", lots.ids)])
        layers = self.env["stock.valuation.layer"].search([("stock_move_id", "in", delivery.move_ids.ids)])
        return {
            "quants": rows(quants),
            "quant dates": sorted((rank[q.lot_id], bool(q.in_date), str(q.inventory_date)) for q in quants),
            "lines": rows(delivery.move_line_ids),
            "moves": [(m.state, m.quantity, m.picked) for m in delivery.move_ids],
            "delivery": (delivery.state, len(delivery.move_line_ids)),
            "layers": sorted((layer.quantity, layer.value, layer.remaining_qty, layer.unit_cost)
                             for layer in layers),
            "card locations": [lot.location_id.id for lot in lots],
        }

    def test_same_delivery_as_odoo_validates(self):
        self.plan.standard_price = 4
        standard, _cards = self.chosen_order(3, 8400)
        fast, _cards = self.chosen_order(3, 9400)
        courier = self.env.ref("haoka_distribution.courier_sf")
        standard.action_confirm()
        fast.action_confirm()
        calls = []
        with patch.object(stock_bulk, "KNOWN_MODULES", stock_bulk.KNOWN_MODULES - {"stock_account"}):
            self.assertFalse(self.env["haoka.stock.bulk"]._use_fast_path(self.product))
            standard._haoka_ship(courier, "SF-STANDARD")
        with counting(type(self.env["haoka.stock.bulk"]), "_deliver_quants", calls):
            fast._haoka_ship(courier, "SF-FAST")
        self.assertEqual(calls, ["_deliver_quants"])
        self.maxDiff = None
        picture = self.shipped_picture(fast)
        self.assertEqual(picture, self.shipped_picture(standard))
        customers = self.env.ref("stock.stock_location_customers").id
        self.assertEqual(picture["card locations"], [customers] * 3)
        self.assertEqual(picture["layers"], [(-3.0, -12.0, 0.0, 4.0)])

    def test_delivery_without_a_quant_search_per_card(self):
        order, _cards = self.chosen_order(5, 8500)
        order.action_confirm()
        calls = []
        with counting(type(self.env["stock.quant"]), "_gather", calls):
            order._haoka_ship(self.env.ref("haoka_distribution.courier_sf"), "SF-COUNT")
        self.assertEqual(calls, [])
        self.assertEqual(order.picking_ids.state, "done")
