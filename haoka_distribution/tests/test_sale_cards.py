"""选号 on sale orders: holds, number premium, assignment by expiry, delivery reservation, no double sale."""

import threading
import uuid
from datetime import timedelta

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import Form
from odoo.tools import SQL

from .common import HaokaCase, adult_id, committed_row_counts, make_iccid, make_sim_plan, separate_env


class SaleCardsCase(HaokaCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls.env["res.partner"].create({"name": "Customer Chen"})
        Lot = cls.env["stock.lot"].with_context(haoka_manual_entry=True)
        cls.premium_card = Lot.create({"name": make_iccid("898600", 1), "product_id": cls.product.id,
                                       "msisdn": "13800008888", "expiration_date": cls.days(300)})
        cls.late_card = Lot.create({"name": make_iccid("898600", 2), "product_id": cls.product.id,
                                    "msisdn": "13800135792", "expiration_date": cls.days(400)})
        cls.early_card = Lot.create({"name": make_iccid("898600", 3), "product_id": cls.product.id,
                                     "msisdn": "13800135793", "expiration_date": cls.days(100)})

    def quotation(self, lines, user=None):
        order = self.env["sale.order"].with_user(user or self.staff).create({
            "partner_id": self.customer.id,
            "haoka_holder_name": "陈小明",
            "haoka_id_number": adult_id(),
            "order_line": [fields.Command.create(vals) for vals in lines],
        })
        return order.sudo()


class TestSaleCards(SaleCardsCase):
    def test_chosen_number_is_held_and_premium_is_its_own_line(self):
        order = self.quotation([{"product_id": self.product.id, "product_uom_qty": 1,
                                 "haoka_lot_ids": [fields.Command.set(self.premium_card.ids)]}])
        self.assertEqual(self.premium_card.card_state, "reserved")
        self.assertEqual(self.premium_card.haoka_hold_line_id, order.order_line[0])
        self.assertGreater(self.premium_card.haoka_hold_until, fields.Datetime.now() + timedelta(minutes=25))
        grade = self.premium_card.grade_id
        self.assertTrue(grade.price_premium)
        premium = order.order_line.filtered("haoka_premium_source_id")
        self.assertEqual(premium.price_unit, grade.price_premium)
        self.assertEqual(premium.product_id, self.env.ref("haoka_distribution.product_number_premium"))
        self.assertIn("13800008888", premium.name)
        self.assertEqual(premium.haoka_premium_lot_id, self.premium_card)
        self.assertEqual(order.amount_untaxed, self.plan.list_price + grade.price_premium)
        self.assertIn(str(grade.contract_months), order.order_line[0].haoka_grade_conditions)
        # taking the number off releases it and drops the premium
        order.order_line[0].haoka_lot_ids = [fields.Command.clear()]
        self.assertEqual(self.premium_card.card_state, "available")
        self.assertFalse(order.order_line.filtered("haoka_premium_source_id"))

    def test_quotation_prints_numbers_and_grade_conditions(self):
        order = self.quotation([{"product_id": self.product.id,
                                 "haoka_lot_ids": [fields.Command.set(self.premium_card.ids)]}])
        html = self.env["ir.actions.report"]._render_qweb_html("sale.action_report_saleorder", order.ids)[0]
        html = html.decode()
        line = order.order_line.filtered("haoka_lot_ids").with_context(lang=order.partner_id.lang or "en_US")
        self.assertIn("13800008888", html)
        self.assertIn(line.haoka_grade_conditions, html)
        self.assertIn(str(self.premium_card.grade_id.contract_months), line.haoka_grade_conditions)

    def test_held_number_cannot_go_on_another_quotation(self):
        self.quotation([{"product_id": self.product.id, "haoka_lot_ids": [fields.Command.set(self.late_card.ids)]}])
        with self.assertRaisesRegex(UserError, "13800135792"):
            self.quotation([{"product_id": self.product.id,
                             "haoka_lot_ids": [fields.Command.set(self.late_card.ids)]}])

    def test_confirm_sells_and_reserves_on_delivery(self):
        order = self.quotation([{"product_id": self.product.id, "product_uom_qty": 1,
                                 "haoka_lot_ids": [fields.Command.set(self.late_card.ids)]}])
        order.with_user(self.staff).action_confirm()
        self.assertEqual(order.state, "sale")
        self.assertEqual(self.late_card.card_state, "sold")
        self.assertFalse(self.late_card.haoka_hold_line_id)
        delivery = order.picking_ids
        self.assertEqual(delivery.move_ids.lot_ids, self.late_card)
        self.assertEqual(delivery.move_line_ids.lot_id, self.late_card)
        self.assertEqual(delivery.state, "assigned")

    def test_lines_without_numbers_get_earliest_expiry(self):
        order = self.quotation([{"product_id": self.product.id, "product_uom_qty": 2}])
        order.action_confirm()
        cards = order.order_line.haoka_lot_ids
        self.assertEqual(cards, self.early_card | self.premium_card)  # expiry in 100 and 300 days
        self.assertEqual(set(cards.mapped("card_state")), {"sold"})
        self.assertEqual(order.picking_ids.move_line_ids.lot_id, cards)

    def test_not_enough_cards(self):
        order = self.quotation([{"product_id": self.product.id, "product_uom_qty": 5}])
        with self.assertRaisesRegex(UserError, "3"):
            order.action_confirm()
        self.assertEqual(order.state, "draft")
        self.assertEqual(self.early_card.card_state, "available")

    def test_expired_and_void_cards_are_not_assigned(self):
        self.early_card.write({"expiration_date": self.days(-1)})
        self.premium_card.action_void()
        order = self.quotation([{"product_id": self.product.id, "product_uom_qty": 1}])
        order.action_confirm()
        self.assertEqual(order.order_line.haoka_lot_ids, self.late_card)

    def test_hold_expires(self):
        order = self.quotation([{"product_id": self.product.id,
                                 "haoka_lot_ids": [fields.Command.set(self.premium_card.ids)]}])
        self.premium_card.sudo().haoka_hold_until = fields.Datetime.now() - timedelta(minutes=1)
        self.env["sale.order"]._cron_haoka_release_holds()
        self.assertEqual(self.premium_card.card_state, "available")
        self.assertFalse(order.order_line.filtered("haoka_is_sim").haoka_lot_ids)
        self.assertFalse(order.order_line.filtered("haoka_premium_source_id"))
        self.assertIn("13800008888", order.message_ids[0].body)

    def test_cancel_releases(self):
        order = self.quotation([{"product_id": self.product.id,
                                 "haoka_lot_ids": [fields.Command.set(self.late_card.ids)]}])
        order.action_confirm()
        order._action_cancel()
        self.assertEqual(self.late_card.card_state, "available")

    def test_numbers_chosen_in_the_form(self):
        form = Form(self.env["sale.order"].with_user(self.staff))
        form.partner_id = self.customer
        with form.order_line.new() as line:
            line.product_id = self.product
            line.haoka_lot_ids.add(self.late_card)
            line.haoka_lot_ids.add(self.early_card)
            self.assertEqual(line.product_uom_qty, 2)
        form.haoka_holder_name = "陈小明"
        form.haoka_id_number = adult_id()
        order = form.save()
        self.assertEqual(set((self.late_card | self.early_card).mapped("card_state")), {"reserved"})
        order.action_confirm()
        self.assertEqual(order.picking_ids.move_ids.lot_ids, self.late_card | self.early_card)

    def test_other_orders_untouched(self):
        order = self.env["sale.order"].create({
            "partner_id": self.customer.id,
            "order_line": [fields.Command.create({"product_id": self.other_product.id, "product_uom_qty": 1})],
        })
        order.action_confirm()
        self.assertEqual(order.state, "sale")
        self.assertFalse(order.haoka_has_sim)


class TestNoDoubleSale(SaleCardsCase):
    """Two users confirm orders for the same number at the same moment, each on its own database
    connection: exactly one succeeds, the other is told which number was taken."""

    def test_parallel_confirmations(self):
        """Two orders choosing the same number are confirmed at the same moment on their own connections.

        Long because a race is one story: committed set-up, two connections, the outcome, the clean-up."""
        registry = self.env.registry
        tag = uuid.uuid4().hex[:8]
        serial = int(uuid.uuid4().int % 10**9)
        number = "139%08d" % (serial % 10**8)
        rows_before = committed_row_counts(registry)
        with separate_env(registry, self.env.uid, {"tracking_disable": True}) as env:
            plan = make_sim_plan(env, "Race plan " + tag)
            card = env["stock.lot"].with_context(haoka_manual_entry=True).create(
                {"name": make_iccid("898600", serial), "product_id": plan.product_variant_id.id,
                 "msisdn": number, "expiration_date": fields.Datetime.now() + timedelta(days=200)}
            )
            partner = env["res.partner"].create({"name": "Race customer " + tag})
            orders = env["sale.order"].with_context(haoka_no_hold=True).create([{
                "partner_id": partner.id,
                "haoka_holder_name": "并发测试",
                "haoka_id_number": adult_id(sequence="%03d" % index),
                "order_line": [fields.Command.create({"product_id": plan.product_variant_id.id,
                                                      "haoka_lot_ids": [fields.Command.set(card.ids)]})],
            } for index in range(2)])
            order_ids, card_id, plan_id, partner_id = orders.ids, card.id, plan.id, partner.id
        barrier = threading.Barrier(2)
        outcomes = {}

        def confirm(order_id):
            with separate_env(registry, self.env.uid) as env:
                order = env["sale.order"].browse(order_id)
                barrier.wait(timeout=30)
                try:
                    order.action_confirm()
                    env.cr.commit()
                    outcomes[order_id] = "confirmed"
                except UserError as error:
                    env.cr.rollback()
                    outcomes[order_id] = str(error)

        threads = [threading.Thread(target=confirm, args=(order_id,)) for order_id in order_ids]
        try:
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=120)
            self.assertEqual(sorted(outcomes.values()).count("confirmed"), 1, outcomes)
            failure = next(value for value in outcomes.values() if value != "confirmed")
            self.assertIn(number, failure)
            with separate_env(registry) as env:
                cr = env.cr
                cr.execute("SELECT card_state FROM stock_lot WHERE id = %s", (card_id,))
                self.assertEqual(cr.fetchone()[0], "sold")
                cr.execute(
                    "SELECT count(*) FROM stock_move_line WHERE lot_id = %s AND picking_id IN "
                    "(SELECT id FROM stock_picking WHERE sale_id = ANY(%s))", (card_id, order_ids),
                )
                self.assertEqual(cr.fetchone()[0], 1)
        finally:
            with separate_env(registry, self.env.uid) as env:
                cr = env.cr
                orders = env["sale.order"].browse(order_ids)
                orders._action_cancel()
                product = env["product.template"].browse(plan_id).product_variant_id
                pickings = env["stock.picking"].search([("product_id", "=", product.id)])  # the card's receipt too
                for table in ("stock_valuation_layer", "stock_move_line", "stock_quant", "stock_move"):
                    cr.execute(SQL("DELETE FROM %s WHERE product_id = %s", SQL.identifier(table), product.id))
                env.invalidate_all()
                pickings.unlink()
                groups = orders.procurement_group_id
                orders.unlink()
                groups.unlink()
                env["stock.lot"].browse(card_id).unlink()
                product.unlink()
                env["res.partner"].browse(partner_id).unlink()
        self.assertNoRowsLeft(rows_before)
